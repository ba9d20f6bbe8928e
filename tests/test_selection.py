"""Selection keeps what the user asked for: a drifting rewrite is never a pair target, a DPO chosen or
the best so far that the operator refines, however well it renders."""

import pandas as pd
import pytest

from pav.config import IntentConfig
from pav.data.records import candidates_frame, dpo_operator
from pav.data.schemas import DIMENSIONS
from pav.data.store import Store
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.selection import DPOFilter, dpo_triplets, sft_pairs, top_history
from pav.models.rendering import render
from pav.rewards.scoring import score_videos
from pav.rewards.selection import judged_records

AGG = AggregationConfig()
ORIGINAL = "a black cat jumping onto a windowsill"


def test_a_drifting_candidate_with_the_best_score_is_not_the_pair_target(tmp_path):
    # One round of the data engine on the simulated world, whose rewards prefer a prompt without the
    # windowsill here: a pixel judge cannot see that the user asked for one. (The tail's shot fits a cat at
    # rest, not a jumping one.)
    tail = ", in a cozy living room, warm lamplight, soft fur, eye-level close-up"
    faithful = [f"{ORIGINAL}, soft light", f"{ORIGINAL}{tail}"]
    drifting = [f"a black cat sitting on a shelf{tail}", f"a black cat{tail}"]
    prompts = [ORIGINAL, *faithful, *drifting]
    candidates = candidates_frame(["p"] * 5, [ORIGINAL] * 5, prompts, 1, "test")
    candidates.loc[0, "round"] = 0
    store = Store(tmp_path)
    videos, _ = render(store, "sim-steady", {}, prompts, [0] * 5)
    scores, _ = score_videos(store, videos, [ORIGINAL] * 5, "cv")
    log = judged_records(candidates, videos, scores, AGG, IntentConfig())
    assert log["overall"].iloc[3:].min() > log["overall"].iloc[:3].max()  # the rewards prefer both drifters
    assert log["passes"].iloc[3:].all()
    assert log["lost"].iloc[3:].tolist() == ["jumping, windowsill", "jumping, windowsill"]  # why they were passed over
    assert log["keeps_intent"].tolist() == [True, True, True, False, False]
    [pair] = sft_pairs(log).itertuples()
    assert pair.completion == f"{ORIGINAL}{tail}"
    several = sft_pairs(log, targets=3)["completion"].tolist()  # more targets per prompt: never a drifter
    assert several[0] == f"{ORIGINAL}{tail}" and set(several) <= set(faithful)
    assert len(several) == 1 + bool(log["passes"].iloc[1] and log["overall"].iloc[1] > log["overall"].iloc[0])
    assert list(top_history(log, 3)["p"]["prompt"]) == [f"{ORIGINAL}{tail}", f"{ORIGINAL}, soft light", ORIGINAL]


def samples(rows: list[tuple[str, float, float]], greedy: str | None = None) -> pd.DataFrame:
    """(prompt, level of every dimension, intent) rows of one source prompt's DPO samples; `greedy` names the
    policy's greedy rewrite among them."""
    frame = pd.DataFrame([{"prompt_id": "p", "original": ORIGINAL, "prompt": text, "intent": intent,
                           "operator": dpo_operator(1, greedy=text == greedy),
                           **{d: level for d in DIMENSIONS}} for text, level, intent in rows])
    frame["aesthetic"] = frame["vq"] * 1.6  # image bands: keep every dimension on the same footing
    frame["preference"] = frame["vq"] * 4.0
    return frame


