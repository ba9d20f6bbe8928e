"""Paper stage: join scores to candidates, rank them, and report each round's progress."""

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pav.config import IntentConfig
from pav.data.store import ArtifactRef, Store, content_key
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.selection import best_per_prompt, judged_records, sft_pairs
from pav.tasks.orchestration import STAGE_OPTIONS, artifact_key


def select(candidates: ArtifactRef, videos: ArtifactRef, scores: ArtifactRef,
           aggregation: AggregationConfig, intent: IntentConfig, stage: str) -> ArtifactRef:
    """Evolution records of one shard and round: candidates with scores, overall, passes and intent."""
    records = judged_records(candidates.read(), videos.read(), scores.read(), aggregation, intent)
    name = content_key("evolution", candidates, videos, scores, aggregation, intent)
    return Store(candidates.root).write_table("evolution", stage, name, records, aggregation.dimensions)


select_shard = task(select, name="select", task_run_name="select {stage}", **STAGE_OPTIONS)


def round_summary(logs: list[ArtifactRef], mutation_stats: list[ArtifactRef], round_: int, targets: int = 1) -> dict:
    """Progress after a round: best-so-far vs originals, SFT pairs so far (`targets` per source prompt at most, as
    the pairs stage will draw them), operator usage."""
    log = pd.concat([ref.read() for ref in logs], ignore_index=True)
    stats = [Store(ref.root).read_json(ref.path) for ref in mutation_stats]
    originals = log[log["round"] == 0]
    best = best_per_prompt(log)
    return {
        "round": round_,
        "prompts": int(originals["prompt_id"].nunique()),
        "candidates": int((log["round"] == round_).sum()),
        "original_overall": round(float(originals["overall"].mean()), 4),
        "best_overall": round(float(best["overall"].mean()), 4),
        "improved": int((best["round"] > 0).sum()),
        "pairs": len(sft_pairs(log, targets)),
        "drifted": int((~log.loc[log["round"] == round_, "keeps_intent"].astype(bool)).sum()),
        "failed_scores": int(log["overall"].isna().sum()),
        **{k: sum(s[k] for s in stats) for k in ("calls", "cached", "prompt_tokens", "completion_tokens")},
        "cost_usd": round(sum(s["cost_usd"] for s in stats), 4),
        "operator_failures": sum(len(s["failures"]) for s in stats),
        "over_token_limit": sum(s.get("over_token_limit", 0) for s in stats),
    }


@task
def report_round(logs: list[ArtifactRef], mutation_stats: list[ArtifactRef], round_: int, targets: int = 1) -> dict:
    """Publish the round's best prompts and gains as Prefect artifacts."""
    summary = round_summary(logs, mutation_stats, round_, targets)
    log = pd.concat([ref.read() for ref in logs], ignore_index=True)
    originals = log[log["round"] == 0].set_index("prompt_id")["overall"]
    best = best_per_prompt(log).head(20)
    create_table_artifact(
        key=artifact_key(logs[0].root, f"evolve-round-{round_}"),
        table=[{"original": r["original"][:80], "best prompt": r["prompt"][:200], "round": int(r["round"]),
                "overall": round(float(r["overall"]), 3),
                "gain": round(float(r["overall"] - originals.get(r["prompt_id"], float("nan"))), 3)}
               for _, r in best.iterrows()],
        description=f"Best prompts after round {round_}")
    create_markdown_artifact(
        key=artifact_key(logs[0].root, "evolve-progress"),
        markdown=f"### Evolution after round {round_}\n\n" + "\n".join(
            f"- **{k}**: {v}" for k, v in summary.items()),
        description="Data engine progress")
    return summary
