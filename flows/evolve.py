"""The data engine: reward-guided prompt evolution (paper section 3.2).

Round 0 scores the original prompts; each later round mutates every source prompt's top-N history
into new variants, renders and scores them. Every shard of every round is a cached stage, so a
failed or killed run resumes at the first unfinished shard; with dispatch "deployments" a round's
shards render and score at once, one per gpu worker.
"""

from prefect import flow

from pav.config import RunConfig
from pav.flows.dispatch import gpu_map
from pav.flows.units import render_score
from pav.tasks.orchestration import on_store
from pav.tasks.mutate import mutate_shard
from pav.tasks.pairs import collect_pairs
from pav.tasks.prompts import load_prompt_set, shard_prompts
from pav.tasks.select import report_round, select_shard
from pav.tasks.usage import publish_usage
from pav.flows import run_name


@flow(name="evolve", flow_run_name=run_name("evolve"))
def evolve(config: RunConfig) -> dict:
    """Evolve the configured prompts and return the log, the SFT pairs and per-round summaries."""
    select, mutate, pairs = on_store(config.store, select_shard, mutate_shard, collect_pairs)
    cfg = config.evolve
    limit = config.generator.text_limit()  # variants the video model would cut are left out
    prompts = load_prompt_set(config.store, cfg.source_sets, "evolve/prompts")
    shards = shard_prompts(prompts, cfg.shard_size, "evolve/round-0")
    logs: list[list] = [[] for _ in shards]
    stats, summaries = [], []
    for round_ in range(cfg.rounds + 1):
        stage = f"evolve/round-{round_}"
        labels = [f"{stage} shard {i}/{len(shards)}" for i in range(1, len(shards) + 1)]
        if round_ > 0:
            mutated = [mutate.with_options(task_run_name=f"mutate {label}")(
                shard_logs, config.operator, cfg.top_n, cfg.variants, round_, cfg.seed, stage, limit)
                for shard_logs, label in zip(logs, labels)]
            shards = [m["candidates"] for m in mutated]
            stats = [m["stats"] for m in mutated]
        rendered = gpu_map(config, render_score, [
            {"candidates": shard, "generator": config.generator, "rewards": config.rewards, "seed": cfg.seed,
             "stage": stage} for shard in shards],
            [f"render+score {label}" for label in labels])
        for shard, shard_logs, out, label in zip(shards, logs, rendered, labels):
            shard_logs.append(select.with_options(task_run_name=f"select {label}")(
                shard, out["videos"], out["scores"], config.rewards.aggregation, config.rewards.intent, stage))
        summaries.append(report_round([ref for shard_logs in logs for ref in shard_logs], stats, round_,
                                      cfg.targets_per_prompt))
    result = pairs([ref for shard_logs in logs for ref in shard_logs], "evolve", cfg.targets_per_prompt)
    publish_usage(config.store, "evolve", [f"evolve/round-{r}" for r in range(cfg.rounds + 1)],
                  {f"evolve/round-{s['round']}": s for s in summaries})
    return {**result, "rounds": summaries}
