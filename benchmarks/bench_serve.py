"""Dynamic batching of `pav serve`: 64 requests from 16 concurrent clients, batched vs one request at a time.

Starts `pav serve` twice on 127.0.0.1 (--max-batch 16, then --max-batch 1) with the same enhancer (by default
the untuned SmolLM2-135M from its package; --model takes a `pav train` model directory), sends the same
requests through the openai client, and prints p50/p95 latency, requests per second and the speedup.

    .venv/bin/python benchmarks/bench_serve.py [--model DIR] [--requests 64] [--clients 16] [--max-tokens 48]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

PROMPTS = [line.strip() for line in Path(__file__).with_name("everyday_prompts.txt").read_text().splitlines() if line]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(model: str, max_batch: int, requests: int, clients: int, max_tokens: int) -> dict:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "pav.cli", "serve", "--model", model, "--port", str(port),
                               "--max-batch", str(max_batch), "--queue", str(requests)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", timeout=600, max_retries=0)
    try:
        deadline = time.time() + 180
        while True:
            try:
                client.models.list()
                break
            except openai.APIConnectionError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("pav serve did not come up") from None
                time.sleep(0.5)

        def one(i: int) -> float:
            began = time.perf_counter()
            client.chat.completions.create(model="enhancer", max_tokens=max_tokens, messages=[
                {"role": "user", "content": PROMPTS[i % len(PROMPTS)]}])
            return time.perf_counter() - began

        one(0)  # warm-up: the first call pays for lazy initialisation
        began = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            latencies = sorted(pool.map(one, range(requests)))
        wall = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(60)
    return {"max_batch": max_batch, "answered": len(latencies), "wall_s": round(wall, 2),
            "requests_per_s": round(len(latencies) / wall, 3),
            "p50_s": round(statistics.median(latencies), 2),
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: the untuned SmolLM2-135M)")
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()
    if args.model is None:
        from pav.models.base_model import resolve_base_model

        args.model = str(resolve_base_model("smollm2-135m"))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    rows = [run(args.model, b, args.requests, args.clients, args.max_tokens) for b in (16, 1)]
    for row in rows:
        print(f"max_batch {row['max_batch']:>2}: {row['answered']} answered in {row['wall_s']} s, "
              f"{row['requests_per_s']} req/s, p50 {row['p50_s']} s, p95 {row['p95_s']} s")
    speedup = rows[0]["requests_per_s"] / rows[1]["requests_per_s"]
    print(f"batching speedup at {args.clients} concurrent clients: {speedup:.2f}x")
    print(json.dumps({"batched": rows[0], "one_at_a_time": rows[1], "speedup": round(speedup, 2)}))


if __name__ == "__main__":
    main()
