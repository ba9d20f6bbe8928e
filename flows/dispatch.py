"""Run a stage flow in this process, or on its gpu deployment (RunConfig.dispatch)."""

from __future__ import annotations

from typing import Any

from prefect import Flow
from prefect.deployments import run_deployment
from pydantic_core import to_jsonable_python

from pav.config import RunConfig

GPU_DEPLOYMENT = "gpu"  # every stage flow is deployed under this name on the gpu pool (pav.deployments)


def stage_deployment(flow_name: str) -> str:
    """The gpu deployment that runs a stage flow."""
    return f"{flow_name}/{GPU_DEPLOYMENT}"


def run_stage(stage_flow: Flow, config: RunConfig, **inputs: Any) -> Any:
    """The stage flow's result; with dispatch "deployments" the work runs on a gpu worker first.

    After the gpu run, the flow is replayed here as a subflow: every stage is then a cache hit on
    the shared run root, which hands back the artifact references without moving results between
    machines.
    """
    if config.dispatch == "deployments":
        config = config.model_copy(update={"dispatch": "in-process"})
        run = run_deployment(stage_deployment(stage_flow.name), timeout=None, poll_interval=2,
                             parameters={"config": config.model_dump(mode="json"), **to_jsonable_python(inputs)})
        if not run.state or not run.state.is_completed():
            state = run.state.name if run.state else "no state"
            raise RuntimeError(f"{stage_flow.name} on the gpu pool ended {state} (flow run {run.id})")
    return stage_flow(config, **inputs)
