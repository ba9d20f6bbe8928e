"""Test helpers: the real Prefect server and workers as subprocesses, each stopped with its whole process tree."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from pav.environment import PROJECT_DIR
from pav.services import prefect_cli, stop_tree


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prefect_env(home: Path, api_url: str) -> dict[str, str]:
    """Environment of a child that talks to the test server (SQLite in `home`, analytics off)."""
    env = dict(os.environ)
    env.update(PREFECT_HOME=str(home), PREFECT_API_URL=api_url, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               DO_NOT_TRACK="1", PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1",
               HF_HUB_OFFLINE="1", PWD=str(PROJECT_DIR))
    env.pop("PREFECT_PROFILE", None)
    return env


def stop_worker(proc: subprocess.Popen, wait: float, log: Path) -> None:
    """SIGTERM a `pav worker` and assert it leaves within `wait` seconds, its whole tree with it (it gives its
    Prefect workers pav.services.STOP_GRACE_S, then stops them). If not, its process tree goes to `log` and
    the teardown fails after stopping it."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(wait)
        return
    except subprocess.TimeoutExpired:
        import psutil

        with contextlib.suppress(psutil.NoSuchProcess), open(log, "a") as out:
            tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
            out.write(f"{time.strftime('%H:%M:%S')} pid {proc.pid} alive {wait:.0f} s after SIGTERM:\n")
            for member in tree:
                with contextlib.suppress(psutil.Error):
                    out.write(f"  {member.pid} {member.status()} {' '.join(member.cmdline())[:300]}"
                              f"{flow_run_of(member.environ().get('PREFECT__FLOW_RUN_ID'))}\n")
    finally:
        stop(proc)
    raise AssertionError(f"pav worker {proc.pid} still running {wait:.0f} s after SIGTERM; its tree is in {log}")


def flow_run_of(run_id: str | None) -> str:
    """ ' flow run NAME (STATE)' for a process that executes one, for the shutdown log; '' otherwise."""
    if not run_id:
        return ""
    try:
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            run = client.read_flow_run(run_id)
        return f" flow run {run.name!r} ({run.state_name}, tags {run.tags})"
    except Exception as e:  # the log is evidence, never a reason to fail a teardown
        return f" flow run {run_id} ({type(e).__name__})"


def kill_job(proc: subprocess.Popen) -> None:
    """SIGKILL a job started with start_new_session=True and everything it started, the way a batch
    scheduler or a terminal kills a job (Prefect's ephemeral API server is a child of `pav`)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    stop_tree(proc)


def stop(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the process and everything it started, then SIGKILL after `grace` seconds; waited for."""
    stop_tree(proc, grace)


class PrefectServer:
    """`prefect server start` on a free 127.0.0.1 port with its own PREFECT_HOME."""

    def __init__(self, home: Path, log_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/api"
        self.home, self.log_dir = home, log_dir
        self.env = prefect_env(home, self.api_url)
        self.env["PREFECT_UI_API_URL"] = self.api_url
        self.children: list[subprocess.Popen] = []

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        """A child process in the project directory whose output goes to LOG_DIR/NAME.log."""
        log = open(self.log_dir / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, env=self.env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own group, so stop() reaches its children
        self.children.append(proc)
        return proc

    def start(self, timeout: float = 120) -> "PrefectServer":
        proc = self.spawn("server", prefect_cli() + ["server", "start", "--host", "127.0.0.1",
                                                     "--port", str(self.port)])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"prefect server exited with {proc.returncode}; see {self.log_dir}/server.log")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"prefect server not healthy after {timeout}s; see {self.log_dir}/server.log")

    def worker(self, pool: str) -> subprocess.Popen:
        """A process worker on `pool`, started the way `pav worker` starts one."""
        return self.spawn(f"worker-{pool}", prefect_cli() + ["worker", "start", "--pool", pool, "--type", "process"])

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run a `prefect` CLI command against this server."""
        return subprocess.run(prefect_cli() + list(args), env=self.env, cwd=PROJECT_DIR, capture_output=True,
                              text=True, timeout=timeout)

    def stop(self) -> None:
        for proc in reversed(self.children):  # workers before the server
            stop(proc)
        self.children.clear()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """One real Prefect server for the session; stopped (with every worker) at the end."""
    logs = PROJECT_DIR / "test-output" / "prefect-server"
    logs.mkdir(parents=True, exist_ok=True)
    server = PrefectServer(tmp_path_factory.mktemp("prefect-server-home"), logs)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def api(prefect_server):
    """Point this process's Prefect client (and in-process flows) at the test server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server.api_url}):
        yield prefect_server
        from prefect.logging.handlers import APILogHandler

        APILogHandler().flush()  # send the last flow's logs while the server is still up


@pytest.fixture(scope="session")
def deployed(api, tmp_path_factory):
    """Pools and every deployment, applied the way `pav deploy` applies them."""
    from pav.deployments.deploy import deploy_all
    from pav.config import load_config

    inbox = tmp_path_factory.mktemp("inbox")
    deploy_all(load_config("quick"), str(inbox), gpus=1)
    return api
