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

from pav.data.sim_vocab import SCENE_FAMILIES, SCENES, SUBJECTS, Parsed, parse

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

# Per kind of subject: how it looks, and how its action moves (only where the prompt names an action).
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

# Per kind of place: phrases that name one such place, in the parser's own place words (sim_vocab.SCENES).
PLACES: dict[str, tuple[str, ...]] = {
    "beach": ("on a tropical beach", "on a sandy shore", "on a rocky coast"),
    "water": ("in a calm clear lake", "on a wide river", "by a quiet pond", "on the open sea", "in a quiet harbor",
              "on a coral reef"),
    "green": ("in a lush meadow", "in a sunlit park", "in a flower garden", "on a quiet farm", "in a grassy field",
              "on the open savanna", "on a soccer field", "on a golf course", "through the countryside"),
    "forest": ("in a quiet forest", "in the pine woods", "in a misty jungle", "in a bamboo forest"),
    "snow": ("in the snowy mountains", "on a ski slope", "on an icy glacier"),
    "desert": ("in the desert dunes", "at a desert oasis"),
    "city": ("on a bustling city street", "in a busy town square", "at a train station", "on an open highway",
             "at a busy airport", "at a street market", "on an outdoor court"),
    "indoor_warm": ("in a cozy living room", "in a rustic kitchen", "in a quiet library", "in a sunlit bedroom",
                    "in a small cafe", "on a theater stage", "in a dining room", "in a small bakery"),
    "indoor_cool": ("in a modern office", "in a bright bathroom", "in a busy gym", "in a science laboratory",
                    "in a classroom", "in a supermarket"),
    "space": ("in outer space", "on the moon"),
    "studio": ("in a studio",),
}

# Where a prompt names no place: the places its subjects are usually seen in, per kind of subject, and for the
# subjects whose places differ from their kind's. A place in none of these families contradicts the subject.
SITES: dict[str, tuple[str, ...]] = {
    "pets": ("in a cozy living room", "in a sunlit park", "in a flower garden"),
    "farm": ("on a quiet farm", "in a grassy field", "in a lush meadow"),
    "wild": ("in a quiet forest", "in the pine woods", "in a grassy field", "in the snowy mountains"),
    "savanna": ("on the open savanna", "in a grassy field", "in the desert dunes"),
    "hide": ("on the open savanna", "in a grassy field", "in the desert dunes"),
    "feathered": ("in a quiet forest", "by a quiet pond", "in a lush meadow", "in a flower garden"),
    "aquatic": ("on a coral reef", "on the open sea", "in a calm clear lake"),
    "people": ("on a bustling city street", "in a sunlit park", "in a cozy living room", "in a small cafe"),
    "suited": ("in outer space", "on the moon", "in a science laboratory"),
    "road": ("on a bustling city street", "on an open highway", "in the desert dunes"),
    "rail": ("at a train station", "through the countryside"),
    "aircraft": ("at a busy airport", "in outer space"),
    "boats": ("on the open sea", "in a quiet harbor", "on a wide river"),
    "food": ("in a rustic kitchen", "in a dining room", "in a small bakery", "at a street market"),
    "tableware": ("in a rustic kitchen", "in a dining room", "in a small cafe"),
    "furniture": ("in a cozy living room", "in a sunlit bedroom", "in a dining room"),
    "devices": ("in a modern office", "in a cozy living room", "in a rustic kitchen"),
    "plants": ("in a cozy living room", "in a flower garden", "in a modern office"),
    "landmarks": ("in a busy town square", "on a bustling city street", "on a rocky coast"),
    "sports": ("in a sunlit park", "on a soccer field", "in a busy gym"),
    "instruments": ("on a theater stage", "in a cozy living room"),
    "street_fixtures": ("on a bustling city street", "in a busy town square"),
    "belongings": ("in a cozy living room", "in a modern office", "in a sunlit bedroom", "at a train station"),
}
SUBJECT_SITES: dict[str, tuple[str, ...]] = {
    "penguin": ("on an icy glacier", "on a rocky coast"), "duck": ("by a quiet pond", "on a wide river"),
    "owl": ("in a quiet forest", "in the pine woods"), "eagle": ("in the snowy mountains", "in the pine woods"),
    "panda": ("in a bamboo forest",), "monkey": ("in a misty jungle", "in a bamboo forest"),
    "camel": ("in the desert dunes", "at a desert oasis"), "squirrel": ("in a sunlit park", "in a quiet forest"),
    "turtle": ("on a coral reef", "on a tropical beach"), "spaceship": ("in outer space", "on the moon"),
    "airplane": ("at a busy airport",), "bench": ("in a sunlit park", "in a busy town square"),
    "bed": ("in a sunlit bedroom",), "couch": ("in a cozy living room",), "toilet": ("in a bright bathroom",),
    "sink": ("in a bright bathroom", "in a rustic kitchen"), "toothbrush": ("in a bright bathroom",),
    "hair drier": ("in a bright bathroom", "in a sunlit bedroom"), "oven": ("in a rustic kitchen",),
    "microwave": ("in a rustic kitchen",), "toaster": ("in a rustic kitchen",), "refrigerator": ("in a rustic kitchen",),
    "laptop": ("in a modern office", "in a quiet library", "in a small cafe"), "keyboard": ("in a modern office",),
    "book": ("in a quiet library", "in a cozy living room"), "suitcase": ("at a train station", "at a busy airport"),
    "umbrella": ("on a bustling city street", "on a tropical beach"), "skis": ("on a ski slope",),
    "snowboard": ("on a ski slope",), "surfboard": ("on a tropical beach", "on the open sea"),
    "skateboard": ("on a bustling city street", "in a sunlit park"), "kite": ("in a sunlit park", "on a tropical beach"),
    "frisbee": ("in a sunlit park", "on a tropical beach"), "lighthouse": ("on a rocky coast",),
    "tennis racket": ("on an outdoor court",), "baseball bat": ("on a soccer field", "in a sunlit park"),
}
# Activities that happen in particular places: where a prompt names one, its places are these, whoever does it.
_ACTIVITY_WORDS: dict[str, tuple[str, ...]] = {
    "swimming diving snorkeling canoeing kayaking rowing paddling fishing sailing":
        ("in a calm clear lake", "on a wide river", "on the open sea"),
    "surfing": ("on a tropical beach", "on the open sea"),
    "skiing snowboarding sledding": ("on a ski slope", "in the snowy mountains"),
    "hiking": ("in the snowy mountains", "in a quiet forest", "in the pine woods"),
    "cooking baking frying chopping peeling stirring": ("in a rustic kitchen",),
    "shaving showering": ("in a bright bathroom",),
    "sleeping napping": ("in a sunlit bedroom", "in a cozy living room"),
    "exercising workout weightlifting lifting boxing stretching": ("in a busy gym",),
    "basketball tennis volleyball": ("on an outdoor court", "in a busy gym"),
    "soccer football": ("on a soccer field",), "golf golfing": ("on a golf course",),
    "jogging picnic": ("in a sunlit park",),
    "gardening planting watering mowing": ("in a flower garden",),
    "reading studying": ("in a quiet library", "in a cozy living room"),
    "typing": ("in a modern office",), "teaching lecturing": ("in a classroom",),
    "shopping": ("at a street market", "in a supermarket"),
    "singing performing": ("on a theater stage",),
}
ACTIVITY_SITES: dict[str, tuple[str, ...]] = {w: sites for ws, sites in _ACTIVITY_WORDS.items() for w in ws.split()}

