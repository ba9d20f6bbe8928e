"""GPU units are passed as functions: each one's address loads back to it, and a call with a missing or misspelt
input fails in the flow, naming the unit, before any run is sent to a worker."""

from __future__ import annotations

import pytest

from pav.config import load_config
from pav.data.store import ArtifactRef
from pav.flows.dispatch import gpu_map
from pav.flows.units import check_call, load_unit, render_score, typed_inputs, unit_address
from pav.tasks.evaluate import rewrite_stage
from pav.tasks.train import dpo_stage, sample_stage, sft_stage, triplets_stage


def test_every_unit_loads_back_from_its_address():
    addresses = {unit: unit_address(unit) for unit in (render_score, sample_stage, rewrite_stage, sft_stage, dpo_stage)}
    assert addresses[sft_stage] == "pav.tasks.train:sft_stage"
    for unit, address in addresses.items():
        assert load_unit(address) is unit


def test_a_stage_that_is_not_a_unit_is_refused_by_name():
    with pytest.raises(ValueError, match="'triplets' is not a gpu unit"):
        unit_address(triplets_stage)


def test_a_worker_imports_nothing_but_a_units_address():
    for address in ("os:system", "pav.tasks.train:triplets_stage", "pav.tasks.train:sft", "pav.tasks.train"):
        with pytest.raises(ValueError, match="not a gpu unit"):
            load_unit(address)


def test_a_misspelt_input_fails_before_anything_runs(tmp_path):
    config = load_config("quick", [f"store={tmp_path}", "dispatch=deployments"])  # no API: nothing may be sent
    cfg = config.train
    with pytest.raises(TypeError, match="gpu unit sft: .*base_model"):
        gpu_map(config, sft_stage, [{"pairs": None, "base_modle": cfg.base_model, "settings": cfg.sft}], ["sft"])
    with pytest.raises(TypeError, match="gpu unit render_score: .*seed"):
        check_call(render_score, {"candidates": None, "generator": config.generator, "rewards": config.rewards,
                                  "stage": "evolve/round-0"})


def test_json_inputs_come_back_as_the_signatures_types(tmp_path):
    config = load_config("quick", [f"store={tmp_path}"])
    ref = {"root": str(tmp_path), "path": "evolve/pairs/x.parquet", "kind": "pairs"}
    typed = typed_inputs(sft_stage, {"pairs": ref, "base_model": "smollm2-135m",
                                     "settings": config.train.sft.model_dump(mode="json")})
    assert isinstance(typed["pairs"], ArtifactRef) and typed["settings"] == config.train.sft


def test_an_unregistered_stage_is_refused_in_process_too(tmp_path):
    config = load_config("quick", [f"store={tmp_path}"])  # in-process: it would otherwise run here and only fail on a worker
    with pytest.raises(ValueError, match="'triplets' is not a gpu unit"):
        gpu_map(config, triplets_stage, [], [])
