"""Read back task runs from the Prefect API: which stages executed and which came from the cache."""

from __future__ import annotations

import time
from datetime import datetime

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime, TaskRunFilter, TaskRunFilterStartTime
from prefect.client.schemas.objects import TaskRun

PAGE = 200  # the API's largest page


def task_runs_since(since: datetime, settle: float = 2.0) -> list[TaskRun]:
    """Every task run started after `since`, subflows' tasks included but not the runs that wrap subflows."""
    time.sleep(settle)  # task-run events reach the API asynchronously
    runs: list[TaskRun] = []
    started = TaskRunFilter(start_time=TaskRunFilterStartTime(after_=since))
    with get_client(sync_client=True) as client:
        while len(runs) % PAGE == 0:
            batch = client.read_task_runs(task_run_filter=started, limit=PAGE, offset=len(runs))
            runs += batch
            if not batch:
                break
        subflows = client.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)))
    wrappers = {f.parent_task_run_id for f in subflows if f.parent_task_run_id}
    return [run for run in runs if run.id not in wrappers]


def stage_name(run: TaskRun) -> str:
    """The stage of a task run: "generate evolve/round-1 shard 3/6" -> "generate"; a run named by Prefect
    loses its suffix ("load_prompt_set-3fa" -> "load_prompt_set")."""
    return run.name.split(" ", 1)[0] if " " in run.name else run.name.rsplit("-", 1)[0]
