"""Reference data of the simulated world: which details fit what a prompt names.

Real text-to-video models learnt from captions that describe *that* video: a fox gets its red coat, a snowy field
its snow-laden pines and a low winter sun. These tables say how each kind of subject looks and moves, and which
elements and light belong to each kind of place (where things are seen is in sim_places.py, which shot fits what
is going on in sim_shots.py). It is world knowledge, like an LLM's: the lexical operator draws details from it,
sim_fit.py reads prompts against it, and the simulated models decide what a fitting or clashing detail is worth
to them; nothing here says what a model prefers, and the judges never read it. Written from sim_vocab.py's
vocabulary and common caption phrases, without reading any evaluation prompt set; phrases avoid the parser's
subject, colour and motion words, so adding a detail never changes what a prompt is about.
"""

from __future__ import annotations

import re

from pav.data.sim_places import ACTIVITY_SITES, PLACE_PHRASES, SITES, SUBJECT_SITES
from pav.data.sim_shots import ACTION_SHOTS, ANY_ACTION, PLACE_SHOTS, STILL_SHOTS
from pav.data.sim_vocab import PERSON_ROLES, SCENE_FAMILIES, SUBJECTS
# Kinds of subject: group -> its members (names in sim_vocab.SUBJECTS).
SUBJECT_GROUPS: dict[str, str] = {
    "pets": "dog cat corgi rabbit mouse teddy bear",
    "farm": "horse sheep cow goat pig",
    "wild": "bear panda raccoon squirrel monkey fox deer",
    "savanna": "lion tiger camel kangaroo zebra giraffe",
    "hide": "elephant",
    "feathered": "bird duck owl eagle penguin",
    "aquatic": "fish shark dolphin whale octopus turtle",
    "people": "person man woman girl boy child baby couple people dancer man's " + PERSON_ROLES,
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

# Words that describe how a kind of subject looks, said in any phrasing ("its fur glistening"): the head noun of
# each appearance phrase, but for the words that would describe anything.
LOOK_WORDS: dict[str, frozenset[str]] = {
    g: frozenset(p.split()[-1] for p in v) - {"texture", "surface", "edges", "wear", "sheen"}
    for g, v in APPEARANCE.items()}

KINDS = ("camera", "lighting", "scene", "subject", "motion")
# (phrase, kind) of every detail in the tables; the same phrase may fit several subjects or places.
DETAILS: dict[str, str] = {}
for _kind, _tables in (("subject", APPEARANCE), ("motion", MOVEMENT), ("scene", ELEMENTS), ("scene", NIGHT_ELEMENTS),
                       ("lighting", LIGHT), ("camera", STILL_SHOTS), ("camera", ACTION_SHOTS),
                       ("camera", PLACE_SHOTS), ("camera", {"any": ANY_ACTION})):
    for _phrases in _tables.values():
        DETAILS.update({_p: _kind for _p in _phrases})
DETAILS.update({_p: "lighting" for _p in NIGHT_LIGHT})
assert set(ELEMENTS) == set(LIGHT) == set(SCENE_FAMILIES), "every place family needs elements and light"
assert set(APPEARANCE) == set(SUBJECT_GROUPS) == set(SITES) == set(STILL_SHOTS) >= set(ACTION_SHOTS), \
    "every subject group needs appearance, places and shots"
assert set(PLACE_SHOTS) == set(SCENE_FAMILIES), "every place family needs its shots"
assert {p for t in (SITES, SUBJECT_SITES, ACTIVITY_SITES) for v in t.values() for p in v} <= PLACE_PHRASES, \
    "every site is a place phrase of PLACES"
assert set(GROUP_OF) == set(SUBJECTS) >= set(SUBJECT_SITES), "every subject of the world has a kind"
