"""The GPU work of the stages, in units a gpu worker runs whole: render + score a shard, sample, rewrite, train.

A unit is a stage task (or two, for render + score) bound to the run's store. `flows.dispatch.gpu_map`
runs units here one after another, or fans them out to the gpu pool where `flows.gpu_work` runs each.
"""

from __future__ import annotations

import typing
from typing import Any, Callable

from pydantic import TypeAdapter

from pav.config import GeneratorConfig, RewardConfig
from pav.data.registry import load_class
from pav.data.store import ArtifactRef
from pav.tasks import on_store
from pav.tasks.generate import generate_shard
from pav.tasks.score import score_shard


def render_score(store: str, candidates: ArtifactRef, generator: GeneratorConfig, rewards: RewardConfig, seed: int,
                 stage: str, label: str | None = None) -> dict[str, ArtifactRef]:
    """Render a shard's candidates, then score the videos against their original prompts."""
    generate, score = on_store(store, generate_shard, score_shard)
    if label:  # "evolve/round-1 shard 3/6": the task runs are found by stage and shard
        generate, score = (generate.with_options(task_run_name=f"generate {label}"),
                           score.with_options(task_run_name=f"score {label}"))
    videos = generate(candidates, generator, seed, stage)
    return {"videos": videos, "scores": score(videos, candidates, rewards, stage)}


# name -> a function(store, **inputs) or a stage task(**inputs), loaded on first use: a gpu run that
# renders imports no training code (transformers, TRL), which saves seconds per run it starts.
UNITS: dict[str, str] = {
    "render-score": "pav.flows.units:render_score",
    "sample": "pav.tasks.train:sample_stage",
    "rewrite": "pav.tasks.evaluate:rewrite_stage",
    "sft": "pav.tasks.train:sft_stage",
    "dpo": "pav.tasks.train:dpo_stage",
}


def _unit(unit: str) -> Any:
    return load_class(UNITS, unit, "gpu unit")


def _fn(unit: str) -> Callable:
    return getattr(_unit(unit), "fn", _unit(unit))


def run_unit(store: str, unit: str, inputs: dict[str, Any], name: str | None = None) -> Any:
    """Run one unit in this process; JSON inputs (from a flow run's parameters) are validated first.

    `name` ("render+score evolve/round-1 shard 3/6") names its task runs after the unit's stage and shard.
    """
    fn = _fn(unit)
    hints = typing.get_type_hints(fn)
    typed = {key: TypeAdapter(hints[key]).validate_python(value) for key, value in inputs.items()}
    if _unit(unit) is fn:
        return fn(store, **typed, label=name.split(" ", 1)[-1] if name else None)
    stage_task = on_store(store, _unit(unit))
    return (stage_task.with_options(task_run_name=name) if name else stage_task)(**typed)


def unit_result(unit: str, value: Any) -> Any:
    """A unit's result read back from JSON, as its return type (artifact references)."""
    return TypeAdapter(typing.get_type_hints(_fn(unit))["return"]).validate_python(value)
