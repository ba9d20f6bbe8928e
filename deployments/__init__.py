"""pav.deployments (folder deployments/): where each flow runs; a cpu pool orchestrates, a gpu pool renders,
scores and trains.

"<flow>/gpu" runs a whole stage in one gpu slot (one GPU, nothing else to start); "<flow>/cpu"
orchestrates on the cpu pool and fans the stage's GPU work out over the gpu pool as gpu-work runs,
one per worker at a time (`pav worker --pool gpu --gpus 0,1,2,3`).

`pav deploy` (deployments/deploy.py) creates the pools and applies these from Python; deployments/prefect.yaml,
written from them (`python -m pav.deployments.prefect_yaml`), declares the same for `prefect deploy --all`.
"""

from typing import NamedTuple


class DeploymentSpec(NamedTuple):
    entrypoint: str  # relative to the project directory
    pool: str
    description: str  # what the UI says the deployment does
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
    "evolve/gpu": DeploymentSpec("flows/evolve.py:evolve", "gpu",
                                 "The data engine: reward-guided prompt evolution (paper section 3.2)"),
    "train/gpu": DeploymentSpec("flows/train.py:train", "gpu",
                                "SFT on the data engine's pairs, then iterative DPO (paper section 3.3)"),
    "evaluate/gpu": DeploymentSpec("flows/evaluate.py:evaluate", "gpu",
                                   "Original prompts, baselines and enhancers on the same prompts and seeds"),
    "evolve/cpu": DeploymentSpec("flows/evolve.py:evolve", "cpu", "The data engine, orchestrated here; each "
                                 "round's shards render and score on the gpu pool at once", dispatch=FANOUT),
    "train/cpu": DeploymentSpec("flows/train.py:train", "cpu", "SFT and iterative DPO, orchestrated here; sampling, "
                                "rendering, scoring and training on the gpu pool", dispatch=FANOUT),
    "evaluate/cpu": DeploymentSpec("flows/evaluate.py:evaluate", "cpu", "Evaluation, orchestrated here; every "
                                   "method's rewrites and videos on the gpu pool at once", dispatch=FANOUT),
    "pipeline/cpu": DeploymentSpec("flows/pipeline.py:pipeline", "cpu", "evolve -> SFT -> DPO -> evaluate, "
                                   "orchestrated here; the GPU work of every stage on the gpu pool", dispatch=FANOUT),
    "nightly-evolve/nightly": DeploymentSpec("flows/nightly.py:nightly_evolve", "cpu", "Every night: evolve the "
                                             "inbox prompts the dataset lacks and append their pairs", NIGHTLY_CRON,
                                             dispatch=FANOUT),
    "gpu-work/gpu": DeploymentSpec("flows/gpu_work.py:gpu_work", "gpu", "One unit of GPU work sent by an "
                                   "orchestrating run (render + score a shard, sample, rewrite, train)", dispatch=None),
}
