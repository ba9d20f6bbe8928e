"""GPU smoke test: every real backend once at minimum size, with seconds and peak GPU memory per stage.

For whoever next has a GPU: checks in minutes that the real checkpoints load on the right device and
precision, run, and release their memory between stages (the per-stage plan in docs/real-models.md is
an estimate until this has been run). A stage whose checkpoint is missing is skipped, and a stage that fails is
reported with its error while the rest still run; either way the script exits non-zero, since a check with a
stage left out is no check of it (`--allow-skips` accepts skips, for a machine that lacks some checkpoints on
purpose). The last line is one JSON object. `--self-check` runs in CI (tests/test_gpu_smoke.py).

    python benchmarks/gpu_smoke.py --weights /weights [--device cuda] [--dtype bf16]
        [--opensora-checkout /opt/Open-Sora --opensora-python /opt/Open-Sora/.venv/bin/python]

Expected under --weights (or pass each path): CogVideoX-5b/, Wan2.1-T2V-1.3B-Diffusers/, VideoScore/,
clip-vit-large-patch14/ with sa_0_4_vit_l_14_linear.pth, CLIP-ViT-H-14-laion2B-s32B-b79K/ with
MPS_overall.safetensors, Meta-Llama-3-8B-Instruct/ (local copies; nothing is downloaded).
`--self-check` builds tiny random checkpoints (tests/tiny_*.py) and runs every stage on the CPU, to show
the script itself works on a machine without a GPU.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pav.models.enhancer import Enhancer
from pav.models.generators import load_generator
from pav.models.training import train_dpo, train_sft
from pav.models.training_settings import DPOSettings, SFTSettings
from pav.rewards import load_reward
from pav.tasks.orchestration import hold_models

PROMPTS = ["a black cat jumping onto a windowsill", "a sailboat drifting on a calm lake"]


def measure(name: str, family: str, device: str, work) -> dict:
    """Run one stage after releasing the other model families; its seconds and peak memory."""
    hold_models(family)
    on_gpu = device.startswith("cuda")
    if on_gpu:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    began = time.perf_counter()
    try:
        detail, error = work(), None
    except Exception as e:  # noqa: BLE001 - a smoke test reports every stage
        detail, error = None, f"{type(e).__name__}: {e}"[:300]
    if on_gpu:
        torch.cuda.synchronize()
    row = {"stage": name, "seconds": round(time.perf_counter() - began, 1),
           "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if on_gpu else None,
           "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
           "detail": detail, "error": error}
    status = f"FAILED {error}" if error else detail
    memory = f"{row['peak_gpu_gib']} GiB GPU" if on_gpu else f"{row['peak_rss_gib']} GiB RSS (process peak)"
    print(f"{name:<22} {row['seconds']:>7.1f} s  {memory:<28} {status}", flush=True)
    return row


def stages(args) -> list[tuple[str, str, list[Path], object]]:
    """(name, model family, paths it needs, work) for every backend."""
    w, dev, dtype = Path(args.weights), args.device, args.dtype
    paths = {k: Path(v) if isinstance(v, str) else None for k, v in vars(args).items()}
    cog, wan = paths["cogvideox"] or w / "CogVideoX-5b", paths["wan"] or w / "Wan2.1-T2V-1.3B-Diffusers"
    videoscore, llama = paths["videoscore"] or w / "VideoScore", paths["llm"] or w / "Meta-Llama-3-8B-Instruct"
    clip_l, head = paths["clip_l"] or w / "clip-vit-large-patch14", paths["aesthetic_head"] or w / "sa_0_4_vit_l_14_linear.pth"
    clip_h, mps = paths["clip_h"] or w / "CLIP-ViT-H-14-laion2B-s32B-b79K", paths["mps"] or w / "MPS_overall.safetensors"
    videos: list[np.ndarray] = []
    small = args.self_check  # tiny random models: tiny frames too

    def generate(name: str, options: dict):
        def work():
            gen = load_generator(name, options)
            out = gen.generate(PROMPTS[:1], [0])
            if out[0].error:
                raise RuntimeError(out[0].error)
            videos.append(out[0].frames)
            return f"{out[0].frames.shape[0]} frames of {out[0].frames.shape[1]}x{out[0].frames.shape[2]}"
        return work

    def score(name: str, options: dict):
        def work():
            clip = videos[-1] if videos else np.random.default_rng(0).integers(0, 255, (16, 64, 64, 3), dtype=np.uint8)
            scores = load_reward(name, {"device": dev, **options}).score([clip], PROMPTS[:1])[0]
            return ", ".join(f"{k} {v:.2f}" for k, v in scores.items())
        return work

    def sample():
        enhancer = Enhancer.from_pretrained(llama, dev, dtype)
        texts = enhancer.enhance(PROMPTS, num_return_sequences=5, temperature=1.0, top_k=50, top_p=1.0,
                                 max_new_tokens=64, seed=0)
        return f"{sum(len(t) for t in texts)} rewrites, e.g. {texts[0][0][:60]!r}"

    scratch = Path(tempfile.mkdtemp(prefix="pav-gpu-smoke-"))
    train = dict(dtype=dtype, gradient_checkpointing=not small, max_steps=1, batch_size=2, max_length=256)

    def sft():
        pairs = pd.DataFrame({"prompt": PROMPTS, "completion": [p + ", golden hour light, slow dolly-in" for p in PROMPTS]})
        metrics = train_sft(pairs, llama, scratch / "sft", SFTSettings(**train))
        return f"{metrics['steps']} step, loss {metrics['log'][-1].get('loss', float('nan')):.3f}"

    def dpo():
        triplets = pd.DataFrame({"prompt": PROMPTS, "chosen": [p + ", soft light" for p in PROMPTS],
                                 "rejected": ["a dog", "a car"]})
        policy = scratch / "sft" / "merged" if (scratch / "sft" / "merged").exists() else llama
        metrics = train_dpo(triplets, policy, scratch / "dpo", DPOSettings(**train))
        return f"{metrics['steps']} step"

    found = [
        ("generate cogvideox", "generator", [cog], generate("diffusers", dict(
            model=str(cog), torch_dtype=dtype, device=dev, num_frames=8 if small else 9,
            num_inference_steps=2 if small else 4, height=16 if small else 480, width=16 if small else 720,
            enable_vae_tiling=not small, call_kwargs={"max_sequence_length": 16} if small else {}))),
        ("generate wan", "generator", [wan], generate("diffusers", dict(
            model=str(wan), torch_dtype=dtype, device=dev, num_frames=5, num_inference_steps=2 if small else 4,
            height=32 if small else 480, width=32 if small else 832))),
    ]
    if args.opensora_checkout:
        found.append(("generate opensora", "generator", [Path(args.opensora_checkout)], generate("opensora", dict(
            checkout=args.opensora_checkout, python=args.opensora_python, resolution="240p",
            num_frames="2s", extra_args=["--num-sampling-steps", "4"]))))
    found += [
        ("score videoscore", "rewards", [videoscore], score("videoscore", dict(model=str(videoscore), torch_dtype=dtype))),
        ("score laion-aesthetic", "rewards", [clip_l, head], score("laion-aesthetic", dict(head=str(head), clip_model=str(clip_l)))),
        ("score mps", "rewards", [clip_h, mps], score("mps", dict(checkpoint=str(mps), clip_model=str(clip_h), torch_dtype=dtype))),
        ("sample enhancer", "llm", [llama], sample),
        ("sft (1 step)", "llm", [llama], sft),
        ("dpo (1 step)", "llm", [llama], dpo),
    ]
    return found


def self_check_weights(root: Path) -> dict[str, str]:
    """Tiny random checkpoints in the layout gpu_smoke expects (CPU, seconds)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from safetensors.torch import save_file
    from tiny_models import tiny_chat_model
    from tiny_vision import save_tiny_clip, save_tiny_cogvideox, save_tiny_videoscore, save_tiny_wan
    from transformers import CLIPModel

    from pav.rewards.mps import MpsModel

    save_tiny_cogvideox(root / "cog")
    save_tiny_wan(root / "wan")
    save_tiny_videoscore(root / "videoscore")
    clip = save_tiny_clip(root / "clip")
    torch.save(torch.nn.Linear(clip.config.projection_dim, 1).state_dict(), root / "head.pth")
    mps = MpsModel(CLIPModel.from_pretrained(root / "clip").config)
    save_file(mps.state_dict(), root / "mps.safetensors")
    tiny_chat_model(root / "llm")
    return dict(cogvideox=root / "cog", wan=root / "wan", videoscore=root / "videoscore", clip_l=root / "clip",
                aesthetic_head=root / "head.pth", clip_h=root / "clip", mps=root / "mps.safetensors", llm=root / "llm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="/weights", help="directory holding the checkpoints")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "fp32"])
    for name in ("cogvideox", "wan", "videoscore", "clip_l", "aesthetic_head", "clip_h", "mps", "llm"):
        parser.add_argument(f"--{name.replace('_', '-')}", default=None, help=f"path of the {name} checkpoint")
    parser.add_argument("--opensora-checkout", default=None)
    parser.add_argument("--opensora-python", default=None)
    parser.add_argument("--self-check", action="store_true", help="tiny random checkpoints on the CPU")
    parser.add_argument("--allow-skips", action="store_true", help="exit 0 although a stage's checkpoint is missing")
    args = parser.parse_args()
    if args.self_check:
        args.device, args.dtype = "cpu", "fp32"
        for key, value in self_check_weights(Path(tempfile.mkdtemp(prefix="pav-tiny-"))).items():
            if getattr(args, key) is None:  # a path given on the command line stays
                setattr(args, key, str(value))
    if args.opensora_checkout and not args.opensora_python:
        sys.exit("gpu_smoke: --opensora-checkout needs --opensora-python (Open-Sora's own interpreter)")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("gpu_smoke: no CUDA device is visible (use --self-check to test the script on the CPU)")
    print(f"device {args.device}, dtype {args.dtype}, torch {torch.__version__}"
          + (f", {torch.cuda.get_device_name()}" if args.device.startswith("cuda") else ""))
    rows = []
    for name, family, needs, work in stages(args):
        missing = [str(p) for p in needs if not Path(p).exists()]
        if missing:
            print(f"{name:<22} skipped: no {', '.join(missing)}")
            rows.append({"stage": name, "skipped": missing})
            continue
        rows.append(measure(name, family, args.device, work))
    failed = [r["stage"] for r in rows if r.get("error")]
    skipped = [r["stage"] for r in rows if r.get("skipped")]
    if skipped and not args.allow_skips:
        print(f"gpu_smoke: not a full check: {len(skipped)} stage(s) skipped ({', '.join(skipped)}); give their "
              "checkpoints, or --allow-skips")
    print(json.dumps({"device": args.device, "dtype": args.dtype, "stages": rows, "failed": failed,
                      "skipped": skipped}))
    sys.exit(1 if failed or (skipped and not args.allow_skips) else 0)


if __name__ == "__main__":
    main()
