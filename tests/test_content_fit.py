"""The embedded world rewards details that fit *this* prompt: a constant suffix cannot do what a rewrite
that describes the prompt's own subject, action, place and light does, and a clashing detail hurts."""

from itertools import product

import numpy as np
import pandas as pd
import pytest

from pav.data.sim_details import APPEARANCE, DETAILS, ELEMENTS, LIGHT, MOVEMENT
from pav.data.sim_places import PLACES
from pav.data.sim_shots import SITUATION_OF
from pav.data.sim_fit import assess, details_for
from pav.data.sim_parse import parse
from pav.models.generators.sim import PROFILES, SimScenic, SimSteady, fidelity
from pav.models.generators.sim_render import draw_background
from pav.models.operators import MutationRequest, ScoredPrompt, load_operator
from pav.models.operators.vocabulary import DESCRIPTORS
from pav.rewards import SUITES, load_reward
from pav.rewards.aggregate import AggregationConfig, overall
from pav.rewards.cv_quality import sharpness
from pav.rewards.cv_common import to_gray

# Prompts of many kinds (not from any evaluation set): subjects at rest and in action, places, night.
PROMPTS = [
    "a dog running in a park", "a cat sleeping on a couch", "a red car driving down a street",
    "a sailboat on a lake", "an eagle flying over the mountains", "a woman walking in the city",
    "a bowl of apples on a kitchen table", "a snowy forest", "a horse galloping across a field",
    "a fish swimming in a coral reef", "a neon-lit street at night", "an astronaut in outer space",
]


def q(prompt: str, profile: str) -> float:
    return fidelity(parse(prompt), PROFILES[profile], assess(prompt))


def fitting_rewrite(prompt: str) -> str:
    """One fitting shot and one fitting light (a place first where the prompt names none): what a rewriter that
    reads the prompt adds, of the kinds sim-steady likes."""
    text = prompt
    if not details_for(text)["lighting"]:
        text = f"{text}, {details_for(text)['scene'][0]}"
    fit = details_for(text)
    return f"{text}, {fit['camera'][0]}, {fit['lighting'][0]}"


def scores(videos, originals) -> pd.Series:
    rows = [{} for _ in videos]
    for name in SUITES["cv"]:
        for row, s in zip(rows, load_reward(name).score(videos, originals)):
            row.update(s)
    return overall(pd.DataFrame(rows), AggregationConfig())


def test_best_constant_suffix_scores_clearly_below_fitting_details_of_the_same_kinds():
    # Every constant suffix of one shot and one light the world knows (generic or fitting somewhere), searched
    # on fidelity, then rendered: it cannot fit every prompt, the fitting rewrite does.
    shots = [p for p, k in DETAILS.items() if k == "camera"] + list(DESCRIPTORS["camera"])
    lights = [p for p, k in DETAILS.items() if k == "lighting"] + list(DESCRIPTORS["lighting"])
    best = max((f"{c}, {li}" for c, li in product(shots, lights)),
               key=lambda s: np.mean([q(f"{p}, {s}", "sim-steady") for p in PROMPTS]))
    fitted = [fitting_rewrite(p) for p in PROMPTS]
    suffixed = [f"{p}, {best}" for p in PROMPTS]
    # same kinds, comparable length: what differs is whether the details fit
    assert abs(np.mean([len(f.split()) for f in fitted]) - np.mean([len(s.split()) for s in suffixed])) < 4
    gen = SimSteady()
    fit_overall = scores([v.frames for v in gen.generate(fitted, [1] * len(PROMPTS))], PROMPTS)
    suffix_overall = scores([v.frames for v in gen.generate(suffixed, [1] * len(PROMPTS))], PROMPTS)
    assert fit_overall.mean() > 1.10 * suffix_overall.mean(), (best, fit_overall.mean(), suffix_overall.mean())
    assert (fit_overall > suffix_overall).mean() >= 0.75


