"""Reference data of the simulated world: which shot fits what is going on, for which kind of subject or place.

A cinematographer films a galloping horse, a cyclist, a hummingbird and a cup of coffee differently: a low
tracking shot, a handheld follow, a telephoto shot, a macro shot. One shot for every action is what a constant
suffix would say; these tables give each situation its own shots per kind of subject (sim_details.SUBJECT_GROUPS)
or place (sim_vocab.SCENE_FAMILIES). A shot of the same situation made for another subject is generic there (a
telephoto shot of a dog is not wrong, only not what its captions say); a shot of another situation clashes (an
aerial view of a cup). Phrases avoid the parser's subject, colour, motion and place words, like every detail.
"""

from __future__ import annotations

# A named action (the subject moves), per kind of subject; ANY where its kind has none of its own.
ACTION_SHOTS: dict[str, tuple[str, ...]] = {
    "pets": ("low tracking shot", "ground-level follow shot"),
    "farm": ("wide tracking shot", "slow-motion stride"),
    "wild": ("telephoto tracking shot", "distant follow shot"),
    "savanna": ("aerial tracking shot", "long lens tracking shot"),
    "hide": ("wide tracking shot", "distant follow shot"),
    "feathered": ("the camera follows its flight", "telephoto tracking shot"),
    "aquatic": ("the camera glides alongside", "submerged tracking shot"),
    "people": ("handheld tracking shot", "shoulder-height follow shot"),
    "suited": ("slow tracking shot", "handheld camera"),
    "road": ("the camera tracks alongside", "low angle tracking shot"),
    "rail": ("the camera tracks alongside", "aerial tracking shot"),
    "aircraft": ("air-to-air tracking shot", "the camera follows its climb"),
    "boats": ("aerial tracking shot", "circling drone shot"),
    "sports": ("slow motion", "high-speed camera"),
}
ANY_ACTION = ("tracking shot", "slow motion")
# A subject at rest, per kind of subject (small things get close shots, tall ones a low angle).
STILL_SHOTS: dict[str, tuple[str, ...]] = {
    "pets": ("eye-level close-up", "soft-focus shot"),
    "farm": ("medium wide shot", "eye-level shot"),
    "wild": ("telephoto shot", "close-up of the face"),
    "savanna": ("telephoto shot", "wide shot"),
    "hide": ("wide shot", "low angle shot"),
    "feathered": ("telephoto close-up", "soft focus background"),
    "aquatic": ("close-up shot", "slow lateral glide shot"),
    "people": ("medium shot", "eye-level shot"),
    "suited": ("medium shot", "low angle shot"),
    "road": ("three-quarter view", "low angle shot"),
    "rail": ("wide shot", "three-quarter view"),
    "aircraft": ("low angle shot", "wide shot"),
    "boats": ("wide shot", "aerial view"),
    "furniture": ("wide shot of the room", "eye-level shot"),
    "landmarks": ("low angle shot", "the camera tilts up"),
    "food": ("macro shot", "overhead shot"),
    "tableware": ("close-up shot", "overhead shot"),
    "devices": ("close-up shot", "over-the-shoulder shot"),
    "plants": ("macro shot", "the camera slowly zooms in"),
    "instruments": ("close-up shot", "the camera slowly zooms in"),
    "sports": ("close-up shot", "low angle shot"),
    "street_fixtures": ("low angle shot", "close-up shot"),
    "belongings": ("close-up shot", "overhead shot"),
}
# A place with no subject, per kind of place.
PLACE_SHOTS: dict[str, tuple[str, ...]] = {
    "beach": ("aerial view", "shoreline glide shot"),
    "water": ("drone shot", "low skimming shot"),
    "green": ("wide shot", "the camera glides across the scene"),
    "forest": ("slow dolly in", "glide between the trunks"),
    "snow": ("sweeping aerial view", "panoramic wide shot"),
    "desert": ("aerial view", "panoramic wide shot"),
    "city": ("wide establishing shot", "high angle shot"),
    "indoor_warm": ("slow dolly in", "wide shot of the room"),
    "indoor_cool": ("wide shot of the room", "static camera"),
    "space": ("slow push in", "wide shot"),
    "studio": ("static camera", "centered shot"),
}
# Kinds of subject small enough that, at rest, the camera comes close: their shots are for close work.
CLOSE = {"food", "tableware", "devices", "plants", "instruments", "sports", "belongings", "street_fixtures"}
# What each shot is for (action, close, still, place): a shot of another situation than the prompt's clashes.
SITUATION_OF: dict[str, set[str]] = {}
for _situation, _tables in (("action", [*ACTION_SHOTS.values(), ANY_ACTION]),
                            ("close", [v for g, v in STILL_SHOTS.items() if g in CLOSE]),
                            ("still", [v for g, v in STILL_SHOTS.items() if g not in CLOSE]),
                            ("place", PLACE_SHOTS.values())):
    for _phrases in _tables:
        for _p in _phrases:
            SITUATION_OF.setdefault(_p, set()).add(_situation)
