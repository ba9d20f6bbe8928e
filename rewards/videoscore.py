"""VideoScore (TIGER-Lab): Idefics2 with a 5-output regression head read at the last token, 16 frames.

transformers has no Idefics2ForSequenceClassification; `VideoScoreModel` rebuilds the released one
(`model.*` = Idefics2Model, `score.*` = Linear(hidden, 5)), so TIGER-Lab/VideoScore's safetensors load as they are.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from PIL import Image
from torch import nn
from transformers import AutoProcessor, Idefics2Config, Idefics2Model
from transformers.models.idefics2.modeling_idefics2 import Idefics2PreTrainedModel

from pav.data.schemas import VIDEO_DIMENSIONS
from pav.rewards import IMAGE_BACKEND, VIDEO_FRAMES, batches, released_frames
from pav.rewards.weights import dtype_from

# The regression query of the release (VideoScore benchmark/utils_tools.py), byte for byte: the head was
# trained on it. The original prompt goes into {text_prompt}; one "<image> " per frame is appended.
QUERY = """
Suppose you are an expert in judging and evaluating the quality of AI-generated videos,
please watch the following frames of a given video and see the text prompt for generating the video,
then give scores from 5 different dimensions:
(1) visual quality: the quality of the video in terms of clearness, resolution, brightness, and color
(2) temporal consistency, both the consistency of objects or humans and the smoothness of motion or movements
(3) dynamic degree, the degree of dynamic changes
(4) text-to-video alignment, the alignment between the text prompt and the video content
(5) factual consistency, the consistency of the video content with the common-sense and factual knowledge

for each dimension, output a float number from 1.0 to 4.0,
the higher the number is, the better the video performs in that sub-score, \n\
the lowest 1.0 means Bad, the highest 4.0 means Perfect/Real (the video is like a real video)
Here is an output example:
visual quality: 3.2
temporal consistency: 2.7
dynamic degree: 4.0
text-to-video alignment: 2.3
factual consistency: 1.8

For this video, the text prompt is "{text_prompt}",
all the frames of video are as follows:
"""


def query(prompt: str, frames: int) -> str:
    """The regression query for `prompt` followed by one <image> token per frame."""
    return QUERY.replace("{text_prompt}", prompt) + "<image> " * frames


class VideoScoreModel(Idefics2PreTrainedModel):
    """Idefics2 + linear regression head; the output at each row's last real token is the 5 scores."""

    config_class = Idefics2Config

    def __init__(self, config: Idefics2Config):
        super().__init__(config)
        self.model = Idefics2Model(config)
        self.score = nn.Linear(config.text_config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask, pixel_values, pixel_attention_mask) -> torch.Tensor:
        hidden = self.model(
            input_ids=input_ids, attention_mask=attention_mask, pixel_values=pixel_values,
            pixel_attention_mask=pixel_attention_mask, use_cache=False,
        ).last_hidden_state
        # Last attended position per row, whichever side the tokenizer pads on.
        last = attention_mask.shape[1] - 1 - attention_mask.flip(1).argmax(dim=1)
        return self.score(hidden[torch.arange(len(hidden), device=hidden.device), last])


class VideoScore:
    """The five VideoScore dimensions (vq, tc, dd, tva, fc; about 1-4, unclipped like the release)."""

    name = "videoscore"
    dimensions = VIDEO_DIMENSIONS

    def __init__(
        self,
        model: str = "TIGER-Lab/VideoScore",
        torch_dtype: str = "bf16",
        device: str = "cuda",
        batch_size: int = 1,
        frames: int = VIDEO_FRAMES,
    ):
        """frames: how many frames of a video the judge reads (16 as the paper's VideoScore; 48 for
        VideoScore-v1.1, which was trained on 48); all of a shorter video."""
        if frames < 1:
            raise ValueError(f"videoscore: frames must be >= 1, got {frames}")
        self.device, self.batch_size, self.frames = device, batch_size, frames
        self.processor = AutoProcessor.from_pretrained(model, backend=IMAGE_BACKEND)
        self.model = VideoScoreModel.from_pretrained(model, dtype=dtype_from(torch_dtype)).to(device).eval()
        if self.model.config.num_labels != len(VIDEO_DIMENSIONS):
            raise ValueError(f"{model}: expected a 5-output head, got {self.model.config.num_labels}")

    @torch.no_grad()
    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        out = []
        for chunk, originals in batches(videos, prompts, self.batch_size):
            images = [[Image.fromarray(f) for f in released_frames(v, self.frames, all_when_short=True)]
                      for v in chunk]
            texts = [query(p, len(frames)) for p, frames in zip(originals, images)]
            inputs = self.processor(text=texts, images=images, padding=True, return_tensors="pt").to(self.device)
            logits = self.model(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                pixel_values=inputs["pixel_values"].to(self.model.dtype),
                pixel_attention_mask=inputs["pixel_attention_mask"],
            ).float()
            out += [dict(zip(VIDEO_DIMENSIONS, map(float, row))) for row in logits]
        return out
