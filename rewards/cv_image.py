"""Weight-free image judges for the embedded image world: stand-ins, on their published bands, for the image
suite's preference models (HPSv2, ImageReward, PickScore) and the LAION aesthetic, read from one frame with
numpy + OpenCV against the ORIGINAL prompt (the shared vocabulary, as a CLIP knows words; never generator
internals).

What each weighs, like the model it stands for: HPSv2 human preference (a clean, well-rendered look first, then the
prompt), ImageReward text-image alignment first (its BLIP reads the prompt against the image), PickScore both about
equally; all of them prefer an image rendered cleanly (sharp edges, no noise) to a muddy one.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from pav.data.schemas import IMAGE_SUITE_DIMENSIONS
from pav.data.sim_parse import parse
from pav.rewards.cv_aesthetic import aesthetic_goodness
from pav.rewards.cv_alignment import scene_check, subject_checks
from pav.rewards.cv_common import check_video, to_gray
from pav.rewards.cv_quality import noise_sigma, sharpness


def alignment(image: np.ndarray, prompt: str) -> float:
    """0-1: are the prompt's subjects (colour, count, shape, identity) and place in the image; 0.5 when the
    prompt names nothing checkable."""
    p = parse(prompt if isinstance(prompt, str) else "")
    checks = subject_checks(image, p) + ([scene_check(image, p)] if p.scene else [])
    return float(np.mean(checks)) if checks else 0.5


def cleanliness(image: np.ndarray) -> float:
    """0-1: crisp edges and little noise (a muddy, noisy render about 0.2 on the raw measure, a clean one 0.65 and
    up: stretched onto 0-1, as a preference model's scores spread most over how well an image is rendered)."""
    gray = to_gray(image)
    raw = 0.5 * (1 - np.exp(-sharpness(gray) / 25)) + 0.5 * np.exp(-noise_sigma(gray) / 5)
    return float(np.clip((raw - 0.2) / 0.45, 0.0, 1.0))


class CvImage:
    """hps, image_reward, pickscore and aesthetic of each image (the first frame of what it is given)."""

    name = "cv-image"
    dimensions = IMAGE_SUITE_DIMENSIONS

    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        if len(videos) != len(prompts):
            raise ValueError(f"{len(videos)} images but {len(prompts)} prompts")
        return [self._one(v, p) for v, p in zip(videos, prompts)]

    def _one(self, video: np.ndarray, prompt: str) -> dict[str, float]:
        if check_video(video):
            return {d: float("nan") for d in self.dimensions}
        image = video[:1]
        good, match, clean = aesthetic_goodness(image), alignment(image, prompt), cleanliness(image)
        return {"hps": 0.19 + 0.14 * (0.3 * good + 0.25 * match + 0.45 * clean),
                "image_reward": -2.0 + 4.0 * (0.5 * match + 0.15 * good + 0.35 * clean),
                "pickscore": 17.0 + 6.0 * (0.4 * match + 0.25 * good + 0.35 * clean),
                "aesthetic": 1.0 + 9.0 * (0.6 * good + 0.4 * clean)}
