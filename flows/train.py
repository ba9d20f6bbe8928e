"""The enhancer: SFT on the data engine's pairs, then iterative DPO (paper section 3.3)."""

from prefect import flow

from pav.data.store import ArtifactRef
from pav.config import RunConfig
from pav.flows.dispatch import gpu_map
from pav.tasks import on_store
from pav.tasks.prompts import load_prompt_set
from pav.tasks.dataset import training_pairs_task
from pav.tasks.train import triplets_stage
from pav.tasks.usage import publish_usage
from pav.flows import run_name


@flow(name="train", flow_run_name=run_name("train"))
def train(config: RunConfig, pairs: ArtifactRef | str = "latest") -> dict:
    """SFT on `pairs`, then each DPO round samples with the latest policy, scores, filters and trains on triplets.

    `pairs`: "latest" (the newest pairs evolve wrote in this store), "dataset" (the accumulated nightly
    dataset) or a pairs Parquet path relative to the store.
    """
    triplets = on_store(config.store, triplets_stage)
    if isinstance(pairs, str):
        pairs = training_pairs_task(config.store, pairs)
    cfg = config.train
    [sft] = gpu_map(config, "sft", [{"pairs": pairs, "base_model": cfg.base_model, "settings": cfg.sft}], ["sft"])
    trained = {"sft": sft}
    prompts = load_prompt_set(config.store, cfg.dpo_prompts, "dpo/prompts")
    for round_ in range(1, cfg.dpo_rounds + 1):
        stage = f"dpo/round-{round_}"
        policy = trained[list(trained)[-1]]["model"]
        [candidates] = gpu_map(config, "sample", [
            {"model": policy, "prompts": prompts, "held_apart": [pairs], "sampling": cfg.sampling,
             "round_": round_, "stage": stage}], [f"sample {stage}"])
        [rendered] = gpu_map(config, "render-score", [
            {"candidates": candidates, "generator": config.generator, "rewards": config.rewards,
             "seed": config.evolve.seed, "stage": stage}], [f"render+score {stage}"])
        found = triplets(candidates, rendered["scores"], cfg.dpo_aggregation, cfg.dpo_filter, config.rewards.intent,
                         round_, stage)
        [dpo] = gpu_map(config, "dpo", [{"triplets_ref": found, "policy": policy, "settings": cfg.dpo,
                                         "round_": round_}], [f"dpo {stage}"])
        trained[f"dpo-{round_}"] = {**dpo, "triplets": found}
    publish_usage(config.store, "train", [f"dpo/round-{r}" for r in range(1, cfg.dpo_rounds + 1)])
    return {"models": {name: stage["model"] for name, stage in trained.items()}, "stages": trained,
            "dpo_prompts": prompts}
