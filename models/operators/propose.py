"""One evolution step: each source prompt's top-N history -> the operator -> new candidates."""

from __future__ import annotations

import pandas as pd

from data.schemas import DIMENSIONS, SCHEMAS
from data.store import content_key
from models.operators import MutationRequest, Operator, ScoredPrompt
from rewards.selection import top_history


def candidate_id(prompt_id: str, text: str) -> str:
    return content_key("candidate", prompt_id, text)


def originals_as_candidates(prompts: pd.DataFrame) -> pd.DataFrame:
    """Round 0: every source prompt is its own first candidate."""
    return pd.DataFrame({
        "candidate_id": [candidate_id(p, t) for p, t in zip(prompts["prompt_id"], prompts["prompt"])],
        "prompt_id": prompts["prompt_id"], "original": prompts["prompt"], "prompt": prompts["prompt"],
        "parent_id": None, "round": 0, "operator": "original",
    })


def propose(operator: Operator, log: pd.DataFrame, top_n: int, n: int, round_: int,
            seed: int) -> tuple[pd.DataFrame, dict]:
    """Candidates of `round_` from the scored log of earlier rounds, and the step's statistics.

    Variants already tried for the same source prompt are dropped (never rendered twice); a prompt
    whose operator call failed gets no candidates and keeps its best so far.
    """
    histories = top_history(log, top_n)
    seen = log.groupby("prompt_id")["prompt"].agg(set).to_dict()
    prompt_ids = list(histories)
    requests = [
        MutationRequest(
            original=group["original"].iloc[0],
            history=[ScoredPrompt(r["prompt"], {d: float(r[d]) for d in DIMENSIONS}, float(r["overall"]))
                     for _, r in group.iterrows()],
            n=n, seed=int(content_key(seed, round_, pid, length=8), 16))
        for pid, group in histories.items()]
    results = operator.mutate(requests) if requests else []
    rows, failures, warnings = [], [], []
    for pid, request, result in zip(prompt_ids, requests, results):
        parent = candidate_id(pid, request.history[0].prompt)
        if result.error:
            failures.append({"prompt_id": pid, "error": result.error})
        warnings.extend(result.warnings)
        for text in dict.fromkeys(v.strip() for v in result.variants):
            if text and text not in seen[pid]:
                rows.append({"candidate_id": candidate_id(pid, text), "prompt_id": pid,
                             "original": request.original, "prompt": text, "parent_id": parent,
                             "round": round_, "operator": operator.name})
    stats = {
        "round": round_, "requests": len(requests), "candidates": len(rows), "failures": failures,
        "warnings": warnings,
        **{k: sum(getattr(r, k) for r in results)
           for k in ("calls", "cached", "prompt_tokens", "completion_tokens", "cost_usd")},
    }
    return pd.DataFrame(rows, columns=SCHEMAS["candidates"][1].names), stats
