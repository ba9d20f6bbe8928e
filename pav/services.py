"""Long-running Prefect services in the foreground: the server with its UI, and workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import psutil


def stop_tree(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the child and everything it started, SIGKILL after `grace` s; every member is waited for.

    `prefect server start` runs uvicorn as a child of its own, which outlived the parent and was
    adopted by init. Children started with start_new_session=True share the child's process group,
    so the group signal reaches them even after their parent is gone.
    """
    try:
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        for member in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.send_signal(sig)
        _, tree = psutil.wait_procs(tree, timeout=grace)
        if not tree:
            break
    proc.wait()


def _run_foreground(argv: list[str], env: dict[str, str]) -> int:
    """Run a child in its own process group; SIGINT/SIGTERM are passed on and the whole group is stopped."""
    child = subprocess.Popen(argv, env=env, start_new_session=True)

    def forward(signum, _frame):
        child.send_signal(signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        stop_tree(child)


def prefect_cli() -> list[str]:
    return [sys.executable, "-m", "prefect"]


def run_server(host: str, port: int, database_url: str | None) -> int:
    """The Prefect server and UI on host:port, SQLite under PREFECT_HOME unless a database URL is given."""
    env = dict(os.environ)
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    env["PREFECT_UI_API_URL"] = f"http://{host}:{port}/api"
    print(f"Prefect UI:  http://{host}:{port}\nPoint flows and workers at it with:\n"
          f"  export PREFECT_API_URL=http://{host}:{port}/api", flush=True)
    return _run_foreground(prefect_cli() + ["server", "start", "--host", host, "--port", str(port)], env)


def run_worker(pool: str, limit: int | None) -> int:
    """A process worker polling `pool` (created by `pav deploy`), in the foreground."""
    argv = prefect_cli() + ["worker", "start", "--pool", pool, "--type", "process"]
    if limit:
        argv += ["--limit", str(limit)]
    return _run_foreground(argv, dict(os.environ))
