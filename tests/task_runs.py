"""Which stage tasks ran and which came from the cache, read back through the Prefect API."""

from datetime import datetime

from pav.runs import stage_name, task_runs_since


def task_states_since(since: datetime) -> dict[str, list[str]]:
    """Task name -> state names of every task run (subflows included) started after `since`."""
    states: dict[str, list[str]] = {}
    for run in task_runs_since(since):
        states.setdefault(stage_name(run), []).append(run.state_name)
    return states
