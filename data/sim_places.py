"""Reference data of the simulated world: where things are. The phrases that name a place of each kind, the
places each kind of subject (and some single subjects) is usually seen in, where activities happen, and which
kinds of place one shot can show together. World knowledge like the rest of sim_details.py, written without
reading any evaluation prompt set; sim_fit.py reads prompts against it.
"""

from __future__ import annotations

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
