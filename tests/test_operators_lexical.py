"""The LLM-free lexical operator: determinism, distinct variants, crossover, and a search that makes progress."""

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from pav.data.sim_fit import detail_kind
from pav.models.operators import MutationRequest, ScoredPrompt, load_operator
from pav.models.operators.lexical import tail_phrases
from pav.models.operators.vocabulary import DESCRIPTORS, KIND_OF

ORIGINAL = "A corgi runs on the beach."
HEAD = "A corgi runs on the beach"
MOVING_CAMERA = ("pan", "tracking", "zoom", "drone", "handheld", "crane", "aerial")


def scored(prompt, overall):
    return ScoredPrompt(prompt, {"vq": overall / 10}, overall)


def history():
    return [scored(ORIGINAL, 1.0),
            scored(f"{HEAD}, tracking shot, cinematic, lush green background", 3.0),
            scored(f"{HEAD}, soft golden hour light, high detail", 2.0)]


def mutate(request, **options):
    [result] = load_operator("lexical", options).mutate([request])
    return result


def test_deterministic_for_a_seed_and_varies_with_it():
    first = mutate(MutationRequest(ORIGINAL, history(), n=5, seed=7))
    assert first.variants == mutate(MutationRequest(ORIGINAL, history(), n=5, seed=7)).variants
    assert first.variants != mutate(MutationRequest(ORIGINAL, history(), n=5, seed=8)).variants


def test_same_variants_in_another_process_with_another_hash_salt():
    code = ("import json; from pav.models.operators import MutationRequest, ScoredPrompt, load_operator; "
            f"r = MutationRequest({ORIGINAL!r}, [ScoredPrompt({ORIGINAL!r}, {{}}, 1.0)], n=4, seed=3); "
            "print(json.dumps(load_operator('lexical').mutate([r])[0].variants))")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": salt}).stdout for salt in ("1", "2")]
    assert json.loads(runs[0]) == json.loads(runs[1]) == mutate(
        MutationRequest(ORIGINAL, [ScoredPrompt(ORIGINAL, {}, 1.0)], n=4, seed=3)).variants


@pytest.mark.parametrize("hist", [[], history()])
def test_n_distinct_new_variants_headed_by_the_original(hist):
    result = mutate(MutationRequest(ORIGINAL, hist, n=8, seed=1))
    assert result.error is None and result.calls == 0 and len(result.variants) == 8
    assert len({v.lower() for v in result.variants}) == 8
    assert not {v.lower() for v in result.variants} & ({h.prompt.lower() for h in hist} | {ORIGINAL.lower()})
    for v in result.variants:
        assert v.startswith(HEAD + ", ") and tail_phrases(v, HEAD)  # the meaning stays, something is added


def test_crossover_takes_phrases_from_the_history_weighted_by_score():
    best, worst = "waves glittering like broken glass", "a faded postcard palette"
    hist = [scored(f"{HEAD}, {best}, sharp focus", 9.0), scored(f"{HEAD}, {worst}, smooth motion", 1.0),
            scored(ORIGINAL, 0.5)]
    counts = Counter()
    for seed in range(30):
        for v in mutate(MutationRequest(ORIGINAL, hist, n=4, seed=seed)).variants:
            counts.update(p for p in (best, worst) if p in tail_phrases(v, HEAD))
    assert counts[best] > counts[worst] > 0  # both parents contribute, the better one more often


def test_a_rounds_variants_lean_to_growing_swapping_and_shrinking_in_turn():
    parent = f"{HEAD}, tracking shot, cinematic, soft golden hour light, sharp focus"
    counts = [[], [], []]
    for seed in range(40):
        result = mutate(MutationRequest(ORIGINAL, [scored(parent, 2.0)], n=3, seed=seed))
        for i, variant in enumerate(result.variants):
            counts[i].append(len(tail_phrases(variant, HEAD)))
    grown, swapped, shrunk = (sum(c) / len(c) for c in counts)
    assert grown > swapped + 0.5 and swapped > shrunk + 0.5, (grown, swapped, shrunk)


def test_added_words_are_capped():
    long = ", ".join(DESCRIPTORS["scene"])
    result = mutate(MutationRequest(ORIGINAL, [scored(f"{HEAD}, {long}", 5.0)], n=6, seed=0), max_added_words=8)
    for v in result.variants:
        assert sum(len(p.split()) for p in tail_phrases(v, HEAD)) <= 8


def test_impossible_request_is_a_recorded_failure_and_bad_options_are_errors():
    result = mutate(MutationRequest(ORIGINAL, [], n=40, seed=0), max_added_words=1)
    assert result.variants == [] and "distinct variants" in result.error
    assert "empty" in mutate(MutationRequest("  ", [], n=2)).error
    with pytest.raises(ValueError, match="mutation_rate"):
        load_operator("lexical", {"mutation_rate": 1.5})


def test_vocabulary_phrases_survive_splitting():
    assert all(tail_phrases(f"{HEAD}, {p}", HEAD) == [p] for p in KIND_OF)


def added(prompt):
    phrases = tail_phrases(prompt, HEAD)
    return phrases, sum(len(p.split()) for p in phrases)


def kind(phrase):
    """A generic descriptor's kind, or a fitting detail's (the operator draws both)."""
    return KIND_OF.get(phrase) or detail_kind(phrase)


def likes_camera_and_light_on_a_budget(prompt):
    phrases, words = added(prompt)
    return sum(kind(p) in ("camera", "lighting") for p in phrases) - 0.3 * max(0, words - 8)


def likes_scene_and_style_not_camera_motion(prompt):
    phrases, _ = added(prompt)
    return (sum(kind(p) in ("scene", "style") for p in phrases)
            - 1.5 * sum(any(m in p for m in MOVING_CAMERA) for p in phrases))


@pytest.mark.parametrize("score", [likes_camera_and_light_on_a_budget, likes_scene_and_style_not_camera_motion])
def test_search_makes_steady_progress_in_two_video_worlds(score):
    start = (f"{HEAD}, tracking shot, camera pans left slowly, detailed scenery, highly detailed, "
             "smooth motion, rim light, a corgi-shaped cloud, film grain")
    pool = [ScoredPrompt(start, {}, score(start))]  # every child descends from this long, mixed prompt
    bests = [max(h.overall for h in pool)]
    operator = load_operator("lexical")
    for rnd in range(10):
        [result] = operator.mutate([MutationRequest(ORIGINAL, pool, n=4, seed=rnd)])
        pool = sorted(pool + [ScoredPrompt(v, {}, score(v)) for v in result.variants], key=lambda h: -h.overall)[:3]
        bests.append(pool[0].overall)
    assert bests[-1] >= bests[0] + 2.5, bests
    best_phrases, best_words = added(pool[0].prompt)
    if score is likes_camera_and_light_on_a_budget:
        assert best_words < added(start)[1]  # the prompt got shorter: length goes down as well as up
    else:
        assert not any(m in p for p in best_phrases for m in MOVING_CAMERA)  # a disliked kind was dropped
