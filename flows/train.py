"""The enhancer: SFT on the data engine's pairs, then iterative DPO (paper section 3.3)."""

from prefect import flow

from pav.data.store import ArtifactRef
from pav.config import RunConfig
from pav.tasks import on_store
from pav.tasks.generate import generate_shard
from pav.tasks.prompts import load_prompt_set
from pav.tasks.score import score_shard
from pav.tasks.train import dpo_stage, sample_stage, sft_stage, triplets_stage


@flow(name="train")
def train(config: RunConfig, pairs: ArtifactRef) -> dict:
    """SFT, then each DPO round samples with the latest policy, scores, filters and trains on triplets."""
    sft, sample, generate, score, triplets, dpo = on_store(
        config.store, sft_stage, sample_stage, generate_shard, score_shard, triplets_stage, dpo_stage)
    cfg = config.train
    trained = {"sft": sft(pairs, cfg.base_model, cfg.sft)}
    prompts = load_prompt_set(config.store, cfg.dpo_prompts, "dpo/prompts")
    for round_ in range(1, cfg.dpo_rounds + 1):
        stage = f"dpo/round-{round_}"
        policy = trained[list(trained)[-1]]["model"]
        candidates = sample(policy, prompts, [pairs], cfg.sampling, round_, stage)
        videos = generate(candidates, config.generator, config.evolve.seed, stage)
        scores = score(videos, candidates, config.rewards, stage)
        found = triplets(candidates, scores, cfg.dpo_aggregation, cfg.dpo_margin, config.rewards.intent,
                         cfg.dpo_drift_rejected, round_, stage)
        trained[f"dpo-{round_}"] = {**dpo(found, policy, cfg.dpo, round_), "triplets": found}
    return {"models": {name: stage["model"] for name, stage in trained.items()}, "stages": trained,
            "dpo_prompts": prompts}
