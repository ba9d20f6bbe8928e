"""Paper stage: the evolution log and the (original, target) SFT pairs."""

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact

from pav.data.schemas import dimensions_of
from pav.data.store import ArtifactRef, Store, content_key
from pav.rewards.selection import sft_pairs
from pav.tasks.orchestration import STAGE_OPTIONS, artifact_key


def collect(logs: list[ArtifactRef], stage: str, targets: int = 1) -> dict[str, ArtifactRef]:
    """One evolution log of every candidate, and the pairs drawn from it (`targets` per source prompt at most)."""
    store = Store(logs[0].root)
    log = pd.concat([ref.read() for ref in logs], ignore_index=True)
    name = content_key("log", logs)
    pairs = sft_pairs(log, targets)
    dimensions = dimensions_of("evolution", log)
    return {"log": store.write_table("evolution", stage, f"log-{name}", log, dimensions),
            "pairs": store.write_table("pairs", stage, f"pairs-{name}" + (f"-top{targets}" if targets > 1 else ""),
                                       pairs, dimensions)}


@task(name="pairs", task_run_name="pairs {stage}", **STAGE_OPTIONS)
def collect_pairs(logs: list[ArtifactRef], stage: str, targets: int = 1) -> dict[str, ArtifactRef]:
    """Collect the log and pairs, and publish the pairs as a table artifact."""
    refs = collect(logs, stage, targets)
    pairs, log = refs["pairs"].read(), refs["log"].read()
    create_table_artifact(
        key=artifact_key(refs["pairs"].root, "evolve-pairs"),
        table=[{"original": p, "target": c[:300], "overall": round(o, 3)}
               for p, c, o in zip(pairs["prompt"].head(20), pairs["completion"], pairs["overall"])],
        description=f"{len(pairs)} SFT pairs from {log['prompt_id'].nunique()} source prompts")
    return refs
