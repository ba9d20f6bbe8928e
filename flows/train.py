"""The enhancer: SFT on the data engine's pairs, then iterative DPO (paper section 3.3)."""

from prefect import flow

from pav.data.store import ArtifactRef
from pav.config import RunConfig
from pav.flows.dispatch import gpu_map
from pav.flows.units import render_score
from pav.flows.evaluate import render_methods
from pav.tasks.orchestration import on_store
from pav.tasks.prompts import check_held_out, load_prompt_set
from pav.tasks.dataset import training_pairs_task
from pav.tasks.train import dpo_stage, sample_stage, sft_stage, triplets_stage
from pav.tasks.validate import record_verdict_task, validate_stage
from pav.tasks.usage import publish_usage
from pav.flows import run_name


@flow(name="train", flow_run_name=run_name("train"))
def train(config: RunConfig, pairs: ArtifactRef | str = "latest") -> dict:
    """SFT on `pairs`, then each DPO round samples with the latest policy, scores, filters and trains on triplets;
    with the round gate on, a round whose policy does not beat the previous one on validation prompts is
    refused, and its name ("dpo-2") maps to the previous policy from then on.

    `pairs`: "latest" (the newest pairs evolve wrote in this store), "dataset" (the accumulated nightly
    dataset) or a pairs Parquet path relative to the store.
    """
    triplets, validate = on_store(config.store, triplets_stage, validate_stage)
    if isinstance(pairs, str):
        pairs = training_pairs_task(config.store, pairs)
    cfg = config.train
    [sft] = gpu_map(config, sft_stage, [{"pairs": pairs, "base_model": cfg.base_model, "settings": cfg.sft}], ["sft"])
    trained = {"sft": sft}
    prompts = load_prompt_set(config.store, cfg.dpo_prompts, "dpo/prompts")
    validation = None
    if cfg.round_gate.enabled and cfg.dpo_rounds:
        validation = load_prompt_set(config.store, cfg.round_gate.prompts, "dpo/validation/prompts")
        check_held_out(validation, [pairs, prompts], "validation")
    for round_ in range(1, cfg.dpo_rounds + 1):
        stage = f"dpo/round-{round_}"
        policy_name = list(trained)[-1]
        policy = trained[policy_name]["model"]
        [candidates] = gpu_map(config, sample_stage, [
            {"model": policy, "prompts": prompts, "held_apart": [pairs], "sampling": cfg.sampling,
             "round_": round_, "stage": stage}], [f"sample {stage}"])
        [rendered] = gpu_map(config, render_score, [
            {"candidates": candidates, "generator": config.generator, "rewards": config.rewards,
             "seed": config.evolve.seed, "stage": stage}], [f"render+score {stage}"])
        found = triplets(candidates, rendered["scores"], cfg.dpo_aggregation, cfg.dpo_filter, config.rewards.intent,
                         round_, stage, config.generator.text_limit())
        [dpo] = gpu_map(config, dpo_stage, [{"triplets_ref": found, "policy": policy, "settings": cfg.dpo,
                                         "round_": round_}], [f"dpo {stage}"])
        trained[f"dpo-{round_}"] = {**dpo, "triplets": found}
        if validation is not None:  # the round's policy against the one it started from
            # Named after the models in one stage, so the previous policy's rewrites are the last round's, cached.
            runs = render_methods(config, validation, {policy_name: policy, f"dpo-{round_}": dpo["model"]},
                                  cfg.round_gate.seeds, "dpo/validation")
            runs = [{**run, "method": "previous" if run["method"] == policy_name else "policy"} for run in runs]
            verdict = validate(runs, policy, dpo["model"], config.rewards.aggregation, config.rewards.intent,
                               cfg.round_gate, round_)
            trained[f"dpo-{round_}"].update(model=verdict["model"], trained=dpo["model"], gate=verdict,
                                            verdict=record_verdict_task(verdict))
    publish_usage(config.store, "train", [f"dpo/round-{r}" for r in range(1, cfg.dpo_rounds + 1)])
    return {"models": {name: stage["model"] for name, stage in trained.items()}, "stages": trained,
            "dpo_prompts": prompts, "validation_prompts": validation}


def held_by(trained: dict) -> list[ArtifactRef]:
    """The prompt sets training saw besides its pairs (DPO's, the round gate's), which evaluation must not use."""
    return [trained["dpo_prompts"], *([trained["validation_prompts"]] if trained.get("validation_prompts") else [])]


def refused_rounds(trained: dict) -> str | None:
    """A line for the report naming the DPO rounds the gate refused, so a DPO-2 equal to DPO-1 is explained."""
    refused = [f"{name} is {'sft' if stage['gate']['round'] == 1 else 'the previous policy'} "
               f"(round {stage['gate']['round']} refused: {stage['gate']['reason']})"
               for name, stage in trained["stages"].items() if stage.get("gate") and not stage["gate"]["kept_round"]]
    return "; ".join(refused) or None
