"""Selection over scored candidates: evolution records, top-N history, SFT pairs, DPO triplets.

A prompt that loses what the user asked for (below the intent threshold) is never chosen: not as a
pair target, not as the best so far that the operator refines, not as a DPO chosen.
"""

from __future__ import annotations

import pandas as pd

from pav.data.schemas import DIMENSIONS
from pav.rewards.aggregate import AggregationConfig, keeps_intent, overall, passes


def evolution_records(candidates: pd.DataFrame, videos: pd.DataFrame, scores: pd.DataFrame,
                      intent: pd.DataFrame, aggregation: AggregationConfig) -> pd.DataFrame:
    """Candidates joined with their video, scores and intent columns (row-aligned), plus overall, passes
    and keeps_intent."""
    out = candidates.reset_index(drop=True).copy()
    out["video_id"] = videos["video_id"].to_numpy()
    out["seed"] = videos["seed"].to_numpy()
    for d in DIMENSIONS:
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


def top_history(log: pd.DataFrame, top_n: int) -> dict[str, pd.DataFrame]:
    """Per source prompt, its best distinct scored prompts so far that keep its intent, best first."""
    scored = _ranked(log).drop_duplicates(["prompt_id", "prompt"])
    return {pid: group.head(top_n) for pid, group in scored.groupby("prompt_id", sort=False)}


def best_per_prompt(log: pd.DataFrame) -> pd.DataFrame:
    """The best-scoring candidate of each source prompt among those that keep its intent."""
    return _ranked(log).drop_duplicates("prompt_id")


def sft_pairs(log: pd.DataFrame) -> pd.DataFrame:
    """(original, target) pairs: per source prompt, the best rewrite that keeps the original's intent,
    passes every threshold and beats the original; a source prompt without one yields no pair."""
    originals = log[log["round"] == 0].set_index("prompt_id")["overall"].astype(float)
    best = best_per_prompt(log[(log["round"] > 0) & log["passes"]])
    baseline = best["prompt_id"].map(originals).astype(float)
    keep = best["overall"].astype(float) > baseline.fillna(float("-inf"))
    best, baseline = best[keep], baseline[keep]
    return pd.DataFrame({
        "prompt_id": best["prompt_id"], "prompt": best["original"], "completion": best["prompt"],
        "overall": best["overall"], "original_overall": baseline,
        **{d: best[d] for d in DIMENSIONS}, "source": "evolution",
    }).reset_index(drop=True)


def dpo_triplets(samples: pd.DataFrame, aggregation: AggregationConfig, margin: float, round_: int,
                 drift_rejected: bool = True) -> pd.DataFrame:
    """(prompt, chosen, rejected) per prompt through the paper's filter, with intent enforced.

    The chosen keeps the original's intent, passes the thresholds and ranks first among such samples.
    The rejected ranks last and trails it by more than the margin; with `drift_rejected`, a sample that
    lost intent is the natural rejected (the one that lost most), whatever its score. Other prompts
    yield nothing.
    """
    scored = samples.copy()
    scored["overall"] = overall(scored, aggregation)
    scored["passes"] = passes(scored, aggregation)
    scored["keeps_intent"] = keeps_intent(scored["intent"], aggregation)
    rows = []
    for pid, group in scored.dropna(subset=["overall"]).groupby("prompt_id", sort=False):
        eligible = group[group["passes"] & group["keeps_intent"]].sort_values("overall", ascending=False)
        if eligible.empty:
            continue
        chosen = eligible.iloc[0]
        drifted = group[~group["keeps_intent"]].sort_values(["intent", "overall"])
        if drift_rejected and not drifted.empty:
            rejected = drifted.iloc[0]
        else:
            rejected = group.sort_values("overall").iloc[0]
            if not chosen["overall"] - rejected["overall"] > margin:
                continue
        if chosen["prompt"] != rejected["prompt"]:
            rows.append({"prompt_id": pid, "prompt": chosen["original"], "chosen": chosen["prompt"],
                         "rejected": rejected["prompt"], "chosen_overall": chosen["overall"],
                         "rejected_overall": rejected["overall"], "chosen_intent": chosen["intent"],
                         "rejected_intent": rejected["intent"], "round": round_})
    columns = ["prompt_id", "prompt", "chosen", "rejected", "chosen_overall", "rejected_overall",
               "chosen_intent", "rejected_intent", "round"]
    return pd.DataFrame(rows, columns=columns)
