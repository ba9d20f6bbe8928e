"""Reference data of the simulated world: which details fit what a prompt names.

Real text-to-video models learnt from captions that describe *that* video: a fox gets its red coat, a snowy field
its snow-laden pines and a low winter sun. These tables say how each kind of subject looks and moves, where it is
usually seen and where an activity happens, which elements and light belong to each kind of place (which shot
fits what is going on is in sim_shots.py). It is world knowledge, like an LLM's: the lexical operator draws
details from it, sim_fit.py reads prompts against it, and the simulated models decide what a fitting or clashing
detail is worth to them; nothing here says what a model prefers, and the judges never read it. Written from
sim_vocab.py's vocabulary and common caption phrases, without reading any evaluation prompt set; phrases avoid the
parser's subject, colour and motion words, so adding a detail never changes what a prompt is about.
"""

from __future__ import annotations

import re

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
    "hair drier": ("in a bright bathroom", "in a sunlit bedroom"), **dict.fromkeys(
        ("oven", "microwave", "toaster", "refrigerator"), ("in a rustic kitchen",)),
    "laptop": ("in a modern office", "in a quiet library", "in a small cafe"), "keyboard": ("in a modern office",),
    "book": ("in a quiet library", "in a cozy living room"), "suitcase": ("at a train station", "at a busy airport"),
    "umbrella": ("on a bustling city street", "on a tropical beach"), "skis": ("on a ski slope",),
    "snowboard": ("on a ski slope",), "surfboard": ("on a tropical beach", "on the open sea"),
    "skateboard": ("on a bustling city street", "in a sunlit park"), "lighthouse": ("on a rocky coast",),
    **dict.fromkeys(("kite", "frisbee"), ("in a sunlit park", "on a tropical beach")),
    "tennis racket": ("on an outdoor court",), "baseball bat": ("on a soccer field", "in a sunlit park"),
    **dict.fromkeys(("chef", "cook"), ("in a rustic kitchen", "in a small bakery")),
    **dict.fromkeys(("skier", "snowboarder"), ("on a ski slope", "in the snowy mountains")),
    "surfer": ("on a tropical beach", "on the open sea"), "swimmer": ("in a calm clear lake", "on the open sea"),
    "fisherman": ("on a wide river", "in a quiet harbor", "by a quiet pond"), "sailor": ("on the open sea",),
    "farmer": ("on a quiet farm", "in a grassy field"), "hiker": ("in the snowy mountains", "in the pine woods"),
    "climber": ("in the snowy mountains",), "cyclist": ("on a bustling city street", "through the countryside"),
    "jogger": ("in a sunlit park",), "barista": ("in a small cafe",), "waiter": ("in a small cafe", "in a dining room"),
    "teacher": ("in a classroom",), "student": ("in a classroom", "in a quiet library"),
    "scientist": ("in a science laboratory",), **dict.fromkeys(("doctor", "nurse"), ("in a modern office",)),
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
    "treadmill yoga pilates pushups squats dumbbells barbell": ("in a busy gym",),
    "skateboarding": ("on a bustling city street", "in a sunlit park"),
    "cycling biking bicycling driving": ("on a bustling city street", "on an open highway", "through the countryside"),
    "horseback": ("on a quiet farm", "in a grassy field", "through the countryside"),
    "camping campfire hunting": ("in a quiet forest", "in the pine woods"),
    "sunbathing sandcastle parasailing": ("on a tropical beach", "on a sandy shore"),
    "rafting scuba wakeboarding waterskiing": ("on a wide river", "on the open sea", "in a calm clear lake"),
    "archery barbecue grilling": ("in a grassy field", "in a sunlit park", "in a flower garden"),
    "vacuuming dusting ironing knitting sewing": ("in a cozy living room", "in a sunlit bedroom"),
    "dishes dishwashing": ("in a rustic kitchen",), "bathing flossing": ("in a bright bathroom",),
    "marching parade": ("on a bustling city street", "in a busy town square"),
}
ACTIVITY_SITES: dict[str, tuple[str, ...]] = {w: sites for ws, sites in _ACTIVITY_WORDS.items() for w in ws.split()}

PLACE_OF = {phrase: family for family, phrases in PLACES.items() for phrase in phrases}
PLACE_PHRASES = set(PLACE_OF)
# Kinds of place that one shot can show together (a river through a forest, a park in a city). A place phrase
# (PLACES) of any other kind contradicts the place the prompt is in (a fox in a snowy field "in a cozy living
# room"), as a place's elements on another place do.
NEIGHBOURS = {frozenset(pair) for pair in (
    ("beach", "water"), ("water", "green"), ("water", "forest"), ("water", "city"), ("green", "forest"),
    ("snow", "forest"), ("snow", "water"), ("snow", "green"), ("green", "city"), ("indoor_warm", "indoor_cool"),
    ("desert", "beach"))}
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