@pytest.mark.parametrize("prompt, fits, clashes", [
    ("a cat sitting on a couch", "soft fur", "ruffled feathers"),
    ("a snowy field", "powdery snow", "wet sand"),
    ("a neon-lit street at night", "neon glow", "bright daylight"),
    ("a dog running in a park", "paws padding on the ground", "wings beating"),
    ("a cup on a table", "macro shot", "aerial view"),
    ("a fox in a snowy forest", "snow-laden pines", "in a cozy living room"),  # a second, contradicting place
])
def test_a_fitting_detail_raises_fidelity_and_a_clashing_one_lowers_it(prompt, fits, clashes):
    base = f"{prompt}, soft natural light, detailed surroundings"  # generic detail, so fidelity is off its floor
    for profile in PROFILES:
        assert q(f"{base}, {fits}", profile) > q(base, profile) > q(f"{base}, {clashes}", profile), profile


def test_generic_boosters_give_at_most_a_small_gain():
    booster = ", high quality, highly detailed, cinematic lighting, 4k"
    for profile in PROFILES:
        gain = np.mean([q(p + booster, profile) - q(p, profile) for p in PROMPTS])
        fitting = np.mean([q(fitting_rewrite(p), profile) - q(p, profile) for p in PROMPTS])
        assert gain < 0.1 and fitting > 3 * max(gain, 0.02), (profile, gain, fitting)


def test_each_profile_keeps_its_taste_within_the_fitting_choices():
    prompt = "a fox in a snowy forest"
    shot, light = ", low angle shot, the camera tilts up", ", low winter sun, cold blue light"
    elements = ", snow-laden pines, powdery snow"
    assert q(prompt + shot + light, "sim-steady") > q(prompt + elements + elements.replace("pines", "pines"), "sim-steady")
    assert q(prompt + elements + ", frosted branches, icicles", "sim-scenic") > q(prompt + shot + ", drone shot", "sim-scenic")


def test_fitting_details_render_visibly():
    rng = np.random.default_rng(0)
    bare = draw_background("snow", 96, 0.8, rng)
    rich = draw_background("snow", 96, 0.8, np.random.default_rng(0), elements=3)
    assert sharpness(to_gray(rich[None])) >= sharpness(to_gray(bare[None]))
    assert np.abs(rich - bare).mean() > 1.0  # more pines are drawn
    # the pixel judges (reading only pixels and the original prompt) score the fitting rewrite above a clashing one
    original = "a dog running in a park"
    fitting = f"{original}, tracking shot, golden hour light, soft fur, paws padding on the ground"
    clashing = f"{original}, aerial view, bright tropical sun, ruffled feathers, wings beating"
    for gen in (SimSteady(), SimScenic()):
        videos = [v.frames for v in gen.generate([fitting, clashing], [3, 3])]
        good, bad = scores(videos, [original, original])
        assert good > bad + 1.0, (gen.name, good, bad)


def test_the_tables_cover_every_subject_group_and_place():
    assert set(APPEARANCE) >= set(MOVEMENT) and set(ELEMENTS) == set(LIGHT)
    for phrase in DETAILS:  # a detail never names a subject, a colour or a motion, so it never changes the meaning
        p = parse(phrase)
        assert not p.subjects and p.motion is None and not p.contradictions, phrase
    for phrase in SITUATION_OF:  # nor does a shot name a place
        assert parse(phrase).scene is None, phrase
    for family, phrases in PLACES.items():  # a place phrase names its place in the parser's own words
        for phrase in phrases:
            p = parse(phrase)
            assert p.scene == family and not p.subjects and p.motion is None and not p.contradictions, phrase


def test_the_lexical_operator_proposes_details_that_fit_the_prompt():
    original = "a fox in a snowy forest"
    result = load_operator("lexical").mutate([MutationRequest(original, [ScoredPrompt(original, {}, 1.0)], n=30,
                                                              seed=seed) for seed in range(4)])
    added = [v[len(original) + 2:] for r in result for v in r.variants]
    fit = {p for phrases in details_for(original).values() for p in phrases}
    with_fit = [a for a in added if any(p in a for p in fit)]
    assert len(with_fit) > 0.4 * len(added)
    assert any("snow-laden pines" in a or "powdery snow" in a for a in added)
    assert not any("wet sand" in a for a in added)  # it never proposes a place's details for another place


def test_a_subject_described_by_nothing_renders_generic():
    # A place and its light fit a cat as well as a cup; only a rewrite that says how *this* subject looks escapes
    # the generic render, in the table's phrases or in its own words.
    bare = "a cat sleeping, in a cozy living room, warm lamplight, soft window light"
    for profile in PROFILES:
        assert q(f"{bare}, soft fur", profile) > q(bare, profile) + 0.1, profile
        assert q(f"{bare}, its fur glowing", profile) > q(bare, profile) + 0.05, profile
        assert q(f"{bare}, glossy paint", profile) < q(bare, profile), profile  # a car's look is no description


