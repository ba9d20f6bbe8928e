"""Prefect tasks: one module per paper stage, each a thin wrapper over plain functions.

Every stage task returns artifact references (JSON-serialised, never DataFrames, never pickle) and
is cached on INPUTS + TASK_SOURCE, with one addition: a cached result whose artifact has since been
deleted is not trusted, so that stage recomputes instead of handing out a dangling reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from prefect.cache_policies import INPUTS, TASK_SOURCE, CachePolicy
from prefect.context import TaskRunContext
from prefect.exceptions import MissingContextError
from prefect.filesystems import RemoteFileSystem
from prefect.logging import get_run_logger
from prefect.utilities.hashing import hash_objects

from pav.data.store import ArtifactRef, Store, content_key


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
    """INPUTS + TASK_SOURCE, moved to a fresh key when the cached result's artifacts are gone."""

    def compute_key(self, task_ctx: TaskRunContext, inputs: dict[str, Any],
                    flow_parameters: dict[str, Any], **kwargs: Any) -> Optional[str]:
        key = (INPUTS + TASK_SOURCE).compute_key(task_ctx, inputs, flow_parameters, **kwargs)
        records = task_ctx.result_store
        # Each deletion moves the key one step along a deterministic chain, so later runs find the
        # recomputed record while the stale one is never read again.
        while key is not None and records.exists(key):
            cached = records.read(key).result
            if all(ref.exists() for ref in _refs(cached)):
                break
            key = hash_objects(key, "artifact-deleted")
        return key


STAGE_CACHE = StoredArtifacts()
STAGE_OPTIONS = dict(cache_policy=STAGE_CACHE, persist_result=True, result_serializer="json")


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


def stage_logger():
    """The Prefect run logger inside a run, a standard logger when a stage is called as a plain function."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("pav")
