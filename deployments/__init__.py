"""Where each flow runs: a cpu pool orchestrates, a gpu pool renders, scores and trains.

deployments/prefect.yaml declares the same deployments for `prefect deploy --all`; `pav deploy`
(deployments/deploy.py) creates the pools and applies these from Python.
"""

from typing import NamedTuple


class DeploymentSpec(NamedTuple):
    entrypoint: str  # relative to the project directory
    pool: str
    cron: str | None = None


POOLS = {
    "cpu": "orchestration and light stages (pipeline, nightly-evolve)",
    "gpu": "generation, scoring and training; its concurrency limit is one run per GPU",
}
NIGHTLY_CRON = "0 2 * * *"  # UTC
DEPLOYMENTS: dict[str, DeploymentSpec] = {  # "flow-name/deployment-name" -> spec
    "evolve/gpu": DeploymentSpec("flows/evolve.py:evolve", "gpu"),
    "train/gpu": DeploymentSpec("flows/train.py:train", "gpu"),
    "evaluate/gpu": DeploymentSpec("flows/evaluate.py:evaluate", "gpu"),
    "pipeline/cpu": DeploymentSpec("flows/pipeline.py:pipeline", "cpu"),
    "nightly-evolve/nightly": DeploymentSpec("flows/nightly.py:nightly_evolve", "cpu", NIGHTLY_CRON),
}

