"""Precision names of the configuration (fp32, bf16, fp16) and their torch dtypes: one table for models and judges."""

from __future__ import annotations

PRECISIONS = ("fp32", "bf16", "fp16")


def torch_dtype(name: str, option: str = "torch_dtype"):
    """The torch dtype of a precision name; `option` names the setting in the error."""
    if name not in PRECISIONS:
        raise ValueError(f"unknown {option} {name!r}; valid: {', '.join(PRECISIONS)}")
    import torch  # here, not above: data/ is imported where torch never is

    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]
