"""Operations commands: deploy the flows, run a worker, retry a failed flow run (registered in pav/cli.py)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer


def deploy(profile: Annotated[str, typer.Option("--profile", "-p", help="Profile whose config the run forms start from")] = "demo",
           store: Annotated[Optional[str], typer.Option("--store", help="Run root shared by every worker")] = None,
           set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field, e.g. evolve.rounds=2")] = None,
           inbox: Annotated[str, typer.Option(help="Nightly inbox: a directory of *.txt files or a text file")] = "inbox",
           gpus: Annotated[int, typer.Option(help="Concurrent flow runs on the gpu pool (one per GPU)")] = 1,
           alert_webhook: Annotated[Optional[str], typer.Option(
               envvar="PAV_ALERT_WEBHOOK", show_default=False,
               help="Post every failed or crashed run to this webhook (Slack-style JSON {\"text\": ...})")] = None,
           ) -> None:
    """Create the cpu and gpu work pools and deploy every flow (nightly-evolve runs at 02:00 UTC)."""
    from pav.config import load_config
    from pav.deployments.deploy import deploy_all
    from pav.environment import describe_api

    typer.echo(describe_api(), err=True)

    overrides = list(set_ or []) + ([f"store={store}"] if store else [])
    try:
        names = deploy_all(load_config(profile, overrides), inbox, gpus, alert_webhook=alert_webhook)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    if alert_webhook:
        typer.echo("failed and crashed runs are posted to the alert webhook (block pav-alerts)")
    typer.echo("deployed: " + ", ".join(names) + "\nstart workers with `pav worker --pool cpu` and `pav worker --pool gpu`")


def worker(pool: Annotated[str, typer.Option(help="Work pool to poll: cpu or gpu")] = "gpu",
           limit: Annotated[Optional[int], typer.Option(help="Most flow runs at once on this worker")] = None,
           gpus: Annotated[Optional[str], typer.Option(
               help="GPU indices, e.g. 0,1,2,3: one worker per GPU, pinned by CUDA_VISIBLE_DEVICES, one run each")] = None,
           ) -> None:
    """Start process workers in the foreground (Ctrl-C or SIGTERM stops them cleanly)."""
    from pav.deployments import HEARTBEAT_S, POOLS
    from pav.environment import describe_api
    from pav.services import run_worker

    typer.echo(describe_api(), err=True)

    if pool not in POOLS:
        raise typer.BadParameter(f"unknown pool {pool!r}; valid: {', '.join(POOLS)}")
    devices = [g.strip() for g in gpus.split(",") if g.strip()] if gpus else None
    if gpus is not None and (not devices or len(set(devices)) != len(devices)):
        raise typer.BadParameter(f"--gpus {gpus!r}: give distinct GPU indices separated by commas, e.g. 0,1,2,3")
    raise typer.Exit(run_worker(pool, limit, devices, HEARTBEAT_S))


def retry(flow_run_id: Annotated[str, typer.Argument(help="Id of a failed (or finished) deployment flow run")]) -> None:
    """Schedule a flow run again: finished stages come from the cache, only unfinished ones run."""
    from pav.deployments.deploy import retry_flow_run
    from pav.environment import describe_api

    typer.echo(describe_api(), err=True)

    try:
        name = retry_flow_run(flow_run_id)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    typer.echo(f"flow run {name} ({flow_run_id}) scheduled again; a worker of its pool picks it up")
