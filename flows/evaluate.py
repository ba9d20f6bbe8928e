"""Evaluation: original prompts, baselines and our enhancers on the same prompts and seeds."""

from prefect import flow

from pav.config import RunConfig
from pav.data.store import ArtifactRef
from pav.tasks import on_store
from pav.tasks.evaluate import check_held_out_task, collect_stage, method_inputs, report_stage, rewrite_stage
from pav.tasks.generate import generate_shard
from pav.tasks.prompts import load_prompt_set
from pav.tasks.score import score_shard


@flow(name="evaluate")
def evaluate(config: RunConfig, enhancers: dict[str, ArtifactRef] | None = None,
             used_prompts: list[ArtifactRef] | None = None, evolution_rounds: list[dict] | None = None) -> dict:
    """Render and score every method's prompts, then write the report; `enhancers` maps a name to a model."""
    rewrite, generate, score, collect = on_store(
        config.store, rewrite_stage, generate_shard, score_shard, collect_stage)
    stage = f"eval/{config.generator.name}"
    prompts = load_prompt_set(config.store, config.evaluate.prompts, "eval/prompts")
    check_held_out_task(prompts, used_prompts or [])
    methods = {"original": None, **{b: None for b in config.evaluate.baselines}, **(enhancers or {})}
    runs = []
    for method, model in methods.items():
        candidates = rewrite(prompts, method, model, stage, **method_inputs(method, model, config))
        for seed in config.evaluate.seeds:
            videos = generate(candidates, config.generator, seed, stage)
            runs.append({"method": method, "candidates": candidates, "videos": videos,
                         "scores": score(videos, candidates, config.rewards, stage)})
    evaluations = collect(runs, config.rewards.aggregation, config.rewards.intent, stage)
    report = report_stage(evaluations, config.rewards.aggregation, config.evaluate.bootstrap, config.generator.name,
                          evolution_rounds, stage)
    return {"evaluations": evaluations, "report": report}
