"""Paper stage: evaluation — every method's prompts on the same video seeds, scored and reported."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from pav.config import IntentConfig, OperatorConfig, RunConfig
from pav.data.records import candidates_frame, stored_video
from pav.data.schemas import schema_of
from pav.data.enhancers import enhancers
from pav.data.store import ArtifactRef, Store, content_key
from pav.data.video import decode_clip
from pav.models.text_limit import TextLimit
from pav.models.base_model import resolve_base_model
from pav.models.operators import load_operator
from pav.models.rewriters import SUFFIXES, is_enhancer, rewrite_prompts
from pav.report import markdown_table, write_report
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.evaluation import cross_model_cells, cross_model_matrix, evaluation_tables
from pav.rewards.selection import judged_records
from pav.tasks.orchestration import GPU_STAGE_OPTIONS, STAGE_OPTIONS, artifact_key, hold_models, secret


def method_inputs(method: str, model: ArtifactRef | None, config: RunConfig, best_suffix: str | None = None) -> dict:
    """The settings a method's rewrite depends on, and nothing else, so unrelated changes stay cached."""
    if method in SUFFIXES:
        return {"suffix": best_suffix if method == "best-suffix" else config.evaluate.booster}
    if method == "promptist":
        return {"promptist": config.evaluate.promptist, "device": config.train.sampling.device}
    llm = is_enhancer(method)
    return {"operator": config.operator if method == "openai" else None,
            "base_model": config.train.base_model if llm and model is None else None,
            **({"instruction": config.evaluate.base_llm_instruction} if llm and model is None else {}),
            "max_new_tokens": config.train.sampling.max_new_tokens if llm else None,
            **({"no_repeat_ngram": config.train.sampling.no_repeat_ngram, "device": config.train.sampling.device,
                "dtype": config.train.sampling.dtype} if llm else {})}


def rewrite(prompts: ArtifactRef, method: str, model: ArtifactRef | None, stage: str,
            operator: OperatorConfig | None = None, base_model: str | None = None,
            max_new_tokens: int | None = None, no_repeat_ngram: int = 0, device: str = "cpu",
            dtype: str = "fp32", suffix: str | None = None, instruction: str | None = None,
            promptist: str | None = None) -> ArtifactRef:
    """The prompts a method gives the video model (models/rewriters.py), as candidates records (operator = method)."""
    frame = prompts.read()
    originals = frame["prompt"].tolist()
    writer = (load_operator(operator.name, operator.options, secret(operator.api_key_secret))
              if method == "openai" and operator else None)
    enhancer = None
    if is_enhancer(method) and (model is not None or base_model is not None):
        enhancer = resolve_base_model(base_model) if model is None else Store(model.root).local_dir(model.path) / "merged"
        hold_models("llm")
    texts = rewrite_prompts(originals, method, suffix=suffix, writer=writer, enhancer=enhancer, device=device,
                            dtype=dtype, max_new_tokens=max_new_tokens or 64, no_repeat_ngram=no_repeat_ngram,
                            instruction=instruction, promptist=promptist)
    candidates = candidates_frame(frame["prompt_id"], originals, texts, 0, method)
    name = content_key("rewrite", prompts, method, model, operator, base_model, max_new_tokens, no_repeat_ngram, dtype,
                       *([suffix] if suffix is not None else []),
                       *([instruction] if instruction not in (None, "booster") else []),
                       *([promptist] if promptist else []))
    return Store(prompts.root).write_table("candidates", stage, name, candidates)


def records(method: str, candidates: ArtifactRef, videos: ArtifactRef, scores: ArtifactRef,
            aggregation: AggregationConfig, intent: IntentConfig) -> pd.DataFrame:
    joined = judged_records(candidates.read(), videos.read(), scores.read(), aggregation, intent)
    joined["method"] = method
    joined["evaluated_at"] = pd.Timestamp.now(tz="UTC")
    return joined[schema_of("evaluations", aggregation.dimensions).names]


def collect(runs: list[dict], aggregation: AggregationConfig, intent: IntentConfig, stage: str) -> ArtifactRef:
    """One evaluations table from every (method, seed) run."""
    frame = pd.concat([records(r["method"], r["candidates"], r["videos"], r["scores"], aggregation, intent)
                       for r in runs], ignore_index=True)
    root = runs[0]["candidates"].root
    return Store(root).write_table("evaluations", stage, content_key("evaluations", runs, aggregation, intent), frame,
                                   aggregation.dimensions)