_PLACE_OF = {phrase: family for family, phrases in PLACES.items() for phrase in phrases}
_PLACE_PHRASES = set(_PLACE_OF)
# Kinds of place that one shot can show together (a river through a forest, a park in a city). A place phrase
# (PLACES) of any other kind contradicts the place the prompt is in (a fox in a snowy field "in a cozy living
# room"), as a place's elements on another place do.
NEIGHBOURS = {frozenset(pair) for pair in (
    ("beach", "water"), ("water", "green"), ("water", "forest"), ("water", "city"), ("green", "forest"),
    ("snow", "forest"), ("snow", "water"), ("snow", "green"), ("green", "city"), ("indoor_warm", "indoor_cool"),
    ("desert", "beach"))}
_PLACE_PATTERN = re.compile(r"(?<![a-z0-9'-])(" + "|".join(map(re.escape, sorted(_PLACE_OF, key=len, reverse=True)))
                            + r")(?![a-z0-9'-])")
# The place words of each place phrase ("living room" in "in a cozy living room"): a phrase that says a place the
# prompt already names restates it.
_PLACE_WORDS = {phrase: tuple(w for w in SCENES if re.search(rf"\b{re.escape(w)}\b", phrase)) for phrase in _PLACE_OF}

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
    sites: tuple[str, ...] = ()  # where its activity happens, else where its subjects are usually seen (PLACES)
    habitats: frozenset[str] = frozenset()  # the kinds of place of its sites
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
    names = [s.name for s, _, _ in core.subjects if s.name in GROUP_OF]
    groups = frozenset(GROUP_OF[n] for n in names)
    places = frozenset({core.scene} if core.scene else ())
    activity = [site for t in tokens for site in ACTIVITY_SITES.get(t, ())]
    sites = tuple(dict.fromkeys(activity or [site for n in names for site in SUBJECT_SITES.get(n, SITES[GROUP_OF[n]])]))
    habitats = frozenset(_PLACE_OF[site] for site in sites)
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
    return Setting(groups, places, sites, habitats, "action" in shots, night, frozenset(shots))


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
    anchor = named or _PLACE_OF[said[0]]
    clashes = 0
    for phrase in said if named else said[1:]:
        family = _PLACE_OF[phrase]
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


assert set(ELEMENTS) == set(LIGHT) == set(SCENE_FAMILIES), "every place family needs elements and light"
assert set(APPEARANCE) == set(SUBJECT_GROUPS) == set(SITES), "every subject group needs appearance and places"
assert set(SUBJECT_SITES) <= set(GROUP_OF), "SUBJECT_SITES names subjects of the world"
assert {p for t in (SITES, SUBJECT_SITES, ACTIVITY_SITES) for v in t.values() for p in v} <= _PLACE_PHRASES, \
    "every site is a place phrase of PLACES"
assert set(GROUP_OF) == set(SUBJECTS), "every subject of the world has a kind"