def test_a_place_none_of_its_subjects_lives_in_clashes():
    for profile in PROFILES:
        assert q("a shark swimming, in a calm clear lake", profile) > q("a shark swimming", profile) \
            > q("a shark swimming, in a cozy living room", profile), profile
        # a pet at home and a person in a meadow are fine
        assert q("a cat sleeping, in a cozy living room", profile) > q("a cat sleeping", profile), profile
        assert q("a woman walking, in a lush meadow", profile) > q("a woman walking", profile), profile


def test_a_second_place_or_a_place_the_activity_never_happens_in_clashes():
    # The prompt's own place stays its place: another room on a restaurant, a living room for a canoe.
    for original, fitting, clashing in [
            ("a quiet restaurant", "a quiet restaurant, wooden furniture, warm lamplight",
             "a quiet restaurant, in a cozy living room, warm lamplight"),
            ("a person is canoeing", "a person is canoeing, on a wide river, soft reflected light",
             "a person is canoeing, in a cozy living room, warm lamplight"),
            ("a penguin", "a penguin, on an icy glacier, low winter sun", "a penguin, in a rustic kitchen, warm lamplight"),
            ("a man is skiing", "a man is skiing, on a ski slope, low winter sun",
             "a man is skiing, on a tropical beach, bright tropical sun"),
            ("a family camping", "a family camping, in the pine woods, dappled sunlight",
             "a family camping, in a cozy living room, warm lamplight"),
            ("a woman riding horseback", "a woman riding horseback, through the countryside, golden hour light",
             "a woman riding horseback, in a small cafe, warm lamplight")]:
        assert sum(assess(clashing).clashing.values()) > 0, clashing
        assert sum(assess(fitting).clashing.values()) == 0, fitting
        for profile in PROFILES:
            assert q(fitting, profile) > q(clashing, profile) + 0.1, (profile, fitting)
    # Restating the named place, or widening it to a neighbouring kind, is no second place.
    assert sum(assess("a beach at dawn, on a tropical beach").clashing.values()) == 0
    assert sum(assess("a river, in a quiet forest").clashing.values()) == 0


def test_places_suggested_follow_the_subject_and_the_activity():
    # What an LLM would add where the prompt names no place: the subject's own places, or the activity's.
    assert details_for("a toaster")["scene"] == ("in a rustic kitchen",)
    assert "in a cozy living room" not in details_for("a person is surfing")["scene"]
    assert set(details_for("a person is surfing")["scene"]) <= set(PLACES["beach"] + PLACES["water"])
    kinds = {details_for(f"a {s}")["scene"][0] for s in ("dog", "sandwich", "laptop", "guitar", "bed", "car", "shark")}
    assert len(kinds) >= 6  # not one place for every subject


def test_shots_fit_the_kind_of_subject_and_a_shot_for_another_situation_clashes():
    dog, car, cup = "a dog running in a park", "a red car driving down a street", "a cup on a kitchen table"
    # each kind of subject in action has its own shots: no single shot fits every action
    assert not set(details_for(dog)["camera"]) & set(details_for(car)["camera"])
    own, other, wrong = details_for(dog)["camera"][0], details_for(car)["camera"][0], details_for(cup)["camera"][0]
    fit = assess(f"{dog}, {own}")
    assert fit.fitting["camera"] == 1 and not fit.clashing["camera"]
    fit = assess(f"{dog}, {other}")  # a car's tracking shot on a running dog: not wrong, only generic
    assert fit.neutral["camera"] == 1 and not fit.clashing["camera"]
    assert assess(f"{dog}, {wrong}").clashing["camera"] == 1  # a still close shot of a moving subject
    for profile in PROFILES:
        assert q(f"{dog}, {own}", profile) > q(f"{dog}, {other}", profile) > q(f"{dog}, {wrong}", profile), profile


def test_people_named_by_their_role_and_verbs_in_the_present_tense_are_read():
    chef = assess("a chef chopping onions").setting
    assert chef.groups == {"people"} and "in a rustic kitchen" in chef.sites
    assert assess("a corgi runs on the beach").setting.action
    assert assess("a snowboarder carving down the mountain").setting.situation == "action"
