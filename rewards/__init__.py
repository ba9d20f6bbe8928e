"""pav.rewards (folder rewards/): judges of a video (or a rewrite) against the ORIGINAL prompt -> named scores.

A reward provides one or more dimensions: the paper's seven (data.schemas.DIMENSIONS) or its own. A suite is a
list of rewards that together cover each dimension the aggregation weighs exactly once (a suite with its own
dimensions names them in `rewards.aggregation.suite_dimensions`). A backend is one file and one line in
REWARDS. Rewards read only pixels and the original prompt, never generator internals.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np

from pav.data.registry import Loaded
from pav.data.schemas import DIMENSIONS, IMAGE_SUITE_DIMENSIONS

VIDEO_FRAMES = 16  # frames sampled for the video-level dimensions (as the paper / VideoScore)
IMAGE_FRAMES = 4  # frames sampled for the image-level dimensions (aesthetic, preference)
# transformers picks the torchvision image processors where torchvision is installed and PIL ones elsewhere, so
# one video would score differently on two workers under one cache key; the PIL ones are what the judges were
# released with, on every machine.
IMAGE_BACKEND = "pil"


class Reward(Protocol):
    name: str
    dimensions: tuple[str, ...]

    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        """Scores per video (uint8 T,H,W,3 frames) against its original prompt, batched."""


REWARDS: dict[str, str] = {
    "cv-quality": "pav.rewards.cv_quality:CvQuality",
    "cv-alignment": "pav.rewards.cv_alignment:CvAlignment",
    "cv-aesthetic": "pav.rewards.cv_aesthetic:CvAesthetic",
    "cv-image": "pav.rewards.cv_image:CvImage",
    "videoscore": "pav.rewards.videoscore:VideoScore",
    "laion-aesthetic": "pav.rewards.laion_aesthetic:LaionAesthetic",
    "mps": "pav.rewards.mps:Mps",
    "pickscore": "pav.rewards.pickscore:PickScore",
    "hpsv2": "pav.rewards.hpsv2:Hpsv2",
    "http": "pav.rewards.http_judge:HttpReward",
}

# Named reward suites; each covers every dimension exactly once.
SUITES: dict[str, list[str]] = {
    # Weight-free, the embedded default: a judge built for the simulated world (it reads that world's
    # vocabulary in pav.data.sim_vocab, as a CLIP knows words); not a judge of real videos.
    "cv": ["cv-quality", "cv-alignment", "cv-aesthetic"],
    "gpu": ["videoscore", "laion-aesthetic", "mps"],  # the paper's reward models
    "http": ["http"],  # a team's own reward server (rewards/http_judge.py has its protocol)
    # Image models (a generator of one frame): the weight-free stand-ins of HPSv2, ImageReward, PickScore and the
    # LAION aesthetic, judged on their published bands (rewards.aggregate.JUDGE_BANDS).
    "cv-image": ["cv-image"],
    # Real image judges on GPU workers: HPSv2.1, PickScore and the LAION aesthetic (ImageReward is not a backend
    # yet: docs/real-models.md says why).
    "gpu-image": ["hpsv2", "pickscore", "laion-aesthetic"],
}

# The dimensions of each suite that does not score the paper's seven (the config reads them without loading a
# model; suite_rewards checks them against what its rewards provide). A reward server names its own in its options.
SUITE_DIMENSIONS: dict[str, tuple[str, ...]] = {"cv-image": IMAGE_SUITE_DIMENSIONS, "gpu-image": ("hps", "pickscore", "aesthetic")}

_loaded = Loaded(REWARDS, "reward")  # per-process model cache


def load_reward(name: str, options: dict[str, Any] | None = None) -> Reward:
    """The reward `name` with `options`, built once per process."""
    return _loaded.get(name, options)


def unload_rewards() -> int:
    """Drop every reward model this process holds (the next stage needs the memory); returns how many."""
    return _loaded.clear()


def suite_rewards(suite: str, options: dict[str, dict[str, Any]] | None = None,
                  dimensions: Sequence[str] = DIMENSIONS) -> list[Reward]:
    """The suite's rewards; together they must provide each of `dimensions` exactly once."""
    if suite not in SUITES:
        raise ValueError(f"unknown reward suite {suite!r}; valid: {', '.join(sorted(SUITES))}")
    rewards = [load_reward(name, (options or {}).get(name)) for name in SUITES[suite]]
    provided = [d for r in rewards for d in r.dimensions]
    if sorted(provided) != sorted(dimensions):
        raise ValueError(f"suite {suite!r} provides {provided}, but the aggregation weighs {list(dimensions)}: "
                         "set rewards.aggregation.suite_dimensions to the suite's own")
    return rewards


def with_own_dimensions(rewards: dict[str, Any]) -> dict[str, Any]:
    """A `rewards` config section (raw) whose suite scores dimensions other than the seven (SUITE_DIMENSIONS, or a
    reward server's options.http.dimensions), with them as its aggregation's `suite_dimensions` unless that names
    its own."""
    suite = rewards.get("suite")
    server = (rewards.get("options") or {}).get("http") or {} if suite == "http" else {}
    named = server.get("dimensions") if isinstance(server, dict) else None
    named = named or SUITE_DIMENSIONS.get(suite)
    if not named or set(named) == set(DIMENSIONS):
        return rewards
    agg = rewards.get("aggregation")
    agg = agg.model_dump(exclude_unset=True) if hasattr(agg, "model_dump") else dict(agg or {})
    return {**rewards, "aggregation": {"suite_dimensions": list(named), **agg}}


def batches(videos: Sequence[np.ndarray], prompts: Sequence[str], size: int):
    """(videos, prompts) chunks of at most `size`, for rewards that run a model batch by batch."""
    if len(videos) != len(prompts):
        raise ValueError(f"{len(videos)} videos but {len(prompts)} prompts")
    for start in range(0, len(videos), size):
        yield videos[start:start + size], list(prompts[start:start + size])


def sample_frames(frames: np.ndarray, n: int) -> np.ndarray:
    """n uniformly spaced frames from first to last (repeats frames of a shorter video): the weight-free suite."""
    idx = np.linspace(0, len(frames) - 1, n).round().astype(int)
    return frames[idx]


def released_frames(frames: np.ndarray, n: int, all_when_short: bool = False) -> np.ndarray:
    """The frames the released reward code reads: indices np.arange(0, T, T / n) (the last frame is never
    read); with `all_when_short`, every frame of a video of at most n frames (its VideoScore)."""
    total = len(frames)
    if all_when_short and total <= n:
        return frames
    return frames[np.arange(0, total, total / n).astype(int)[:n]]
