"""The constant baselines and the specificity statistics: what a method adds, and the best constant suffix."""

import pandas as pd
import pytest

from pav.config import BestSuffixSearch, IntentConfig
from pav.data.records import candidates_frame
from pav.data.schemas import DIMENSIONS, SCHEMAS
from pav.data.store import Store
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.specificity import added_phrases, specificity
from pav.data.prompts import with_suffix
from pav.rewards.suffix import mine_suffixes, rank_suffixes
from pav.tasks.suffix import budget, finalists, newest_log, screen, source_prompts


def test_added_phrases_are_what_follows_the_original_or_what_it_lacks():
    assert added_phrases("a cat, soft fur, medium shot.", "A cat") == ["soft fur", "medium shot"]
    assert added_phrases("a cat naps; soft fur", "a cat naps, indoors") == ["soft fur"]
    assert added_phrases("A cat", "a cat") == []


def evals(method: str, prompts: list[str], originals: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"method": method, "prompt_id": [f"p{i}" for i in range(len(prompts))], "prompt": prompts,
                         "original": originals, "seed": 1})


def test_specificity_says_a_constant_suffix_is_all_boilerplate_and_fitting_details_are_not():
    originals = [f"prompt {i}" for i in range(10)]
    constant = evals("best-suffix", [f"{o}, tracking shot, warm light" for o in originals], originals)
    varied = evals("dpo-2", [f"{o}, detail {i}, tracking shot" if i < 2 else f"{o}, detail {i}, other {i}"
                             for i, o in enumerate(originals)], originals)
    table = specificity(pd.concat([evals("original", originals, originals), constant, varied])).set_index("method")
    assert list(table.index) == ["best-suffix", "dpo-2"]
    assert table.loc["best-suffix", ["distinct", "boilerplate", "top_share"]].tolist() == [1, 1.0, 1.0]
    assert table.loc["best-suffix", "top_phrases"].startswith("tracking shot (10)")
    # "tracking shot" is on 2 of 10 (not more than 20%): no rewrite is boilerplate, each is distinct
    assert table.loc["dpo-2", ["distinct", "boilerplate", "top_share"]].tolist() == [10, 0.0, 0.2]


def log_frame() -> pd.DataFrame:
    """An evolution log: 6 source prompts; 'good phrase' helps on 4 of them, 'lucky' once, 'drifts' loses intent."""
    rows = []
    for i in range(6):
        original = f"source prompt {i}"
        rows.append((f"s{i}", original, original, 0, 10.0, True))
        rows.append((f"s{i}", original, f"{original}, good phrase", 1, 14.0 if i < 4 else 10.5, True))
        rows.append((f"s{i}", original, f"{original}, meh phrase", 1, 11.0, True))
        rows.append((f"s{i}", original, f"{original}, drifts", 1, 20.0, False))
    rows.append(("s0", "source prompt 0", "source prompt 0, lucky", 2, 25.0, True))
    frame = pd.DataFrame(rows, columns=["prompt_id", "original", "prompt", "round", "overall", "keeps_intent"])
    for column in SCHEMAS["evolution"][1].names:
        if column not in frame:
            frame[column] = 2.0 if column in DIMENSIONS else None
    frame["candidate_id"] = [f"c{i}" for i in range(len(frame))]
    frame["seed"], frame["passes"], frame["intent"] = 0, True, frame["keeps_intent"].astype(float)
    return frame


def test_mining_takes_what_many_prompts_best_rewrites_share_among_faithful_rewrites():
    # 'lucky' helped once, 'drifts' lost intent; 'good phrase' and 'meh phrase' are in every prompt's best three
    assert mine_suffixes(log_frame(), 5, 10) == ["good phrase", "meh phrase"]
    frame = log_frame()
    both = frame[frame["round"] == 0].assign(prompt=lambda f: f["original"] + ", good phrase, meh phrase", round=3,
                                             overall=15.0, candidate_id=lambda f: "b" + f["candidate_id"])
    assert mine_suffixes(pd.concat([frame, both]), 5, 10) == ["good phrase", "meh phrase", "good phrase, meh phrase"]
    assert mine_suffixes(pd.concat([frame, both]), 5, 2) == ["good phrase", "meh phrase"]
    assert with_suffix("a cat.", "soft fur") == "a cat, soft fur" and with_suffix("a cat", "") == "a cat"


def test_the_search_reads_only_the_data_engines_source_prompts(tmp_path):
    store = Store(tmp_path / "run")
    log = store.write_table("evolution", "evolve", "log-test", log_frame())
    assert newest_log(store.root) == log
    search = BestSuffixSearch(phrases=4, candidates=4, budget_rounds=2)  # 'good phrase' and 'meh phrase' are mined
    renders = budget(log, search, variants=3)
    assert renders == 36
    screened = screen(log, search, renders, "baselines/test").read()
    sources = set(source_prompts(log.read())["prompt_id"])
    assert set(screened["prompt_id"]) <= sources and screened["operator"].str.startswith("best-suffix: ").all()
    assert len(screened) <= renders // 2
    # score the screen (the first suffix best) and take the finalists to every source prompt
    scored = screened.assign(video_id=[f"v{i}" for i in range(len(screened))], seed=0)
    videos = store.write_table("videos", "baselines/test", "v", pd.DataFrame({
        "video_id": scored["video_id"], "prompt": scored["prompt"], "seed": 0, "generator": "g", "generator_config": "{}",
        "path": None, "content_hash": None, "width": 8, "height": 8, "frames": 1, "fps": 8.0, "seconds": 0.0,
        "error": None}))
    good = scored["operator"].eq("best-suffix: good phrase")
    scores = store.write_table("scores", "baselines/test", "s", pd.DataFrame({
        "video_id": scored["video_id"], "original": scored["original"], "suite": "cv",
        **{d: good.map({True: 3.5, False: 2.0}) if d in DIMENSIONS[:5] else good.map({True: 8.0, False: 5.0})
           for d in DIMENSIONS}, "error": None}))
    candidates = store.write_table("candidates", "baselines/test", "c", screened)
    final = finalists(log, candidates, videos, scores, AggregationConfig(), IntentConfig(), renders, "baselines/test")
    final = final.read()
    assert set(final["prompt_id"]) == sources
    assert final["operator"].iloc[0] == "best-suffix: good phrase"


def test_no_log_is_one_clear_message(tmp_path):
    with pytest.raises(ValueError, match="no evolution log: run `pav evolve`"):
        newest_log(str(tmp_path))


def test_rank_suffixes_puts_the_best_mean_first_and_unscored_last():
    judged = pd.DataFrame({"suffix": ["a", "a", "b", "b", "c"], "prompt_id": ["1", "2", "1", "2", "1"],
                           "overall": [10.0, 12.0, 13.0, 13.0, float("nan")], "intent": 1.0})
    assert rank_suffixes(judged)["suffix"].tolist() == ["b", "a", "c"]
