"""The GPU work of the stages, in units a gpu worker runs whole: render + score a shard, sample, rewrite, train.

A unit is a stage task made with GPU_STAGE_OPTIONS (tagged "gpu": sft_stage, sample_stage, ...) or render_score
below, which runs two. Flows pass the unit itself to `flows.dispatch.gpu_map` (so an editor follows the call, and
a misspelt input fails in the flow, before anything is sent), which runs it here or sends its address, the
module and name it is defined under, to the gpu pool, where `flows.gpu_work` imports it from there: a run that
renders imports no training code (transformers, TRL), which saves seconds per run it starts.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import typing
from typing import Any, Callable

from prefect import Task
from pydantic import TypeAdapter

from pav.config import GeneratorConfig, RewardConfig
from pav.data.store import ArtifactRef
from pav.tasks.orchestration import on_store
from pav.tasks.generate import generate_shard
from pav.tasks.score import score_shard

Unit = Callable[..., Any]  # a stage task, or render_score


def render_score(store: str, candidates: ArtifactRef, generator: GeneratorConfig, rewards: RewardConfig, seed: int,
                 stage: str, label: str | None = None) -> dict[str, ArtifactRef]:
    """Render a shard's candidates, then score the videos against their original prompts."""
    generate, score = on_store(store, generate_shard, score_shard)
    if label:  # "evolve/round-1 shard 3/6": the task runs are found by stage and shard
        generate, score = (generate.with_options(task_run_name=f"generate {label}"),
                           score.with_options(task_run_name=f"score {label}"))
    videos = generate(candidates, generator, seed, stage)
    return {"videos": videos, "scores": score(videos, candidates, rewards, stage)}


def unit_name(unit: Unit) -> str:
    """A unit's short name, for run names, tags and messages (the stage task's name, else the function's)."""
    return unit.name if isinstance(unit, Task) else getattr(unit, "__name__", repr(unit))


def unit_address(unit: Unit) -> str:
    """"module:name", where a gpu-work run imports `unit` from; anything but a gpu unit is refused here, so
    in-process dispatch fails as a worker would."""
    is_unit = unit is render_score or (isinstance(unit, Task) and "gpu" in unit.tags)
    module = sys.modules.get(getattr(unit, "__module__", ""))
    names = [name for name, value in vars(module).items() if value is unit] if module and is_unit else []
    if not names:
        raise ValueError(f"{unit_name(unit)!r} is not a gpu unit: a gpu unit is a stage task made with "
                         "GPU_STAGE_OPTIONS (tasks/orchestration.py), defined at a module's top level, or render_score")
    return f"{module.__name__}:{names[0]}"


def load_unit(address: str) -> Unit:
    """The unit at "module:name" (a project module only); the address must be the unit's own."""
    module, _, name = address.partition(":")
    if not module.startswith("pav.") or not name:
        raise ValueError(f"{address!r} is not a gpu unit's address (pav.<module>:<name>)")
    unit = getattr(importlib.import_module(module), name, None)
    if unit is None or unit_address(unit) != address:
        raise ValueError(f"{address!r} is not a gpu unit's address")
    return unit


def _function(unit: Unit) -> Callable:
    return unit.fn if isinstance(unit, Task) else unit


def check_call(unit: Unit, call: dict[str, Any]) -> None:
    """A missing or unknown input names the unit and fails here, not inside a worker."""
    signature = inspect.signature(_function(unit))
    given = {"store": None} if unit is render_score else {}
    try:
        signature.bind(**given, **call)
    except TypeError as e:
        raise TypeError(f"gpu unit {unit_name(unit)}: {e}") from None


def typed_inputs(unit: Unit, inputs: dict[str, Any]) -> dict[str, Any]:
    """A unit's inputs read back from JSON (a flow run's parameters) as the types its signature names."""
    hints = typing.get_type_hints(_function(unit))
    return {key: TypeAdapter(hints[key]).validate_python(value) for key, value in inputs.items()}


def run_unit(store: str, unit: Unit, inputs: dict[str, Any], name: str | None = None) -> Any:
    """Run one unit in this process, its results kept under `store`.

    `name` ("render+score evolve/round-1 shard 3/6") names its task runs after the unit's stage and shard.
    """
    if unit is render_score:
        return render_score(store, **inputs, label=name.split(" ", 1)[-1] if name else None)
    stage_task = on_store(store, unit)
    return (stage_task.with_options(task_run_name=name) if name else stage_task)(**inputs)


def unit_result(unit: Unit, value: Any) -> Any:
    """A unit's result read back from JSON, as its return type (artifact references)."""
    return TypeAdapter(typing.get_type_hints(_function(unit))["return"]).validate_python(value)
