"""Weight-free text-video alignment (tva, 1-4 band): is what the ORIGINAL prompt names in the pixels?

Classical detectors read the prompt's colours, subjects and their count, scene palette and direction of
motion with the shared vocabulary (a real CLIP also "knows" words), never generator internals.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from pav.data.sim_parse import Parsed, parse
from pav.data.sim_colours import identity_mark
from pav.data.sim_vocab import CAMERA, SCENE_FAMILIES, STYLES
from pav.rewards import VIDEO_FRAMES, sample_frames
from pav.rewards.cv_common import band, check_video, colour_mask, flows, foreground, hsv_frames, to_gray

# Expected bounding-box aspect (width / height) of each sprite class.
ASPECT = {"animal": 1.3, "person": 0.5, "vehicle": 1.7, "round": 1.0, "tall": 0.4, "wide": 1.9}
NEUTRAL = 2.5  # tva of a prompt that names nothing checkable


def subject_checks(frames: np.ndarray, p: Parsed) -> list[float]:
    """Per subject: its colour covers enough area, in the right number of blobs, of the right shape,
    carrying its identity mark (a horse drawn for "a cat" has the wrong one)."""
    hsv, fg = hsv_frames(frames), foreground(frames)
    area = frames.shape[1] * frames.shape[2]
    checks = []
    for subj, colour, count in p.subjects:
        mask = colour_mask(hsv, colour) & fg
        single = (subj.size * frames.shape[2] * 0.8) ** 2 * 0.35 / area
        checks.append(min(1.0, float(mask.mean()) / (count * single)))
        blobs, aspects = [], []
        for m in mask:
            m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
            n, _, stats, _ = cv2.connectedComponentsWithStats(m)
            big = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= 0.25 * single * area]
            blobs.append(len(big))
            aspects += [s[cv2.CC_STAT_WIDTH] / max(s[cv2.CC_STAT_HEIGHT], 1) for s in big]
        checks.append(float(np.exp(-abs(np.median(blobs) - count))))
        if aspects:
            checks.append(float(np.exp(-abs(np.log(np.median(aspects) / ASPECT[subj.shape])) / 0.6)))
        else:
            checks.append(0.0)
        checks.append(mark_check(hsv, fg, mask, identity_mark(subj, colour)))
    return checks


def mark_check(hsv: np.ndarray, fg: np.ndarray, body: np.ndarray, mark: str) -> float:
    """Share of frames whose subject holds its identity mark: pixels of the mark's colour inside the
    body's outline (the hole the mark leaves in the body colour), never the background around it."""
    kernel = np.ones((5, 5), np.uint8)
    found = []
    for h, f, b in zip(hsv, fg, body):
        inside = cv2.morphologyEx(b.astype(np.uint8), cv2.MORPH_CLOSE, kernel).astype(bool) & ~b
        found.append(float((colour_mask(h[None], mark)[0] & f & inside).sum() >= 2))
    return float(np.mean(found))


def scene_check(frames: np.ndarray, p: Parsed) -> float:
    """Top of the frame looks like the scene's sky/wall, bottom like its ground/floor."""
    sky, ground, _ = SCENE_FAMILIES[p.scene]
    h = frames.shape[1]
    top = frames[:, : max(h // 6, 1)].reshape(-1, 3).astype(np.float32).mean(0)
    bottom = frames[:, -max(h // 6, 1):].reshape(-1, 3).astype(np.float32).mean(0)
    want = np.array([sky, ground], np.float32)
    got = np.stack([top, bottom])
    if any(STYLES[s] in ("gray", "edges", "sepia") for s in p.styles):  # palette judged by brightness only
        want, got = want.mean(1, keepdims=True), got.mean(1, keepdims=True)
    dist = np.abs(want - got).mean()
    return float(np.exp(-dist / 45))


def motion_checks(frames: np.ndarray, p: Parsed) -> list[float]:
    """Named direction of the subject and named camera moves, from optical flow."""
    wanted = [CAMERA[m][:2] for m in p.camera if any(CAMERA[m][:2])]
    if not wanted and not (p.direction_named and p.motion is not None):
        return []
    flow = flows(to_gray(frames))
    checks = []
    glob = np.median(flow.reshape(-1, 2), axis=0)
    if p.direction_named and p.motion is not None:
        fg = foreground(frames)[:-1]
        v = (flow[fg].mean(0) - glob) if fg.any() else np.zeros(2)
        want = np.array(p.motion[:2], np.float32)
        checks.append(float(np.clip(0.5 + np.dot(v, want) / (np.linalg.norm(want) * 0.6), 0, 1)))
    for dx, dy in wanted:
        want = np.array([dx, dy], np.float32)
        checks.append(float(np.clip(0.5 + np.dot(glob, want) / (np.linalg.norm(want) * 0.6), 0, 1)))
    return checks


def text_video_alignment(video: np.ndarray, prompt: str) -> float:
    p = parse(prompt if isinstance(prompt, str) else "")
    frames = sample_frames(video, VIDEO_FRAMES)
    checks = subject_checks(frames[::4], p)
    if p.scene:
        checks.append(scene_check(frames, p))
    checks += motion_checks(frames, p)
    return band(0.1 + 0.9 * float(np.mean(checks))) if checks else NEUTRAL


class CvAlignment:
    """tva of each video against its ORIGINAL prompt, numpy + OpenCV only."""

    name = "cv-alignment"
    dimensions = ("tva",)

    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        if len(videos) != len(prompts):
            raise ValueError(f"{len(videos)} videos but {len(prompts)} prompts")
        return [{"tva": float("nan") if check_video(v) else text_video_alignment(v, p)}
                for v, p in zip(videos, prompts)]
