"""How a prompt's details fit what it names, read against the world's reference data (sim_details.py).

A prompt is parsed with its detail phrases masked out, to find what it is about (its subjects' kinds, the place
it names, its activity, night or day, the shots that fit); then each detail phrase it carries fits that setting,
clashes with it (feathers on a cat, daylight at night, a second place), or is neutral (the prompt says too
little to tell). The simulated models weigh the verdicts; the lexical operator asks for the fitting details.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pav.data.sim_details import (
    APPEARANCE, DAY_WORDS, DETAILS, ELEMENTS, GROUP_OF, KINDS, LIGHT, LOOK_WORDS, MOVEMENT, NIGHT_ELEMENTS, NIGHT_LIGHT,
    NIGHT_WORDS)
from pav.data.sim_places import ACTIVITY_SITES, NEIGHBOURS, PLACE_OF, PLACE_PHRASES, SITES, SUBJECT_SITES
from pav.data.sim_parse import Parsed, parse
from pav.data.sim_shots import ACTION_SHOTS, ANY_ACTION, CLOSE, PLACE_SHOTS, SITUATION_OF, STILL_SHOTS
from pav.data.sim_vocab import SCENES

_PATTERN = re.compile(r"(?<![a-z0-9'-])(" + "|".join(re.escape(p) for p in sorted(DETAILS, key=len, reverse=True))
                      + r")(?![a-z0-9'-])")
_PLACE_PATTERN = re.compile(r"(?<![a-z0-9'-])(" + "|".join(map(re.escape, sorted(PLACE_OF, key=len, reverse=True)))
                            + r")(?![a-z0-9'-])")
# The place words of each place phrase ("living room" in "in a cozy living room"): a phrase that says a place the
# prompt already names restates it.
_PLACE_WORDS = {phrase: tuple(w for w in SCENES if re.search(rf"\b{re.escape(w)}\b", phrase)) for phrase in PLACE_OF}


@dataclass(frozen=True)
class Setting:
    """What the prompt is about, read with the details masked out: kinds of subject, places (named, else the
    subjects' usual ones), whether it names an action, whether it is night, what the camera films (an action, a
    subject at rest, a place) and the shots that fit it."""

    groups: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()  # the place named (first), else none
    sites: tuple[str, ...] = ()  # where its activity happens, else where its subjects are usually seen (PLACES)
    habitats: frozenset[str] = frozenset()  # the kinds of place of its sites
    action: bool = False
    night: bool = False
    situation: str | None = None  # action, close, still or place (sim_shots.SITUATION_OF)
    shots: tuple[str, ...] = ()


@dataclass
class Fit:
    """The details a prompt carries, by kind: those that fit its setting, those that clash with it, and the
    vocabulary items (sim_parse.parse counts) and off-vocabulary words inside them."""

    setting: Setting
    fitting: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    clashing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    neutral: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    covered: dict[str, int] = field(default_factory=dict)  # parser counts inside detail phrases
    described: bool = False  # it describes how its subjects look, in the table's phrases or its own words


def setting_of(core: Parsed, tokens: list[str]) -> Setting:
    names = [s.name for s, _, _ in core.subjects if s.name in GROUP_OF]
    groups = frozenset(GROUP_OF[n] for n in names)
    places = frozenset({core.scene} if core.scene else ())
    activity = [site for t in tokens for site in ACTIVITY_SITES.get(t, ())]
    sites = tuple(dict.fromkeys(activity or [site for n in names for site in SUBJECT_SITES.get(n, SITES[GROUP_OF[n]])]))
    habitats = frozenset(PLACE_OF[site] for site in sites)
    night = any(t.startswith(w) for t in tokens for w in NIGHT_WORDS)
    action = core.motion is not None and not core.static
    if action:
        situation = "action"
        shots = [p for g in sorted(groups) for p in ACTION_SHOTS.get(g, ANY_ACTION)] or list(ANY_ACTION)
    elif groups:
        situation = "close" if groups <= CLOSE else "still"
        shots = [p for g in sorted(groups) for p in STILL_SHOTS[g]]
    elif core.scene:
        situation, shots = "place", list(PLACE_SHOTS[core.scene])
    else:
        situation, shots = None, []
    return Setting(groups, places, sites, habitats, action, night, situation, tuple(dict.fromkeys(shots)))


def fitting_details(setting: Setting) -> dict[str, tuple[str, ...]]:
    """Every detail that fits this setting, by kind (what an LLM that knows the world would add)."""
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    for g in sorted(setting.groups):
        out["subject"] += APPEARANCE.get(g, ())
        if setting.action:
            out["motion"] += MOVEMENT.get(g, ())
    for place in sorted(setting.places):
        night_elements = NIGHT_ELEMENTS.get(place, ()) if setting.night else ()
        out["scene"] += night_elements or ELEMENTS[place]
        if not setting.night:
            out["lighting"] += LIGHT[place]
    if not setting.places:
        out["scene"] += setting.sites
    if setting.night:
        out["lighting"] += NIGHT_LIGHT
    out["camera"] += setting.shots
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def details_for(prompt: str) -> dict[str, tuple[str, ...]]:
    """The details that fit what this prompt names, by kind."""
    return fitting_details(assess(prompt).setting)


def fitting_rewrite(prompt: str, kinds: tuple[str, ...] = KINDS, per_kind: int = 1) -> str:
    """A reference rewrite: the prompt with the first `per_kind` fitting details of each kind, a place of its
    subject's first (where it names none and scene or light is wanted). Tests and benchmarks use it as what a
    rewriter that reads the prompt would write."""
    text = " ".join(prompt.split()).rstrip(" ,.;")
    if {"scene", "lighting"} & set(kinds) and not assess(text).setting.places:
        place = details_for(text)["scene"][:1]
        text = ", ".join([text, *place])
    fit = details_for(text)
    added = [p for k in kinds for p in fit[k][:per_kind] if p not in text]
    return ", ".join([text, *added])


def detail_kind(phrase: str) -> str | None:
    """The kind of a detail of this table (camera, lighting, scene, subject, motion), else None."""
    return DETAILS.get(phrase) or ("scene" if phrase in PLACE_PHRASES else None)


def _verdict(phrase: str, kind: str, setting: Setting, fits: set[str]) -> str:
    """fits, clashes, or neutral (generic: the prompt says too little to tell)."""
    if phrase in fits:
        return "fits"
    night_only = phrase in NIGHT_LIGHT or any(phrase in v for v in NIGHT_ELEMENTS.values())
    if setting.night:
        if kind == "lighting" and _is_day_light(phrase):
            return "clashes"
    elif night_only:
        return "neutral"  # a night detail where the prompt does not say when: the model may render night
    if kind in ("subject", "motion"):
        anchored = bool(setting.groups) and (kind == "subject" or setting.action)
    elif kind in ("scene", "lighting"):
        if not setting.places and any(phrase in ELEMENTS[h] + LIGHT[h] for h in setting.habitats):
            return "neutral"  # it fits where the subject is usually seen, but the prompt does not say where
        anchored = bool(setting.places or setting.habitats) or setting.night
    else:  # a shot made for another situation clashes (an aerial view of a cup); one made for another subject
        # in the same situation is generic (a telephoto shot of a running dog)
        anchored = setting.situation is not None and setting.situation not in SITUATION_OF.get(phrase, ())
    return "clashes" if anchored else "neutral"


def _is_day_light(phrase: str) -> bool:
    return any(re.search(rf"\b{w}\b", phrase) for w in DAY_WORDS)


@lru_cache(maxsize=None)
def _inside(phrase: str) -> dict[str, int]:
    q = parse(phrase)
    return {"camera": len(q.camera), "lighting": len(q.lighting), "style": len(q.styles),
            "scene_terms": q.scene_terms, "scene_detail": q.scene_detail, "descriptors": q.descriptors,
            "unknown": q.unknown}


def _second_places(text: str, core_text: str) -> int:
    """Place phrases that put the prompt somewhere else: a second place of the same kind (a restaurant "in a cozy
    living room", a park "in a lush meadow") or of a kind one shot cannot show with it. A phrase that restates the
    place named ("a beach, on a tropical beach") or widens it to a neighbouring kind (a river "in a quiet forest")
    is no clash. The place phrases' own words count as nothing else (one place each)."""
    said = list(dict.fromkeys(_PLACE_PATTERN.findall(text)))
    if not said:
        return 0
    rest = _PLACE_PATTERN.sub(" , ", core_text)
    named = parse(rest).scene
    anchor = named or PLACE_OF[said[0]]
    clashes = 0
    for phrase in said if named else said[1:]:
        family = PLACE_OF[phrase]
        if any(re.search(rf"\b{re.escape(w)}\b", rest) for w in _PLACE_WORDS[phrase]):
            continue
        clashes += family == anchor or frozenset((anchor, family)) not in NEIGHBOURS
    return clashes


def assess(prompt: str) -> Fit:
    """The fitting and clashing details of a prompt (see the module docstring)."""
    text = " ".join(prompt.lower().split())
    found = [m.group(1) for m in _PATTERN.finditer(text)]
    core_text = _PATTERN.sub(" , ", text)
    core = parse(core_text)
    setting = setting_of(core, re.findall(r"[a-z0-9'-]+", core_text))
    fits = {p for phrases in fitting_details(setting).values() for p in phrases}
    fit = Fit(setting)
    for phrase in dict.fromkeys(found):  # a phrase said twice is one detail
        kind = DETAILS[phrase]
        for key, n in _inside(phrase).items():
            fit.covered[key] = fit.covered.get(key, 0) + n
        verdict = _verdict(phrase, kind, setting, fits)
        {"fits": fit.fitting, "clashes": fit.clashing, "neutral": fit.neutral}[verdict][kind] += 1
    first = next(iter(setting.places), None)  # the place named first: the original's, or the first place phrase
    fit.clashing["scene"] += _second_places(text, core_text)
    if first and first != "studio" and setting.habitats and not any(
            first == h or frozenset((first, h)) in NEIGHBOURS for h in setting.habitats):
        fit.clashing["scene"] += 2  # a place none of its subjects is seen in (a shark in a cozy living room), or
        # where its activity never happens (canoeing in a library): the whole scene contradicts the prompt
    for phrase in dict.fromkeys(_PLACE_PATTERN.findall(text)):  # a place phrase counts as its place, nothing more
        for key, n in _inside(phrase).items():
            fit.covered[key] = fit.covered.get(key, 0) + (n - 1 if key == "scene_terms" else n)
    words = set(re.findall(r"[a-z]+", text))
    fit.described = bool(fit.fitting["subject"]) or any(LOOK_WORDS[g] & words for g in setting.groups)
    if setting.night:  # sunlight words outside the table: "bright daylight" on a night street
        fit.clashing["lighting"] += sum(len(re.findall(rf"\b{w}\b", core_text)) for w in DAY_WORDS)
    return fit
