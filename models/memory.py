"""GPU memory of a model process: whether an error is out of memory, and giving cached CUDA memory back."""

from __future__ import annotations

import sys


def free_gpu_cache() -> None:
    """Return cached CUDA memory to the driver (a no-op where torch was never loaded or has no GPU)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA (or CPU allocator) out of memory: worth a retry with a smaller batch after freeing the cache."""
    return (isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError"
            or "out of memory" in str(error).lower())
