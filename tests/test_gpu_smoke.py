"""The GPU smoke script checks itself on the CPU with tiny checkpoints, and never reports a skipped stage as a pass."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def smoke(*args: str) -> tuple[int, dict, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_smoke.py"), "--self-check", *args],
                          capture_output=True, text=True, env=env, timeout=600)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1]), done.stdout + done.stderr


def test_self_check_runs_every_stage_on_the_cpu():
    code, report, output = smoke()
    assert code == 0, output
    assert report["device"] == "cpu" and not report["failed"] and not report["skipped"]
    stages = [s["stage"] for s in report["stages"]]
    assert len(stages) >= 8 and all(s.get("error") is None for s in report["stages"]), stages
    assert any(s.startswith("sft") for s in stages) and any(s.startswith("dpo") for s in stages)


def test_a_skipped_stage_is_no_pass(tmp_path):
    code, report, output = smoke("--mps", str(tmp_path / "missing.safetensors"))
    assert code == 1 and "not a full check" in output
    assert [s for s in report["skipped"] if "mps" in s.lower()], report["skipped"]
    code, report, _ = smoke("--mps", str(tmp_path / "missing.safetensors"), "--allow-skips")
    assert code == 0 and report["skipped"]
