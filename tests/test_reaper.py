"""Nothing left behind: a `pav` command killed with SIGKILL takes the processes it started with it."""

import os
import signal
import subprocess
import sys
import time

import psutil


def test_a_sigkilled_pav_command_leaves_no_process_of_its_tree(tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    proc = subprocess.Popen([sys.executable, "-m", "pav.cli", "evolve", "--profile", "quick", "--store",
                             str(tmp_path / "run"), "--set", "evolve.rounds=20"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        tree: list[psutil.Process] = []
        while time.monotonic() < deadline:  # until Prefect's API server (a uvicorn child) runs
            tree = psutil.Process(proc.pid).children(recursive=True)
            if any("uvicorn" in " ".join(p.cmdline()) for p in tree if p.is_running()):
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the ephemeral API server never started")
        time.sleep(1.0)  # the watchdog has seen the tree
        tree = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        gone, alive = psutil.wait_procs(tree, timeout=20)
        assert not alive, [" ".join(p.cmdline())[:120] for p in alive]
    finally:
        if proc.poll() is None:
            proc.kill()
