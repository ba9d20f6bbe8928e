"""Colours of the simulated world: colour words -> RGB, the hues a judge detects them by, and each subject's
identity mark. Shared by the renderer (models/generators/sim_render.py), the parser (sim_parse.py) and the
weight-free judges (rewards/cv_*.py); nothing here says what a simulated model prefers."""

from __future__ import annotations

from typing import Protocol


class Marked(Protocol):
    mark: int  # a subject's place in its class list (sim_vocab.Subject)


COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (215, 30, 35), "orange": (245, 135, 20), "yellow": (245, 220, 30), "green": (40, 170, 60),
    "blue": (35, 80, 225), "purple": (135, 45, 190), "pink": (245, 110, 185), "white": (245, 245, 245),
    "black": (20, 20, 20), "gray": (128, 128, 128), "grey": (128, 128, 128), "brown": (125, 75, 35),
}
# Chromatic colours detectable by hue (OpenCV hue 0-180): centre, tolerance.
HUES: dict[str, tuple[int, int]] = {
    "red": (0, 9), "orange": (14, 6), "yellow": (28, 6), "green": (65, 20), "blue": (113, 12),
    "purple": (140, 12), "pink": (163, 9),
}

# Identity marks: every subject carries a small mark in a colour of its own, so two subjects of one
# class (a cat and a horse share the animal silhouette) look different to a judge that knows the name.
# Marks go by a subject's place in its class list, so neighbours in a list (dog, cat, horse, ...) differ.
MARKS = ("white", "yellow", "blue", "red", "green", "purple", "pink")
_NEAR = {"red": ("orange", "pink"), "orange": ("red", "yellow"), "yellow": ("orange", "white"),
         "pink": ("red", "purple"), "purple": ("pink", "blue"), "blue": ("purple",), "brown": ("orange", "red"),
         "white": ("yellow",), "gray": ("white",), "grey": ("white",)}


def identity_mark(subject: Marked, body: str) -> str:
    """The mark colour of a subject drawn in `body` colour: fixed by the subject, never close to its body."""
    options = [m for m in MARKS if m != body and m not in _NEAR.get(body, ())]
    return options[subject.mark % len(options)]
