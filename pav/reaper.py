"""Nothing left behind: a watchdog that ends what a `pav` command started once the command is gone.

A `pav` command starts children it does not always get to stop: Prefect's ephemeral API server (a uvicorn
process), workers' flow runs, a video model's command line. When the command dies without running its
cleanup (SIGKILL, the OOM killer, a closed terminal that kills hard), those children are adopted by init
and live on. `watch()` starts this module as a small process in its own session; it notes the command's
process tree every half second and, once the command has exited, however it exited, sends the last tree
it saw SIGTERM, then SIGKILL after a grace period.

    python -m pav.reaper PID
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time

import psutil

POLL_S = 0.5
GRACE_S = 5.0


def watch() -> subprocess.Popen:
    """Start the watchdog for this process (in its own session, so a signal to our group does not reach it)."""
    return subprocess.Popen([sys.executable, "-m", "pav.reaper", str(psutil.Process().pid)], start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def reap(pid: int, poll_s: float = POLL_S, grace_s: float = GRACE_S) -> list[int]:
    """Wait until `pid` exits, then end every process of its tree last seen alive; returns their pids."""
    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return []
    me = psutil.Process().pid
    seen: dict[int, psutil.Process] = {}
    while parent.is_running() and parent.status() != psutil.STATUS_ZOMBIE:
        with contextlib.suppress(psutil.NoSuchProcess):
            # a process's identity is (pid, start time): psutil checks it, so a reused pid is never signalled
            seen.update({p.pid: p for p in parent.children(recursive=True) if p.pid != me})
        time.sleep(poll_s)
    alive = [p for p in seen.values() if p.is_running()]
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _, left = psutil.wait_procs(alive, timeout=grace_s)
    for p in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(left, timeout=grace_s)
    return [p.pid for p in alive]


if __name__ == "__main__":
    reap(int(sys.argv[1]))
