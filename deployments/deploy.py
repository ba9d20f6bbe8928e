"""Create the work pools and apply every deployment through the Prefect API."""

from __future__ import annotations

from uuid import UUID

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from prefect.client.schemas.schedules import CronSchedule
from prefect.exceptions import ObjectNotFound
from prefect.states import Scheduled
from prefect.workers.process import ProcessWorker

from pav.deployments import DEPLOYMENTS, POOLS
from pav.config import RunConfig
from pav.environment import PROJECT_DIR


def ensure_pools(gpus: int) -> None:
    """Process pools "cpu" (unlimited) and "gpu" (one flow run per GPU)."""
    limits = {"cpu": None, "gpu": gpus}
    with get_client(sync_client=True) as client:
        for name, description in POOLS.items():
            try:
                client.read_work_pool(name)
            except ObjectNotFound:
                client.create_work_pool(WorkPoolCreate(
                    name=name, type="process", description=description,
                    base_job_template=ProcessWorker.get_default_base_job_template()))
            client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=limits[name]))


def deploy_all(config: RunConfig, inbox: str = "inbox", gpus: int = 1) -> list[str]:
    """Create the pools and every deployment, with `config` as the run form's defaults."""
    if gpus < 1:
        raise ValueError(f"gpus must be at least 1, got {gpus}")
    ensure_pools(gpus)
    stage = config.model_copy(update={"dispatch": "in-process"}).model_dump(mode="json")
    orchestrating = config.model_copy(update={"dispatch": "deployments"}).model_dump(mode="json")
    for full_name, spec in DEPLOYMENTS.items():
        loaded = flow.from_source(source=str(PROJECT_DIR), entrypoint=spec.entrypoint)
        parameters = {"config": orchestrating if spec.pool == "cpu" else stage}
        if spec.cron:
            parameters["inbox"] = inbox
        loaded.to_deployment(
            name=full_name.split("/", 1)[1], work_pool_name=spec.pool, parameters=parameters,
            schedules=[CronSchedule(cron=spec.cron, timezone="UTC")] if spec.cron else None,
            tags=[spec.pool],
        ).apply()
    return list(DEPLOYMENTS)


def retry_flow_run(flow_run_id: str) -> str:
    """Schedule a finished deployment run again; its cached stages are reused, the rest re-run."""
    try:
        run_id = UUID(flow_run_id)
    except ValueError:
        raise ValueError(f"{flow_run_id!r} is not a flow run id (a UUID)") from None
    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(run_id)
        except ObjectNotFound:
            raise ValueError(f"no flow run {flow_run_id}") from None
        if run.state is None or not run.state.is_final():
            raise ValueError(f"flow run {run.name} is {run.state.name if run.state else 'unknown'}; "
                             "only a finished run can be retried")
        if run.deployment_id is None:
            raise ValueError(f"flow run {run.name} was not started from a deployment; run the same pav "
                             "command again instead (finished stages are cached)")
        client.set_flow_run_state(run_id, Scheduled(message="Retried with pav retry"), force=True)
    return run.name
