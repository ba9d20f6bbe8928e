"""Training stage (ours, not the paper's): keep a DPO round only where its policy beats the one it started from.

The round's policy and the previous one rewrite held-out validation prompts greedily (as users get them), the
video model renders both on the same seeds, and the paired gain decides. The verdict is written beside the
round's model ("models/dpo2-<key>.gate.json"), so whoever later asks this store for "dpo-2" gets the policy
the gate kept, not the refused one.
"""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact

from pav.config import IntentConfig, RoundGate
from pav.data.enhancers import verdict_path
from pav.data.store import ArtifactRef, Store
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.evaluation import round_gain, round_verdict
from pav.rewards.selection import judged_records
from pav.tasks.orchestration import STAGE_OPTIONS, artifact_key, stage_logger


def validate_round(runs: list[dict], previous: ArtifactRef, policy: ArtifactRef, aggregation: AggregationConfig,
                   intent: IntentConfig, gate: RoundGate, round_: int) -> dict:
    """The verdict on a round from `runs` (method "previous" or "policy", its candidates, videos and scores on
    one seed), with the model the next stage gets."""
    frames = []
    for run in runs:
        judged = judged_records(run["candidates"].read(), run["videos"].read(), run["scores"].read(), aggregation,
                                intent)
        frames.append(judged.assign(method=run["method"]))
    stats = round_gain(pd.concat(frames, ignore_index=True), "policy", "previous")
    kept_round, reason = round_verdict(stats, gate.min_z, gate.intent_tolerance)
    return {"round": round_, "kept_round": kept_round, "reason": reason, "previous": previous.path,
            "policy": policy.path, **stats, "model": policy if kept_round else previous}


def record_verdict(verdict: dict) -> ArtifactRef:
    """Write the verdict beside the round's model, where `pav.data.enhancers.kept_model` finds it: every run
    writes it, cached or not, so the store says what the newest run decided."""
    policy = ArtifactRef(root=verdict["model"].root, path=verdict["policy"], kind="dir")
    record = {**{k: v for k, v in verdict.items() if k != "model"}, "kept": verdict["model"].path}
    written = Store(policy.root).write_json(verdict_path(policy), record)
    (stage_logger().info if verdict["kept_round"] else stage_logger().warning)(
        "DPO round %d %s: %s", verdict["round"],
        "kept" if verdict["kept_round"] else "refused, the next stage gets the previous policy", verdict["reason"])
    return written


validate_stage = task(validate_round, name="validate", task_run_name="validate dpo round {round_}", **STAGE_OPTIONS)


@task(name="record-verdict", task_run_name="record verdict of dpo round {verdict[round]}")
def record_verdict_task(verdict: dict) -> ArtifactRef:
    """The round gate's verdict in the store and as a Prefect table."""
    written = record_verdict(verdict)
    create_table_artifact(key=artifact_key(written.root, f"gate-dpo-{verdict['round']}"), table=[
        {k: verdict[k] for k in ("round", "kept_round", "gain", "stderr", "prompts", "intent", "intent_previous",
                                 "reason")}], description=f"DPO round {verdict['round']}: kept or refused on "
                                                          "validation prompts")
    return written