def evaluations_by_model(store: Store) -> dict[str, pd.DataFrame]:
    """Every video model evaluated in this run root, with its newest row per (method, prompt, seed)."""
    models = sorted({p.split("/")[1] for p in store.ls("eval") if "/evaluations/" in p})
    return {m: (store.read_tables("evaluations", f"eval/{m}").sort_values("evaluated_at", kind="stable")
                .drop_duplicates(["method", "prompt_id", "seed"], keep="last").reset_index(drop=True))
            for m in models}


def too_long(evals: pd.DataFrame, limit: TextLimit) -> pd.DataFrame:
    """Per method: its rewrites, how many the video model would cut (over `limit`) and the longest, in tokens."""
    rows = []
    for method, group in evals.drop_duplicates(["method", "prompt_id"]).groupby("method", sort=False):
        counts = limit.counts(group["prompt"].tolist())
        rows.append({"method": method, "rewrites": len(counts), "over": sum(n > limit.max_tokens for n in counts),
                     "longest": max(counts), "limit": limit.max_tokens})
    return pd.DataFrame(rows)


def report(evaluations: ArtifactRef, aggregation: AggregationConfig, n_boot: int, generator: str,
           evolution_rounds: list[dict] | None, stage: str, note: str | None = None, samples: int = 3,
           limit: TextLimit | None = None) -> dict:
    """The HTML and Markdown report with plots, plus frames of a few prompts (original vs ours), and how many
    rewrites are over the video model's token `limit`."""
    store = Store(evaluations.root)
    evals = evaluations.read()
    methods = list(dict.fromkeys(evals["method"]))
    ours = methods[-1]
    frames: dict[str, list] = {}
    for prompt_id in evals["prompt_id"].drop_duplicates().head(samples):
        rows = evals[(evals["prompt_id"] == prompt_id) & evals["method"].isin(["original", ours])
                     & evals["error"].isna()].drop_duplicates("method")
        clips = [(r["method"], decode_clip(store.read_bytes(stored_video(store, r["video_id"])))[0])
                 for _, r in rows.iterrows()]
        if len(clips) == 2:
            frames[rows["original"].iloc[0]] = clips
    by_model = evaluations_by_model(store)
    cross = cross_model_matrix(cross_model_cells(by_model)) if len(by_model) > 1 else None
    title = (f"Prompt-A-Video on {generator}: {evals['prompt_id'].nunique()} held-out prompts, "
             f"{evals['seed'].nunique()} seed(s)" + (f"; {note}" if note else ""))
    tables = evaluation_tables(evals, aggregation, n_boot)
    written = write_report(store, stage, tables, aggregation, title=title, evolution_rounds=evolution_rounds,
                           frames=frames, cross_model=cross, n_boot=n_boot,
                           too_long=too_long(evals, limit) if limit is not None else None)
    return {"paths": written, "markdown": markdown_table(tables.methods)}


@task(name="enhancers")
def trained_enhancers(store_root: str, names: list[str] | None) -> dict[str, ArtifactRef]:
    """Enhancers by name, the newest of each trained in this store, where the round gate refused a round the
    policy it kept; None: all of them (never cached)."""
    return enhancers(Store(store_root), names)
rewrite_stage = task(rewrite, name="rewrite", task_run_name="rewrite {stage} {method}", **GPU_STAGE_OPTIONS)
collect_stage = task(collect, name="evaluations", task_run_name="evaluations {stage}", **STAGE_OPTIONS)


@task(name="report", task_run_name="report {stage}")
def report_stage(evaluations: ArtifactRef, aggregation: AggregationConfig, n_boot: int, generator: str,
                 evolution_rounds: list[dict] | None, stage: str, note: str | None = None,
                 limit: TextLimit | None = None) -> dict[str, str]:
    """Write the report and publish the paper's table as a Prefect artifact."""
    written = report(evaluations, aggregation, n_boot, generator, evolution_rounds, stage, note, limit=limit)
    store = Store(evaluations.root)
    create_markdown_artifact(key=artifact_key(store.root, "evaluation-report"), markdown=written["markdown"],
                             description=f"Report: {store.url(written['paths']['html'])}")
    create_link_artifact(key=artifact_key(store.root, "evaluation-report-html"), link=store.url(written["paths"]["html"]),
                         link_text=f"HTML report ({generator})", description="The evaluation report with plots and frames")
    return written["paths"]
