"""PickScore (Kirstain et al., 2023): CLIP ViT-H/14 fine-tuned on Pick-a-Pic's human choices. As its released
inference code (yuvalkirstain/PickScore): the prompt tokenized to CLIP's 77 tokens, image and text embeddings
L2-normalised, score = logit_scale.exp() x their cosine (about 17-23 on real images). An image is scored as it is;
a video's 4 released frames are averaged."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

from pav.rewards import IMAGE_BACKEND, batches
from pav.rewards.clip_scores import mean_cosines
from pav.rewards.weights import dtype_from

PROCESSOR = "laion/CLIP-ViT-H-14-laion2B-s32B-b79K"  # the released code's processor and tokenizer


class PickScore:
    """pickscore of each image (or video, its frames averaged) against its original prompt."""

    name = "pickscore"
    dimensions = ("pickscore",)

    def __init__(self, model: str = "yuvalkirstain/PickScore_v1", processor: str = PROCESSOR, torch_dtype: str = "fp32",
                 device: str = "cuda", batch_size: int = 8):
        self.device, self.batch_size = device, batch_size
        self.processor = AutoImageProcessor.from_pretrained(processor, backend=IMAGE_BACKEND)
        self.tokenizer = AutoTokenizer.from_pretrained(processor)
        self.model = CLIPModel.from_pretrained(model, dtype=dtype_from(torch_dtype))
        self.model.to(device).eval()

    @torch.no_grad()
    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        out = []
        for chunk, texts in batches(videos, prompts, self.batch_size):
            tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=77, return_tensors="pt")
            text = self.model.get_text_features(**tokens.to(self.device)).pooler_output
            scale = float(self.model.logit_scale.exp())
            out += [{"pickscore": scale * c} for c in mean_cosines(self.model, self.processor, chunk, text)]
        return out
