"""Dynamic batching for `pav serve`: requests that arrive together become one generate call of the enhancer.

The batcher takes the first waiting request, gathers more for up to `max_wait_ms`, and runs one batch per
(temperature, max_tokens, n); a bounded queue answers 503 when it is full.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from pav.models.enhancer import Enhancer


class ServeError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


@dataclass
class Job:
    prompt: str
    temperature: float
    max_tokens: int
    n: int
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future


class Batcher:
    """Turns queued jobs into batched generate calls, all on one thread (the model is not thread-safe).

    `serve` runs it on the main thread and the HTTP server beside it: on 2 CPU cores torch's OpenMP
    threads helped only the main thread (SmolLM2, 48 tokens: 1.58 s on the main thread, 2.51 s on
    another, the same as with one thread), so a batcher thread made single requests 1.6x slower.
    """

    def __init__(self, enhancer: Enhancer, max_batch: int, max_wait_ms: float, queue_size: int):
        self.enhancer, self.max_batch, self.max_wait = enhancer, max_batch, max_wait_ms / 1000
        self.jobs: queue.Queue[Job | None] = queue.Queue(maxsize=queue_size)
        self.batches: list[int] = []  # sizes of the generate calls made, for the benchmark and tests
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run in a background thread (for an app served by someone else's event loop)."""
        self._thread = threading.Thread(target=self.run, name="pav-batcher", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        try:
            self.jobs.put_nowait(job)
        except queue.Full:
            raise ServeError(503, f"the queue is full ({self.jobs.maxsize} requests waiting); retry later",
                             "server_overloaded") from None

    def stop(self) -> None:
        self.jobs.put(None)
        if self._thread is not None:
            self._thread.join(30)

    def run(self) -> None:
        """Serve batches until stop()."""
        while True:
            first = self.jobs.get()
            if first is None:
                return
            # Gather until the requests stop coming (a gap of max_wait) or the batch is full; clients that
            # were all answered at once come back one by one over tens of milliseconds, and a fixed window
            # from the first arrival split them into half batches. The cap bounds the first one's wait.
            batch, cap = [first], time.monotonic() + 5 * self.max_wait
            while len(batch) < self.max_batch:
                try:
                    job = self.jobs.get(timeout=max(min(self.max_wait, cap - time.monotonic()), 0))
                except queue.Empty:
                    break
                if job is None:
                    self.jobs.put(None)  # stop after this batch
                    break
                batch.append(job)
            groups: dict[tuple, list[Job]] = {}
            for job in batch:
                groups.setdefault((job.temperature, job.max_tokens, job.n), []).append(job)
            for (temperature, max_tokens, n), jobs in groups.items():
                self.batches.append(len(jobs))
                try:
                    texts = self.enhancer.enhance([j.prompt for j in jobs], num_return_sequences=n,
                                                  temperature=temperature, max_new_tokens=max_tokens,
                                                  batch_size=len(jobs))
                    outcomes: list[Any] = [t if n > 1 else [t] for t in texts]
                except Exception as e:  # a failed batch fails its requests, never the server
                    outcomes = [ServeError(500, f"generation failed: {e}", "server_error")] * len(jobs)
                for job, outcome in zip(jobs, outcomes):
                    job.loop.call_soon_threadsafe(_settle, job.done, outcome)


def _settle(future: asyncio.Future, outcome: Any) -> None:
    if future.done():  # the client went away
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
