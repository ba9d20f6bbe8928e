"""Reference data of the simulated world: words -> shapes, scene palettes, motion, camera,
lighting and styles (sim_parse.py reads prompts with it). It lives in data/ because both sides read it: the
simulated generators (models/) and the weight-free judges built for that world (rewards/).

The renderer (models/generators/sim.py) draws what a prompt names with it; the weight-free rewards
(rewards/cv_*.py) read the ORIGINAL prompt with it, the way a real CLIP "knows" words. Nothing here
says which words a simulated model prefers: those hidden preferences live in sim.py only.
Built from the bundled VBench prompt lists (data/vbench) and common descriptive words of video prompts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Roles and relations an everyday prompt names a person by (appended to the person list: marks go by position).
PERSON_ROLES = ("chef cook grandmother grandfather mother father teenager student teacher doctor nurse farmer "
                "fisherman firefighter policeman soldier knight cowboy pilot sailor musician singer guitarist "
                "pianist drummer painter artist athlete runner cyclist swimmer surfer skier snowboarder "
                "skateboarder climber hiker jogger worker scientist king queen princess prince wizard ninja "
                "pirate monk bride groom toddler kid tourist waiter barista")
# Subject -> (shape, size as a fraction of the frame side, default colour).
_SHAPE_SUBJECTS = {
    "animal": ("dog cat horse sheep cow elephant bear zebra giraffe panda corgi raccoon squirrel rabbit "
               "turtle fish shark bird duck goat pig lion tiger monkey mouse dolphin whale fox deer "
               "camel kangaroo owl eagle penguin octopus"),
    "person": "person man woman girl boy child baby astronaut couple people dancer robot man's " + PERSON_ROLES,
    "vehicle": "car truck bus train motorcycle bicycle boat airplane scooter tractor van ship spaceship taxi",
    "round": ("ball clock orange apple donut pizza cake cup bowl plate frisbee sports ball burger "
              "watermelon drum wheel sandwich broccoli"),
    "tall": ("bottle vase umbrella tower lamp streetlamp fire hydrant parking meter stop sign "
             "traffic light toothbrush wine glass candle lighthouse guitar skis surfboard snowboard "
             "tennis racket baseball bat hair drier knife fork spoon potted plant carrot banana tie"),
    "wide": ("couch bench bed chair laptop keyboard tv suitcase oven microwave toaster sink "
             "refrigerator toilet book handbag backpack remote cell phone skateboard teddy bear "
             "scissors mouse pad baseball glove piano hot dog kite"),
}
_SHAPE_SIZE = {"animal": 0.30, "person": 0.34, "vehicle": 0.36, "round": 0.24, "tall": 0.36, "wide": 0.34}
_DEFAULT_COLOUR = {  # default subject colours when the prompt names none
    "dog": "brown", "cat": "orange", "horse": "brown", "sheep": "white", "cow": "black", "elephant": "gray",
    "bear": "brown", "zebra": "white", "giraffe": "yellow", "panda": "white", "corgi": "orange",
    "raccoon": "gray", "squirrel": "brown", "fish": "orange", "shark": "gray", "bird": "blue",
    "car": "red", "truck": "blue", "bus": "yellow", "train": "green", "motorcycle": "black",
    "bicycle": "blue", "boat": "white", "airplane": "white", "orange": "orange", "apple": "red",
    "banana": "yellow", "broccoli": "green", "carrot": "orange", "pizza": "yellow", "donut": "pink",
    "umbrella": "purple", "stop sign": "red", "fire hydrant": "red", "tree": "green", "kite": "red",
    "book": "blue", "couch": "green", "chair": "brown", "bench": "brown", "suitcase": "purple",
    "astronaut": "white", "person": "pink", "vase": "blue", "clock": "white", "cup": "white",
    "tower": "gray", "potted plant": "green", "teddy bear": "brown", "frisbee": "yellow",
}
_CYCLE = ["red", "blue", "yellow", "green", "purple", "orange", "pink"]


@dataclass(frozen=True)
class Subject:
    name: str
    shape: str
    size: float
    colour: str
    mark: int = 0  # its place in its class list: picks the colour of its identity mark


def _subjects() -> dict[str, Subject]:
    table: dict[str, Subject] = {}
    for shape, words in _SHAPE_SUBJECTS.items():
        # multi-word names first so "teddy bear" beats "bear"
        names = re.findall(r"fire hydrant|parking meter|stop sign|traffic light|wine glass|tennis racket|"
                           r"baseball bat|baseball glove|hair drier|potted plant|cell phone|teddy bear|"
                           r"hot dog|sports ball|mouse pad|[a-z']+", words)
        for i, name in enumerate(names):
            fallback = "pink" if shape == "person" else _CYCLE[(len(name) + i) % len(_CYCLE)]
            colour = _DEFAULT_COLOUR.get(name, fallback)
            table.setdefault(name, Subject(name, shape, _SHAPE_SIZE[shape], colour, i))
    return table


SUBJECTS = _subjects()
PLURAL_COUNTS = {"couple": 2, "people": 3, "herd": 3, "group": 3, "pair": 2, "family": 3, "flock": 3}
COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "pair of": 2, "several": 3, "a few": 3}

# Scene word -> palette family; family -> (sky/wall RGB, ground/floor RGB, horizon as fraction of height).
SCENE_FAMILIES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], float]] = {
    "beach": ((120, 190, 240), (225, 200, 140), 0.55),
    "water": ((140, 195, 235), (30, 95, 160), 0.45),
    "green": ((135, 190, 235), (70, 140, 55), 0.50),
    "forest": ((95, 140, 90), (55, 85, 35), 0.40),
    "snow": ((170, 190, 215), (235, 240, 245), 0.50),
    "desert": ((200, 200, 170), (215, 160, 90), 0.55),
    "city": ((150, 160, 175), (85, 85, 90), 0.60),
    "indoor_warm": ((190, 150, 105), (110, 70, 40), 0.65),
    "indoor_cool": ((200, 210, 215), (150, 160, 165), 0.65),
    "space": ((15, 15, 40), (60, 50, 60), 0.75),
    "studio": ((110, 110, 120), (90, 90, 100), 0.70),
}
_SCENE_WORDS = {
    "beach": "beach coast coastal shore sand seaside island tropical",
    "water": "ocean sea river lake pond underwater reef coral waterfall harbor seine pool canal waves lakeside "
             "riverside riverbank",
    "green": "park garden field meadow lawn grass farm barn courtyard golf course football field valley "
             "soccer field vineyard countryside village campus savanna grassland prairie",
    "forest": "forest jungle woods rainforest bamboo forest swamp",
    "snow": "snow snowy mountain mountains glacier ski slope canyon canyons peaks ice arctic cliff",
    "desert": "desert dunes oasis petra volcano badlands mars",
    "city": "street city town alley road highway parking lot gas station crosswalk bridge downtown market "
            "square building skyscraper rooftop shanghai paris tokyo station train station bund plaza airport "
            "runway court",
    "indoor_warm": "kitchen bedroom living room cafe restaurant bar library bakery tea room teahouse "
                   "dining room attic barn interior theater mansion palace castle museum fireplace",
    "indoor_cool": "bathroom gymnasium gym hospital office laboratory supermarket classroom shower "
                   "laundromat elevator subway jail pharmacy",
    "space": "space outer space galaxy starry sky stars moon planet",
    "studio": "studio white background dark background",
}
_MULTI_SCENES = ("golf course", "football field", "soccer field", "bamboo forest", "ski slope", "parking lot",
                 "gas station", "train station", "living room", "tea room", "dining room", "outer space",
                 "starry sky", "white background", "dark background")
SCENES: dict[str, str] = {}
for _fam, _words in _SCENE_WORDS.items():
    for _p in _MULTI_SCENES:
        if _p in _words:
            SCENES[_p] = _fam
            _words = _words.replace(_p, " ")
    SCENES.update({_w: _fam for _w in _words.split()})

# Motion verbs -> default direction (dx, dy) in image axes (+x right, +y down) and speed (px/frame at 64).
MOTIONS: dict[str, tuple[float, float, float]] = {}
for _w, _v in {
    "running": (1, 0, 1.6), "walking": (1, 0, 0.9), "driving": (1, 0, 1.8), "riding": (1, 0, 1.4),
    "swimming": (1, 0, 1.0), "sailing": (1, 0, 0.8), "flying": (1, -0.3, 1.5), "gliding": (1, 0, 1.0),
    "moving": (1, 0, 1.0), "turning": (1, 0, 1.0), "speeding": (1, 0, 2.2), "racing": (1, 0, 2.2),
    "accelerating": (1, 0, 1.8), "skateboarding": (1, 0, 1.5), "skiing": (1, 0.2, 1.5), "surfing": (1, 0, 1.3),
    "jumping": (0, -1, 1.2), "dancing": (0, -1, 0.9), "falling": (0, 1, 1.5), "landing": (0, 1, 0.8),
    "rising": (0, -1, 1.0), "climbing": (0, -1, 0.7), "floating": (1, 0, 0.4), "drifting": (1, 0, 0.5),
    "rolling": (1, 0, 1.2), "playing": (1, 0, 0.9), "chasing": (1, 0, 1.7), "spinning": (0, -1, 0.6),
    "rotating": (0, -1, 0.6), "canoeing": (1, 0, 0.9), "kayaking": (1, 0, 0.9), "skating": (1, 0, 1.3),
    "taking off": (1, -1, 1.4), "wandering": (1, 0, 0.6), "galloping": (1, 0, 1.9), "bouncing": (0, -1, 1.2),
    "hunting": (1, 0, 1.2), "jogging": (1, 0, 1.2), "hiking": (1, 0, 0.7), "cycling": (1, 0, 1.4),
    "rowing": (1, 0, 0.8), "paddling": (1, 0, 0.8), "hopping": (0, -1, 1.0), "crawling": (1, 0, 0.4),
    "strolling": (1, 0, 0.7), "sprinting": (1, 0, 2.0), "diving": (0, 1, 1.4), "soaring": (1, -0.3, 1.3),
    "marching": (1, 0, 0.9), "trotting": (1, 0, 1.2), "waddling": (1, 0, 0.5), "pouncing": (1, -0.5, 1.5),
    "snowboarding": (1, 0.2, 1.5), "carving": (1, 0.2, 1.4), "leaping": (0, -1, 1.3), "splashing": (0, -1, 0.8),
    "prowling": (1, 0, 0.6),
}.items():
    MOTIONS[_w] = (float(_v[0]), float(_v[1]), float(_v[2]))
# The same verbs as a present tense ("a corgi runs on the beach"), which users write as often as "running".
for _w, _ing in (("runs", "running"), ("walks", "walking"), ("drives", "driving"), ("rides", "riding"),
                 ("swims", "swimming"), ("flies", "flying"), ("races", "racing"), ("jumps", "jumping"),
                 ("dances", "dancing"), ("climbs", "climbing"), ("floats", "floating"), ("drifts", "drifting"),
                 ("rolls", "rolling"), ("plays", "playing"), ("chases", "chasing"), ("spins", "spinning"),
                 ("skates", "skating"), ("wanders", "wandering"), ("gallops", "galloping"), ("bounces", "bouncing"),
                 ("hunts", "hunting"), ("jogs", "jogging"), ("hikes", "hiking"), ("hops", "hopping"),
                 ("crawls", "crawling"), ("strolls", "strolling"), ("sprints", "sprinting"), ("dives", "diving"),
                 ("soars", "soaring"), ("marches", "marching"), ("trots", "trotting"), ("waddles", "waddling"),
                 ("pounces", "pouncing"), ("leaps", "leaping"), ("splashes", "splashing"), ("surfs", "surfing"),
                 ("paddles", "paddling")):
    MOTIONS[_w] = MOTIONS[_ing]
DIRECTIONS = {"left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0),
              "leftward": (-1.0, 0.0), "rightward": (1.0, 0.0), "upward": (0.0, -1.0), "downward": (0.0, 1.0)}
STATIC_WORDS = ("still frame", "frozen in time", "static", "motionless", "tableau", "still life")

# Camera phrase -> (content dx, content dy in px/frame at 64, zoom rate per frame). "pan left" moves the
# camera left, so the content slides right.
CAMERA: dict[str, tuple[float, float, float]] = {
    "pan left": (1.2, 0, 0), "pans left": (1.2, 0, 0), "pan right": (-1.2, 0, 0), "pans right": (-1.2, 0, 0),
    "tilt up": (0, 1.0, 0), "tilts up": (0, 1.0, 0), "tilt down": (0, -1.0, 0), "tilts down": (0, -1.0, 0),
    "zoom in": (0, 0, 0.018), "zooms in": (0, 0, 0.018), "zoom out": (0, 0, -0.015), "zooms out": (0, 0, -0.015),
    "dolly in": (0, 0, 0.014), "dolly out": (0, 0, -0.012), "push in": (0, 0, 0.012),
    "tracking shot": (-0.8, 0, 0), "tracking": (-0.8, 0, 0), "follows": (-0.6, 0, 0), "orbit": (-1.0, 0, 0.004),
    "aerial view": (0, -0.6, 0), "drone shot": (0, -0.6, 0), "crane shot": (0, 0.8, 0), "panning": (-1.0, 0, 0),
    "static camera": (0, 0, 0), "locked-off": (0, 0, 0), "fixed camera": (0, 0, 0), "steady camera": (0, 0, 0),
    "handheld": (0.3, 0.2, 0), "close-up": (0, 0, 0.006), "wide shot": (0, 0, -0.004), "racking focus": (0, 0, 0.003),
    "slow motion": (0, 0, 0), "camera": (0, 0, 0), "low angle": (0, 0.2, 0), "shaking effect": (0.4, 0.4, 0),
}
# Lighting phrase -> (RGB tint multipliers, brightness gain, saturation gain).
LIGHTING: dict[str, tuple[tuple[float, float, float], float, float]] = {
    "golden hour": ((1.12, 1.0, 0.80), 1.05, 1.15), "sunset": ((1.15, 0.95, 0.80), 1.0, 1.15),
    "sunrise": ((1.10, 1.0, 0.85), 1.05, 1.1), "warm light": ((1.10, 1.0, 0.85), 1.05, 1.1),
    "soft light": ((1.0, 1.0, 1.0), 1.05, 0.95), "soft lighting": ((1.0, 1.0, 1.0), 1.05, 0.95),
    "natural light": ((1.02, 1.0, 0.98), 1.05, 1.0), "sunlight": ((1.05, 1.02, 0.95), 1.1, 1.05),
    "studio lighting": ((1.0, 1.0, 1.0), 1.1, 1.05), "cinematic lighting": ((1.05, 1.0, 0.95), 1.0, 1.15),
    "dramatic lighting": ((1.0, 0.98, 0.95), 0.9, 1.2), "backlit": ((1.05, 1.0, 0.95), 0.95, 1.05),
    "rim light": ((1.0, 1.0, 1.05), 1.0, 1.1), "neon": ((1.1, 0.8, 1.2), 0.95, 1.35),
    "dim": ((1.0, 0.95, 0.9), 0.65, 0.9), "dimly lit": ((1.0, 0.95, 0.9), 0.65, 0.9),
    "moonlight": ((0.8, 0.9, 1.15), 0.6, 0.8), "night": ((0.75, 0.85, 1.15), 0.5, 0.85),
    "twilight": ((0.95, 0.9, 1.1), 0.75, 1.0), "dusk": ((1.0, 0.9, 1.05), 0.75, 1.0),
    "dawn": ((1.05, 0.98, 0.95), 0.9, 1.0), "day": ((1.0, 1.0, 1.0), 1.08, 1.05),
    "daylight": ((1.0, 1.0, 1.0), 1.08, 1.05), "bright": ((1.0, 1.0, 1.0), 1.12, 1.05),
    "overcast": ((0.95, 0.98, 1.02), 0.9, 0.8), "candlelight": ((1.2, 0.95, 0.7), 0.8, 1.1),
}
STYLES = {
    "black and white": "gray", "monochrome": "gray", "grayscale": "gray",
    "cartoon": "poster", "animated": "poster", "anime": "poster", "pixel art": "pixel", "8-bit": "pixel",
    "sketch": "edges", "pencil": "edges", "line art": "edges", "ink": "edges",
    "oil painting": "paint", "van gogh": "paint", "impressionist": "paint", "painting": "paint",
    "watercolor": "wash", "watercolor painting": "wash", "pastel": "wash",
    "cyberpunk": "neon", "synthwave": "neon", "vaporwave": "neon",
    "ukiyo": "poster", "hokusai": "poster", "surrealism": "paint", "3d render": "poster", "claymation": "poster",
    "vintage": "sepia", "sepia": "sepia", "retro": "sepia", "film grain": "sepia",
    "photorealistic": "real", "realistic": "real", "hyper-realistic": "real", "cinematic": "real",
}
# Words that add background/scene detail (a model may draw more of the scene).
SCENE_DETAIL = set(
    "sky clouds trees tree grass waves sand hills mountains horizon buildings houses windows flowers leaves "
    "rocks river lake shore path road sidewalk walls floor shelves lamps lanterns streetlamps stars sun "
    "reflection reflections water snowflakes mist fog rain puddles greenery foliage backdrop background "
    "landscape skyline cobblestone garden meadow branches bushes palm lawn fence bridge valley hillside "
    "surroundings scenery setting environment interior furniture curtains table desk plants wildflowers".split())
# Descriptive words a video prompt typically carries (texture, colour, mood, quality).
DESCRIPTORS = set(
    "vibrant detailed intricate lush soft gentle warm cool serene tranquil colorful vivid rich textured "
    "glossy polished sleek rustic vintage ornate majestic elegant delicate bright crisp sharp clear "
    "shimmering glistening glowing sunlit dappled misty calm peaceful cozy quiet bustling picturesque "
    "beautiful stunning breathtaking dramatic moody atmospheric luminous radiant pristine weathered "
    "ancient modern fluffy smooth wooden stone metallic golden silver azure emerald cinematic high-resolution "
    "4k 8k hd highly realistic ultra photorealistic depth focus composition contrast saturated hues tones "
    "textures patterns details shadows highlights ambiance atmosphere mood glow light lighting lit".split())
# Function words never count as unknown.
STOPWORDS = set(
    "a an the of and or in on at to with by for from into onto over under through across along around "
    "near beside behind between above below is are was were be being been its it their his her they them "
    "this that these those as while where when then there which who what each every both some all any "
    "very slightly gently slowly quickly softly up down out off s it's itself one against amidst amid "
    "toward towards within without upon after before during about like just also only more most so such "
    "has have had having can could will would may might do does front view side top bottom left right "
    "scene video shot frame image picture showing shows captures capturing featuring seen visible".split())
CONTRADICTIONS = [("day", "night"), ("daylight", "night"), ("sunrise", "sunset"), ("zoom in", "zoom out"),
                  ("pan left", "pan right"), ("tilt up", "tilt down"), ("bright", "dim")]
