"""pav.deployments (folder deployments/): where each flow runs; a cpu pool orchestrates, a gpu pool renders,
scores and trains.

"<flow>/gpu" runs a whole stage in one gpu slot (one GPU, nothing else to start); "<flow>/cpu"
orchestrates on the cpu pool and fans the stage's GPU work out over the gpu pool as gpu-work runs,
one per worker at a time (`pav worker --pool gpu --gpus 0,1,2,3`).

deployments/prefect.yaml declares the same deployments for `prefect deploy --all`; `pav deploy`
(deployments/deploy.py) creates the pools and applies these from Python.
"""

from typing import NamedTuple


class DeploymentSpec(NamedTuple):
    entrypoint: str  # relative to the project directory
    pool: str
    cron: str | None = None
    dispatch: str | None = "in-process"  # the run form's default config.dispatch; None: takes no config


POOLS = {
    "cpu": "orchestration and light stages (pipeline, nightly-evolve)",
    "gpu": "generation, scoring and training; its concurrency limit is one run per GPU",
}
NIGHTLY_CRON = "0 2 * * *"  # UTC
# Flow runs report they are alive this often; pav deploy's automation marks one Crashed when it
# has been silent for ZOMBIE_AFTER_S (its worker was killed, its machine lost). Prefect's minimum is 30.
HEARTBEAT_S = 30
ZOMBIE_AFTER_S = 90
FANOUT = "deployments"
DEPLOYMENTS: dict[str, DeploymentSpec] = {  # "flow-name/deployment-name" -> spec
    "evolve/gpu": DeploymentSpec("flows/evolve.py:evolve", "gpu"),
    "train/gpu": DeploymentSpec("flows/train.py:train", "gpu"),
    "evaluate/gpu": DeploymentSpec("flows/evaluate.py:evaluate", "gpu"),
    "evolve/cpu": DeploymentSpec("flows/evolve.py:evolve", "cpu", dispatch=FANOUT),
    "train/cpu": DeploymentSpec("flows/train.py:train", "cpu", dispatch=FANOUT),
    "evaluate/cpu": DeploymentSpec("flows/evaluate.py:evaluate", "cpu", dispatch=FANOUT),
    "pipeline/cpu": DeploymentSpec("flows/pipeline.py:pipeline", "cpu", dispatch=FANOUT),
    "nightly-evolve/nightly": DeploymentSpec("flows/nightly.py:nightly_evolve", "cpu", NIGHTLY_CRON, dispatch=FANOUT),
    "gpu-work/gpu": DeploymentSpec("flows/gpu_work.py:gpu_work", "gpu", dispatch=None),
}

