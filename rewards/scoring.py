"""Scoring videos against their ORIGINAL prompts with a reward suite: one record per video, complete scores cached
per video in the store, a failed render, decode or judge recorded on its video and never cached."""

from __future__ import annotations

import logging
import math
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from pav.data.registry import backend_version
from pav.data.schemas import DIMENSIONS, schema_of
from pav.data.store import ItemCache, Store, content_key
from pav.data.video import VideoDecodeError, decode_clip
from pav.rewards import REWARDS, SUITES, suite_rewards

LOG = logging.getLogger(__name__)


def score_videos(store: Store, videos: pd.DataFrame, originals: list[str], suite: str,
                 options: dict[str, dict[str, Any]] | None = None,
                 dimensions: Sequence[str] = DIMENSIONS, log: logging.Logger = LOG,
                 before_loading: Callable[[], Any] = lambda: None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Scores records, one per video row (in order), and counts of scored and reused videos.

    A video that failed to render or decode gets NaN scores and its error, never a crashed batch;
    only complete scores are cached. `before_loading` runs before the judges load, only when a video needs them
    (a worker frees the generator's memory there; a fully cached shard keeps it).
    """
    judges = [backend_version(REWARDS, name) for name in SUITES.get(suite, [])]  # an edited judge rescores
    keys = [content_key("score", v, o, suite, options or {}, judges) for v, o in zip(videos["video_id"], originals)]
    finished = ItemCache(store, "cache/scores")
    rows = finished.get_many(keys)
    reused = len(rows)
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key not in rows:
            first.setdefault(key, i)
    frames, ok = [], []
    for key, i in first.items():
        video = videos.iloc[i]
        base = {"video_id": video["video_id"], "original": originals[i], "suite": suite,
                **{d: math.nan for d in dimensions}, "error": video["error"]}
        rows[key] = base
        if video["error"] is not None and not pd.isna(video["error"]):
            continue
        try:
            clip, _ = decode_clip(store.read_bytes(video["path"]))
        except VideoDecodeError as e:
            base["error"] = f"{video['path']}: {e}"
            continue
        frames.append(clip)
        ok.append((key, i))
    if ok:
        before_loading()
        prompts = [originals[i] for _, i in ok]
        for reward in suite_rewards(suite, options, dimensions):
            try:
                scored = reward.score(frames, prompts)
            except Exception as e:  # recorded on each video and retried by the next run, never cached
                log.warning("reward %s failed on %d videos: %s", reward.name, len(frames), e)
                for key, _ in ok:
                    rows[key]["error"] = f"{reward.name}: {type(e).__name__}: {e}"
                continue
            for (key, _), scores in zip(ok, scored):
                rows[key].update({d: float(scores[d]) for d in reward.dimensions})
                if scores.get("error"):  # one video's failure (a remote judge's timeout): recorded, never cached
                    rows[key]["error"] = f"{reward.name}: {scores['error']}"
        for key, _ in ok:
            if all(np.isfinite(rows[key][d]) for d in dimensions):
                finished.put(key, rows[key])
    frame = pd.DataFrame([rows[k] for k in keys], columns=schema_of("scores", dimensions).names)
    return frame, {"scored": len(ok), "reused": reused}
