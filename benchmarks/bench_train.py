"""Times SFT, one DPO round and sampling of the SmolLM2-135M enhancer on CPU at a demo-like size.

Usage: .venv/bin/python benchmarks/bench_train.py [--pairs 64] [--threads 2 1] [--max-length 256]
       [--instructions booster short]
Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from pav.models.enhancer import Enhancer  # noqa: E402
from pav.models.base_model import SMOLLM2, resolve_base_model  # noqa: E402
from pav.models.training import DPOSettings, SFTSettings, train_dpo, train_sft  # noqa: E402

VBENCH = Path(__file__).resolve().parents[1] / "data" / "vbench"


def lines(name: str, n: int) -> list[str]:
    return [line.strip() for line in (VBENCH / name).read_text(encoding="utf-8").splitlines() if line.strip()][:n]


def report(**fields) -> None:
    print(json.dumps(fields), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=64, help="SFT pairs and DPO triplets")
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1], help="torch thread counts to compare")
    parser.add_argument("--max-length", type=int, default=256, help="tokens per training chat")
    parser.add_argument("--sample-prompts", type=int, default=8, help="prompts for the sampling measurement")
    parser.add_argument("--skip-dpo", action="store_true", help="time SFT and sampling only")
    parser.add_argument("--instructions", nargs="+", default=["booster"], choices=["booster", "short"],
                        help="the enhancer instructions to compare (train.sft.instruction)")
    args = parser.parse_args()

    started = time.perf_counter()
    base = resolve_base_model(SMOLLM2)
    report(stage="resolve_base_model", seconds=round(time.perf_counter() - started, 2))
    prompts = lines("all_dimension.txt", args.pairs)
    pairs = pd.DataFrame({"prompt": prompts, "completion": lines("all_dimension_gpt_enhanced.txt", args.pairs)})
    triplets = pairs.rename(columns={"completion": "chosen"}).assign(
        rejected=lines("all_dimension_wan_extended.txt", args.pairs))

    with tempfile.TemporaryDirectory(prefix="pav-bench-") as scratch:
        for instruction in args.instructions:
            for threads in args.threads:
                measure(base, pairs, triplets, prompts, Path(scratch) / f"{instruction}{threads}", threads, instruction,
                        args)


def measure(base, pairs, triplets, prompts, out: Path, threads: int, instruction: str, args) -> None:
    torch.set_num_threads(threads)
    sft = train_sft(pairs, base, out / "sft", SFTSettings(epochs=1, batch_size=8, max_length=args.max_length,
                                                           instruction=instruction))
    report(stage="sft", instruction=instruction, threads=threads, pairs=args.pairs, steps=sft["steps"],
           seconds=sft["seconds"], loss_first=sft["loss_first"], loss_last=sft["loss_last"])
    if not args.skip_dpo:
        dpo = train_dpo(triplets, out / "sft" / "merged", out / "dpo",
                        DPOSettings(epochs=1, batch_size=4, max_length=args.max_length))
        report(stage="dpo", instruction=instruction, threads=threads, triplets=args.pairs, steps=dpo["steps"],
               seconds=dpo["seconds"], margins_last=dpo.get("rewards/margins_last"))
    enhancer = Enhancer.from_pretrained(out / "sft" / "merged")
    started = time.perf_counter()
    texts = enhancer.enhance(prompts[:args.sample_prompts], num_return_sequences=5, temperature=0.7, max_new_tokens=120)
    seconds = time.perf_counter() - started
    report(stage="sample", instruction=instruction, threads=threads, prompts=args.sample_prompts,
           num_return_sequences=5, max_new_tokens=120, seconds=round(seconds, 2),
           prompts_per_s=round(args.sample_prompts / seconds, 3), example=texts[0][0][:200])

if __name__ == "__main__":
    main()
