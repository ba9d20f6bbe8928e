"""Terminal progress for flows run in-process: a rich bar advanced by Prefect's task-run log records."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)


class _TaskFinished(logging.Handler):
    def __init__(self, progress: Progress, bar):
        super().__init__()
        self.progress, self.bar = progress, bar

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Finished in state"):
            name = getattr(record, "task_run_name", "") or ""
            self.progress.update(self.bar, advance=1, description=f"{name.rsplit('-', 1)[0]:<10}")


@contextmanager
def task_progress(total: int, label: str):
    """A bar over `total` expected task runs, finished or cached."""
    logger = logging.getLogger("prefect.task_runs")
    with Progress(TextColumn(f"[bold]{label}[/] {{task.description}}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        handler = _TaskFinished(progress, progress.add_task("", total=total))
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)
