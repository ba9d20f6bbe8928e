"""Reference data of the intent judge (rewards/intent.py): function words and filler that carry no
content, true synonyms, irregular word forms, number words and negators. Plain constants, no logic.
"""

# Words that are never content items: articles, pronouns, prepositions, conjunctions, auxiliaries,
# generic adverbs and quantifiers, and framing filler that names the medium rather than its content.
STOPWORDS: frozenset[str] = frozenset("""
a an the this that these those some any each every all both either neither other another such own same
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
who whom whose which what whatever whoever where when while whilst why how whether
myself yourself himself herself itself ourselves themselves
one ones someone something somewhere somebody anyone anything everyone everything everywhere nothing nobody
of in on onto into at to from by with within without for about above below over under beneath
underneath across along alongside amid amidst among amongst around through throughout toward towards
upon up down out off inside outside near nearby beside besides between behind before after beyond past via
against per like unlike despite during until till since except
and or but nor so yet if then than as because though although unless once
is are was were be been being am has have had having do does did doing done
will would shall should can could may might must
there here now just very really quite rather too also even still only almost nearly perhaps maybe
again ever always often sometimes soon already else instead well much many more most few less least several
lot lots bit kind sort type way thing things stuff part
not no never none
say says saying said
scene scenes image images video videos footage clip clips picture pictures view views shot shots
tableau frame frames style styles moment moments time
featuring feature features featured depicting depicts depicted
""".split())

# Groups of interchangeable words (true synonyms and spelling variants only). A narrower or a
# related word is not a synonym: a puppy is not any dog, a pony not any horse, a ship not a boat.
SYNONYMS: list[tuple[str, ...]] = [
    # vehicles and roads
    ("taxi", "cab", "taxicab"),
    ("car", "automobile", "auto"),
    ("motorcycle", "motorbike"),
    ("bicycle", "bike"),
    ("airplane", "aeroplane", "plane", "airliner"),
    ("truck", "lorry"),
    ("tram", "streetcar"),
    ("subway", "metro"),
    ("railway", "railroad"),
    ("highway", "freeway", "motorway"),
    ("path", "pathway"),
    ("alley", "alleyway"),
    # furniture and household
    ("sofa", "couch", "settee"),
    ("television", "tv", "telly"),
    ("refrigerator", "fridge"),
    ("phone", "telephone"),
    ("cellphone", "smartphone"),
    ("microphone", "mic"),
    ("dryer", "drier"),
    ("stove", "cooker"),
    ("bin", "dustbin", "trashcan", "wastebasket"),
    ("photograph", "photo"),
    ("movie", "film"),
    # clothing
    ("trousers", "pants", "slacks"),
    ("sweater", "pullover"),
    ("glasses", "spectacles", "eyeglasses"),
    ("handbag", "purse"),
    # people
    ("child", "kid"),
    ("person", "individual", "human"),
    ("woman", "lady"),
    ("baby", "infant"),
    ("teenager", "teen", "adolescent"),
    ("father", "dad", "daddy"),
    ("mother", "mom", "mum", "mommy", "mummy"),
    ("grandmother", "grandma", "granny"),
    ("grandfather", "grandpa", "granddad"),
    ("doctor", "physician"),
    ("elderly", "old"),
    # animals (the same animal under another name, never a neighbouring species)
    ("rabbit", "bunny"),
    ("puppy", "pup"),
    ("kitten", "kitty"),
    ("dog", "doggy", "doggie"),
    ("horse", "steed"),
    ("pig", "swine"),
    # places
    ("shop", "store"),
    ("market", "marketplace"),
    ("sea", "ocean"),
    ("forest", "woodland", "woods"),
    ("shore", "seashore"),
    ("restaurant", "eatery"),
    ("background", "backdrop"),
    ("top", "atop"),  # "on the top of" is "atop"
    ("cafe", "coffeehouse"),
    ("pub", "tavern"),
    ("restroom", "washroom", "lavatory"),
    ("theater", "theatre"),
    ("center", "centre"),
    # weather and time of day
    ("rain", "rainfall"),
    ("snow", "snowfall"),
    ("sunset", "sundown"),
    ("sunrise", "sunup"),
    ("dawn", "daybreak"),
    ("night", "nighttime"),
    ("spring", "springtime"),
    ("summer", "summertime"),
    ("cloudy", "overcast"),
    # actions
    ("jump", "leap"),
    ("talk", "speak"),
    ("shout", "yell"),
    ("cry", "weep"),
    ("start", "begin"),
    ("buy", "purchase"),
    # qualities and colours
    ("tranquil", "serene", "peaceful"),
    ("big", "large"),
    ("small", "little"),
    ("fast", "quick", "rapid", "speedy"),
    ("gray", "grey"),
    ("color", "colour"),
    ("colorful", "colourful"),
]

