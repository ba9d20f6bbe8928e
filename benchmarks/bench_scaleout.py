"""Scale-out of the data engine over gpu workers: the same evolve with 1, 2 and 4 workers on the gpu pool.

Starts a Prefect server on 127.0.0.1 (its own home), deploys, and for each worker count starts
`pav worker --pool gpu --gpus 0..N-1` and runs evolve here with dispatch "deployments" on a fresh
store. The simulated generator holds every video for --gpu-seconds (a sleep: it stands in for a real
model's GPU seconds and is not CPU work), so the table shows how well shards overlap on the pool.
Efficiency = T1 / (N x TN); the last line is one JSON object.

    .venv/bin/python benchmarks/bench_scaleout.py [--workers 1 2 4] [--prompts 64] [--shard-size 16]
        [--rounds 1] [--gpu-seconds 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_API_URL": api}
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2):
                return server, api
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("prefect server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--shard-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--gpu-seconds", type=float, default=0.5, help="simulated GPU time per video")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="pav-scaleout-"))
    server, api = start_server(scratch / "prefect-home")
    os.environ.update(PREFECT_API_URL=api, PREFECT_HOME=str(scratch / "prefect-home"),
                      PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1",
                      PREFECT_LOGGING_LEVEL="WARNING", TOKENIZERS_PARALLELISM="false")
    from pav.config import load_config
    from pav.deployments.deploy import deploy_all
    from pav.flows.evolve import evolve
    from pav.services import stop_tree

    rows: dict[str, dict] = {}
    try:
        for n in args.workers:
            cfg = load_config("quick", [
                f"store={scratch / f'run-{n}'}", f"evolve.prompts.limit={args.prompts}", "evolve.prompts.stride=1",
                f"evolve.shard_size={args.shard_size}", f"evolve.rounds={args.rounds}", "dispatch=deployments",
                f"generator.options={{frames: 8, size: 32, gpu_seconds: {args.gpu_seconds}}}", "gpu_poll_s=0.5"])
            deploy_all(cfg, gpus=n)
            workers = subprocess.Popen(
                [sys.executable, "-m", "pav.cli", "worker", "--pool", "gpu", "--gpus", ",".join(map(str, range(n)))],
                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                time.sleep(5)  # the workers register and start polling
                began = time.perf_counter()
                result = evolve(cfg)
                wall = time.perf_counter() - began
            finally:
                stop_tree(workers)
            videos = sum(r["candidates"] for r in result["rounds"])
            rows[str(n)] = {"wall_s": round(wall, 1), "videos": videos}
            print(f"{n} gpu worker(s): {wall:.1f} s for {videos} videos", flush=True)
    finally:
        stop_tree(server)
    t1 = rows[str(min(args.workers))]["wall_s"] * min(args.workers)
    for n, row in rows.items():
        row["efficiency"] = round(t1 / (int(n) * row["wall_s"]), 3)
    gpu_total = next(iter(rows.values()))["videos"] * args.gpu_seconds
    print(f"\n{args.prompts} prompts, shards of {args.shard_size}, {args.rounds} round(s), "
          f"{args.gpu_seconds} simulated GPU s per video ({gpu_total:.0f} GPU s in all)")
    print("| gpu workers | wall s | efficiency T1/(N*TN) |\n|---|---|---|")
    for n, row in rows.items():
        print(f"| {n} | {row['wall_s']} | {row['efficiency']} |")
    print(json.dumps({n: {"wall_s": r["wall_s"], "efficiency": r["efficiency"]} for n, r in rows.items()}))


if __name__ == "__main__":
    main()
