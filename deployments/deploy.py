"""Create the work pools and apply every deployment through the Prefect API."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from prefect import flow
from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.events.actions import ChangeFlowRunState, SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from prefect.client.schemas.schedules import CronSchedule
from prefect.exceptions import ObjectNotFound
from prefect.states import Scheduled
from prefect.workers.process import ProcessWorker

from pav.deployments import DEPLOYMENTS, HEARTBEAT_S, POOLS, ZOMBIE_AFTER_S
from pav.config import RunConfig
from pav.environment import PROJECT_DIR


# RunConfig fields that only the fan-out reads: not on the forms of deployments that run a stage in one slot.
FANOUT_FIELDS = ("dispatch", "gpu_crash_retries", "gpu_start_timeout_s", "gpu_run_timeout_s", "gpu_poll_s")


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


def deploy_all(config: RunConfig, inbox: str = "inbox", gpus: int = 1, zombie_after_s: float = ZOMBIE_AFTER_S,
               alert_webhook: str | None = None) -> list[str]:
    """Create the pools, every deployment (with `config` as the run form's defaults), the automation
    that marks silent runs Crashed and, with `alert_webhook`, the one that posts failed runs there."""
    if gpus < 1:
        raise ValueError(f"gpus must be at least 1, got {gpus}")
    ensure_pools(gpus)
    for full_name, spec in DEPLOYMENTS.items():
        loaded = flow.from_source(source=str(PROJECT_DIR), entrypoint=spec.entrypoint)
        parameters = {}
        if spec.dispatch:
            parameters["config"] = config.model_copy(update={"dispatch": spec.dispatch}).model_dump(mode="json")
            if spec.dispatch == "in-process":
                parameters["config"] = {k: v for k, v in parameters["config"].items() if k not in FANOUT_FIELDS}
        if spec.cron:
            parameters["inbox"] = inbox
        deployment = loaded.to_deployment(
            name=full_name.split("/", 1)[1], work_pool_name=spec.pool, parameters=parameters,
            description=spec.description,
            schedules=[CronSchedule(cron=spec.cron, timezone="UTC")] if spec.cron else None,
            tags=[spec.pool], job_variables={"env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S)}},
            # One night at a time: an overlapping night would evolve prompts the previous one has not appended.
            concurrency_limit=1 if spec.cron else None,
        )
        if spec.dispatch == "in-process":  # a whole stage in one gpu slot: the fan-out fields do nothing there
            run_config = deployment._parameter_openapi_schema.definitions["RunConfig"]
            for name in FANOUT_FIELDS:
                run_config["properties"].pop(name, None)
            run_config["additionalProperties"] = True  # a full config from the API or CLI is still accepted
        deployment.apply()
    ensure_zombie_automation(zombie_after_s)
    if alert_webhook:
        ensure_failure_alerts(alert_webhook)
    return list(DEPLOYMENTS)


ZOMBIE_AUTOMATION = "pav: mark silent flow runs Crashed"


def ensure_zombie_automation(after_s: float) -> None:
    """Prefect's documented zombie detection: a run whose heartbeats stop is marked Crashed, so the
    orchestrating run (flows.dispatch) submits its work again instead of waiting forever."""
    automation = Automation(
        name=ZOMBIE_AUTOMATION,
        description=f"A flow run that sent no heartbeat for {after_s:.0f} s (its worker or machine died) is Crashed",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"}, posture=Posture.Proactive, threshold=1,
            within=timedelta(seconds=after_s)),
        actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                    message=f"No heartbeat for {after_s:.0f} s: the worker running it is gone")])
    with get_client(sync_client=True) as client:
        for existing in client.read_automations_by_name(ZOMBIE_AUTOMATION):
            client.delete_automation(existing.id)
    automation.create()


ALERT_AUTOMATION = "pav: post failed or crashed runs to the alert webhook"
ALERT_BLOCK = "pav-alerts"
ALERT_BODY = ("Flow run {{ flow_run.name }} of deployment {{ deployment.name }} ({{ flow.name }}) ended "
              "{{ flow_run.state.name }}: {{ flow_run.state.message }}\n{{ flow_run|ui_url }}")


def ensure_failure_alerts(webhook_url: str) -> None:
    """Every Failed or Crashed run of a project deployment is posted (JSON {"text": ...}, as Slack, Teams and
    most chat webhooks read it) to `webhook_url`. The URL is kept as a secret of the block, never logged."""
    if not webhook_url.startswith(("http://", "https://")):
        raise ValueError(f"alert webhook must be an http(s) URL, got {webhook_url.split('?')[0][:40]!r}")
    block = CustomWebhookNotificationBlock(
        name="pav alerts", url="{{ url }}", method="POST", secrets={"url": webhook_url},
        json_data={"text": "{{subject}}\n{{body}}"})
    block_id = block.save(ALERT_BLOCK, overwrite=True)
    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        ours = [d.id for d in client.read_deployments() if f"{flows.get(d.flow_id)}/{d.name}" in DEPLOYMENTS]
        for existing in client.read_automations_by_name(ALERT_AUTOMATION):
            client.delete_automation(existing.id)
    Automation(
        name=ALERT_AUTOMATION,
        description="A run of a project deployment that ends Failed or Crashed is posted to the alert webhook",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            match_related=ResourceSpecification({"prefect.resource.role": "deployment",
                                                 "prefect.resource.id": [f"prefect.deployment.{i}" for i in ours]}),
            posture=Posture.Reactive, threshold=1, within=timedelta(0)),
        actions=[SendNotification(block_document_id=block_id, subject="pav: {{ flow_run.name }} {{ flow_run.state.name }}",
                                  body=ALERT_BODY)],
    ).create()


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
