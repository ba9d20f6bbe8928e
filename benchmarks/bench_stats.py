"""How long the evaluation statistics take: the paper's table with 1000 paired bootstrap resamples, for 8
methods on 64 prompts (the size of a GPU profile's evaluation), median of 5 runs. A benchmark, not a test:
timings on a shared machine are noise for a test.

    .venv/bin/python benchmarks/bench_stats.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from pav.data.schemas import DIMENSIONS
from pav.rewards.aggregate import AggregationConfig, overall
from pav.rewards.evaluation import method_table, win_rates

METHODS = ["original", "best-suffix", "booster", "gpt4-upsampler", "wan-extender", "base-llm", "sft", "dpo-2"]


def frame(prompts: int = 64, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [{"method": m, "prompt_id": f"p{p}", "seed": 0, "intent": 1.0, "keeps_intent": True,
             **{d: float(rng.uniform(1.5, 3.5)) for d in DIMENSIONS}} for m in METHODS for p in range(prompts)]
    out = pd.DataFrame(rows)
    out["overall"] = overall(out, AggregationConfig())
    return out


def main() -> None:
    evals = frame()
    for name, fn in (("method_table, 1000 resamples", lambda: method_table(evals, AggregationConfig(), n_boot=1000)),
                     ("win_rates", lambda: win_rates(evals, ["original", "best-suffix"]))):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        print(f"{name}: median {statistics.median(times):.3f} s over 5 runs ({len(METHODS)} methods, 64 prompts)")


if __name__ == "__main__":
    main()
