"""Render prompts to mp4s in the store, each (generator, prompt text, seed) at most once."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pandas as pd

from data.schemas import SCHEMAS
from data.store import Store, content_key
from data.video import encode_mp4
from models.generators import Generator, load_generator


def video_id(generator: str, settings: dict[str, Any], prompt: str, seed: int) -> str:
    return content_key("video", generator, settings, prompt, int(seed))


def _record_path(vid: str) -> str:
    return f"cache/videos/{vid}.json"


def render(store: Store, generator_name: str, options: dict[str, Any], prompts: list[str],
           seeds: list[int], batch_size: int = 16) -> tuple[pd.DataFrame, dict[str, int]]:
    """Videos records for (prompt, seed) pairs, in order, and counts of rendered and reused videos.

    Finished videos (from any earlier round, run or worker on this store) are reused; failures are
    recorded per video and not cached, so a later run tries them again.
    """
    generator: Generator = load_generator(generator_name, options)
    settings = generator.settings()
    ids = [video_id(generator_name, settings, p, s) for p, s in zip(prompts, seeds)]
    rows: dict[str, dict] = {}
    for vid in set(ids):
        if store.exists(_record_path(vid)):
            rows[vid] = store.read_json(_record_path(vid))
    reused = len(rows)
    todo = list({vid: (vid, p, s) for vid, p, s in zip(ids, prompts, seeds) if vid not in rows}.values())
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        began = time.perf_counter()
        videos = generator.generate([p for _, p, _ in batch], [s for _, _, s in batch])
        each = (time.perf_counter() - began) / len(batch)
        for (vid, prompt, seed), video in zip(batch, videos):
            row = {"video_id": vid, "prompt": prompt, "seed": int(seed), "generator": generator_name,
                   "generator_config": json.dumps(settings, sort_keys=True), "path": None,
                   "content_hash": None, "width": None, "height": None, "frames": None,
                   "fps": float(video.fps), "seconds": each, "error": video.error}
            if video.error is None:
                mp4 = encode_mp4(video.frames, video.fps)
                row["path"] = f"videos/{vid}.mp4"
                store.write_bytes(row["path"], mp4)
                t, h, w = video.frames.shape[:3]
                row.update(content_hash=hashlib.sha256(mp4).hexdigest(), width=w, height=h, frames=t)
                store.write_json(_record_path(vid), row)  # after the mp4: a record means it's there
            rows[vid] = row
    return pd.DataFrame([rows[vid] for vid in ids], columns=SCHEMAS["videos"][1].names), {"rendered": len(todo), "reused": reused}
