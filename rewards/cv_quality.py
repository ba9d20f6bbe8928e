"""Weight-free stand-in for VideoScore's visual dimensions: vq, tc, dd, fc on the 1-4 band."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from pav.rewards import VIDEO_FRAMES, sample_frames
from pav.rewards.cv_common import band, check_video, flows, foreground, to_gray, warp_back

_LAPLACE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def noise_sigma(gray: np.ndarray) -> float:
    """Robust noise estimate (Immerkaer's mask, median so edges do not count)."""
    r = np.stack([cv2.filter2D(g, -1, _LAPLACE) for g in gray])[:, 1:-1, 1:-1]
    return float(np.median(np.abs(r)) / (0.6745 * 6))


def sharpness(gray: np.ndarray) -> float:
    """Strength of the strongest edges after light smoothing (blur flattens them)."""
    g = np.stack([cv2.GaussianBlur(f, (0, 0), 0.8) for f in gray])
    mag = np.hypot(np.diff(g, axis=2)[:, :-1], np.diff(g, axis=1)[:, :, :-1])
    return float(np.percentile(mag, 99))


def visual_quality(gray: np.ndarray) -> float:
    clipped = float(np.mean((gray < 4) | (gray > 251)))
    exposure = 1 - min(abs(float(gray.mean()) - 120) / 120, 1) * 0.5 - clipped
    good = 0.5 * (1 - np.exp(-sharpness(gray) / 22)) + 0.4 * np.exp(-noise_sigma(gray) / 5) + 0.1 * exposure
    return band((good - 0.15) / 0.75)


def temporal_consistency(gray: np.ndarray, flow: np.ndarray) -> float:
    """Warp error between neighbours, brightness flicker and camera jitter (jerky global motion)."""
    if len(gray) < 2:
        return band(1.0)
    err = np.mean([np.abs(warp_back(b, f) - a)[2:-2, 2:-2].mean() for a, b, f in zip(gray[:-1], gray[1:], flow)])
    flicker = float(np.abs(np.diff(gray.mean(axis=(1, 2)))).mean())
    glob = np.median(flow.reshape(len(flow), -1, 2), axis=1)
    jitter = float(np.abs(np.diff(glob, axis=0)).sum(axis=1).mean()) if len(glob) > 1 else 0.0
    good = 0.45 * np.exp(-err / 12) + 0.25 * np.exp(-flicker / 2.5) + 0.3 * np.exp(-jitter / 0.9)
    return band((good - 0.2) / 0.75)


# Frames apart for the motion flow: noise and flicker displace nothing over 4 frames, while a moving
# subject or camera moves 4 times as far, so sensor noise no longer reads as motion.
MOTION_STRIDE = 4


def dynamic_degree(gray: np.ndarray) -> float:
    """Graded amount of sustained motion. Flow is measured over MOTION_STRIDE frames (per-frame noise and
    flicker give flow that does not add up, motion does: frame-to-frame flow read VBench's still frames,
    rendered badly by the simulated world, as 2.2 against 1.4-1.6 rendered well), counts where the frame has
    texture (flat noisy areas give meaningless flow), is pooled into 8x8 blocks and median-filtered over
    time (one-frame glitches are not motion); the busiest quarter of blocks decides, so a moving subject
    counts."""
    flow = flows(gray, MOTION_STRIDE)
    g = np.stack([cv2.GaussianBlur(f, (0, 0), 1.0) for f in gray[:len(flow)]])
    grad = np.hypot(np.gradient(g, axis=1), np.gradient(g, axis=2))
    weight = np.clip(grad / (3 * grad.mean() + 1e-6), 0, 1)
    blocks = np.stack([cv2.resize(f * w[..., None], (8, 8), interpolation=cv2.INTER_AREA)
                       for f, w in zip(flow, weight)])
    med = np.median(blocks, axis=0)
    mag = np.sort(np.hypot(med[..., 0], med[..., 1]).ravel())[-16:].mean() / (flow.shape[2] / 64)
    return band(1 - np.exp(-mag / 0.35))


def factual_consistency(frames: np.ndarray) -> float:
    """Physical plausibility: no objects that vanish or jump for a frame, smooth trajectories."""
    fg = foreground(frames)
    counts, centres = [], []
    for m in fg:
        n, _, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8), connectivity=8)
        counts.append(int((stats[1:, cv2.CC_STAT_AREA] >= max(6, m.size // 400)).sum()))
        ys, xs = np.nonzero(m)
        centres.append((xs.mean(), ys.mean()) if len(xs) else (np.nan, np.nan))
    counts = np.asarray(counts, np.float32)
    if len(counts) < 3:
        return band(1.0)
    # a count that differs from both neighbours is an object popping in or out for one frame
    spikes = float(np.mean((counts[1:-1] != counts[:-2]) & (counts[1:-1] != counts[2:])))
    c = np.asarray(centres, np.float64)
    if np.isnan(c).all():
        jump = 0.0
    else:
        c = np.where(np.isnan(c), np.nanmean(c, axis=0), c)
        jump = float(np.hypot(*(c[1:-1] - (c[:-2] + c[2:]) / 2).T).mean()) / (frames.shape[2] / 64)
    good = 0.5 * (1 - spikes) ** 2 + 0.5 * np.exp(-jump / 1.2)
    return band((good - 0.2) / 0.75)


class CvQuality:
    """vq, tc, dd, fc from 16 sampled frames, numpy + OpenCV only."""

    name = "cv-quality"
    dimensions = ("vq", "tc", "dd", "fc")

    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        if len(videos) != len(prompts):
            raise ValueError(f"{len(videos)} videos but {len(prompts)} prompts")
        return [self._one(v) for v in videos]

    def _one(self, video: np.ndarray) -> dict[str, float]:
        if check_video(video):  # unusable input: NaN scores, the batch goes on
            return {d: float("nan") for d in self.dimensions}
        frames = sample_frames(video, VIDEO_FRAMES)
        gray = to_gray(frames)
        flow = flows(gray)
        return {"vq": visual_quality(gray), "tc": temporal_consistency(gray, flow),
                "dd": dynamic_degree(gray), "fc": factual_consistency(frames)}
