"""What a flow used, stage by stage: videos rendered, device seconds and operator tokens, as a table artifact.

Device seconds are each video's share of its render batch's wall time: GPU seconds on gpu workers, CPU
seconds in the embedded world (the simulated generator on the CPU).
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact

from pav.data.store import Store
from pav.tasks.orchestration import artifact_key


def usage_rows(store_root: str, stages: list[str], operator: dict[str, dict] | None = None) -> list[dict]:
    """One row per stage: videos in it, how many were rendered now (not reused), their device seconds,
    failures, and the operator's calls and tokens where it ran."""
    store, rows = Store(store_root), []
    for stage in stages:
        videos = store.read_tables("videos", stage).drop_duplicates("video_id", keep="last")
        used = (operator or {}).get(stage, {})
        rows.append({"stage": stage, "videos": len(videos), "rendered": int((videos["seconds"] > 0).sum()),
                     "device_seconds": round(float(videos["seconds"].sum()), 3),
                     "failed": int(videos["error"].notna().sum()),
                     "operator_calls": int(used.get("calls", 0)),
                     "operator_tokens": int(used.get("prompt_tokens", 0) + used.get("completion_tokens", 0))})
    return rows


@task(name="usage", task_run_name="usage {flow}")
def publish_usage(store_root: str, flow: str, stages: list[str], operator: dict[str, dict] | None = None) -> list[dict]:
    """Publish usage_rows as the table artifact "usage-<flow>-<store>"."""
    rows = usage_rows(store_root, stages, operator)
    total = sum(r["device_seconds"] for r in rows)
    create_table_artifact(key=artifact_key(store_root, f"usage-{flow}"), table=rows,
                          description=f"{flow}: {sum(r['rendered'] for r in rows)} videos rendered, {total:.0f} device "
                                      "seconds (GPU seconds on gpu workers, CPU seconds in the embedded world)")
    return rows
