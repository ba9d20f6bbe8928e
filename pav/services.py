"""Long-running Prefect services in the foreground: the server with its UI, and workers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

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


STOP_GRACE_S = 20.0  # after SIGINT/SIGTERM, how long children get to stop by themselves before they are stopped


def _run_foreground(argv: list[str], env: dict[str, str]) -> int:
    """Run a child in its own process group; SIGINT/SIGTERM are passed on and the whole group is stopped."""
    return _run_all_foreground([(argv, env)])


def _run_all_foreground(commands: list[tuple[list[str], dict[str, str]]]) -> int:
    """Run children side by side, each in its own process group, until all have exited; SIGINT/SIGTERM
    are passed on to each, and what is still running STOP_GRACE_S later is stopped (its whole tree). One that
    dies leaves the others running (a lost GPU costs only its slot). Returns the first non-zero exit code, else
    0 (1 where a child had to be stopped)."""
    children: list[subprocess.Popen] = []
    stopping: list[float] = []  # when the first SIGINT/SIGTERM arrived

    def forward(signum, _frame):
        stopping.append(time.monotonic())
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    # The handlers come first: a signal that arrives while the children start is passed on, not fatal to us.
    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    codes: dict[int, int] = {}
    try:
        for argv, env in commands:
            if not stopping:
                children.append(subprocess.Popen(argv, env=env, start_new_session=True))
        while len(codes) < len(children):
            try:
                for i, child in enumerate(children):
                    if i not in codes and child.poll() is not None:
                        codes[i] = child.returncode
                        if len(children) > 1 and len(codes) < len(children):
                            print(f"worker {i + 1} of {len(children)} exited with {child.returncode}; "
                                  f"{len(children) - len(codes)} still running", file=sys.stderr, flush=True)
                if stopping and time.monotonic() - stopping[0] > STOP_GRACE_S:
                    # A Prefect worker sometimes takes minutes to leave after SIGTERM (seen in CI: the process
                    # alone, no flow run left under it); a service manager would kill it long before that.
                    late = [i + 1 for i in range(len(children)) if i not in codes]
                    print(f"worker(s) {late} still running {STOP_GRACE_S:.0f} s after the signal: stopping them",
                          file=sys.stderr, flush=True)
                    break
                time.sleep(0.2)
            except KeyboardInterrupt:
                continue
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for child in children:
            stop_tree(child, grace=5)
    if len(codes) < len(children):
        return 1
    return next((c for c in codes.values() if c), 0)


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


def run_worker(pool: str, limit: int | None, gpus: list[str] | None = None, heartbeat_s: int | None = None) -> int:
    """Process workers polling `pool` (created by `pav deploy`), in the foreground.

    With `gpus`, one worker per GPU: each is pinned with CUDA_VISIBLE_DEVICES, named after its host
    and GPU (PAV_WORKER_NAME, recorded by every gpu run) and takes one flow run at a time.
    """
    base = prefect_cli() + ["worker", "start", "--pool", pool, "--type", "process"]
    env = dict(os.environ)
    if heartbeat_s:  # flow runs report they are alive; a silent one is marked Crashed (pav deploy's automation)
        env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = str(heartbeat_s)
    if not gpus:
        return _run_foreground(base + (["--limit", str(limit)] if limit else []), env)
    commands = []
    for gpu in gpus:
        name = f"{socket.gethostname()}-{pool}-{gpu}"
        commands.append((base + ["--limit", "1", "--name", name],
                         {**env, "CUDA_VISIBLE_DEVICES": gpu, "PAV_WORKER_NAME": name}))
    return _run_all_foreground(commands)
