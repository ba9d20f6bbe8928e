"""Terminal output of flows run in-process: one line per finished stage, Prefect's own logs to a file.

Prefect's INFO records (hundreds a minute) still reach the API, so the UI shows them, and the run
root's logs/ folder; the terminal keeps warnings, errors and a line per stage flow that finishes.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

console = Console(stderr=True)


class _StageLines(logging.Handler):
    """Counts task runs per flow run and prints one line when a flow run (a stage) finishes."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.tasks: dict[str, list[int]] = {}  # flow run id -> [finished, cached]
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        flow_run = str(getattr(record, "flow_run_id", "") or "")
        if record.name == "prefect.flow_runs" and flow_run and flow_run not in self.started:
            self.started[flow_run] = time.perf_counter()
        if not message.startswith("Finished in state"):
            return
        if record.name == "prefect.task_runs":
            counts = self.tasks.setdefault(flow_run, [0, 0])
            counts[0] += 1
            counts[1] += "Cached" in message
        elif record.name == "prefect.flow_runs":
            finished, cached = self.tasks.pop(flow_run, [0, 0])
            seconds = time.perf_counter() - self.started.pop(flow_run, time.perf_counter())
            state = message.removeprefix("Finished in state ").split("(")[0]
            colour = "green" if state == "Completed" else "red"
            name = getattr(record, "flow_name", None) or getattr(record, "flow_run_name", "flow")
            console.print(f"[{colour}]{state:<9}[/] [bold]{name:<15}[/] {seconds:7.1f} s   "
                          f"{finished} tasks, {cached} cached")


def _console_handlers() -> list[logging.Handler]:
    from prefect.logging.handlers import PrefectConsoleHandler

    return [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]


@contextmanager
def stage_output(store_root: str, command: str):
    """Quiet Prefect's console to warnings, log everything to STORE/logs/ (local roots), print stage lines."""
    import prefect  # noqa: F401 - sets up Prefect's logging, whose console handler is turned down here

    handlers = _console_handlers()
    levels = [h.level for h in handlers]
    for h in handlers:
        h.setLevel(logging.WARNING)
    lines = _StageLines()
    watched = [logging.getLogger(n) for n in ("prefect.flow_runs", "prefect.task_runs")]
    for logger in watched:
        logger.addHandler(lines)
    log_file = None
    if "://" not in store_root or store_root.startswith("file://"):
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = Path(store_root.removeprefix("file://")) / "logs" / f"{command}-{stamp}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        log_file = logging.FileHandler(path, encoding="utf-8")
        log_file.setLevel(logging.INFO)
        log_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s %(message)s"))
        for name in ("prefect", "pav"):
            logging.getLogger(name).addHandler(log_file)
        logging.getLogger("pav").setLevel(logging.INFO)
        console.print(f"[dim]Prefect logs -> {path}[/]")
    try:
        yield
    finally:
        for h, level in zip(handlers, levels):
            h.setLevel(level)
        for logger in watched:
            logger.removeHandler(lines)
        if log_file is not None:
            for name in ("prefect", "pav"):
                logging.getLogger(name).removeHandler(log_file)
            log_file.close()