def test_dpo_never_chooses_a_drifting_sample_and_rejects_it_by_default():
    frame = samples([("a black bat hovering, golden hour", 3.8, 0.25),  # best score, lost the cat
                     (f"{ORIGINAL}, golden hour", 3.2, 1.0),
                     (f"{ORIGINAL}, blurry", 2.5, 1.0),
                     (f"{ORIGINAL} in the fog", 2.9, 1.0)])
    [row] = dpo_triplets(frame, AGG, DPOFilter(length_gap=None), round_=1).itertuples()
    assert row.chosen == f"{ORIGINAL}, golden hour" and row.rejected == "a black bat hovering, golden hour"
    assert (row.chosen_intent, row.rejected_intent) == (1.0, 0.25)
    [row] = dpo_triplets(frame, AGG, DPOFilter(drift_rejected=False, length_gap=None), round_=1).itertuples()
    assert row.chosen == f"{ORIGINAL}, golden hour" and row.rejected == f"{ORIGINAL}, blurry"


def test_a_prompt_whose_only_passing_sample_drifts_gives_no_triplet():
    frame = samples([("a black bat hovering, golden hour", 3.8, 0.25), (f"{ORIGINAL}, blurry", 1.2, 1.0)])
    assert dpo_triplets(frame, AGG, DPOFilter(length_gap=None), round_=1).empty


@pytest.mark.parametrize("threshold, chosen", [(1.0, f"{ORIGINAL}, golden hour"), (0.2, "a black bat, golden hour")])
def test_the_intent_threshold_is_configurable(threshold, chosen):
    frame = samples([("a black bat, golden hour", 3.8, 0.25), (f"{ORIGINAL}, golden hour", 3.2, 1.0),
                     (f"{ORIGINAL}, blurry", 1.5, 1.0)])
    agg = AggregationConfig(intent_threshold=threshold)
    assert dpo_triplets(frame, agg, DPOFilter(drift_rejected=False, length_gap=None), round_=1).iloc[0]["chosen"] == chosen


def test_the_released_rule_pairs_each_of_the_two_best_with_every_sample_far_enough_below():
    frame = samples([(f"{ORIGINAL}, golden hour", 3.6, 1.0), (f"{ORIGINAL}, soft light", 3.4, 1.0),
                     (f"{ORIGINAL}, blurry", 3.3, 1.0), (f"{ORIGINAL}, dark", 2.95, 1.0), (f"{ORIGINAL}, noisy", 2.0, 1.0)])
    # overall = 6.5 x level here (every dimension at the level, AGG's weights sum to 6.5)
    rule = DPOFilter(rule="released", margin=0.5 * 6.5, drift_rejected=False, length_gap=None)
    found = dpo_triplets(frame, AGG, rule, round_=1)
    assert set(zip(found["chosen"].str.rsplit(", ", n=1).str[1], found["rejected"].str.rsplit(", ", n=1).str[1])) == {
        ("golden hour", "dark"), ("golden hour", "noisy"), ("soft light", "noisy")}
    best_worst = dpo_triplets(frame, AGG, DPOFilter(drift_rejected=False, length_gap=None), round_=1)
    assert list(zip(best_worst["chosen"], best_worst["rejected"])) == [(f"{ORIGINAL}, golden hour", f"{ORIGINAL}, noisy")]


def test_the_released_rule_skips_a_top_sample_that_drifts_or_is_too_long():
    long = f"{ORIGINAL}, " + " ".join(["very"] * 20) + " golden"
    frame = samples([("a black bat hovering, golden hour", 3.8, 0.25), (long, 3.6, 1.0),
                     (f"{ORIGINAL}, soft light", 3.4, 1.0), (f"{ORIGINAL}, noisy", 1.5, 1.0)])
    found = dpo_triplets(frame, AGG, DPOFilter(rule="released", chosen_max_words=20, length_gap=None), round_=1)
    assert set(found["chosen"]) == set()  # rank 1 is too long, rank 0 drifted: the two best give nothing
    found = dpo_triplets(frame, AGG, DPOFilter(rule="released", margin=2.0, length_gap=None), round_=1)
    assert set(found["chosen"]) == {long}
    assert set(found["rejected"]) == {"a black bat hovering, golden hour", f"{ORIGINAL}, noisy"}


