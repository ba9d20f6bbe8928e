"""Where GPU work runs: here, one unit after another, or fanned out over the gpu pool (RunConfig.dispatch).

With dispatch "deployments" the orchestrating flow (on the cpu pool, or wherever it was started) sends
each unit to the gpu pool as its own flow run of gpu-work/gpu and waits for all of them together, so
N gpu workers run N shards at once. Each child persists its result in the shared store and the parent
reads it; nothing is replayed. Idempotency keys make a retried parent find its children again; a
child that Crashed (its worker was killed, its machine lost) or ran past `gpu_run_timeout_s` (it is
cancelled, and its worker kills the process however stuck) is submitted again, a bounded number of
times, to any worker, and redoes only its unfinished items (the finished ones are in the item caches).
"""

from __future__ import annotations

import time
from typing import Any

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.states import Cancelling
from prefect.deployments import run_deployment
from prefect.runtime import flow_run
from pydantic_core import to_jsonable_python

from pav.config import RunConfig
from pav.data.store import Store, content_key
from pav.flows.units import Unit, check_call, run_unit, unit_address, unit_name, unit_result

GPU_DEPLOYMENT = "gpu"  # every gpu-pool deployment has this name (pav.deployments)
GPU_WORK = f"gpu-work/{GPU_DEPLOYMENT}"
_WAITING = {StateType.SCHEDULED, StateType.PENDING}


def gpu_map(config: RunConfig, unit: Unit, calls: list[dict[str, Any]], names: list[str]) -> list[Any]:
    """`unit(**call)` for each call (flows/units.py), results in order: run here in a loop, or as concurrent
    flow runs on the gpu pool; `names` name the runs."""
    address = unit_address(unit)  # a unit a gpu worker could not load fails here, in-process dispatch too
    for call in calls:
        check_call(unit, call)
    if config.dispatch == "in-process":
        return [run_unit(config.store, unit, call, name) for call, name in zip(calls, names)]
    return _fan_out(config, unit, address, calls, names)


def _fan_out(config: RunConfig, unit: Unit, address: str, calls: list[dict[str, Any]], names: list[str]) -> list[Any]:
    store = Store(config.store)
    parent = flow_run.get_id() or "no-parent-run"
    keys = [content_key(parent, address, call) for call in calls]
    jobs = {i: _submit(config, address, call, name, key, 0) for i, (call, name, key) in
            enumerate(zip(calls, names, keys))}
    results: list[Any] = [None] * len(calls)
    failures: list[str] = []
    with get_client(sync_client=True) as client:
        while jobs:
            time.sleep(config.gpu_poll_s)
            for i, (run_id, attempt, submitted, started) in list(jobs.items()):
                run = client.read_flow_run(run_id)
                kind = run.state.type if run.state else StateType.SCHEDULED
                if kind == StateType.RUNNING and started is None:
                    jobs[i] = (run_id, attempt, submitted, time.monotonic())
                elif kind == StateType.RUNNING and _overran(config, started):
                    limit = f"{run.name} ran longer than gpu_run_timeout_s={config.gpu_run_timeout_s:g}"
                    client.set_flow_run_state(run_id, Cancelling(message=limit), force=True)
                    if attempt < config.gpu_crash_retries:
                        get_run_logger().warning("%s: cancelled; submitting it again (attempt %d of %d)", limit,
                                                 attempt + 2, config.gpu_crash_retries + 1)
                        jobs[i] = _submit(config, address, calls[i], names[i], keys[i], attempt + 1)
                    else:
                        failures.append(f"{limit}, attempt {attempt + 1} of {config.gpu_crash_retries + 1}")
                        del jobs[i]
                elif kind == StateType.COMPLETED:
                    results[i] = unit_result(unit, store.read_json(_result_path(keys[i], attempt))["result"])
                    del jobs[i]
                elif kind == StateType.CRASHED and attempt < config.gpu_crash_retries:
                    get_run_logger().warning("%s crashed (%s); submitting it again (attempt %d of %d)", run.name,
                                             run.state.message, attempt + 2, config.gpu_crash_retries + 1)
                    jobs[i] = _submit(config, address, calls[i], names[i], keys[i], attempt + 1)
                elif run.state and run.state.is_final():
                    failures.append(f"{run.name} ended {run.state.name}: {run.state.message}")
                    del jobs[i]
                elif kind in _WAITING and time.monotonic() - submitted > config.gpu_start_timeout_s:
                    failures.append(f"{run.name} was not started within {config.gpu_start_timeout_s:.0f} s: is a "
                                    "`pav worker --pool gpu` running against this API?")
                    del jobs[i]
    if failures:  # after every sibling ended: their finished work is in the store for the retry
        raise RuntimeError(f"{len(failures)} of {len(calls)} {unit_name(unit)} runs on the gpu pool failed: " + "; ".join(failures))
    return results


def _overran(config: RunConfig, started: float | None) -> bool:
    return bool(config.gpu_run_timeout_s) and started is not None and time.monotonic() - started > config.gpu_run_timeout_s


def _result_path(key: str, attempt: int) -> str:
    return f"dispatch/{key}-{attempt}.json"


def _submit(config: RunConfig, address: str, call: dict[str, Any], name: str, key: str,
            attempt: int) -> tuple[Any, int, float, float | None]:
    run = run_deployment(
        GPU_WORK, timeout=0, flow_run_name=name if attempt == 0 else f"{name} (attempt {attempt + 1})",
        idempotency_key=f"{key}-{attempt}", tags=["gpu-work", address],
        parameters={"store": config.store, "unit": address, "inputs": to_jsonable_python(call),
                    "result_path": _result_path(key, attempt), "name": name})
    return run.id, attempt, time.monotonic(), None
