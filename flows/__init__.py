"""pav.flows (folder flows/): Prefect flows, the composition of the stage tasks and nothing else."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Callable


def run_name(flow_name: str) -> Callable[[], str]:
    """A flow run name that says what runs where: "evolve sim-steady runs/demo" (not "vagabond-condor")."""

    def name() -> str:
        from prefect.runtime import flow_run

        config = flow_run.parameters.get("config")
        field = (lambda key: config.get(key)) if isinstance(config, dict) else (lambda key: getattr(config, key, None))
        generator: Any = field("generator") or {}
        model = generator.get("name") if isinstance(generator, dict) else getattr(generator, "name", "")
        store = PurePosixPath(str(field("store") or "")).parts[-2:]
        return " ".join(part for part in (flow_name, model, "/".join(store)) if part)

    return name
