"""Weight-free image-level rewards on 4 sampled frames: aesthetic (LAION-like band, ~1-10, typical 4-6)
and preference (an MPS-like band, ~4-16, typical 8-11)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from pav.data.sim_parse import parse
from pav.rewards import IMAGE_FRAMES, sample_frames
from pav.rewards.cv_alignment import subject_checks
from pav.rewards.cv_common import check_video, foreground, to_gray
from pav.rewards.cv_quality import noise_sigma, sharpness


def colourfulness(frames: np.ndarray) -> float:
    """Hasler and Suesstrunk's colourfulness (0 grey, ~40 moderately colourful, 100+ very)."""
    f = frames.astype(np.float32)
    rg, yb = f[..., 0] - f[..., 1], 0.5 * (f[..., 0] + f[..., 1]) - f[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def composition(frames: np.ndarray) -> float:
    """1 when the salient mass sits near the centre or the thirds, falling off towards the edges."""
    fg = foreground(frames)
    if not fg.any():
        return 0.3
    ys, xs = np.nonzero(fg.any(axis=0))
    cx, cy = xs.mean() / fg.shape[2], ys.mean() / fg.shape[1]
    off = min(abs(cx - a) for a in (1 / 3, 1 / 2, 2 / 3)) + 0.5 * abs(cy - 0.55)
    return float(np.exp(-off / 0.12))


def aesthetic_goodness(frames: np.ndarray) -> float:
    gray = to_gray(frames)
    colour = 1 - np.exp(-colourfulness(frames) / 45)
    contrast = 1 - np.exp(-float(gray.std()) / 35)
    clean = 0.5 * (1 - np.exp(-sharpness(gray) / 25)) + 0.5 * np.exp(-noise_sigma(gray) / 6)
    return float(0.3 * colour + 0.2 * contrast + 0.35 * clean + 0.15 * composition(frames))


class CvAesthetic:
    """aesthetic and preference from 4 sampled frames, numpy + OpenCV only."""

    name = "cv-aesthetic"
    dimensions = ("aesthetic", "preference")

    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        if len(videos) != len(prompts):
            raise ValueError(f"{len(videos)} videos but {len(prompts)} prompts")
        return [self._one(v, p) for v, p in zip(videos, prompts)]

    def _one(self, video: np.ndarray, prompt: str) -> dict[str, float]:
        if check_video(video):
            return {d: float("nan") for d in self.dimensions}
        frames = sample_frames(video, IMAGE_FRAMES)
        good = aesthetic_goodness(frames)
        checks = subject_checks(frames, parse(prompt if isinstance(prompt, str) else ""))
        match = float(np.mean(checks)) if checks else 0.5
        gray = to_gray(frames)
        crisp = 1 - np.exp(-sharpness(gray) / 25)
        return {"aesthetic": 1.0 + 9.0 * good, "preference": 4.0 + 12.0 * (0.45 * good + 0.35 * match + 0.2 * crisp)}
