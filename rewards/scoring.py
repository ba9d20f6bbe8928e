"""Score stored videos against their ORIGINAL prompts with a reward suite, each pair at most once."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from data.schemas import DIMENSIONS, SCHEMAS
from data.store import Store, content_key
from data.video import VideoDecodeError, decode_mp4
from rewards import SUITES, Reward, load_reward


def suite_rewards(suite: str, options: dict[str, dict[str, Any]] | None = None) -> list[Reward]:
    """The suite's rewards; together they must provide each dimension exactly once."""
    if suite not in SUITES:
        raise ValueError(f"unknown reward suite {suite!r}; valid: {', '.join(sorted(SUITES))}")
    rewards = [load_reward(name, (options or {}).get(name)) for name in SUITES[suite]]
    provided = [d for r in rewards for d in r.dimensions]
    if sorted(provided) != sorted(DIMENSIONS):
        raise ValueError(f"suite {suite!r} provides {provided}, expected each of {list(DIMENSIONS)} once")
    return rewards


def _record_path(key: str) -> str:
    return f"cache/scores/{key}.json"


def score_videos(store: Store, videos: pd.DataFrame, originals: list[str], suite: str,
                 options: dict[str, dict[str, Any]] | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Scores records, one per video row (in order), and counts of scored and reused videos.

    A video that failed to render or decode gets NaN scores and its error, never a crashed batch.
    """
    keys = [content_key("score", v, o, suite, options or {}) for v, o in zip(videos["video_id"], originals)]
    rows: dict[str, dict] = {}
    for key in set(keys):
        if store.exists(_record_path(key)):
            rows[key] = store.read_json(_record_path(key))
    reused = len(rows)
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key not in rows:
            first.setdefault(key, i)
    todo = list(first.items())
    frames, ok = [], []
    for key, i in todo:
        video = videos.iloc[i]
        base = {"video_id": video["video_id"], "original": originals[i], "suite": suite,
                **{d: math.nan for d in DIMENSIONS}, "error": video["error"]}
        rows[key] = base
        if video["error"] is not None and not pd.isna(video["error"]):
            continue
        try:
            clip, _ = decode_mp4(store.read_bytes(video["path"]))
        except VideoDecodeError as e:
            base["error"] = f"{video['path']}: {e}"
            continue
        frames.append(clip)
        ok.append((key, i))
    if ok:
        prompts = [originals[i] for _, i in ok]
        for reward in suite_rewards(suite, options):
            for (key, _), scores in zip(ok, reward.score(frames, prompts)):
                rows[key].update({d: float(scores[d]) for d in reward.dimensions})
        for key, _ in ok:
            if all(np.isfinite(rows[key][d]) for d in DIMENSIONS):
                store.write_json(_record_path(key), rows[key])
    return pd.DataFrame([rows[k] for k in keys], columns=SCHEMAS["scores"][1].names), {"scored": len(ok), "reused": reused}
