"""Reference data of the simulated world: which details fit what a prompt names.

Real text-to-video models learnt from captions that describe *that* video: a fox gets its red coat and
its breath in the cold air, a snowy field its snow-laden pines and a low winter sun. This table says, for
the world of sim_vocab.py, which appearance fits which kind of subject, how its action moves, which
elements and light belong to which kind of place (and time of day), and which shot fits what is going on.
It is world knowledge, like an LLM's: the lexical operator draws details from it as an LLM would, and
the simulated models (models/generators/sim.py) decide how much a fitting or a clashing detail is worth
to them. Nothing here says what a model prefers, and the judges never read it.

Built from the subject and place vocabulary of sim_vocab.py and common descriptive phrases of video
captions, without reading any evaluation prompt set. Phrases avoid the words the parser takes for a
subject, a colour or a motion, so adding a detail never changes what a prompt is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pav.data.sim_vocab import SCENE_FAMILIES, SUBJECTS, Parsed, parse

# Kinds of subject: group -> its members (names in sim_vocab.SUBJECTS).
SUBJECT_GROUPS: dict[str, str] = {
    "pets": "dog cat corgi rabbit mouse teddy bear",
    "farm": "horse sheep cow goat pig",
    "wild": "bear panda raccoon squirrel monkey fox deer",
    "savanna": "lion tiger camel kangaroo zebra giraffe",
    "hide": "elephant",
    "feathered": "bird duck owl eagle penguin",
    "aquatic": "fish shark dolphin whale octopus turtle",
    "people": "person man woman girl boy child baby couple people dancer man's",
    "suited": "astronaut robot",
    "road": "car truck bus motorcycle van taxi tractor scooter bicycle",
    "rail": "train",
    "aircraft": "airplane spaceship",
    "boats": "boat ship",
    "food": "apple orange donut pizza cake burger watermelon sandwich broccoli banana carrot hot dog",
    "tableware": "cup bowl plate wine glass bottle vase fork knife spoon",
    "furniture": "couch bench bed chair",
    "devices": "laptop keyboard tv cell phone remote microwave oven toaster refrigerator clock",
    "plants": "potted plant",
    "landmarks": "tower lighthouse",
    "sports": "ball sports ball frisbee kite skis surfboard snowboard skateboard tennis racket baseball bat "
              "baseball glove",
    "instruments": "guitar piano drum",
    "street_fixtures": "stop sign fire hydrant parking meter traffic light streetlamp",
    "belongings": "backpack book handbag suitcase umbrella tie scissors toothbrush hair drier mouse pad candle lamp "
                  "sink toilet wheel",
}
_MULTI = re.compile(r"teddy bear|man's|wine glass|hot dog|cell phone|potted plant|sports ball|tennis racket|"
                    r"baseball bat|baseball glove|stop sign|fire hydrant|parking meter|traffic light|hair drier|"
                    r"mouse pad|[a-z]+")
GROUP_OF: dict[str, str] = {name: group for group, names in SUBJECT_GROUPS.items() for name in _MULTI.findall(names)}

# Per kind of subject: how it looks, how its action moves (only where the prompt names an action), and the
# places it is usually seen in (where the prompt names none).
_FUR = ("soft fur", "thick fur coat", "fine whiskers", "curious eyes", "fluffy tail", "glossy coat")
_FUR_MOVEMENT = ("paws padding on the ground", "muscles rippling", "ears twitching", "kicking up dust")
APPEARANCE: dict[str, tuple[str, ...]] = {
    "pets": _FUR, "farm": _FUR, "wild": _FUR, "savanna": _FUR,
    "hide": ("wrinkled grey skin", "large ears", "long swaying trunk", "heavy feet"),
    "feathered": ("ruffled feathers", "sharp beak", "glossy plumage", "spread wings"),
    "aquatic": ("shimmering scales", "sleek fins", "smooth wet skin", "streams of bubbles"),
    "people": ("casual clothing", "a warm jacket", "tousled hair", "a relaxed expression", "natural skin texture"),
    "suited": ("reflective visor", "padded suit", "metal joints", "glowing panels"),
    "road": ("polished chrome", "glossy paint", "gleaming headlights", "rubber tires"),
    "rail": ("sleek metal carriages", "rows of windows", "steel rails"),
    "aircraft": ("sleek fuselage", "riveted panels", "swept wings"),
    "boats": ("weathered hull", "taut sails", "coiled ropes"),
    "food": ("glossy surface", "fresh and ripe", "crisp texture", "tiny dewdrops"),
    "tableware": ("smooth glaze", "delicate rim", "clear glassy sheen"),
    "furniture": ("wood grain", "soft upholstery", "worn fabric"),
    "devices": ("glowing screen", "brushed metal casing", "small indicator lights"),
    "plants": ("green leaves", "terracotta pot", "dark soil"),
    "landmarks": ("weathered stone walls", "tall spire", "arched windows"),
    "sports": ("scuffed surface", "neat stitching", "worn grip"),
    "instruments": ("polished wood", "taut strings", "ivory keys"),
    "street_fixtures": ("chipped paint", "weathered metal", "a reflective sheen"),
    "belongings": ("fine surface texture", "crisp edges", "subtle signs of wear"),
}
MOVEMENT: dict[str, tuple[str, ...]] = {
    "pets": _FUR_MOVEMENT, "farm": _FUR_MOVEMENT, "wild": _FUR_MOVEMENT, "savanna": _FUR_MOVEMENT,
    "hide": ("heavy steady steps", "trunk swinging"),
    "feathered": ("wings beating", "feathers ruffling in the wind"),
    "aquatic": ("tail sweeping", "fins rippling"),
    "people": ("natural body movement", "arms swinging", "hair lifted by the breeze", "clothes rippling"),
    "suited": ("slow deliberate steps", "tethered movements"),
    "road": ("tires blurred with speed", "exhaust puffing", "tires gripping the asphalt"),
    "rail": ("carriages clattering on the rails", "carriages swaying"),
    "aircraft": ("engines roaring", "contrails streaming"),
    "boats": ("a foamy wake", "bow cutting through the swell", "sails filling with wind"),
    "sports": ("a blur of speed", "a smooth arc"),
}
HABITATS: dict[str, tuple[str, ...]] = {
    "pets": ("indoor_warm", "green"), "farm": ("green",), "wild": ("forest", "snow", "green"),
    "savanna": ("green", "desert"), "hide": ("green", "desert"),
    "feathered": ("green", "forest", "water"), "aquatic": ("water",), "people": ("city", "indoor_warm", "green"),
    "suited": ("space", "indoor_cool"), "road": ("city", "desert"), "rail": ("city", "green"),
    "aircraft": ("space", "city"), "boats": ("water",), "food": ("indoor_warm",), "tableware": ("indoor_warm",),
    "furniture": ("indoor_warm",), "devices": ("indoor_cool", "indoor_warm"), "plants": ("indoor_warm", "green"),
    "landmarks": ("city",), "sports": ("green",), "instruments": ("indoor_warm",), "street_fixtures": ("city",),
    "belongings": ("indoor_warm", "indoor_cool"),
}

# Per kind of place (sim_vocab.SCENE_FAMILIES): its own elements and the light that belongs there; at night,
# NIGHT_ELEMENTS and NIGHT_LIGHT instead where given, and daylight is a clash.
ELEMENTS: dict[str, tuple[str, ...]] = {
    "beach": ("gentle waves", "wet sand", "sea foam", "scattered seashells", "palm trees"),
    "water": ("soft ripples", "sparkling water", "reeds along the bank", "sea spray"),
    "green": ("wildflowers", "tall grass swaying", "gentle hills", "a wooden fence"),
    "forest": ("moss-covered trunks", "ferns", "fallen leaves", "tall pines"),
    "snow": ("snow-laden pines", "powdery snow", "frosted branches", "icicles"),
    "desert": ("rippled sand dunes", "dry cracked earth", "cacti", "heat haze"),
    "city": ("storefronts", "glass facades", "street signs", "passing traffic"),
    "indoor_warm": ("wooden furniture", "bookshelves", "a cozy rug", "framed pictures"),
    "indoor_cool": ("tiled floor", "clean white walls", "metal fixtures"),
    "space": ("a distant nebula", "scattered stars", "a glowing planet"),
    "studio": ("a seamless backdrop",),
}
LIGHT: dict[str, tuple[str, ...]] = {
    "beach": ("bright tropical sun", "sun glinting on the sea"),
    "water": ("sunlight shimmering on the water", "soft reflected light"),
    "green": ("soft morning sun", "golden hour light"),
    "forest": ("dappled sunlight", "sunbeams through the canopy"),
    "snow": ("low winter sun", "cold blue light"),
    "desert": ("harsh midday sun", "warm desert glow"),
    "city": ("sunlight between buildings", "soft overcast daylight"),
    "indoor_warm": ("warm lamplight", "soft window light"),
    "indoor_cool": ("fluorescent light", "cool even light"),
    "space": ("cold starlight", "harsh light of a distant sun"),
    "studio": ("studio lighting", "softbox light"),
}
NIGHT_ELEMENTS: dict[str, tuple[str, ...]] = {
    "city": ("neon signs", "wet asphalt", "glowing windows", "reflections on the pavement"),
}
NIGHT_LIGHT: tuple[str, ...] = ("neon glow", "cool blue moonlight", "street lights", "lantern light")
NIGHT_WORDS = ("night", "nighttime", "midnight", "moonlit", "neon")
# Words of a light that only the sun gives: at night such a light contradicts the prompt.
DAY_WORDS = ("daylight", "sunlight", "sun", "sunbeams", "golden hour", "midday", "morning")

# Where a prompt names no place: a phrase that names one of its subjects' usual places (place words of
# sim_vocab.SCENES, so the place is then named and its elements and light fit).
PLACES: dict[str, str] = {
    "beach": "on a tropical beach", "water": "in a calm clear lake", "green": "in a lush meadow",
    "forest": "in a quiet forest", "snow": "in the snowy mountains", "desert": "in the desert dunes",
    "city": "on a bustling city street", "indoor_warm": "in a cozy living room", "indoor_cool": "in a modern office",
    "space": "in outer space", "studio": "in a studio",
}

_PLACE_PHRASES = set(PLACES.values())
# Kinds of place that one shot can show together (a river through a forest, a park in a city). A place phrase
# (PLACES) of any other kind contradicts the place the prompt is in (a fox in a snowy field "in a cozy living
# room"), as a place's elements on another place do.
NEIGHBOURS = {frozenset(pair) for pair in (
    ("beach", "water"), ("water", "green"), ("water", "forest"), ("water", "city"), ("green", "forest"),
    ("snow", "forest"), ("snow", "water"), ("snow", "green"), ("green", "city"), ("indoor_warm", "indoor_cool"),
    ("desert", "beach"))}
_PLACE_OF = {phrase: family for family, phrase in PLACES.items()}
_PLACE_PATTERN = re.compile(r"(?<![a-z0-9'-])(" + "|".join(map(re.escape, _PLACE_OF)) + r")(?![a-z0-9'-])")

# Shots that fit what is going on (the camera kind): a named action, a small still thing, something tall,
# a place without a subject, people at rest.
SHOTS: dict[str, tuple[str, ...]] = {
    "action": ("tracking shot", "the camera follows the movement", "slow motion"),
    "small": ("close-up shot", "macro shot", "the camera slowly zooms in"),
    "tall": ("low angle shot", "the camera tilts up"),
    "landscape": ("aerial view", "drone shot", "wide shot", "the camera glides across the scene"),
    "portrait": ("medium shot", "eye-level shot"),  # a subject at rest
}
# Words that describe how a kind of subject looks, said in any phrasing ("its fur glistening"): the head noun of
# each appearance phrase, but for the words that would describe anything.
LOOK_WORDS: dict[str, frozenset[str]] = {
    g: frozenset(p.split()[-1] for p in v) - {"texture", "surface", "edges", "wear", "sheen"}
    for g, v in APPEARANCE.items()}
_SMALL = {"food", "tableware", "devices", "plants", "instruments", "sports", "belongings", "street_fixtures"}

KINDS = ("camera", "lighting", "scene", "subject", "motion")
# (phrase, kind) of every detail in the tables; the same phrase may fit several subjects or places.
DETAILS: dict[str, str] = {}
for _kind, _tables in (("subject", APPEARANCE), ("motion", MOVEMENT), ("scene", ELEMENTS), ("scene", NIGHT_ELEMENTS),
                       ("lighting", LIGHT), ("camera", SHOTS)):
    for _phrases in _tables.values():
        DETAILS.update({_p: _kind for _p in _phrases})
DETAILS.update({_p: "lighting" for _p in NIGHT_LIGHT})
_PATTERN = re.compile(r"(?<![a-z0-9'-])(" + "|".join(re.escape(p) for p in sorted(DETAILS, key=len, reverse=True))
                      + r")(?![a-z0-9'-])")


@dataclass(frozen=True)
class Setting:
    """What the prompt is about, read with the details masked out: kinds of subject, places (named, else the
    subjects' usual ones), whether it names an action, whether it is night, and the shots that fit."""

    groups: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()  # the place named (first), else none
    habitats: frozenset[str] = frozenset()  # where its subjects are usually seen
    action: bool = False
    night: bool = False
    shots: frozenset[str] = frozenset()


@dataclass
class Fit:
    """The details a prompt carries, by kind: those that fit its setting, those that clash with it, and the
    vocabulary items (sim_vocab.parse counts) and off-vocabulary words inside them."""

    setting: Setting
    fitting: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    clashing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    neutral: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    covered: dict[str, int] = field(default_factory=dict)  # parser counts inside detail phrases
    described: bool = False  # it describes how its subjects look, in the table's phrases or its own words


def setting_of(core: Parsed, tokens: list[str]) -> Setting:
    groups = frozenset(GROUP_OF[s.name] for s, _, _ in core.subjects if s.name in GROUP_OF)
    places = frozenset({core.scene} if core.scene else ())
    habitats = frozenset(f for g in groups for f in HABITATS[g])
    night = any(t.startswith(w) for t in tokens for w in NIGHT_WORDS)
    shots = set()
    if core.motion is not None and not core.static:
        shots.add("action")
    elif groups & _SMALL:
        shots.add("small")
    elif groups:
        shots.add("portrait")
    if "landmarks" in groups or core.scene in ("snow", "city") and not groups:
        shots.add("tall")
    if not core.subjects and core.scene:
        shots.add("landscape")
    return Setting(groups, places, habitats, "action" in shots, night, frozenset(shots))


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
        out["scene"] += [PLACES[h] for h in sorted(setting.habitats)]
    if setting.night:
        out["lighting"] += NIGHT_LIGHT
    for shot in sorted(setting.shots):
        out["camera"] += SHOTS[shot]
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
    return DETAILS.get(phrase) or ("scene" if phrase in _PLACE_PHRASES else None)


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
    else:  # a shot made for another situation: an aerial view of a cup, a close-up of a landscape
        anchored = bool(setting.shots)
    return "clashes" if anchored else "neutral"


def _is_day_light(phrase: str) -> bool:
    return any(re.search(rf"\b{w}\b", phrase) for w in DAY_WORDS)


@lru_cache(maxsize=None)
def _inside(phrase: str) -> dict[str, int]:
    q = parse(phrase)
    return {"camera": len(q.camera), "lighting": len(q.lighting), "style": len(q.styles),
            "scene_terms": q.scene_terms, "scene_detail": q.scene_detail, "descriptors": q.descriptors,
            "unknown": q.unknown}


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
    others = {_PLACE_OF[p] for p in _PLACE_PATTERN.findall(text)} - {first}
    fit.clashing["scene"] += sum(frozenset((first, o)) not in NEIGHBOURS for o in others)
    if first and first != "studio" and setting.habitats and not any(
            first == h or frozenset((first, h)) in NEIGHBOURS for h in setting.habitats):
        fit.clashing["scene"] += 2  # a place none of its subjects is seen in (a shark in a cozy living room): the
        # whole scene contradicts the subject, worse than one misplaced detail
    words = set(re.findall(r"[a-z]+", text))
    fit.described = bool(fit.fitting["subject"]) or any(LOOK_WORDS[g] & words for g in setting.groups)
    if setting.night:  # sunlight words outside the table: "bright daylight" on a night street
        fit.clashing["lighting"] += sum(len(re.findall(rf"\b{w}\b", core_text)) for w in DAY_WORDS)
    return fit


assert set(ELEMENTS) == set(LIGHT) == set(SCENE_FAMILIES), "every place family needs elements and light"
assert set(APPEARANCE) == set(SUBJECT_GROUPS) == set(HABITATS), "every subject group needs appearance and habitats"
assert set(GROUP_OF) == set(SUBJECTS), "every subject of the world has a kind"
