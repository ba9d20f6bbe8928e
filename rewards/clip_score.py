"""CLIP score: cosine similarity of CLIP image and text embeddings, 4 frames averaged (a light alignment reward)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

from rewards import IMAGE_FRAMES, batches, sample_frames
from rewards.weights import dtype_from


class ClipScore:
    """Mean cosine similarity (in [-1, 1]) between 4 sampled frames and the original prompt."""

    name = "clip-score"
    dimensions = ("clip",)

    def __init__(
        self,
        clip_model: str = "openai/clip-vit-large-patch14",
        torch_dtype: str = "fp32",
        device: str = "cuda",
        batch_size: int = 8,
    ):
        self.device, self.batch_size = device, batch_size
        self.processor = AutoImageProcessor.from_pretrained(clip_model)
        self.tokenizer = AutoTokenizer.from_pretrained(clip_model)
        self.model = CLIPModel.from_pretrained(clip_model, dtype=dtype_from(torch_dtype)).to(device).eval()

    @torch.no_grad()
    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        out = []
        for chunk, texts in batches(videos, prompts, self.batch_size):
            frames = [f for v in chunk for f in sample_frames(v, IMAGE_FRAMES)]
            pixels = self.processor(images=frames, return_tensors="pt")["pixel_values"]
            image = self.model.get_image_features(pixel_values=pixels.to(self.device, self.model.dtype)).pooler_output
            tokens = self.tokenizer(texts, padding=True, truncation=True, return_tensors="pt").to(self.device)
            text = self.model.get_text_features(**tokens).pooler_output
            image = torch.nn.functional.normalize(image.float(), dim=-1).view(len(chunk), IMAGE_FRAMES, -1)
            text = torch.nn.functional.normalize(text.float(), dim=-1)
            cosine = torch.einsum("bfd,bd->bf", image, text).mean(dim=1)
            out += [{"clip": float(c)} for c in cosine]
        return out
