"""Terminal output of flows run in-process: one line per finished stage, a live status line while one runs,
Prefect's own logs to a file.

Prefect's INFO records (hundreds a minute) still reach the API, so the UI shows them, and the run
root's logs/ folder; the terminal keeps warnings, errors, a line per stage flow that finishes and, while
a stage runs, one line that moves: the stage, its finished tasks, the last of them, the time so far and, inside a
long model stage, its step with the loss and an ETA (on a
terminal it is redrawn every second; elsewhere, in CI logs, a plain line every HEARTBEAT_S seconds).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

console = Console(stderr=True)
HEARTBEAT_S = 30.0  # a plain status line this often where the output is not a terminal
PROGRESS_LOGGER = "pav.progress"  # long model stages (sampling, SFT and DPO steps) say where they are here
STALE_S = 600.0  # a step message older than this is no longer shown


class _StageLines(logging.Handler):
    """Counts task runs per flow run, prints one line when a flow run (a stage) finishes, and says what is
    running now (`status`)."""

    def __init__(self, clock=time.perf_counter):
        super().__init__(logging.INFO)
        self.clock = clock
        self.tasks: dict[str, list[int]] = {}  # flow run id -> [finished, cached]
        self.started: dict[str, float] = {}  # flow run id -> start, in start order (the innermost last)
        self.names: dict[str, str] = {}
        self.last_task: dict[str, str] = {}  # flow run id -> the name of its task run that finished last
        self.began = clock()
        self.any_started = False
        self.now: tuple[str, float] | None = None  # the latest step inside a task (pav.progress) and when

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name == PROGRESS_LOGGER:
            self.now = (message, self.clock())
            return
        flow_run = str(getattr(record, "flow_run_id", "") or "")
        if record.name == "prefect.flow_runs" and flow_run and flow_run not in self.started:
            self.started[flow_run] = self.clock()
            self.any_started = True
            self.names[flow_run] = str(getattr(record, "flow_run_name", None) or getattr(record, "flow_name", "flow"))
        if not message.startswith("Finished in state"):
            return
        if record.name == "prefect.task_runs":
            counts = self.tasks.setdefault(flow_run, [0, 0])
            counts[0] += 1
            counts[1] += "Cached" in message
            self.last_task[flow_run] = str(getattr(record, "task_run_name", "") or "")
            self.now = None  # a task finished: its steps are over
        elif record.name == "prefect.flow_runs":
            finished, cached = self.tasks.pop(flow_run, [0, 0])
            seconds = self.clock() - self.started.pop(flow_run, self.clock())
            self.names.pop(flow_run, None)
            self.last_task.pop(flow_run, None)
            state = message.removeprefix("Finished in state ").split("(")[0]
            colour = "green" if state == "Completed" else "red"
            name = getattr(record, "flow_name", None) or getattr(record, "flow_run_name", "flow")
            console.print(f"[{colour}]{state:<9}[/] [bold]{name:<15}[/] {seconds:7.1f} s   "
                          f"{finished} tasks, {cached} cached")

    def status(self) -> str | None:
        """'train sim-steady runs/demo  12:04  7 tasks (2 cached), last: sample dpo/round-1'; before the first
        stage, how long Prefect has taken to start; None once every stage has finished."""
        if not self.started:
            return None if self.any_started else f"starting Prefect  {_clock(self.clock() - self.began)}"
        flow_run = next(reversed(self.started))
        finished, cached = self.tasks.get(flow_run, [0, 0])
        last = self.last_task.get(flow_run)
        now = f"  | {self.now[0]}" if self.now and self.clock() - self.now[1] < STALE_S else ""
        return (f"{self.names.get(flow_run, 'flow')}  {_clock(self.clock() - self.started[flow_run])}  {finished} tasks "
                f"({cached} cached)" + (f", last: {last}" if last else "") + now)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def _show_status(lines: _StageLines, stop: threading.Event) -> None:
    """Until `stop`: on a terminal, one status line redrawn every second; elsewhere a plain line every
    HEARTBEAT_S seconds while a stage runs."""
    if console.is_terminal:
        from rich.live import Live
        from rich.text import Text

        with Live(Text(""), console=console, transient=True, refresh_per_second=2) as live:
            while not stop.wait(1.0):
                live.update(Text(f"... {lines.status()}" if lines.status() else "", style="dim"))
        return
    while not stop.wait(HEARTBEAT_S):
        if lines.status():
            console.print(f"... {lines.status()}", soft_wrap=True)


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
    watched = [logging.getLogger(n) for n in ("prefect.flow_runs", "prefect.task_runs", PROGRESS_LOGGER)]
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
    stop = threading.Event()
    ticker = threading.Thread(target=_show_status, args=(lines, stop), name="pav-status", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join(timeout=5)
        for h, level in zip(handlers, levels):
            h.setLevel(level)
        for logger in watched:
            logger.removeHandler(lines)
        if log_file is not None:
            for name in ("prefect", "pav"):
                logging.getLogger(name).removeHandler(log_file)
            log_file.close()