# Irregular forms -> base form (regular inflections are derived by rule in the judge).
IRREGULAR: dict[str, str] = {
    # nouns
    "mice": "mouse", "people": "person", "men": "man", "women": "woman", "children": "child",
    "feet": "foot", "teeth": "tooth", "geese": "goose", "oxen": "ox", "cacti": "cactus", "fungi": "fungus",
    "octopi": "octopus",
    # verbs
    "ran": "run", "swam": "swim", "swum": "swim", "flew": "fly", "flown": "fly", "ate": "eat", "eaten": "eat",
    "sat": "sit", "rode": "ride", "ridden": "ride", "drove": "drive", "driven": "drive", "took": "take",
    "taken": "take", "fell": "fall", "fallen": "fall", "threw": "throw", "thrown": "throw", "sang": "sing",
    "sung": "sing", "wrote": "write", "written": "write", "grew": "grow", "grown": "grow", "blew": "blow",
    "blown": "blow", "drew": "draw", "drawn": "draw", "held": "hold", "stood": "stand", "spun": "spin",
    "swung": "swing", "caught": "catch", "brought": "bring", "bought": "buy", "fought": "fight",
    "taught": "teach", "thought": "think", "built": "build", "slept": "sleep", "wept": "weep", "kept": "keep",
    "met": "meet", "fed": "feed", "bled": "bleed", "sped": "speed", "fled": "flee", "hid": "hide",
    "hidden": "hide", "bitten": "bite", "lain": "lie", "risen": "rise", "shone": "shine",
    "woke": "wake", "woken": "wake", "wore": "wear", "worn": "wear", "tore": "tear", "torn": "tear",
    "froze": "freeze", "frozen": "freeze", "broke": "break", "broken": "break", "spoke": "speak",
    "spoken": "speak", "chose": "choose", "chosen": "choose", "gave": "give", "given": "give",
    "seen": "see", "went": "go", "gone": "go", "came": "come", "began": "begin",
    "begun": "begin", "dug": "dig", "hung": "hang", "clung": "cling", "struck": "strike",
    "slid": "slide", "strode": "stride", "knelt": "kneel", "leapt": "leap", "sank": "sink",
    "sunk": "sink", "shook": "shake", "shaken": "shake", "won": "win", "lit": "light", "sought": "seek",
    "lying": "lie", "dying": "die", "tying": "tie",
}
# Left out on purpose: past forms that are more often another word in prompts ("left" the direction;
# "rose", "saw", "dove", "shot", "felt", "led", "lay" the nouns; "stuck", no stick), so "leaves" never keeps "left".

# Adjectives of weather and ground -> the noun they are made of ("a snowy field" ~ "snow-covered").
DERIVED: dict[str, str] = {
    "snowy": "snow", "rainy": "rain", "sunny": "sun", "cloudy": "cloud", "windy": "wind", "foggy": "fog",
    "misty": "mist", "stormy": "storm", "starry": "star", "rocky": "rock", "sandy": "sand", "grassy": "grass",
    "leafy": "leaf", "icy": "ice", "dusty": "dust", "muddy": "mud", "smoky": "smoke", "hilly": "hill",
}

# Words ending in -s, -ed, -ing, -ly that are not inflections of a shorter word.
NOT_INFLECTED: frozenset[str] = frozenset(
    "news series species canvas gas lens bus chess christmas its this his has is was us yes always "
    "physics gymnastics athletics mathematics perhaps across princess bless wilderness".split())

NUMBERS: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
}

# Words that negate the noun phrase after them ("no cat", "without a cat", "isn't running").
NEGATORS: frozenset[str] = frozenset(
    "no not without never nor none neither isn't aren't wasn't weren't don't doesn't didn't "
    "can't cannot won't hasn't haven't".split())
# Words a negation reaches across before its noun phrase.
DETERMINERS: frozenset[str] = frozenset("a an the any other single more longer visible".split())
