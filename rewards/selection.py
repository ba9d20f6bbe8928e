"""Selection over scored candidates: evolution records, top-N history, SFT pairs, DPO triplets.

A prompt that loses what the user asked for (below the intent threshold) is never chosen: not as a
pair target, not as the best so far that the operator refines, not as a DPO chosen.
"""

from __future__ import annotations

import logging
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pav.data.records import is_greedy
from pav.data.schemas import dimensions_of
from pav.rewards.aggregate import AggregationConfig, keeps_intent, overall, passes
from pav.rewards.intent import IntentConfig, intent_columns, load_intent_judge

log = logging.getLogger(__name__)


def judged_records(candidates, videos, scores, aggregation: AggregationConfig, intent: IntentConfig):
    """Candidates joined with their scores, and judged for what each prompt keeps of its original."""
    judge = load_intent_judge(intent.judge, intent.options)
    columns = intent_columns(judge, candidates["original"], candidates["prompt"])
    if judge.usage.calls or judge.usage.cached:
        log.info("intent judge %s: %s", judge.name, judge.usage)
    return evolution_records(candidates, videos, scores, columns, aggregation)


def evolution_records(candidates: pd.DataFrame, videos: pd.DataFrame, scores: pd.DataFrame,
                      intent: pd.DataFrame, aggregation: AggregationConfig) -> pd.DataFrame:
    """Candidates joined with their video, scores and intent columns (row-aligned), plus overall, passes
    and keeps_intent."""
    out = candidates.reset_index(drop=True).copy()
    out["video_id"] = videos["video_id"].to_numpy()
    out["seed"] = videos["seed"].to_numpy()
    for d in aggregation.dimensions:
        out[d] = scores[d].to_numpy(dtype=float)
    out["error"] = scores["error"].to_numpy()
    out["overall"] = overall(out, aggregation).to_numpy()
    out["passes"] = passes(out, aggregation).to_numpy()
    out["intent"] = intent["intent"].to_numpy(dtype=float)
    out["lost"] = intent["lost"].to_numpy()
    out["keeps_intent"] = keeps_intent(out["intent"], aggregation).to_numpy()
    return out


def _ranked(log: pd.DataFrame) -> pd.DataFrame:
    """Scored prompts that keep the user's intent, best first (NaN scores never win)."""
    faithful = log[log["keeps_intent"].astype(bool)].dropna(subset=["overall"])
    return faithful.sort_values(["overall", "round"], ascending=[False, True])


def best_distinct(log: pd.DataFrame, n: int) -> pd.DataFrame:
    """Per source prompt, its `n` best distinct scored prompts that keep its intent, best first."""
    return _ranked(log).drop_duplicates(["prompt_id", "prompt"]).groupby("prompt_id", sort=False).head(n)


def top_history(log: pd.DataFrame, top_n: int) -> dict[str, pd.DataFrame]:
    """Per source prompt, its best distinct scored prompts so far that keep its intent, best first."""
    return {pid: group for pid, group in best_distinct(log, top_n).groupby("prompt_id", sort=False)}


def best_per_prompt(log: pd.DataFrame) -> pd.DataFrame:
    """The best-scoring candidate of each source prompt among those that keep its intent."""
    return _ranked(log).drop_duplicates("prompt_id")


def sft_pairs(log: pd.DataFrame, targets: int = 1) -> pd.DataFrame:
    """(original, target) pairs: per source prompt, its best `targets` distinct rewrites that keep the original's
    intent, pass every threshold and beat the original; a source prompt without one yields no pair."""
    originals = log[log["round"] == 0].set_index("prompt_id")["overall"].astype(float)
    best = best_distinct(log[(log["round"] > 0) & log["passes"]], targets)
    baseline = best["prompt_id"].map(originals).astype(float)
    keep = best["overall"].astype(float) > baseline.fillna(float("-inf"))
    best, baseline = best[keep], baseline[keep]
    return pd.DataFrame({
        "prompt_id": best["prompt_id"], "prompt": best["original"], "completion": best["prompt"],
        "overall": best["overall"], "original_overall": baseline,
        **{d: best[d] for d in dimensions_of("evolution", log)}, "source": "evolution",
    }).reset_index(drop=True)


class DPOFilter(BaseModel):
    """Which scored samples become (chosen, rejected) triplets."""

    model_config = ConfigDict(extra="forbid")

    rule: Literal["best-worst", "released"] = Field(
        "best-worst", description="best-worst: the best eligible sample against the prompt's worst (the paper's "
                                  "text); released: each of the two best-ranked samples, if eligible, against "
                                  "every lower sample it leads by more than the margin (booster/dpo/filter.py)")
    margin: float = Field(0.3, ge=0, description="A rejected must trail its chosen by more than this (overall)")
    drift_rejected: bool = Field(
        True, description="A sample that loses the original's intent is a rejected of its prompt, whatever its score")
    chosen_max_words: int = Field(0, ge=0, description="A chosen longer than this many words is dropped "
                                                       "(released code: 130; 0 = no cap)")
    length_gap: int | None = Field(
        3, ge=0, description="A rejected differs from its chosen by at most this many words, either way (None: "
                             "any). Length alone must not separate them, or DPO learns length: pushing down "
                             "shorter rejecteds taught the small enhancer never to stop, longer ones to collapse "
                             "onto the shortest rewrite")
    greedy_rejected: bool = Field(
        True, description="The policy's greedy rewrite (train.sampling.greedy_candidate: what users get) is also a "
                          "rejected where the length gap alone shut it out and it trails the chosen by the margin "
                          "(or lost intent): the gap keeps sampling's length noise out of DPO, but must not shield "
                          "the policy's own habit of writing too much")


