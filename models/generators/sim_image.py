"""Simulated text-to-image models: the video world's renderer (sim.py) drawing one frame, with hidden preferences
of their own, for the paper's text-to-image row on a CPU. As there, nothing outside this file reads the profiles;
the image judges see pixels only.

Hidden preferences, for maintainers (fidelity, content fit, clashes and undescribed subjects work as in sim.py):
- sim-tags (like Stable Diffusion 1.5 and SDXL): its CLIP encoder reads 77 tokens; it renders short, tag-like
  prompts best (budget ~40 words, and it degrades past that), lives on style, lighting and the subject's look,
  and quality words still help a little, as they do on models trained on captions scraped with them.
- sim-prose (like FLUX or SD3 with their T5 encoder): reads 512 tokens; it wants natural-language detail about the
  subject, its place and the light (budget ~150 words), is lenient about unknown words and cares little for
  style or quality tags.
Neither draws camera moves (an image has none): camera phrases count for nothing, as on a real image model.
"""

from __future__ import annotations

from typing import Sequence

from pav.models.generators.sim import Profile, SimGenerator

IMAGE_PROFILES: dict[str, Profile] = {
    "sim-tags": Profile(
        budget=40, overflow=1 / 40, unknown_cost=0.35, shake=0.0,
        likes={"camera": 0.0, "lighting": 0.6, "scene": 0.35, "style": 0.75, "subject": 0.7, "motion": 0.15,
               "scene_detail": 0.04, "descriptors": 0.1}),
    "sim-prose": Profile(
        budget=150, overflow=1 / 50, unknown_cost=0.3, shake=0.0,
        likes={"camera": 0.0, "lighting": 0.5, "scene": 0.55, "style": 0.15, "subject": 0.75, "motion": 0.25,
               "scene_detail": 0.12, "descriptors": 0.03}),
}


class SimImage(SimGenerator):
    """A simulated text-to-image model: one frame (an image), larger than the video models' frames."""

    profiles = IMAGE_PROFILES
    version = 1  # bump when drawing changes (see SimGenerator.version)

    def __init__(self, size: int = 128, gpu_seconds: float = 0.0, fail_first: Sequence[str] = (),
                 fail_ledger: str | None = None):
        super().__init__(frames=1, size=size, fps=1.0, gpu_seconds=gpu_seconds, fail_first=fail_first,
                         fail_ledger=fail_ledger)

    def settings(self) -> dict:
        return {**super().settings(), "image": True, "sim_version": SimGenerator.version}


class SimTags(SimImage):
    """SD-1.5-like: short tag-style prompts with style and quality words; CLIP reads 77 tokens."""

    name = "sim-tags"
    text_tokens = 77


class SimProse(SimImage):
    """FLUX-like: natural-language detail about subject, place and light; T5 reads 512 tokens."""

    name = "sim-prose"
    text_tokens = 512
