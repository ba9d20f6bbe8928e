"""LAION aesthetic predictor: a linear head on L2-normalised CLIP ViT-L/14 image embeddings, 4 frames averaged."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn
from transformers import AutoImageProcessor, CLIPModel

from pav.rewards import IMAGE_BACKEND, IMAGE_FRAMES, batches, released_frames
from pav.rewards.weights import dtype_from, load_into, load_weights

HEAD_SOURCE = "https://github.com/LAION-AI/aesthetic-predictor (sa_0_4_vit_l_14_linear.pth)"


class LaionAesthetic:
    """Score = mean over 4 uniformly sampled frames of Linear(normalised CLIP image embedding)."""

    name = "laion-aesthetic"
    dimensions = ("aesthetic",)

    def __init__(
        self,
        head: str,
        clip_model: str = "openai/clip-vit-large-patch14",
        torch_dtype: str = "fp32",
        device: str = "cuda",
        batch_size: int = 8,
    ):
        self.device, self.batch_size = device, batch_size
        self.processor = AutoImageProcessor.from_pretrained(clip_model, backend=IMAGE_BACKEND)
        self.clip = CLIPModel.from_pretrained(clip_model, dtype=dtype_from(torch_dtype))
        self.clip.to(device).eval()
        # The released head is a bare nn.Linear(768, 1): its state_dict keys are "weight" and "bias".
        self.head = nn.Linear(self.clip.config.projection_dim, 1)
        load_into(self.head, load_weights(head, "laion-aesthetic head", HEAD_SOURCE), head)
        self.head.to(device).eval()

    @torch.no_grad()
    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        out = []
        for chunk, _ in batches(videos, prompts, self.batch_size):
            frames = [f for v in chunk for f in released_frames(v, IMAGE_FRAMES)]
            pixels = self.processor(images=frames, return_tensors="pt")["pixel_values"]
            pixels = pixels.to(self.device, self.clip.dtype)
            embeds = self.clip.get_image_features(pixel_values=pixels).pooler_output.float()
            embeds = embeds / embeds.norm(dim=-1, keepdim=True)
            per_frame = self.head(embeds).view(len(chunk), IMAGE_FRAMES)
            out += [{"aesthetic": float(s)} for s in per_frame.mean(dim=1)]
        return out
