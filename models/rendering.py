"""Rendering prompts into a store: one video per (prompt, seed) through a generator, each finished video kept once
(the per-video cache, shared by every round, run and worker on the store), a failure recorded per video and never
cached, and out of memory retried smaller."""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import time
from typing import Any

import pandas as pd

from pav.data.records import video_path
from pav.data.registry import backend_version
from pav.data.schemas import SCHEMAS
from pav.data.store import ItemCache, Store, content_key
from pav.data.video import encode_clip
from pav.models.generators import GENERATORS, Generator, Video, load_generator
from pav.models.memory import free_gpu_cache, is_out_of_memory

LOG = logging.getLogger(__name__)


def video_id(generator: str, settings: dict[str, Any], prompt: str, seed: int) -> str:
    """A video's cache key: the generator, its settings and code version, the prompt and the seed."""
    return content_key("video", generator, settings, backend_version(GENERATORS, generator), prompt, int(seed))


def render(store: Store, generator_name: str, options: dict[str, Any], prompts: list[str],
           seeds: list[int], batch_size: int = 16, log: logging.Logger = LOG) -> tuple[pd.DataFrame, dict[str, int]]:
    """Videos records for (prompt, seed) pairs, in order, and counts of rendered and reused videos.

    Finished videos (from any earlier round, run or worker on this store) are reused; failures are
    recorded per video and not cached, so a later run tries them again.
    """
    generator = load_generator(generator_name, options)
    settings = generator.settings()
    ids = [video_id(generator_name, settings, p, s) for p, s in zip(prompts, seeds)]
    finished = ItemCache(store, "cache/videos")
    rows = finished.get_many(ids)
    reused = len(rows)
    todo = list({vid: (vid, p, s) for vid, p, s in zip(ids, prompts, seeds) if vid not in rows}.values())
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        began = time.perf_counter()
        videos = _generate(generator, [p for _, p, _ in batch], [s for _, _, s in batch], log)
        each = (time.perf_counter() - began) / len(batch)
        for (vid, prompt, seed), video in zip(batch, videos):
            row = {"video_id": vid, "prompt": prompt, "seed": int(seed), "generator": generator_name,
                   "generator_config": json.dumps(settings, sort_keys=True), "path": None,
                   "content_hash": None, "width": None, "height": None, "frames": None,
                   "fps": float(video.fps), "seconds": each, "error": video.error}
            if video.error is None:
                data, suffix = encode_clip(video.frames, video.fps)
                row["path"] = video_path(vid, suffix)
                store.write_bytes(row["path"], data)
                t, h, w = video.frames.shape[:3]
                row.update(content_hash=hashlib.sha256(data).hexdigest(), width=w, height=h, frames=t)
                finished.put(vid, row)  # after the file: a record means it's there
            rows[vid] = row
    frame = pd.DataFrame([rows[vid] for vid in ids], columns=SCHEMAS["videos"][1].names)
    return frame, {"rendered": len(todo), "reused": reused}


def _generate(generator: Generator, prompts: list[str], seeds: list[int], log: logging.Logger = LOG) -> list[Video]:
    """The batch's videos. Out of memory retries smaller (the failed call released and the cache freed first): a
    generator that renders `batch_size` prompts at a time halves that size for the rest of this process, one that
    renders the whole list gets half the list. Any other error, or out of memory at one prompt, becomes each
    video's error, recorded and retried by the next run, never a lost shard."""
    try:
        return generator.generate(prompts, seeds)
    except Exception as e:
        error, oom = f"{type(e).__name__}: {e}", is_out_of_memory(e)
    # Out of the except block: the failed call's frames, and the tensors they hold, are gone before a retry.
    at_once = getattr(generator, "batch_size", None) or len(prompts)
    if not oom or at_once <= 1 or len(prompts) <= 1:
        log.warning("rendering %d videos failed: %s", len(prompts), error)
        return [Video(None, 0.0, error) for _ in prompts]
    gc.collect()
    free_gpu_cache()
    if hasattr(generator, "batch_size"):
        generator.batch_size = max(at_once // 2, 1)
        log.warning("out of memory rendering %d at once: now %d at once", at_once, generator.batch_size)
        return _generate(generator, prompts, seeds, log)
    half = len(prompts) // 2
    log.warning("out of memory rendering %d videos: retrying as %d + %d", len(prompts), half,
                           len(prompts) - half)
    return (_generate(generator, prompts[:half], seeds[:half], log)
            + _generate(generator, prompts[half:], seeds[half:], log))
