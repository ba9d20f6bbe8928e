"""Selection over scored candidates: evolution records, top-N history, SFT pairs, DPO triplets."""

from __future__ import annotations

import pandas as pd

from pav.data.schemas import DIMENSIONS
from pav.rewards.aggregate import AggregationConfig, overall, passes


def evolution_records(candidates: pd.DataFrame, videos: pd.DataFrame, scores: pd.DataFrame,
                      aggregation: AggregationConfig) -> pd.DataFrame:
    """Candidates joined with their video and scores (row-aligned), plus overall and passes."""
    out = candidates.reset_index(drop=True).copy()
    out["video_id"] = videos["video_id"].to_numpy()
    out["seed"] = videos["seed"].to_numpy()
    for d in DIMENSIONS:
        out[d] = scores[d].to_numpy(dtype=float)
    out["error"] = scores["error"].to_numpy()
    out["overall"] = overall(out, aggregation).to_numpy()
    out["passes"] = passes(out, aggregation).to_numpy()
    return out


def top_history(log: pd.DataFrame, top_n: int) -> dict[str, pd.DataFrame]:
    """Per source prompt, its best distinct scored prompts so far, best first."""
    scored = log.dropna(subset=["overall"]).sort_values(["overall", "round"], ascending=[False, True])
    scored = scored.drop_duplicates(["prompt_id", "prompt"])
    return {pid: group.head(top_n) for pid, group in scored.groupby("prompt_id", sort=False)}


def best_per_prompt(log: pd.DataFrame) -> pd.DataFrame:
    """The best-scoring candidate of each source prompt (NaN scores never win)."""
    scored = log.dropna(subset=["overall"]).sort_values(["overall", "round"], ascending=[False, True])
    return scored.drop_duplicates("prompt_id")


def sft_pairs(log: pd.DataFrame) -> pd.DataFrame:
    """(original, target) pairs: per source prompt, the best rewrite that passes every threshold and
    beats the original; a source prompt without one yields no pair."""
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


def dpo_triplets(samples: pd.DataFrame, aggregation: AggregationConfig, margin: float,
                 round_: int) -> pd.DataFrame:
    """(prompt, chosen, rejected) per prompt: chosen passes the thresholds and ranks first, rejected
    ranks last and trails it by more than the margin; other prompts yield nothing (the paper's filter)."""
    scored = samples.copy()
    scored["overall"] = overall(scored, aggregation)
    scored["passes"] = passes(scored, aggregation)
    rows = []
    for pid, group in scored.dropna(subset=["overall"]).groupby("prompt_id", sort=False):
        ranked = group.sort_values("overall", ascending=False)
        chosen, rejected = ranked.iloc[0], ranked.iloc[-1]
        if chosen["passes"] and chosen["overall"] - rejected["overall"] > margin \
                and chosen["prompt"] != rejected["prompt"]:
            rows.append({"prompt_id": pid, "prompt": chosen["original"], "chosen": chosen["prompt"],
                         "rejected": rejected["prompt"], "chosen_overall": chosen["overall"],
                         "rejected_overall": rejected["overall"], "round": round_})
    columns = ["prompt_id", "prompt", "chosen", "rejected", "chosen_overall", "rejected_overall", "round"]
    return pd.DataFrame(rows, columns=columns)
