"""Simulated video models: a procedural renderer that turns a prompt into a short video.

It draws what the prompt names (subjects as coloured sprites with their count and colour, a scene
background, motion from the verbs, camera moves, lighting, style) using the shared vocabulary in
sim_vocab.py, and renders it well or badly according to a profile's HIDDEN preferences. The profiles
stand for different video models, so that prompt alignment has something real to learn. Nothing
outside this file reads the profiles; the rewards see pixels only.

Hidden preferences, for maintainers:
- Fidelity q in [0, 1] decides sharpness (blur), noise, flicker, haze, artifacts (objects that jump or
  vanish for a frame), how lively the motion is and how much scene detail is drawn.
- q grows with the details of the kinds a profile likes (diminishing returns), counted by whether they fit
  what the prompt names (data/sim_fit.py): a fitting detail counts fully, a generic one (a booster, or one
  the prompt says too little to judge) GENERIC up to a small cap, and a clashing one (feathers on a cat,
  daylight at night, a second place, a place none of its subjects is seen in) costs CLASH. A prompt that names
  subjects but never says how they look (fur, chrome, a warm jacket: the table's phrases or their head nouns in
  any wording) keeps only UNDESCRIBED of its detail, as a model trained on captions that describe their subjects
  renders an undescribed one generic; so a constant place-and-light suffix cannot stand in for a rewrite
  that describes *this* subject. q shrinks with words past the token budget,
  off-vocabulary words and contradictions ("day" and "night", two colours for one subject, "still frame"
  with "running"). Short coarse prompts sit near q = 0.15: blurry, static, noisy.
- Fitting subject details are drawn as texture on the sprites, fitting place elements as more scenery.
- sim-steady (like Open-Sora, short T5 budget): lives on camera work and lighting; budget ~70 words,
  degrades quickly past it, strict about unknown words. Long flowery rewrites hurt it.
- sim-scenic (like CogVideoX): lives on scene, background and style detail; budget ~160 words, lenient
  about unknown words; camera-motion words make it shake (lower temporal consistency).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from pav.models.generators import Video
from pav.data.sim_fit import Fit, assess
from pav.data.sim_parse import Parsed, parse
from pav.data.sim_vocab import CAMERA
from pav.models.generators.sim_render import draw_background, draw_subjects, grade
from pav.models.text_limit import TextLimit, read_tokens


@dataclass(frozen=True)
class Profile:
    """Hidden preferences of one simulated video model."""

    budget: int  # words its text encoder reads well
    overflow: float  # fidelity lost per word past the budget
    unknown_cost: float  # fidelity lost at 100% off-vocabulary words
    likes: dict[str, float]  # fidelity weight of each kind of named detail
    shake: float  # camera jitter (px at 64) per camera-motion phrase


PROFILES: dict[str, Profile] = {
    "sim-steady": Profile(
        budget=70, overflow=1 / 30, unknown_cost=0.9, shake=0.0,
        likes={"camera": 0.9, "lighting": 0.9, "scene": 0.2, "style": 0.1, "subject": 0.6, "motion": 0.5,
               "scene_detail": 0.015, "descriptors": 0.015}),
    "sim-scenic": Profile(
        budget=160, overflow=1 / 40, unknown_cost=0.35, shake=1.4,
        likes={"camera": 0.05, "lighting": 0.3, "scene": 0.55, "style": 0.5, "subject": 0.45, "motion": 0.2,
               "scene_detail": 0.16, "descriptors": 0.08}),
}
# Most details of a kind that still add (fitting ones), and most generic ones that count at all.
_CAPS = {"camera": 3, "lighting": 3, "scene": 4, "style": 2, "subject": 3, "motion": 2, "scene_detail": 14,
         "descriptors": 20}
_GENERIC_CAPS = {"camera": 1, "lighting": 1, "scene": 1, "style": 2, "subject": 1, "motion": 1, "scene_detail": 4,
                 "descriptors": 4}
GENERIC = 0.3  # a generic detail (fits any prompt, or the prompt says too little to judge) counts this much
CLASH = 0.12  # fidelity lost per detail that clashes with what the prompt names (feathers on a cat)
UNDESCRIBED = 0.6  # share of the detail that counts where a prompt names subjects but describes none of them


def detail_counts(p: Parsed, fit: Fit) -> dict[str, float]:
    """Details of each kind, in fitting-detail units: fitting details count 1, generic ones GENERIC up to a
    small cap. The first place the prompt names counts as fitting (it is what the prompt is about)."""
    cov = fit.covered
    places = max(0, p.scene_terms - cov.get("scene_terms", 0))
    fitting = {**{k: 0 for k in _CAPS}, **fit.fitting, "scene": fit.fitting["scene"] + min(places, 1)}
    generic = {"camera": len(p.camera) - cov.get("camera", 0) + fit.neutral["camera"],
               "lighting": len(p.lighting) - cov.get("lighting", 0) + fit.neutral["lighting"],
               "scene": places - min(places, 1) + fit.neutral["scene"],
               "style": len(p.styles) - cov.get("style", 0),
               "subject": fit.neutral["subject"], "motion": fit.neutral["motion"],
               "scene_detail": p.scene_detail - cov.get("scene_detail", 0),
               "descriptors": p.descriptors - cov.get("descriptors", 0)}
    return {k: min(fitting[k], _CAPS[k]) + GENERIC * min(max(generic[k], 0), _GENERIC_CAPS[k]) for k in _CAPS}


def fidelity(p: Parsed, profile: Profile, fit: Fit) -> float:
    """How well this model understands the prompt, 0-1 (see the module docstring)."""
    detail = sum(profile.likes[k] * v for k, v in detail_counts(p, fit).items())
    if fit.setting.groups and not fit.described:
        detail *= UNDESCRIBED  # its captions described their subjects: one described by nothing renders generic
    q = 0.15 + 0.8 * (1 - np.exp(-detail / 1.6))
    q -= profile.overflow * max(0, p.words - profile.budget)
    unknown = max(0, p.unknown - fit.covered.get("unknown", 0))  # detail words are vocabulary too
    q -= profile.unknown_cost * unknown / max(p.words, 1)
    q -= 0.2 * p.contradictions
    q -= CLASH * sum(fit.clashing.values())
    return float(np.clip(q, 0.0, 1.0))


def _seed(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little")


class SimGenerator:
    """A simulated text-to-video model: deterministic in (prompt, seed, profile, settings)."""

    # Part of every video's key: bump it when drawing changes, so stores never reuse older renders
    # (2: identity marks; 3: content fit, subject texture and scene elements; 4: undescribed subjects, places
    # outside a subject's habitats; 5: places by subject and activity, a second place, the encoder's token limit;
    # 6: shots by kind of subject and place, people named by their role, more motion verbs; 7: the places of
    # more everyday activities).
    version = 7

    name: str  # the profile, set by the registered subclasses below
    profiles: dict[str, Profile] = PROFILES  # where its name is looked up (sim_image.py has the image models')
    text_tokens: int  # what its text encoder reads, in words and punctuation marks

    def __init__(self, frames: int = 16, size: int = 64, fps: float = 8.0, gpu_seconds: float = 0.0,
                 fail_first: Sequence[str] = (), fail_ledger: str | None = None):
        """gpu_seconds: a wait per video standing in for a real model's GPU time (it is not CPU work), so
        benchmarks of the worker pool see GPU-shaped stages. fail_first / fail_ledger: fault injection
        for testing failure handling: each listed prompt fails on its first attempt per seed (attempts
        are remembered as files in fail_ledger, across processes). Neither changes a video."""
        if frames < 1 or size < 16 or size % 4:
            raise ValueError(f"need frames >= 1 and a size >= 16 divisible by 4, got frames={frames}, size={size}")
        if fail_first and not fail_ledger:
            raise ValueError("fail_first needs fail_ledger: a directory that remembers first attempts")
        self.profile = self.profiles[self.name]
        self.frames, self.size, self.fps = frames, size, float(fps)
        self.gpu_seconds, self.fail_first, self.fail_ledger = float(gpu_seconds), set(fail_first), fail_ledger

    def settings(self) -> dict[str, Any]:
        return {"profile": self.name, "size": self.size, "frames": self.frames, "fps": self.fps,
                "version": self.version}

    def generate(self, prompts: Sequence[str], seeds: Sequence[int]) -> list[Video]:
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        out = []
        for prompt, seed in zip(prompts, seeds):
            if not isinstance(prompt, str):
                out.append(Video(None, self.fps, f"prompt must be a string, got {type(prompt).__name__}"))
                continue
            time.sleep(self.gpu_seconds)
            if prompt in self.fail_first and self._first_attempt(prompt, int(seed)):
                out.append(Video(None, self.fps, "injected failure: first attempt (fail_first)"))
                continue
            out.append(Video(self.render(prompt, int(seed)), self.fps))
        return out

    def _first_attempt(self, prompt: str, seed: int) -> bool:
        marker = Path(self.fail_ledger) / hashlib.sha256(f"{seed}\0{prompt}".encode()).hexdigest()
        marker.parent.mkdir(parents=True, exist_ok=True)
        try:
            marker.touch(exist_ok=False)
        except FileExistsError:
            return False
        return True

    @classmethod
    def text_limit(cls, options: dict[str, Any]) -> TextLimit:
        """What its text encoder reads (public, unlike its preferences): words and punctuation marks."""
        return TextLimit(cls.text_tokens)

    def render(self, prompt: str, seed: int) -> np.ndarray:
        """One video, uint8 (frames, size, size, 3), of what its encoder reads of the prompt."""
        prompt = read_tokens(prompt, self.text_tokens)
        S, T = self.size, self.frames
        rng = np.random.default_rng(_seed(self.name, prompt, seed, S, T))
        p = parse(prompt)
        fit = assess(prompt)
        q = fidelity(p, self.profile, fit)
        scale = S / 64  # speeds and shakes are specified at 64 px
        side = int(S * 1.5) // 2 * 2
        canvas = draw_background(p.scene, side, q, rng, fit.fitting["scene"])

        # Camera: content drift + zoom from the named moves, plus this model's jitter on camera words.
        moves = [CAMERA[c] for c in p.camera]
        cam = np.sum(moves, axis=0) if moves else np.zeros(3)
        lively = 0.25 + 0.75 * q
        t = np.arange(T, dtype=np.float32)
        offset = np.stack([cam[0] * t, cam[1] * t], 1) * scale * lively
        zoom = np.clip(1 + cam[2] * t * lively, 0.75, 1.35)
        moving = sum(any(v) for v in moves)
        shake = self.profile.shake * moving * scale
        offset += rng.normal(0, 1, (T, 2)).astype(np.float32) * shake

        frames = np.empty((T, S, S, 3), np.float32)
        c = side / 2
        for i in range(T):
            m = np.array([[zoom[i], 0, S / 2 - zoom[i] * c + offset[i, 0]],
                          [0, zoom[i], S / 2 - zoom[i] * c + offset[i, 1]]], np.float32)
            frames[i] = cv2.warpAffine(canvas, m, (S, S), borderMode=cv2.BORDER_REFLECT)

        draw_subjects(frames, p, q, rng, offset, zoom, fit.fitting["subject"])
        frames = grade(frames, p, q)

        # Degradations of a model that did not understand the prompt well.
        blur = 1.6 * (1 - q) ** 1.5 * scale
        if blur > 0.2:
            flat = frames.transpose(1, 2, 0, 3).reshape(S, S, T * 3)
            flat = cv2.GaussianBlur(flat, (0, 0), blur)
            frames = flat.reshape(S, S, T, 3).transpose(2, 0, 1, 3)
        flicker = 1 + rng.normal(0, 0.06 * (1 - q) ** 2, (T, 1, 1, 1)).astype(np.float32)
        noise = (2.0 + 20.0 * (1 - q) ** 2) * rng.standard_normal((T, S, S, 3), dtype=np.float32)
        return np.clip(frames * flicker + noise, 0, 255).astype(np.uint8)


class SimSteady(SimGenerator):
    """Open-Sora-like: camera work and lighting, short budget; its encoder reads 300 tokens as Open-Sora 1.2's T5."""

    name = "sim-steady"
    text_tokens = 300


class SimScenic(SimGenerator):
    """CogVideoX-like: scene and style detail, long budget, shakes on camera words; reads 226 tokens as CogVideoX."""

    name = "sim-scenic"
    text_tokens = 226
