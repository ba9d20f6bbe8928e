"""Orchestration policy of every stage task: cache keys with code versions, the retry condition, result storage,
artifact keys, the logger, and which model family a worker process holds.

Every stage task returns artifact references (JSON-serialised, never DataFrames, never pickle) and
is cached on INPUTS + TASK_SOURCE + the implementation version of the code it runs, with two more
rules: a cached result whose artifact has since been deleted is not trusted, so that stage recomputes
instead of handing out a dangling reference; and neither is one that recorded failed items (a video
that ran out of memory, a score that timed out), so the next run redoes them, and only them, since
the finished items come from the per-item caches.
"""

from __future__ import annotations

import gc
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from prefect.cache_policies import INPUTS, TASK_SOURCE, CachePolicy
from prefect.context import TaskRunContext
from prefect.exceptions import MissingContextError
from prefect.filesystems import RemoteFileSystem
from prefect.logging import get_run_logger
from prefect.utilities.hashing import hash_objects

from pav.data.registry import code_version
from pav.data.store import ArtifactRef, Store, content_key
from pav.models.memory import free_gpu_cache, is_out_of_memory


def _refs(value: Any) -> list[ArtifactRef]:
    if isinstance(value, ArtifactRef):
        return [value]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v)]
    return []


@dataclass
class StoredArtifacts(CachePolicy):
    """INPUTS + TASK_SOURCE + the code_version of its module, moved to a fresh key when the cached result is not final."""

    def compute_key(self, task_ctx: TaskRunContext, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> Optional[str]:
        key = (INPUTS + TASK_SOURCE).compute_key(task_ctx, inputs, flow_parameters, **kwargs)
        key = key and hash_objects(key, code_version(task_ctx.task.fn.__module__))
        records = task_ctx.result_store
        # Each untrusted record moves the key one step along a deterministic chain, so later runs find
        # the recomputed record while the stale one is never read again.
        while key is not None and records.exists(key):
            refs = _refs(records.read(key).result)
            if all(ref.exists() and not ref.failed for ref in refs):
                break
            key = hash_objects(key, "not-final")
        return key


STAGE_CACHE = StoredArtifacts()
STAGE_OPTIONS = dict(cache_policy=STAGE_CACHE, persist_result=True, result_serializer="json")


def is_transient(error: BaseException) -> bool:
    """Worth running again as it is: out of memory (the cache is freed first), a timeout, a dropped
    connection, a 5xx from a server. A bad input or a bug fails the same way every time."""
    status = getattr(error, "status_code", None) or getattr(getattr(error, "response", None), "status_code", None)
    return (is_out_of_memory(error) or isinstance(error, (TimeoutError, ConnectionError))
            or (isinstance(status, int) and status >= 500))


def retry_transient(task, task_run, state) -> bool:
    """Prefect retry condition of the GPU stages: retry only transient errors."""
    try:
        state.result()
    except Exception as e:  # the failed state re-raises what the task raised
        if is_out_of_memory(e):
            gc.collect()
            free_gpu_cache()
        return is_transient(e)
    return False


# The GPU stages: retried after transient errors (a sibling's memory spike, a flaky mount), never after
# a bad input; each retry redoes only unfinished items, since finished ones are in the item caches.
GPU_STAGE_OPTIONS = dict(STAGE_OPTIONS, tags=["gpu"], retries=2, retry_delay_seconds=5,
                         retry_condition_fn=retry_transient)


def result_storage(store_root: str) -> Path | str:
    """Prefect result storage under the run root, so every worker sharing the store shares results.

    A local root is a plain path; a remote one (s3://, gs://, memory://) becomes a saved
    RemoteFileSystem block named after the root, since Prefect only passes saved blocks to workers.
    """
    url = Store(store_root).url(".prefect-results")
    if "://" not in url or url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    name = f"pav-results-{content_key(url)}"
    RemoteFileSystem(basepath=url).save(name, overwrite=True)
    return f"remote-file-system/{name}"


def on_store(store_root: str, *stage_tasks):
    """The stage tasks with their results kept under the run root."""
    storage = result_storage(store_root)
    bound = tuple(t.with_options(result_storage=storage) for t in stage_tasks)
    return bound if len(bound) > 1 else bound[0]


def artifact_key(store_root: str, name: str) -> str:
    """A Prefect artifact key for `name` in this store ("evolve-pairs-runs-demo-3f2a"): two stores'
    artifacts never share a key. Keys allow lowercase letters, digits and dashes."""
    tail = "-".join(Path(str(store_root).rstrip("/")).parts[-2:])
    slug = re.sub(r"[^a-z0-9]+", "-", tail.lower()).strip("-")[:40]
    return f"{name}-{slug}-{content_key(str(store_root))[:4]}".replace("--", "-")


def secret(name: str | None) -> str | None:
    """The value of the Prefect Secret block `name` (None without one): read when a stage needs it, never stored
    in a config, a cache key or a log."""
    if not name:
        return None
    from prefect.blocks.system import Secret

    return Secret.load(name).get()


def stage_logger():
    """The Prefect run logger inside a run, a standard logger when a stage is called as a plain function."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("pav")


def hold_models(family: str) -> bool:
    """Keep only `family`'s models ("generator", "rewards" or "llm") in this worker process; True where the
    previous family's memory was given back.

    A worker runs generate, score, sample and train one after another: holding CogVideoX-5B,
    VideoScore, MPS, CLIP and Llama-3-8B together would not fit a GPU (docs/real-models.md has the
    per-stage plan), so entering a stage releases the others and returns their CUDA memory.
    """
    # Looked up, not imported: a family this process never loaded holds nothing, and an import here
    # would make every stage's code_version depend on every backend.
    for name, package, unload in (("generator", "pav.models.generators", "unload_generators"),
                                  ("rewards", "pav.rewards", "unload_rewards")):
        if family != name and package in sys.modules:
            getattr(sys.modules[package], unload)()
    previous, _HELD["family"] = _HELD["family"], family
    if previous not in (None, family):
        # also after a family that caches nothing (sampling, SFT and DPO drop their models when they end): what
        # they freed stays reserved by torch's allocator until emptied, out of the next family's reach
        gc.collect()
        free_gpu_cache()
        return True
    return False


_HELD: dict[str, str | None] = {"family": None}  # the family this process last held
