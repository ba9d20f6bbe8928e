"""The best constant suffix: the baseline every enhancer must beat.

Appending one fixed phrase list to every prompt is what users do by hand. If a trained rewriter cannot beat
the best such suffix, it has learnt nothing a constant would not give. The search mines the phrases the
data engine's own evolution put into many prompts' best rewrites (never an evaluation prompt), tries singles,
pairs and stacks of them on a sample of its source prompts, then the best few on all of them.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from pav.rewards.specificity import added_phrases

MIN_PROMPTS = 3  # a phrase must have helped on this many source prompts to be a candidate


def mine_suffixes(log: pd.DataFrame, per_size: int, limit: int, best_per_prompt: int = 3) -> list[str]:
    """Candidate suffixes from the evolution log: the single phrases, pairs and triples of phrases that the most
    source prompts' best faithful rewrites (each prompt's `best_per_prompt` highest) carry together, `per_size` of
    each size, then by mean gain in overall over the prompt's original; each on at least MIN_PROMPTS prompts, at
    most `limit` in all. A phrase that fits one kind of prompt (a glossy coat) gains much where it appears but is
    no constant; what many prompts' best rewrites share (a place and its light, a camera move) is what a
    constant suffix is made of."""
    scored = log.dropna(subset=["overall"])
    base = scored[scored["round"] == 0].drop_duplicates("prompt_id").set_index("prompt_id")["overall"]
    faithful = scored[(scored["round"] > 0) & scored["keeps_intent"].astype(bool) & scored["prompt_id"].isin(base.index)]
    best = faithful.sort_values("overall", ascending=False).groupby("prompt_id", sort=False).head(best_per_prompt)
    rows = []
    for prompt_id, original, prompt, overall_ in zip(best["prompt_id"], best["original"], best["prompt"], best["overall"]):
        phrases = added_phrases(prompt, original)
        gain = float(overall_) - float(base[prompt_id])
        rows += [(", ".join(combo), size, prompt_id, gain)  # one order per set of phrases
                 for size in (1, 2, 3) for combo in combinations(sorted(phrases), size)]
    if not rows:
        return []
    found = pd.DataFrame(rows, columns=["suffix", "size", "prompt_id", "gain"])
    table = found.groupby(["size", "suffix"]).agg(prompts=("prompt_id", "nunique"), gain=("gain", "mean")).reset_index()
    table = table[table["prompts"] >= MIN_PROMPTS].sort_values(["size", "prompts", "gain"], ascending=[True, False, False])
    return table.groupby("size").head(per_size)["suffix"].tolist()[:limit]


def rank_suffixes(judged: pd.DataFrame) -> pd.DataFrame:
    """Mean overall per suffix (the `suffix` column) over the prompts it was scored on, best first."""
    table = judged.groupby("suffix", sort=False).agg(overall=("overall", "mean"), prompts=("prompt_id", "nunique"),
                                                     intent=("intent", "mean")).reset_index()
    table["overall"] = table["overall"].astype(float).fillna(-np.inf)
    return table.sort_values(["overall", "suffix"], ascending=[False, True]).reset_index(drop=True)
