"""Evaluation baselines: the best constant suffix (searched on the data engine's own prompts) and a booster.

Stages of the search: `screen` writes candidate suffixes on a sample of the evolution's source prompts,
`finalists` the best few on all of them, `choose` records the winner as a JSON artifact with its score.
"""

from __future__ import annotations

import pandas as pd
from prefect import task

from pav.config import BestSuffixSearch, IntentConfig
from pav.data.records import candidates_frame
from pav.data.store import ArtifactRef, Store, content_key
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.selection import judged_records
from pav.data.prompts import with_suffix
from pav.rewards.suffix import mine_suffixes, rank_suffixes
from pav.tasks.orchestration import STAGE_OPTIONS

OPERATOR = "best-suffix: "  # candidates' operator column: this, then the suffix


def source_prompts(log: pd.DataFrame) -> pd.DataFrame:
    """The data engine's source prompts (its round-0 rows), in their order."""
    return log[log["round"] == 0].drop_duplicates("prompt_id")[["prompt_id", "original"]].reset_index(drop=True)


def _trials(prompts: pd.DataFrame, suffixes: list[str]) -> pd.DataFrame:
    frames = [candidates_frame(prompts["prompt_id"], prompts["original"],
                               [with_suffix(o, s) for o in prompts["original"]], 0, OPERATOR + s) for s in suffixes]
    return pd.concat(frames, ignore_index=True)


def _judged(candidates: ArtifactRef, videos: ArtifactRef, scores: ArtifactRef, aggregation: AggregationConfig,
            intent: IntentConfig) -> pd.DataFrame:
    judged = judged_records(candidates.read(), videos.read(), scores.read(), aggregation, intent)
    judged["suffix"] = judged["operator"].str.removeprefix(OPERATOR)
    return judged


def newest_log(store_root: str) -> ArtifactRef:
    """The evolution log of the newest data engine run in this store."""
    store = Store(store_root)
    logs = [p for p in store.ls("evolve/evolution") if p.rsplit("/", 1)[-1].startswith("log-") and p.endswith(".parquet")]
    if not logs:
        raise ValueError(f"the best-suffix baseline searches the data engine's own prompts, and {store_root} has no "
                         "evolution log: run `pav evolve` (or the pipeline) in this store first, or leave best-suffix "
                         "out of evaluate.baselines")
    return ArtifactRef(root=store.root, path=max(logs, key=store.mtime), kind="evolution")


def budget(log: ArtifactRef, search: BestSuffixSearch, variants: int) -> int:
    """Renders the search may use: `search.budget_rounds` evolution rounds of the log's source prompts."""
    return int(round(search.budget_rounds * len(source_prompts(log.read())) * variants))


def screen(log: ArtifactRef, search: BestSuffixSearch, renders: int, stage: str) -> ArtifactRef:
    """Candidate suffixes, mined from the evolution log, each on an even sample of its source prompts."""
    frame = log.read()
    prompts = source_prompts(frame)
    suffixes = mine_suffixes(frame, search.phrases, search.candidates)
    if not suffixes:
        raise ValueError(f"the evolution log {log.path} has no added phrase in the best rewrites of 3 or more source "
                         "prompts: run more evolution rounds before searching a suffix")
    per = max(2, min(len(prompts), renders // 2 // len(suffixes)))
    sample = prompts.iloc[[round(i * len(prompts) / per) for i in range(per)]].drop_duplicates("prompt_id")
    name = content_key("suffix-screen", log, search)
    return Store(log.root).write_table("candidates", stage, name, _trials(sample, suffixes))


def finalists(log: ArtifactRef, candidates: ArtifactRef, videos: ArtifactRef, scores: ArtifactRef,
              aggregation: AggregationConfig, intent: IntentConfig, renders: int, stage: str) -> ArtifactRef:
    """The screen's best suffixes on every source prompt, as many as the rest of the render budget allows."""
    prompts = source_prompts(log.read())
    ranked = rank_suffixes(_judged(candidates, videos, scores, aggregation, intent))
    keep = max(1, (renders - len(candidates.read())) // len(prompts))
    name = content_key("suffix-finalists", log, candidates, scores, aggregation, intent, renders)
    return Store(log.root).write_table("candidates", stage, name, _trials(prompts, ranked["suffix"][:keep].tolist()))


def choose(screened: ArtifactRef, final: ArtifactRef, videos: ArtifactRef, scores: ArtifactRef,
           aggregation: AggregationConfig, intent: IntentConfig, stage: str) -> dict:
    """The suffix with the best mean overall on all source prompts, written with its score and the runners-up."""
    ranked = rank_suffixes(_judged(final, videos, scores, aggregation, intent))
    best = ranked.iloc[0]
    renders = len(screened.read()) + len(final.read())
    result = {"suffix": str(best["suffix"]), "overall": float(best["overall"]), "intent": float(best["intent"]),
              "prompts": int(best["prompts"]), "renders": renders,
              "finalists": [{"suffix": s, "overall": round(float(o), 4)} for s, o in zip(ranked["suffix"], ranked["overall"])]}
    path = f"{stage}/{content_key('best-suffix', screened, final, scores, aggregation, intent)}.json"
    Store(final.root).write_json(path, result)
    return {**result, "path": path}


screen_stage = task(screen, name="suffix-screen", task_run_name="suffix screen {stage}", **STAGE_OPTIONS)
finalists_stage = task(finalists, name="suffix-finalists", task_run_name="suffix finalists {stage}", **STAGE_OPTIONS)
choose_stage = task(choose, name="suffix-choose", task_run_name="suffix choose {stage}", **STAGE_OPTIONS)
