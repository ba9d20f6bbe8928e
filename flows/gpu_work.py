"""One unit of GPU work as its own flow run on the gpu pool (deployment gpu-work/gpu)."""

from __future__ import annotations

import os
import socket
from typing import Any

from prefect import flow
from pydantic_core import to_jsonable_python

from pav.data.store import Store
from pav.flows.units import load_unit, run_unit, typed_inputs


def worker_identity() -> dict[str, Any]:
    """Which worker and GPU ran this (`pav worker --gpus` names its workers and pins one GPU each)."""
    return {"worker": os.environ.get("PAV_WORKER_NAME"), "gpu": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "host": socket.gethostname(), "pid": os.getpid()}


@flow(name="gpu-work")
def gpu_work(store: str, unit: str, inputs: dict[str, Any], result_path: str, name: str | None = None) -> dict[str, Any]:
    """Run the unit at `unit` ("module:name", flows/units.py) on `inputs` and persist its result (artifact
    references) as JSON at result_path in the store.

    The orchestrating run reads that file: results travel through the shared store, never by
    replaying the stage in the parent.
    """
    work = load_unit(unit)
    output = run_unit(store, work, typed_inputs(work, inputs), name)
    result = {"unit": unit, "result": to_jsonable_python(output), **worker_identity()}
    Store(store).write_json(result_path, result)
    return result
