"""The whole method: evolve -> SFT -> DPO-1 -> DPO-2 -> evaluate, each a cached, resumable subflow."""

from prefect import flow

from pav.flows.evaluate import evaluate
from pav.flows.evolve import evolve
from pav.flows.train import held_by, refused_rounds, train
from pav.config import RunConfig
from pav.flows import run_name


@flow(name="pipeline", flow_run_name=run_name("pipeline"))
def pipeline(config: RunConfig) -> dict:
    """Run every paper stage on one video model; a re-run after success finds every stage cached.

    With config.dispatch "deployments" this run orchestrates and each stage's GPU work runs on the gpu pool.
    """
    evolved = evolve(config)
    trained = train(config, pairs=evolved["pairs"])
    evaluated = evaluate(config, enhancers=trained["models"], used_prompts=[evolved["log"], *held_by(trained)],
                         evolution_rounds=evolved["rounds"], note=refused_rounds(trained), evolution_log=evolved["log"])
    return {"evolve": evolved, "train": trained, "evaluate": evaluated}
