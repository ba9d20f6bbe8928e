"""Paper stages: SFT on the pairs, then sampling, triplets and DPO for each iterative round."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact

from pav.data.records import candidates_frame, check_disjoint, dpo_operator
from pav.data.schemas import dimensions_of
from pav.data.store import ArtifactRef, Store, content_key
from pav.models.enhancer import Enhancer
from pav.models.text_limit import TextLimit
from pav.models.base_model import resolve_base_model
from pav.models.training import train_dpo, train_sft
from pav.models.training_settings import DPOSettings, SFTSettings
from pav.config import IntentConfig, SamplingConfig
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.intent import intent_columns, load_intent_judge
from pav.rewards.selection import DPOFilter, dpo_triplets
from pav.tasks.orchestration import GPU_STAGE_OPTIONS, STAGE_OPTIONS, artifact_key, hold_models, stage_logger


def _train_into_store(store: Store, path: str, train_fn) -> dict[str, ArtifactRef]:
    hold_models("llm")
    with tempfile.TemporaryDirectory(prefix="pav-train-") as scratch:
        metrics = train_fn(Path(scratch) / "model")
        model = store.put_dir(Path(scratch) / "model", path)
    return {"model": model, "metrics": store.write_json(f"{path}.metrics.json", metrics)}


def sft(pairs: ArtifactRef, base_model: str, settings: SFTSettings) -> dict[str, ArtifactRef]:
    """LoRA SFT of the base model on (original, target) pairs; model and metrics in the store."""
    store = Store(pairs.root)
    frame = pairs.read()
    if frame.empty:
        raise ValueError(f"{store.url(pairs.path)} holds no pairs: the data engine found no passing rewrite")
    base = resolve_base_model(base_model)
    path = f"models/sft-{content_key(pairs, base_model, settings)}"
    card = {"pairs": store.url(pairs.path), "base_model": base_model}
    return _train_into_store(store, path, lambda out: train_sft(frame, base, out, settings, card=card))


def sample(model: ArtifactRef, prompts: ArtifactRef, held_apart: list[ArtifactRef], sampling: SamplingConfig,
           round_: int, stage: str) -> ArtifactRef:
    """Each prompt's `candidates` enhancements by the current policy, as candidates records: sampled, and with
    `greedy_candidate` the first is the greedy rewrite evaluation sees (its operator says so), so DPO moves
    what users get."""
    store = Store(model.root)
    frame = prompts.read()
    check_disjoint(frame, [ref.read() for ref in held_apart], "DPO")
    hold_models("llm")
    enhancer = Enhancer.from_pretrained(store.local_dir(model.path) / "merged", sampling.device, sampling.dtype)
    samples = enhancer.candidates(frame["prompt"].tolist(), sampling.candidates, sampling.greedy_candidate,
                                  temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k,
                                  seed=round_, max_new_tokens=sampling.max_new_tokens,
                                  no_repeat_ngram_size=sampling.no_repeat_ngram)
    rows = [(pid, original, text, dpo_operator(round_, greedy=sampling.greedy_candidate and i == 0))
            for pid, original, texts in zip(frame["prompt_id"], frame["prompt"], samples) for i, text in enumerate(texts)]
    pids, originals, texts, operators = zip(*rows) if rows else ((), (), (), ())
    candidates = candidates_frame(pids, originals, texts, round_, operators)
    return store.write_table("candidates", stage, content_key("samples", model, prompts, sampling, round_), candidates)


def triplets(candidates: ArtifactRef, scores: ArtifactRef, aggregation: AggregationConfig, rule: DPOFilter,
             intent: IntentConfig, round_: int, stage: str, limit: TextLimit | None = None) -> ArtifactRef:
    """(prompt, chosen, rejected) from the scored samples through the paper's filter, intent enforced; a sample
    over the video model's token `limit` is never a chosen (it may be a rejected: the policy learns to fit)."""
    frame = candidates.read()
    judge = load_intent_judge(intent.judge, intent.options)
    scored = scores.read()
    samples = pd.concat([frame, scored[list(dimensions_of("scores", scored))],
                         intent_columns(judge, frame["original"], frame["prompt"])], axis=1)
    samples["fits"] = limit.fits(samples["prompt"].tolist()) if limit and len(samples) else True
    found = dpo_triplets(samples, aggregation, rule, round_)
    stage_logger().info("%s: %d triplets from %d prompts; %d of %d samples lost intent, %d over the token limit",
                        stage, len(found), samples["prompt_id"].nunique(),
                        int((samples["intent"] < aggregation.intent_threshold).sum()), len(samples),
                        int((~samples["fits"].astype(bool)).sum()))
    name = content_key("triplets", candidates, scores, aggregation, rule, intent, round_, limit)
    return Store(candidates.root).write_table("triplets", stage, name, found)


def dpo(triplets_ref: ArtifactRef, policy: ArtifactRef, settings: DPOSettings, round_: int) -> dict[str, ArtifactRef]:
    """One DPO round; the policy (merged) is also the frozen reference."""
    store = Store(policy.root)
    frame = triplets_ref.read()
    if frame.empty:
        raise ValueError(f"{store.url(triplets_ref.path)} holds no triplets: no sampled rewrite passed every "
                         "threshold while leading the prompt's worst by more than the margin")
    merged = store.local_dir(policy.path) / "merged"
    path = f"models/dpo{round_}-{content_key(triplets_ref, policy, settings)}"
    card = {"triplets": store.url(triplets_ref.path), "policy": store.url(policy.path), "round": round_}
    return _train_into_store(store, path, lambda out: train_dpo(frame, merged, out, settings, card=card))


@task(name="sft", task_run_name="sft {base_model}", **GPU_STAGE_OPTIONS)
def sft_stage(pairs: ArtifactRef, base_model: str, settings: SFTSettings) -> dict[str, ArtifactRef]:
    """Supervised fine-tuning with LoRA."""
    result = sft(pairs, base_model, settings)
    _publish_metrics("sft", result["metrics"])
    return result


sample_stage = task(sample, name="sample", task_run_name="sample {stage}", **GPU_STAGE_OPTIONS)
triplets_stage = task(triplets, name="triplets", task_run_name="triplets {stage}", **STAGE_OPTIONS)


@task(name="dpo", task_run_name="dpo round {round_}", **GPU_STAGE_OPTIONS)
def dpo_stage(triplets_ref: ArtifactRef, policy: ArtifactRef, settings: DPOSettings,
              round_: int) -> dict[str, ArtifactRef]:
    """One round of DPO with LoRA."""
    result = dpo(triplets_ref, policy, settings, round_)
    _publish_metrics(f"dpo-{round_}", result["metrics"])
    return result


def _publish_metrics(stage: str, metrics_ref: ArtifactRef) -> None:
    metrics = Store(metrics_ref.root).read_json(metrics_ref.path)
    create_table_artifact(key=artifact_key(metrics_ref.root, f"train-{stage}"), table=metrics["log"],
                          description=f"{stage}: {metrics['steps']} steps in {metrics['seconds']} s")
