"""An enhancer name means one model: the newest finished one of its stage, or what the round gate kept."""

import os
import time

import pytest

from pav.data.enhancers import enhancers, kept_model, trained_models, verdict_path
from pav.data.store import ArtifactRef, Store


def _model(store: Store, tmp_path, name: str) -> ArtifactRef:
    local = tmp_path / "local" / name
    local.mkdir(parents=True)
    (local / "config.json").write_text("{}")
    ref = store.put_dir(local, f"models/{name}")
    time.sleep(0.02)  # distinct .complete times
    return ref


def test_names_resolve_to_the_newest_model_of_each_stage_and_the_gates_choice(tmp_path):
    store = Store(tmp_path / "run")
    sft = _model(store, tmp_path, "sft-aaaa")
    _model(store, tmp_path, "dpo1-old1")
    dpo1 = _model(store, tmp_path, "dpo1-new2")
    dpo2 = _model(store, tmp_path, "dpo2-cccc")
    store.write_bytes("models/dpo2-unfinished/config.json", b"{}")  # no .complete: never a model
    assert trained_models(store) == {"sft": sft, "dpo-1": dpo1, "dpo-2": dpo2}
    assert kept_model(dpo2) == dpo2  # no verdict: the round stands
    store.write_json(verdict_path(dpo2), {"kept_round": False, "kept": dpo1.path})
    assert kept_model(dpo2) == dpo1
    assert enhancers(store) == {"sft": sft, "dpo-1": dpo1, "dpo-2": dpo1}
    assert enhancers(store, ["dpo-2"]) == {"dpo-2": dpo1}
    with pytest.raises(ValueError, match="no enhancer 'dpo-3' trained in .*trained there: sft, dpo-1, dpo-2"):
        enhancers(store, ["dpo-3"])
    with pytest.raises(ValueError, match=r"none \(run train first\)"):
        enhancers(Store(tmp_path / "empty"), ["sft"])
    assert os.path.isdir(store.url("models/dpo2-unfinished"))
