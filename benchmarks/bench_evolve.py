"""The data engine's cost per source prompt and round, at two sizes, to show how it grows.

Runs the stage functions directly (no orchestration) on fresh stores and prints, per round, the
seconds, videos rendered and operator calls divided by the number of source prompts.

    .venv/bin/python benchmarks/bench_evolve.py [--sizes 8 32] [--rounds 3] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from pav.environment import apply_defaults  # noqa: E402

apply_defaults()

import pandas as pd  # noqa: E402

from pav.data.prompts import load_prompts  # noqa: E402
from pav.data.store import Store  # noqa: E402
from pav.models.rendering import render  # noqa: E402
from pav.data.records import originals_as_candidates  # noqa: E402
from pav.tasks.mutate import propose  # noqa: E402
from pav.config import load_config  # noqa: E402
from pav.rewards.scoring import score_videos  # noqa: E402
from pav.rewards.selection import best_per_prompt  # noqa: E402
from pav.rewards.selection import judged_records  # noqa: E402
from pav.models.operators import load_operator  # noqa: E402


def run(size: int, rounds: int, sets: list[str]) -> list[dict]:
    cfg = load_config("demo", sets + [f"evolve.prompts.limit={size}"])
    store = Store(Path(tempfile.mkdtemp(prefix="pav-bench-evolve-")))
    operator = load_operator(cfg.operator.name, cfg.operator.options)
    candidates = originals_as_candidates(load_prompts(cfg.evolve.prompts))
    log, rows = pd.DataFrame(), []
    for round_ in range(rounds + 1):
        began = time.perf_counter()
        calls = 0
        if round_ > 0:
            candidates, stats = propose(operator, log, cfg.evolve.top_n, cfg.evolve.variants, round_, cfg.evolve.seed)
            calls = stats["requests"]
        mutate_s = time.perf_counter() - began
        videos, counts = render(store, cfg.generator.name, cfg.generator.options, candidates["prompt"].tolist(),
                                [cfg.evolve.seed] * len(candidates))
        render_s = time.perf_counter() - began - mutate_s
        scores, _ = score_videos(store, videos, candidates["original"].tolist(), cfg.rewards.suite)
        score_s = time.perf_counter() - began - mutate_s - render_s
        log = pd.concat([log, judged_records(candidates, videos, scores, cfg.rewards.aggregation,
                                             cfg.rewards.intent)], ignore_index=True)
        seconds = time.perf_counter() - began
        rows.append({"prompts": size, "round": round_, "s/prompt": seconds / size,
                     "mutate s/prompt": mutate_s / size, "render s/prompt": render_s / size,
                     "score s/prompt": score_s / size, "videos/prompt": counts["rendered"] / size,
                     "operator calls/prompt": calls / size,
                     "best overall": best_per_prompt(log)["overall"].mean()})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--set", dest="sets", action="append", default=[])
    args = parser.parse_args()
    rows = [row for size in args.sizes for row in run(size, args.rounds, args.sets)]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
