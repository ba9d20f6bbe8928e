"""pav.models.generators: video and image generators, prompts + seeds -> videos (an image is a video of one frame).

A backend is one file and one line in GENERATORS. Generators are loaded once per worker process
(`load_generator` caches them) and reused across tasks and shards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np

from pav.data.registry import Loaded, load_class
from pav.models.text_limit import TextLimit


@dataclass
class Video:
    """uint8 frames (T, H, W, 3) at fps; `error` is set (and frames None) when generation failed."""

    frames: np.ndarray | None
    fps: float
    error: str | None = None


class Generator(Protocol):
    name: str

    def generate(self, prompts: Sequence[str], seeds: Sequence[int]) -> list[Video]:
        """One video per (prompt, seed), batched; a per-item failure is a Video with `error`."""

    def settings(self) -> dict[str, Any]:
        """JSON-able settings that change the output (part of every video's content key)."""


GENERATORS: dict[str, str] = {
    "sim-steady": "pav.models.generators.sim:SimSteady",
    "sim-scenic": "pav.models.generators.sim:SimScenic",
    "sim-tags": "pav.models.generators.sim_image:SimTags",
    "sim-prose": "pav.models.generators.sim_image:SimProse",
    "diffusers": "pav.models.generators.diffusers_video:DiffusersVideo",
    "diffusers-image": "pav.models.generators.diffusers_image:DiffusersImage",
    "command": "pav.models.generators.command:CommandVideo",
    "opensora": "pav.models.generators.opensora:OpenSoraVideo",
}

_loaded = Loaded(GENERATORS, "generator")  # per-process model cache


def load_generator(name: str, options: dict[str, Any] | None = None) -> Generator:
    """The generator `name` with `options`, built once per process."""
    return _loaded.get(name, options)


def unload_generators() -> int:
    """Drop every generator this process holds (the next stage needs the memory); returns how many."""
    return _loaded.clear()


def text_limit(generator: str, options: dict[str, Any] | None = None, tokens: int | None = None) -> TextLimit | None:
    """The limit of generator `generator` with `options`, from its class without loading its weights (its
    `text_limit` classmethod); `tokens` replaces the declared count (keeping its tokenizer). None: no limit known."""
    cls = load_class(GENERATORS, generator, "generator")
    declared = cls.text_limit(options or {}) if hasattr(cls, "text_limit") else None
    if tokens is None:
        return declared
    return TextLimit(tokens, declared.tokenizer if declared else None)
