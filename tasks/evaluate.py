"""Paper stage: evaluation — every method's prompts on the same videos seeds, scored and reported."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact

from data.prompts import VBENCH_REWRITES, vbench_rewrites
from data.report import markdown_table, write_report
from data.schemas import SCHEMAS
from data.store import ArtifactRef, Store, content_key
from data.video import decode_mp4
from models.enhancer import Enhancer
from models.llm import resolve_base_model
from models.operators import MutationRequest
from models.operators.propose import candidate_id
from pav.config import RunConfig
from rewards.evaluation import cross_model_cells, cross_model_matrix, method_table
from rewards.selection import evolution_records
from tasks import STAGE_OPTIONS
from tasks.mutate import build_operator


def check_held_out(prompts: ArtifactRef, used: list[ArtifactRef]) -> None:
    """Fail when a benchmark prompt was seen by evolution or training (checked, not assumed)."""
    seen = {pid for ref in used for pid in ref.read()["prompt_id"]}
    leaked = set(prompts.read()["prompt_id"]) & seen
    if leaked:
        raise ValueError(f"{len(leaked)} evaluation prompts also appear in evolution or training data; "
                         "choose disjoint prompt sets (offset/limit)")


def rewrite(prompts: ArtifactRef, method: str, config: RunConfig, model: ArtifactRef | None,
            stage: str) -> ArtifactRef:
    """The prompts a method gives the video model, as candidates records (operator = method)."""
    frame = prompts.read()
    originals = frame["prompt"].tolist()
    if method == "original":
        texts = originals
    elif method in VBENCH_REWRITES:
        texts = vbench_rewrites(method, originals)
    elif method == "openai":
        results = build_operator(config.operator).mutate([MutationRequest(o, [], n=1) for o in originals])
        texts = [r.variants[0] if r.variants else o for r, o in zip(results, originals)]
    else:  # an enhancer: the untuned base LLM or one of ours (greedy, as at inference)
        path = (resolve_base_model(config.train.base_model) if model is None
                else Store(model.root).local_dir(model.path) / "merged")
        texts = Enhancer.from_pretrained(path).enhance(originals, temperature=0,
                                                       max_new_tokens=config.train.sampling.max_new_tokens)
    candidates = pd.DataFrame({
        "candidate_id": [candidate_id(p, t) for p, t in zip(frame["prompt_id"], texts)],
        "prompt_id": frame["prompt_id"], "original": originals, "prompt": texts, "parent_id": None,
        "round": 0, "operator": method})
    name = content_key("rewrite", prompts, method, model,
                       config.operator if method == "openai" else None,
                       config.train.base_model if model is None else None, config.train.sampling.max_new_tokens)
    return Store(prompts.root).write_table("candidates", stage, name, candidates)


def records(method: str, candidates: ArtifactRef, videos: ArtifactRef, scores: ArtifactRef,
            config: RunConfig) -> pd.DataFrame:
    joined = evolution_records(candidates.read(), videos.read(), scores.read(), config.rewards.aggregation)
    joined["method"] = method
    return joined[SCHEMAS["evaluations"][1].names]


def collect(runs: list[dict], config: RunConfig, stage: str) -> ArtifactRef:
    """One evaluations table from every (method, seed) run."""
    frame = pd.concat([records(r["method"], r["candidates"], r["videos"], r["scores"], config) for r in runs],
                      ignore_index=True)
    return Store(config.store).write_table("evaluations", stage, content_key("evaluations", runs), frame)


def evaluations_by_model(store: Store) -> dict[str, pd.DataFrame]:
    """Every video model evaluated in this run root, with its latest row per (method, prompt, seed)."""
    models = sorted({p.split("/")[1] for p in store.ls("eval") if "/evaluations/" in p})
    return {m: store.read_tables("evaluations", f"eval/{m}").drop_duplicates(["method", "prompt_id", "seed"],
                                                                           keep="last") for m in models}


def report(evaluations: ArtifactRef, config: RunConfig, evolution_rounds: list[dict] | None,
           stage: str, samples: int = 3) -> dict[str, str]:
    """The HTML and Markdown report with plots, plus frames of a few prompts (original vs ours)."""
    store = Store(evaluations.root)
    evals = evaluations.read()
    methods = list(dict.fromkeys(evals["method"]))
    ours = methods[-1]
    frames: dict[str, list] = {}
    for prompt_id in evals["prompt_id"].drop_duplicates().head(samples):
        rows = evals[(evals["prompt_id"] == prompt_id) & evals["method"].isin(["original", ours])
                     & evals["error"].isna()].drop_duplicates("method")
        clips = [(r["method"], decode_mp4(store.read_bytes(f"videos/{r['video_id']}.mp4"))[0])
                 for _, r in rows.iterrows()]
        if len(clips) == 2:
            frames[rows["original"].iloc[0]] = clips
    by_model = evaluations_by_model(store)
    cross = cross_model_matrix(cross_model_cells(by_model)) if len(by_model) > 1 else None
    title = (f"Prompt-A-Video on {config.generator.name}: {evals['prompt_id'].nunique()} held-out prompts, "
             f"{len(config.evaluate.seeds)} seed(s)")
    return write_report(store, stage, evals, config.rewards.aggregation, title=title,
                        evolution_rounds=evolution_rounds, frames=frames, cross_model=cross,
                        n_boot=config.evaluate.bootstrap)


check_held_out_task = task(check_held_out, name="check-held-out")
rewrite_stage = task(rewrite, name="rewrite", tags=["gpu"], **STAGE_OPTIONS)
collect_stage = task(collect, name="evaluations", **STAGE_OPTIONS)


@task(name="report")
def report_stage(evaluations: ArtifactRef, config: RunConfig, evolution_rounds: list[dict] | None,
                 stage: str) -> dict[str, str]:
    """Write the report and publish the paper's table as a Prefect artifact."""
    written = report(evaluations, config, evolution_rounds, stage)
    table = method_table(evaluations.read(), config.rewards.aggregation, n_boot=config.evaluate.bootstrap)
    create_markdown_artifact(key="evaluation-report", markdown=markdown_table(table),
                             description=f"Report: {Store(config.store).url(written['html'])}")
    return written

