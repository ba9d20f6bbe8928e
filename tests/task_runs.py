"""Read back which stage tasks ran and which came from the cache, through the Prefect API."""

import time
from datetime import datetime

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterStartTime


def task_states_since(since: datetime, settle: float = 2.0) -> dict[str, list[str]]:
    """Task name -> state names of every task run (subflows included) started after `since`."""
    time.sleep(settle)  # task-run events reach the API asynchronously
    runs, page = [], 200  # the API's largest page
    with get_client(sync_client=True) as client:
        while len(runs) % page == 0:
            batch = client.read_task_runs(
                task_run_filter=TaskRunFilter(start_time=TaskRunFilterStartTime(after_=since)),
                limit=page, offset=len(runs))
            runs += batch
            if not batch:
                break
    states: dict[str, list[str]] = {}
    for run in runs:
        states.setdefault(run.name.rsplit("-", 1)[0], []).append(run.state_name)
    return states