def test_by_default_a_rejected_is_close_to_its_chosen_in_length():
    # A length gap teaches DPO length: shorter worst samples made the small enhancer never stop, longer
    # ones made it collapse onto the shortest rewrite. Within 3 words, the next worst is the rejected.
    chosen, far_longer = f"{ORIGINAL}, golden hour light, soft shadows", f"{ORIGINAL}, " + "very " * 9 + "noisy"
    close = f"{ORIGINAL}, blurry and grainy, dark"  # 11 words against the chosen's 12
    frame = samples([(chosen, 3.6, 1.0), (ORIGINAL, 1.5, 1.0), (far_longer, 1.4, 1.0), (close, 2.2, 1.0),
                     (f"{ORIGINAL}, soft", 3.0, 1.0)])
    [row] = dpo_triplets(frame, AGG, DPOFilter(drift_rejected=False), round_=1).itertuples()
    assert (row.chosen, row.rejected) == (chosen, close)
    [row] = dpo_triplets(frame, AGG, DPOFilter(drift_rejected=False, length_gap=None), round_=1).itertuples()
    assert row.rejected == far_longer  # the worst, whatever its length
    released = dpo_triplets(frame, AGG, DPOFilter(rule="released", drift_rejected=False), round_=1)
    soft = f"{ORIGINAL}, soft"  # the second best, 9 words: the original is close enough to it
    assert set(zip(released["chosen"], released["rejected"])) == {(chosen, close), (soft, close), (soft, ORIGINAL)}
    only_far = samples([(chosen, 3.6, 1.0), (far_longer, 1.5, 1.0), (ORIGINAL, 1.5, 1.0)])
    assert dpo_triplets(only_far, AGG, DPOFilter(drift_rejected=False), round_=1).empty


def test_the_greedy_rewrite_that_only_the_length_gap_shut_out_is_a_rejected_too():
    # The SFT enhancer's greedy rewrite stacked camera moves into 28 words against 16-word chosens: the gap
    # kept it from ever being a rejected, and DPO-1 learnt to stack more. What users get must be pushed down.
    chosen, close = f"{ORIGINAL}, golden hour light, soft shadows", f"{ORIGINAL}, blurry and grainy, dark"
    stacked = f"{ORIGINAL}, " + ", ".join(["the camera pans left slowly", "the camera pans right slowly"] * 2)
    rows = [(chosen, 3.6, 1.0), (close, 2.2, 1.0), (stacked, 3.0, 1.0), (f"{ORIGINAL}, soft", 3.02, 1.0)]
    rule = DPOFilter(drift_rejected=False)
    pairs = lambda frame, rule=rule: set(zip(*dpo_triplets(frame, AGG, rule, round_=1)[["chosen", "rejected"]].T.values))
    assert pairs(samples(rows, greedy=stacked)) == {(chosen, close), (chosen, stacked)}
    assert pairs(samples(rows, greedy=stacked), rule.model_copy(update={"greedy_rejected": False})) == {(chosen, close)}
    assert pairs(samples(rows)) == {(chosen, close)}  # a long sample is no greedy rewrite: the gap holds
    near = [(text, 3.58 if text == stacked else level, intent) for text, level, intent in rows]
    assert pairs(samples(near, greedy=stacked)) == {(chosen, close)}  # within the margin of the chosen
    drifted = [(f"a black bat, {stacked[len(ORIGINAL) + 2:]}", 3.9, 0.25), *rows[:2]]  # best score, lost the cat
    assert pairs(samples(drifted, greedy=drifted[0][0]), DPOFilter()) == {(chosen, drifted[0][0]), (chosen, close)}
    # The greedy rewrite close in length competes as any sample: the worst of them is the rejected.
    assert pairs(samples(rows, greedy=close)) == {(chosen, close)}
    released = pairs(samples(rows, greedy=stacked), DPOFilter(rule="released", drift_rejected=False))
    assert (chosen, stacked) in released and (f"{ORIGINAL}, soft", stacked) not in released  # within the margin
