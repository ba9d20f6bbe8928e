"""Evaluation: original prompts, baselines and our enhancers on the same prompts and seeds."""

from prefect import flow

from pav.config import RunConfig
from pav.data.store import ArtifactRef
from pav.flows.dispatch import gpu_map
from pav.flows.units import render_score
from pav.tasks.orchestration import on_store
from pav.tasks.evaluate import trained_enhancers, collect_stage, method_inputs, report_stage, rewrite_stage
from pav.tasks.prompts import check_held_out, load_prompt_set
from pav.tasks.suffix import budget, choose_stage, finalists_stage, newest_log, screen_stage
from pav.tasks.usage import publish_usage
from pav.flows import run_name


def render_methods(config: RunConfig, prompts: ArtifactRef, methods: dict[str, ArtifactRef | None],
                   seeds: list[int], stage: str, best_suffix: str | None = None) -> list[dict]:
    """Each method's rewrites of `prompts` rendered and scored on every seed: one run (method, candidates,
    videos, scores) per method and seed."""
    rewrites = gpu_map(config, rewrite_stage, [
        {"prompts": prompts, "method": method, "model": model, "stage": stage,
         **method_inputs(method, model, config, best_suffix)} for method, model in methods.items()],
        [f"rewrite {stage} {method}" for method in methods])
    runs = [{"method": method, "candidates": candidates, "seed": seed}
            for (method, candidates) in zip(methods, rewrites) for seed in seeds]
    rendered = gpu_map(config, render_score, [
        {"candidates": r["candidates"], "generator": config.generator, "rewards": config.rewards, "seed": r["seed"],
         "stage": stage} for r in runs], [f"render+score {stage} {r['method']} seed {r['seed']}" for r in runs])
    return [{"method": r["method"], "candidates": r["candidates"], **out} for r, out in zip(runs, rendered)]


def search_best_suffix(config: RunConfig, log: ArtifactRef) -> dict:
    """The best constant suffix on the data engine's own source prompts (rewards/suffix.py): screen candidate
    suffixes on a sample, then the best few on every source prompt, on the evolution's video seed. Its
    renders go to the log's store, so every evaluation of that data engine shares one search."""
    screen, finalists, choose = on_store(log.root, screen_stage, finalists_stage, choose_stage)
    at = config.model_copy(update={"store": log.root})
    stage = f"baselines/{config.generator.name}/best-suffix"
    search = config.evaluate.best_suffix.model_copy(update={"store": None})  # found by `log`, not part of the search
    renders = budget(log, search, config.evolve.variants)

    def render(candidates: ArtifactRef, step: str) -> dict:
        return gpu_map(at, render_score, [{"candidates": candidates, "generator": config.generator,
                                             "rewards": config.rewards, "seed": config.evolve.seed, "stage": stage}],
                       [f"render+score {stage} {step}"])[0]

    screened = screen(log, search, renders, stage)
    first = render(screened, "screen")
    final = finalists(log, screened, first["videos"], first["scores"], config.rewards.aggregation,
                      config.rewards.intent, renders, stage)
    second = render(final, "finalists")
    return choose(screened, final, second["videos"], second["scores"], config.rewards.aggregation,
                  config.rewards.intent, stage)


@flow(name="evaluate", flow_run_name=run_name("evaluate"))
def evaluate(config: RunConfig, enhancers: dict[str, ArtifactRef] | list[str] | None = None,
             used_prompts: list[ArtifactRef] | None = None, evolution_rounds: list[dict] | None = None,
             note: str | None = None, evolution_log: ArtifactRef | None = None) -> dict:
    """Render and score the original prompts, the baselines and enhancers, then write the report.

    `enhancers`: names of enhancers trained in this store (["sft", "dpo-2"]: the newest of each), empty for
    none, or a name -> model mapping; left out, every method trained in this store is evaluated.
    `evolution_log`: the data engine whose source prompts the best-suffix baseline is searched on (left out:
    the newest in `evaluate.best_suffix.store`, else in this store).
    """
    collect = on_store(config.store, collect_stage)
    if not isinstance(enhancers, dict):
        enhancers = trained_enhancers(config.store, enhancers)
    stage = f"eval/{config.generator.name}"
    prompts = load_prompt_set(config.store, config.evaluate.prompts, "eval/prompts")
    log = None
    if "best-suffix" in config.evaluate.baselines:
        log = evolution_log or newest_log(config.evaluate.best_suffix.store or config.store)
    # nothing evaluated was trained on, nor is a prompt the best suffix was searched on
    check_held_out(prompts, list({(ref.root, ref.path): ref for ref in [*(used_prompts or []), *([log] if log else [])]}.values()),
                   "evaluation")
    best_suffix = search_best_suffix(config, log)["suffix"] if log else None
    methods = {"original": None, **{b: None for b in config.evaluate.baselines}, **(enhancers or {})}
    runs = render_methods(config, prompts, methods, config.evaluate.seeds, stage, best_suffix)
    evaluations = collect(runs, config.rewards.aggregation, config.rewards.intent, stage)
    report = report_stage(evaluations, config.rewards.aggregation, config.evaluate.bootstrap, config.generator.name,
                          evolution_rounds, stage, note, config.generator.text_limit())
    publish_usage(config.store, "evaluate", [stage])
    return {"evaluations": evaluations, "report": report}
