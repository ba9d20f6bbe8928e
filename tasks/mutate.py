"""Paper stage: the operator writes refined variants from each prompt's scored history."""

from __future__ import annotations

import pandas as pd
from prefect import task

from pav.config import OperatorConfig
from pav.data.records import candidate_id, candidates_frame
from pav.data.schemas import dimensions_of
from pav.data.store import ArtifactRef, Store, content_key
from pav.models.operators import MutationRequest, Operator, ScoredPrompt, load_operator
from pav.models.text_limit import TextLimit
from pav.rewards.selection import top_history
from pav.tasks.orchestration import STAGE_OPTIONS, secret, stage_logger


def propose(operator: Operator, log: pd.DataFrame, top_n: int, n: int, round_: int,
            seed: int, limit: TextLimit | None = None) -> tuple[pd.DataFrame, dict]:
    """Candidates of `round_` from the scored log of earlier rounds, and the step's statistics.

    Variants already tried for the same source prompt are dropped (never rendered twice), and so are variants
    the video model would cut (over `limit`, counted); a prompt whose operator call failed gets no candidates
    and keeps its best so far.
    """
    histories = top_history(log, top_n)
    dimensions = dimensions_of("evolution", log)
    seen = log.groupby("prompt_id")["prompt"].agg(set).to_dict()
    prompt_ids = list(histories)
    requests = [
        MutationRequest(
            original=group["original"].iloc[0],
            history=[ScoredPrompt(r["prompt"], {d: float(r[d]) for d in dimensions}, float(r["overall"]))
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
                rows.append((pid, request.original, text, parent))
    fits = limit.fits([text for _, _, text, _ in rows]) if limit and rows else [True] * len(rows)
    over_limit = len(rows) - sum(fits)
    rows = [row for row, ok in zip(rows, fits) if ok]
    pids, originals, texts, parents = zip(*rows) if rows else ((), (), (), ())
    stats = {
        "round": round_, "requests": len(requests), "candidates": len(rows), "failures": failures,
        "warnings": warnings, "over_token_limit": over_limit,
        **{k: sum(getattr(r, k) for r in results)
           for k in ("calls", "cached", "prompt_tokens", "completion_tokens", "cost_usd")},
    }
    return candidates_frame(pids, originals, texts, round_, operator.name, parents), stats


def mutate(logs: list[ArtifactRef], operator: OperatorConfig, top_n: int, variants: int, round_: int,
           seed: int, stage: str, limit: TextLimit | None = None) -> dict[str, ArtifactRef]:
    """Candidates of `round_` for one shard from its evolution records so far, and the step's stats; variants
    over the video model's token `limit` are left out."""
    store = Store(logs[0].root)
    log = pd.concat([ref.read() for ref in logs], ignore_index=True)
    writer = load_operator(operator.name, operator.options, secret(operator.api_key_secret))
    candidates, stats = propose(writer, log, top_n, variants, round_, seed, limit)
    if stats["over_token_limit"]:
        stage_logger().warning("%d variant(s) over the video model's %d-token limit left out",
                               stats["over_token_limit"], limit.max_tokens)
    for failure in stats["failures"]:
        stage_logger().warning("operator failed for prompt %s: %s", failure["prompt_id"], failure["error"])
    for warning in stats["warnings"]:
        stage_logger().warning("%s", warning)
    name = content_key("candidates", logs, operator, top_n, variants, round_, seed, limit)
    return {"candidates": store.write_table("candidates", stage, name, candidates),
            "stats": store.write_json(f"{stage}/mutation-{name}.json", stats)}


mutate_shard = task(mutate, name="mutate", task_run_name="mutate {stage}", **STAGE_OPTIONS)
