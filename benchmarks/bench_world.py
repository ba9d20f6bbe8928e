"""Throughput of the simulated world (one thread) and mean overall per profile for original, GPT-enhanced,
constant-suffix (a generic booster, the camera + light suffix the old world rewarded everywhere, and the place +
light suffixes the first content-fit world rewarded on most prompts) and
profile-tailored prompts (details that fit each prompt, of the kinds the profile likes) on a VBench sample.

Run: .venv/bin/python benchmarks/bench_world.py [--every 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import pandas as pd

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from pav.data.sim_fit import fitting_rewrite  # noqa: E402
from pav.models.generators.sim import SimScenic, SimSteady  # noqa: E402
from pav.rewards import SUITES, load_reward  # noqa: E402
from pav.rewards.aggregate import AggregationConfig, overall, passes  # noqa: E402

KINDS = {  # the kinds of fitting detail each profile prefers (see models/generators/sim.py)
    "sim-steady": ("camera", "lighting", "subject", "motion"),
    "sim-scenic": ("scene", "lighting", "subject"),
}
SUFFIXES = {"booster": ", high quality, highly detailed, cinematic lighting, 4k",
            "camera+light suffix": ", bright daylight, camera pans left slowly",
            # the best suffixes the search found in the first content-fit world (2026-12-06): a place and its light
            "place+light suffix": ", in a cozy living room, soft window light, warm lamplight",
            "street suffix": ", on a bustling city street, street signs, passing traffic"}


def score(videos, originals) -> pd.DataFrame:
    rows = [{} for _ in videos]
    for name in SUITES["cv"]:
        for row, s in zip(rows, load_reward(name).score(videos, originals)):
            row.update(s)
    return pd.DataFrame(rows)


def timed(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--every", type=int, default=20, help="take every n-th VBench prompt")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    originals = (ROOT / "data/vbench/all_dimension.txt").read_text().splitlines()
    gpt = (ROOT / "data/vbench/all_dimension_gpt_enhanced.txt").read_text().splitlines()
    idx = range(0, len(originals), args.every)
    orig = [originals[i] for i in idx]

    gen = SimSteady()
    batch = orig[:32]
    gen_s = timed(lambda: gen.generate(batch, list(range(len(batch)))))
    videos = [v.frames for v in gen.generate(batch, list(range(len(batch))))]
    score_s = timed(lambda: score(videos, batch))
    print(f"demo size {gen.settings()}, one thread, median of 5 runs of {len(batch)} videos:")
    print(f"  generation {len(batch) / gen_s:7.1f} videos/s")
    print(f"  scoring    {len(batch) / score_s:7.1f} videos/s (suite 'cv': {', '.join(SUITES['cv'])})")

    cfg = AggregationConfig()
    table = []
    for cls in (SimSteady, SimScenic):
        g = cls()
        for kind, prompts in (("original", orig), ("gpt-enhanced", [gpt[i] for i in idx]),
                              *((name, [p + suffix for p in orig]) for name, suffix in SUFFIXES.items()),
                              ("tailored", [fitting_rewrite(p, KINDS[g.name], per_kind=2) for p in orig])):
            df = score([v.frames for v in g.generate(prompts, [0] * len(prompts))], orig)
            table.append({"profile": g.name, "prompts": kind, "overall": overall(df, cfg).mean(),
                          "pass rate": passes(df, cfg).mean(), **df.mean().round(2).to_dict()})
    print(f"\nmean scores on {len(orig)} VBench prompts (scored against the original prompt):")
    print(pd.DataFrame(table).round(2).to_string(index=False))


if __name__ == "__main__":
    main()
