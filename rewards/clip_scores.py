"""What the CLIP-based image judges (PickScore, HPSv2) share: the frames they read and the cosine of each item's
image embedding with its prompt's."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from pav.rewards import IMAGE_FRAMES, released_frames


def judged_frames(video: np.ndarray) -> np.ndarray:
    """An image as it is; a video's 4 frames where the released reward code reads them."""
    return video[:1] if len(video) == 1 else released_frames(video, IMAGE_FRAMES)


def mean_cosines(model, processor, videos: Sequence[np.ndarray], text: torch.Tensor) -> list[float]:
    """Per item: the mean over its judged frames of the cosine between a frame's image embedding (`model`'s
    get_image_features on `processor`'s pixels) and its prompt's embedding (row of `text`)."""
    frames = [judged_frames(v) for v in videos]
    pixels = processor(images=[f for v in frames for f in v], return_tensors="pt")["pixel_values"]
    image = model.get_image_features(pixel_values=pixels.to(model.device, model.dtype)).pooler_output.float()
    image = image / image.norm(dim=-1, keepdim=True)
    text = text.float() / text.float().norm(dim=-1, keepdim=True)
    parts = torch.split(image, [len(f) for f in frames])
    return [float((part @ text[i]).mean()) for i, part in enumerate(parts)]
