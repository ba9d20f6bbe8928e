"""The simulated world's prompt parser: what a prompt names (subjects with colour and count, place, motion and
direction, camera, lighting, style, details, unknown words, contradictions) in sim_vocab.py's words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pav.data.sim_colours import COLOURS
from pav.data.sim_vocab import (
    CAMERA, CONTRADICTIONS, COUNTS, DESCRIPTORS, DIRECTIONS, LIGHTING, MOTIONS, PLURAL_COUNTS, SCENES,
    SCENE_DETAIL, STATIC_WORDS, STOPWORDS, STYLES, SUBJECTS, Subject)

_PHRASES: dict[str, tuple[str, str]] = {}
for _table, _kind in ((SUBJECTS, "subject"), (COLOURS, "colour"), (COUNTS, "count"), (SCENES, "scene"),
                      (MOTIONS, "motion"), (DIRECTIONS, "direction"), (CAMERA, "camera"),
                      (LIGHTING, "lighting"), (STYLES, "style"), (PLURAL_COUNTS, "group")):
    for _p in _table:
        _PHRASES.setdefault(_p, (_kind, _p))
for _p in STATIC_WORDS:
    _PHRASES[_p] = ("static", _p)
_MAX_PHRASE = max(len(p.split()) for p in _PHRASES)
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*|[^\x00-\x7f]+")


@dataclass
class Parsed:
    """What a prompt names, in the shared vocabulary."""

    words: int = 0
    subjects: list[tuple[Subject, str, int]] = field(default_factory=list)  # (subject, colour, count)
    scene: str | None = None  # palette family of the first scene named
    scene_terms: int = 0
    motion: tuple[float, float, float] | None = None  # (dx, dy, speed)
    direction_named: bool = False
    static: bool = False
    camera: list[str] = field(default_factory=list)
    lighting: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    scene_detail: int = 0
    descriptors: int = 0
    unknown: int = 0
    contradictions: int = 0
    vertical: bool = False  # subjects stacked ("on the top of") instead of side by side
    reversed_order: bool = False  # "A on the right of B": B is drawn left


def _singular(word: str) -> str | None:
    for cut in ("es", "s"):
        if word.endswith(cut) and word[: -len(cut)] in SUBJECTS:
            return word[: -len(cut)]
    return None


def parse(prompt: str) -> Parsed:
    """Parse a prompt into the shared vocabulary (greedy longest phrase match, left to right)."""
    text = prompt.lower()
    tokens = _WORD.findall(text)
    out = Parsed(words=len(tokens))
    pending_colours: list[str] = []
    pending_count: int | None = None
    seen: set[str] = set()
    i = 0
    while i < len(tokens):
        match = None
        for n in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i:i + n])
            if phrase in _PHRASES:
                match = (n, *_PHRASES[phrase])
                break
        if match is None:
            word = tokens[i]
            single = _singular(word)
            if single:
                match = (1, "plural", single)
            else:
                if word in SCENE_DETAIL:
                    out.scene_detail += 1
                elif word in DESCRIPTORS:
                    out.descriptors += 1
                elif word not in STOPWORDS and not word.isdigit():
                    out.unknown += 1
                i += 1
                continue
        n, kind, key = match
        i += n
        if kind == "colour":
            if i < len(tokens) and (tokens[i] in SUBJECTS or _singular(tokens[i]) or tokens[i] in COLOURS
                                    or (i + 1 < len(tokens) and " ".join(tokens[i:i + 2]) in SUBJECTS)):
                pending_colours.append(key)
            else:
                out.descriptors += 1  # a colour not attached to a subject still describes the scene
            continue
        if kind in ("count", "group"):
            pending_count = COUNTS.get(key) or PLURAL_COUNTS[key]
            if kind == "group" and key in ("couple", "people"):
                kind, key = "subject", "person"
            else:
                continue
        if kind in ("subject", "plural"):
            if key in SUBJECTS and SUBJECTS[key].shape == "person" and key in ("couple", "people"):
                pending_count = PLURAL_COUNTS[key]
            subject = SUBJECTS[key]
            count = pending_count or (2 if kind == "plural" else 1)
            if len(set(pending_colours)) > 1:
                out.contradictions += 1
            colour = pending_colours[0] if pending_colours else subject.colour
            if key not in seen and len(out.subjects) < 3:
                out.subjects.append((subject, colour, min(count, 4)))
                seen.add(key)
            pending_colours, pending_count = [], None
            continue
        pending_colours, pending_count = [], None
        if kind == "scene":
            out.scene = out.scene or SCENES[key]
            out.scene_terms += 1
        elif kind == "motion":
            out.motion = out.motion or MOTIONS[key]
        elif kind == "direction":
            nxt = tokens[i] if i < len(tokens) else ""
            if nxt == "of":  # spatial relation, not motion: "on the left of"
                out.reversed_order |= key == "right"
            elif out.motion is not None:
                dx, dy = DIRECTIONS[key]
                out.motion = (dx, dy, out.motion[2])
                out.direction_named = True
        elif kind == "camera":
            if key not in out.camera:
                out.camera.append(key)
        elif kind == "lighting":
            if key not in out.lighting:
                out.lighting.append(key)
        elif kind == "style":
            if key not in out.styles:
                out.styles.append(key)
        elif kind == "static":
            out.static = True
    if re.search(r"\bon the (top|bottom) of\b", text):
        out.vertical = True
        out.reversed_order = "bottom of" in text
    named = set(out.camera) | set(out.lighting) | {t for t in tokens}
    norm = {c.replace("pans", "pan").replace("tilts", "tilt").replace("zooms", "zoom") for c in named}
    out.contradictions += sum(a in norm and b in norm for a, b in CONTRADICTIONS)
    if out.static and out.motion is not None and out.motion[2] > 1.0:
        out.contradictions += 1
    return out
