"""Reward weights from configured files: safetensors or a tensors-only .pth, never a pickled model."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch

from pav.data.precision import torch_dtype
from safetensors.torch import load_file
from torch import nn


def load_weights(path: str | Path, option: str, source: str) -> dict[str, torch.Tensor]:
    """The state_dict in `path`; a missing file names the option that sets it and where to get it."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{option}: weights file {str(path)!r} not found (get it from {source})")
    if path.suffix == ".safetensors":
        return load_file(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # a pickled nn.Module: refuse rather than run its code
        raise ValueError(
            f"{option}: {str(path)!r} is not a plain state_dict (it pickles objects); "
            "convert it once to safetensors (see docs/real-models.md)"
        ) from err


def load_into(module: nn.Module, state_dict: dict[str, torch.Tensor], path: str | Path) -> nn.Module:
    """Load strictly; a mismatch lists the first offending key names and the file."""
    result = module.load_state_dict(state_dict, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f"{str(path)!r} does not match {type(module).__name__}: "
            f"missing {result.missing_keys[:5]}, unexpected {result.unexpected_keys[:5]}"
        )
    return module


def dtype_from(name: str) -> torch.dtype:
    """The torch dtype for "bf16" / "fp16" / "fp32"."""
    return torch_dtype(name)
