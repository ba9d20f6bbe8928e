"""Bounded retries with exponential backoff, for every client of a remote service (chat endpoints, reward
servers): one schedule, so a flaky server is treated the same wherever it is called."""

from __future__ import annotations

import time
from typing import Iterator

MAX_BACKOFF_S = 60.0  # a single wait never exceeds this, however many retries are configured


def attempts(max_retries: int, backoff_s: float) -> Iterator[int]:
    """Attempt numbers 0..max_retries, sleeping backoff_s x 2^(n-1) (at most MAX_BACKOFF_S) before attempt n > 0.
    The caller `continue`s on a transient failure and returns on anything else."""
    for attempt in range(max_retries + 1):
        if attempt:
            time.sleep(min(backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S))
        yield attempt
