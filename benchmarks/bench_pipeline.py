"""Time each stage of the pipeline, the orchestration overhead, and a re-run that hits every cache.

Stage time is the sum of Prefect task-run run times per task name; orchestration overhead is the
wall time minus the time inside stage functions. Run (2 CPU cores, nothing else running):

    .venv/bin/python benchmarks/bench_pipeline.py --profile demo [--set key=value ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from pav.environment import apply_defaults  # noqa: E402

apply_defaults()

from prefect.client.orchestration import get_client  # noqa: E402

from pav.flows.pipeline import pipeline  # noqa: E402
from pav.config import load_config  # noqa: E402
from pav.reaper import watch  # noqa: E402
from pav.runs import stage_name, task_runs_since  # noqa: E402


def task_times(since: datetime) -> dict[str, dict]:
    """Per task name: runs, executed (not cached) and seconds inside the function."""
    out: dict[str, dict] = defaultdict(lambda: {"runs": 0, "executed": 0, "seconds": 0.0})
    for run in task_runs_since(since, settle=3):
        row = out[stage_name(run)]
        row["runs"] += 1
        row["executed"] += run.state_name == "Completed"
        row["seconds"] += run.total_run_time.total_seconds()
    return dict(out)


def timed_run(cfg) -> tuple[float, dict[str, dict]]:
    since = datetime.now(timezone.utc)
    began = time.perf_counter()
    pipeline(cfg)
    return time.perf_counter() - began, task_times(since)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--store", default=None, help="run root (default: a fresh temporary directory)")
    parser.add_argument("--set", dest="sets", action="append", default=[])
    args = parser.parse_args()
    watch()  # a killed benchmark leaves no Prefect API server behind (pav/reaper.py)
    store = args.store or str(Path(tempfile.mkdtemp(prefix="pav-bench-")) / "run")
    cfg = load_config(args.profile, args.sets + [f"store={store}"])
    with get_client(sync_client=True) as client:  # start the API before the clock does
        client.hello()

    wall, stages = timed_run(cfg)
    inside = sum(s["seconds"] for s in stages.values())
    print(f"profile {args.profile}, store {store}")
    print(f"{'stage':<16}{'runs':>6}{'seconds':>10}{'share':>8}")
    for name, s in sorted(stages.items(), key=lambda kv: -kv[1]["seconds"]):
        print(f"{name:<16}{s['runs']:>6}{s['seconds']:>10.1f}{s['seconds'] / wall:>8.1%}")
    print(f"{'inside stages':<16}{'':>6}{inside:>10.1f}")
    print(f"{'orchestration':<16}{'':>6}{wall - inside:>10.1f}{(wall - inside) / wall:>8.1%}")
    print(f"{'wall':<16}{'':>6}{wall:>10.1f}")

    rerun_wall, rerun = timed_run(cfg)
    executed = {name: s["executed"] for name, s in rerun.items() if s["executed"]}
    print(f"re-run hitting every cache: {rerun_wall:.1f} s wall, {sum(s['runs'] for s in rerun.values())} "
          f"task runs; executed (uncached bookkeeping tasks only, if all is well): {executed}")


if __name__ == "__main__":
    main()
