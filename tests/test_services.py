"""`pav server` in the foreground: serves the UI and API on 127.0.0.1 and shuts down cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil

from prefect_server import free_port, stop


def test_pav_server_serves_and_stops_with_all_its_children_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "pav.cli", "server", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, healthy = time.time() + 120, False
        while time.time() < deadline and not healthy:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    healthy = r.status == 200
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
                time.sleep(0.5)
        assert healthy, "pav server did not become healthy"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert b"<html" in r.read(2000).lower()  # the UI is served too
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the server runs as a child of pav"
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        output = proc.stdout.read().decode()
        assert f"http://127.0.0.1:{port}" in output
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"left running: {[p.pid for p in alive]}"
    finally:
        stop(proc)


def test_harness_server_goes_down_with_its_whole_process_tree(tmp_path):
    from prefect_server import PrefectServer

    server = PrefectServer(tmp_path / "home", tmp_path).start()
    [parent] = server.children
    tree = [psutil.Process(parent.pid), *psutil.Process(parent.pid).children(recursive=True)]
    server.stop()
    alive = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left running: {[(p.pid, p.cmdline()) for p in alive]}"


def test_stop_reaches_children_that_outlived_their_parent(tmp_path):
    # What uvicorn did under `prefect server start`: its parent died and init adopted it.
    from prefect_server import PrefectServer

    harness = PrefectServer(tmp_path / "home", tmp_path)
    parent = harness.spawn("orphans", ["bash", "-c", "sleep 300 & sleep 300 & wait"])
    deadline = time.time() + 30
    while len(psutil.Process(parent.pid).children()) < 2 and time.time() < deadline:
        time.sleep(0.1)
    orphans = psutil.Process(parent.pid).children()
    assert len(orphans) == 2
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    assert all(p.is_running() for p in orphans)  # adopted, still running
    harness.stop()
    gone, alive = psutil.wait_procs(orphans, timeout=10)
    assert not alive, f"left running: {[p.pid for p in alive]}"


def test_a_child_that_ignores_sigterm_is_stopped_after_the_grace(tmp_path):
    # A Prefect worker has taken minutes to leave after SIGTERM; `pav worker` gives it STOP_GRACE_S, then stops it.
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, lambda *a: None); print('up', flush=True); time.sleep(300)"
    runner = ("import sys, pav.services as s; s.STOP_GRACE_S = 2; "
              f"sys.exit(s._run_all_foreground([([sys.executable, '-c', {stubborn!r}], dict(__import__('os').environ))]))")
    proc = subprocess.Popen([sys.executable, "-c", runner], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "up"
    child = psutil.Process(proc.pid).children()[0]
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 1  # stopped, not exited by itself
    assert time.monotonic() - started < 2 + 5 + 3  # the grace, stop_tree's SIGTERM wait, slack
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert "still running 2 s after the signal" in proc.stderr.read()
