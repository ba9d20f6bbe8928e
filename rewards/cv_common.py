"""Pixel helpers shared by the weight-free (numpy + OpenCV) rewards: validation, flow, masks, bands."""

from __future__ import annotations

import cv2
import numpy as np

from pav.data.sim_colours import HUES

_dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
# HSV thresholds: a pixel counts as "coloured" above this saturation and value (OpenCV 0-255 scale).
MIN_SAT, MIN_VAL = 70, 50


def check_video(frames: np.ndarray) -> str | None:
    """Why these frames cannot be scored, or None."""
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8:
        return "video must be a uint8 numpy array"
    if frames.ndim != 4 or frames.shape[-1] != 3 or min(frames.shape[:3]) < 1:
        return f"video must be (T, H, W, 3) with T, H, W >= 1, got shape {frames.shape}"
    return None


def to_gray(frames: np.ndarray) -> np.ndarray:
    """float32 luminance (T, H, W)."""
    return frames.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def flows(gray: np.ndarray, stride: int = 1) -> np.ndarray:
    """DIS optical flow from each frame to the one `stride` later, per frame of time ((T-stride, H, W, 2),
    the displacement divided by `stride`); frames are smoothed first so sensor-like noise does not read as
    motion."""
    stride = max(1, min(stride, len(gray) - 1))
    if len(gray) < 2 or min(gray.shape[1:]) < 8:
        return np.zeros((max(len(gray) - 1, 1), *gray.shape[1:], 2), np.float32)
    g = np.clip(gray, 0, 255).astype(np.uint8)
    g = np.stack([cv2.GaussianBlur(f, (0, 0), 1.0) for f in g])
    return np.stack([_dis.calc(a, b, None) for a, b in zip(g[:-stride], g[stride:])]) / stride


def warp_back(frame: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """`frame` (t+1) warped onto t along `flow` (t -> t+1)."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(frame, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def foreground(frames: np.ndarray) -> np.ndarray:
    """Bool (T, H, W): pixels that stand out from their row's typical colour (backgrounds in this world,
    as in many shots, vary mostly with height: sky, horizon, ground)."""
    f = frames.astype(np.float32)
    row = np.median(f[:, :, ::2], axis=2, keepdims=True)  # every other column is enough, and 2x faster
    dist = np.abs(f - row).sum(axis=-1)
    dist = np.stack([cv2.GaussianBlur(d, (0, 0), 0.8) for d in dist])
    return dist > 60


def colour_mask(hsv: np.ndarray, colour: str) -> np.ndarray:
    """Bool mask of pixels of a named colour; hsv is OpenCV HSV uint8 (..., 3)."""
    h, s, v = (hsv[..., i].astype(np.int16) for i in range(3))
    if colour in HUES:
        centre, tol = HUES[colour]
        dh = np.abs(h - centre)
        dh = np.minimum(dh, 180 - dh)
        return (dh <= tol) & (s >= MIN_SAT) & (v >= MIN_VAL)
    if colour == "white":  # up to the chromatic floor: white under warm light (golden hour) is still white
        return (s < MIN_SAT) & (v > 200)
    if colour == "black":
        return v < 50
    if colour == "brown":
        return (h >= 5) & (h <= 20) & (s >= 90) & (v >= 50) & (v < 170)
    return (s < 40) & (v >= 70) & (v <= 190)  # gray / grey


def hsv_frames(frames: np.ndarray) -> np.ndarray:
    return np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2HSV) for f in frames])


def band(x: float, lo: float = 1.0, hi: float = 4.0) -> float:
    """Map a 0-1 goodness onto a score band, clipped."""
    return float(lo + (hi - lo) * np.clip(x, 0.0, 1.0))
