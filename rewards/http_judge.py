"""A team's own reward server over HTTP: each video with its ORIGINAL prompt in, named scores out.

The protocol, for whoever writes the server: one POST per video to `url`, multipart/form-data with the field
`prompt` (the original prompt) and the file `video` (an H.264 mp4, `fps` frames a second; from an image model, a
PNG named video.png); the answer is a JSON
object of numbers, flat or under "scores", naming at least the configured `dimensions`: some of the paper's
seven, on their bands, or the server's own (name them in `rewards.aggregation.suite_dimensions`, which the config
fills from these options, with a raw band in `image_bands` where a score is not on 1-4).
429, 5xx, timeouts and dropped connections are sent again
(bounded, with backoff); anything else, or retries used up, is that video's recorded error (NaN scores), which
the scoring stage never caches, so the next run asks again. The API key comes from the environment and is
never stored, logged or part of a cache key.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, Sequence

import httpx
import numpy as np

from pav.data.backoff import attempts
from pav.data.schemas import DIMENSION_NAME, DIMENSIONS
from pav.data.video import encode_clip

RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
MEDIA_TYPES = {"mp4": "video/mp4", "png": "image/png"}


class HttpReward:
    """Scores from a reward server (see the module docstring for its protocol)."""

    name = "http"

    def __init__(self, url: str | None = None, dimensions: Sequence[str] = DIMENSIONS, api_key_env: str | None = None,
                 timeout_s: float = 120.0, max_retries: int = 3, backoff_s: float = 1.0, fps: float = 8.0):
        if not dimensions or not all(isinstance(d, str) and re.fullmatch(DIMENSION_NAME, d) for d in dimensions):
            raise ValueError("http reward: dimensions must be lower-case words (letters, digits, _), "
                             f"got {list(dimensions)}")
        if not url:
            raise ValueError("http reward: no server url; set rewards.options.http.url (e.g. --set "
                             "'rewards.options={http: {url: \"https://judge.internal/score\"}}')")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"http reward: url must start with http:// or https://, got {url!r}")
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0 or fps <= 0:
            raise ValueError("http reward: timeout_s and fps must be > 0, max_retries and backoff_s >= 0")
        headers = {}
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise ValueError(f"http reward: the environment variable {api_key_env} (its API key) is not set")
            headers["Authorization"] = f"Bearer {key}"
        self.dimensions = tuple(dimensions)
        self.url, self.timeout_s, self.max_retries, self.backoff_s, self.fps = url, timeout_s, max_retries, backoff_s, fps
        self._client = httpx.Client(timeout=timeout_s, headers=headers)

    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, Any]]:
        if len(videos) != len(prompts):
            raise ValueError(f"{len(videos)} videos but {len(prompts)} prompts")
        return [self._one(video, prompt) for video, prompt in zip(videos, prompts)]

    def _one(self, video: np.ndarray, prompt: str) -> dict[str, Any]:
        failed = dict.fromkeys(self.dimensions, math.nan)
        try:
            body, suffix = encode_clip(np.asarray(video), self.fps)
        except ValueError as e:
            return {**failed, "error": f"video not encodable: {e}"}
        error = ""
        for _ in attempts(self.max_retries, self.backoff_s):
            try:
                media = {"video": (f"video.{suffix}", body, MEDIA_TYPES[suffix])}
                reply = self._client.post(self.url, data={"prompt": prompt}, files=media)
            except (httpx.TimeoutException, httpx.TransportError) as e:
                error = f"{type(e).__name__} after {self.timeout_s:g} s" if isinstance(e, httpx.TimeoutException) else str(e)
                continue
            if reply.status_code in RETRY_STATUS:
                error = f"HTTP {reply.status_code}"
                continue
            if reply.status_code != 200:
                return {**failed, "error": f"HTTP {reply.status_code}: {reply.text[:200]}"}
            return self._read(reply, failed)
        return {**failed, "error": f"{error} ({self.max_retries + 1} attempts)"}

    def _read(self, reply: httpx.Response, failed: dict[str, float]) -> dict[str, Any]:
        try:
            answer = reply.json()
            scores = answer.get("scores", answer)
            return {d: float(scores[d]) for d in self.dimensions}
        except (ValueError, AttributeError, TypeError) as e:
            return {**failed, "error": f"unreadable answer ({type(e).__name__}): {reply.text[:200]}"}
        except KeyError as e:
            return {**failed, "error": f"the answer names no {e.args[0]!r}: {reply.text[:200]}"}
