"""The terminal's status while a stage runs: what runs now, its finished tasks, the last of them, the time."""

import logging

from pav.progress import _StageLines


def record(logger: str, message: str, **attrs) -> logging.LogRecord:
    rec = logging.LogRecord(logger, logging.INFO, __file__, 1, message, None, None)
    rec.__dict__.update(attrs)
    return rec


def test_status_names_the_innermost_running_stage_its_tasks_and_the_time_so_far():
    now = [100.0]
    lines = _StageLines(clock=lambda: now[0])
    now[0] = 104.0
    assert lines.status() == "starting Prefect  0:04"  # before the first stage: the API starts
    lines.emit(record("prefect.flow_runs", "Beginning flow run", flow_run_id="a", flow_run_name="pipeline demo"))
    now[0] = 130.0
    lines.emit(record("prefect.flow_runs", "Beginning subflow run", flow_run_id="b", flow_run_name="train sim-steady"))
    for name, state in (("sft", "Completed()"), ("sample dpo/round-1", "Cached(type=COMPLETED)")):
        lines.emit(record("prefect.task_runs", f"Finished in state {state}", flow_run_id="b", task_run_name=name))
    now[0] = 205.0
    assert lines.status() == "train sim-steady  1:15  2 tasks (1 cached), last: sample dpo/round-1"
    lines.emit(record("prefect.flow_runs", "Finished in state Completed()", flow_run_id="b", flow_name="train"))
    assert lines.status() == "pipeline demo  1:41  0 tasks (0 cached)"
    lines.emit(record("prefect.flow_runs", "Finished in state Completed()", flow_run_id="a", flow_name="pipeline"))
    assert lines.status() is None


def test_a_step_inside_a_task_shows_until_the_task_finishes():
    now = [0.0]
    lines = _StageLines(clock=lambda: now[0])
    lines.emit(record("prefect.flow_runs", "Beginning flow run", flow_run_id="a", flow_run_name="train sim-steady"))
    lines.emit(record("pav.progress", "sft step 12/60, loss 1.234, ETA 2:10"))
    now[0] = 30.0
    assert lines.status() == "train sim-steady  0:30  0 tasks (0 cached)  | sft step 12/60, loss 1.234, ETA 2:10"
    lines.emit(record("prefect.task_runs", "Finished in state Completed()", flow_run_id="a", task_run_name="sft"))
    assert lines.status() == "train sim-steady  0:30  1 tasks (0 cached), last: sft"