TRIPLET_COLUMNS = ["prompt_id", "prompt", "chosen", "rejected", "chosen_overall", "rejected_overall",
                   "chosen_intent", "rejected_intent", "round"]


def dpo_triplets(samples: pd.DataFrame, aggregation: AggregationConfig, rule: DPOFilter, round_: int) -> pd.DataFrame:
    """(prompt, chosen, rejected) rows per prompt through the DPO filter, with intent enforced.

    A chosen keeps the original's intent, passes the thresholds and is short enough (and, where `samples` has a
    `fits` column, within the video model's token limit). Under best-worst it
    ranks first among such samples and is paired with the prompt's last-ranked sample; under released it
    is one of the two best-ranked samples and is paired with every lower one it leads by the margin. With
    `drift_rejected`, samples that lost intent are the rejecteds instead (the one that lost most under
    best-worst), whatever their score. With `greedy_rejected`, the policy's greedy rewrite (operator
    `dpo-N/greedy`) that the length gap shut out is a rejected too. Prompts without an eligible chosen
    yield nothing.
    """
    scored = samples.copy()
    scored["overall"] = overall(scored, aggregation)
    scored["greedy"] = is_greedy(scored["operator"])
    scored["eligible"] = passes(scored, aggregation) & keeps_intent(scored["intent"], aggregation)
    if rule.chosen_max_words:
        scored["eligible"] &= scored["prompt"].str.split().str.len() <= rule.chosen_max_words
    if "fits" in scored:  # within what the video model reads (a longer one it would cut)
        scored["eligible"] &= scored["fits"].astype(bool)
    rows = []
    for pid, group in scored.dropna(subset=["overall"]).groupby("prompt_id", sort=False):
        ranked = group.sort_values("overall", ascending=False)
        drifted = group[~keeps_intent(group["intent"], aggregation)].sort_values(["intent", "overall"])
        for chosen, rejected in _pairs(ranked, drifted, rule):
            if chosen["prompt"] != rejected["prompt"]:
                rows.append({"prompt_id": pid, "prompt": chosen["original"], "chosen": chosen["prompt"],
                             "rejected": rejected["prompt"], "chosen_overall": chosen["overall"],
                             "rejected_overall": rejected["overall"], "chosen_intent": chosen["intent"],
                             "rejected_intent": rejected["intent"], "round": round_})
    return pd.DataFrame(rows, columns=TRIPLET_COLUMNS).drop_duplicates(["prompt_id", "chosen", "rejected"])


def _pairs(ranked: pd.DataFrame, drifted: pd.DataFrame, rule: DPOFilter):
    """(chosen, rejected) rows of one prompt's samples, ranked best first."""
    if rule.rule == "best-worst":
        eligible = ranked[ranked["eligible"]]
        if eligible.empty:
            return
        chosen = eligible.iloc[0]
        yield from _greedy_shut_out(ranked, drifted, chosen, rule)
        if rule.length_gap is not None:
            close = _close_in_length(ranked, chosen, rule.length_gap)
            ranked, drifted = ranked[close], drifted[close.reindex(drifted.index, fill_value=False)]
        if rule.drift_rejected and not drifted.empty:
            yield chosen, drifted.iloc[0]
        elif not ranked.empty and chosen["overall"] - ranked.iloc[-1]["overall"] > rule.margin:
            yield chosen, ranked.iloc[-1]
        return
    for rank in range(min(2, len(ranked))):
        chosen = ranked.iloc[rank]
        if not chosen["eligible"]:
            continue
        yield from _greedy_shut_out(ranked, drifted, chosen, rule)
        close = _close_in_length(ranked, chosen, rule.length_gap)
        if rule.drift_rejected and not drifted.empty:
            for _, rejected in drifted[close.reindex(drifted.index, fill_value=False)].iterrows():
                yield chosen, rejected
        for _, rejected in ranked.iloc[rank + 1:][close.iloc[rank + 1:]].iterrows():
            if chosen["overall"] - rejected["overall"] > rule.margin and not (
                    rule.drift_rejected and rejected.name in drifted.index):
                yield chosen, rejected


def _greedy_shut_out(ranked: pd.DataFrame, drifted: pd.DataFrame, chosen: pd.Series, rule: DPOFilter):
    """(chosen, greedy rewrite) when the policy's greedy rewrite is beyond the length gap and trails the chosen by
    the margin or lost intent: the gap shuts out sampled rewrites of another length, never the policy's own."""
    if not rule.greedy_rejected or rule.length_gap is None:
        return
    for _, greedy in ranked[ranked["greedy"]].iterrows():
        lost_intent = rule.drift_rejected and greedy.name in drifted.index
        if abs(_words(greedy) - _words(chosen)) > rule.length_gap and (
                lost_intent or chosen["overall"] - greedy["overall"] > rule.margin):
            yield chosen, greedy


def _close_in_length(ranked: pd.DataFrame, chosen: pd.Series, gap: int | None) -> pd.Series:
    """Which samples are within `gap` words of the chosen (all of them when gap is None)."""
    return ((_words(ranked) - _words(chosen)).abs() <= gap) if gap is not None else pd.Series(True, ranked.index)


def _words(rows):
    """Word counts of a sample (a row) or of every sample (a frame)."""
    return rows["prompt"].str.split().str.len() if isinstance(rows, pd.DataFrame) else len(rows["prompt"].split())
