"""The best constant suffix: the baseline every enhancer must beat.

Appending one fixed phrase list to every prompt is what users do by hand. If a trained rewriter cannot beat
the best such suffix, it has learnt nothing a constant would not give. The search mines the phrases the
data engine's own evolution found useful (never an evaluation prompt), tries singles and stacks of them on
a sample of its source prompts, then the best few on all of them.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from pav.rewards.specificity import added_phrases

MIN_PROMPTS = 3  # a phrase must have helped on this many source prompts to be a candidate


def with_suffix(original: str, suffix: str) -> str:
    return f"{' '.join(original.split()).rstrip(' ,.;')}, {suffix}" if suffix else original


def mine_phrases(log: pd.DataFrame, top: int) -> list[str]:
    """The `top` added phrases of the evolution log by mean gain in overall over their prompt's original,
    among faithful scored candidates, on at least MIN_PROMPTS prompts."""
    scored = log.dropna(subset=["overall"])
    base = scored[scored["round"] == 0].drop_duplicates("prompt_id").set_index("prompt_id")["overall"]
    rows = []
    for prompt_id, original, prompt, overall_, keeps in zip(
            scored["prompt_id"], scored["original"], scored["prompt"], scored["overall"], scored["keeps_intent"]):
        if prompt_id in base.index and bool(keeps):
            gain = float(overall_) - float(base[prompt_id])
            rows += [(phrase, prompt_id, gain) for phrase in added_phrases(prompt, original)]
    if not rows:
        return []
    gains = pd.DataFrame(rows, columns=["phrase", "prompt_id", "gain"])
    per_phrase = gains.groupby("phrase").agg(gain=("gain", "mean"), prompts=("prompt_id", "nunique"))
    per_phrase = per_phrase[per_phrase["prompts"] >= MIN_PROMPTS].sort_values(["gain", "prompts"], ascending=False)
    return per_phrase.index[:top].tolist()


def candidate_suffixes(phrases: list[str], limit: int) -> list[str]:
    """Singles, then pairs, then the leading stacks of the ranked phrases, at most `limit` of them."""
    out = list(phrases)
    out += [", ".join(pair) for pair in combinations(phrases[:6], 2)]
    out += [", ".join(phrases[:k]) for k in (3, 4, 5) if k <= len(phrases)]
    return list(dict.fromkeys(out))[:limit]


def rank_suffixes(judged: pd.DataFrame) -> pd.DataFrame:
    """Mean overall per suffix (the `suffix` column) over the prompts it was scored on, best first."""
    table = judged.groupby("suffix", sort=False).agg(overall=("overall", "mean"), prompts=("prompt_id", "nunique"),
                                                     intent=("intent", "mean")).reset_index()
    table["overall"] = table["overall"].astype(float).fillna(-np.inf)
    return table.sort_values(["overall", "suffix"], ascending=[False, True]).reset_index(drop=True)
