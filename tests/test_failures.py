"""Failures are recorded and redone, never cached; the code that does a stage's work is part of its key."""

import importlib
import sys
import textwrap
from datetime import datetime, timezone

import pytest
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pav.config import load_config
from pav.data.registry import code_files, code_version
from pav.data.store import Store
from pav.flows.evolve import evolve
from pav.tasks import GPU_STAGE_OPTIONS, is_transient
from task_runs import task_states_since

PROMPTS = ["a red kite over a beach", "a dog running on grass", "a chef flipping a pancake",
           "a sailboat on a calm lake"]


def cache_records(store: Store) -> dict[str, int]:
    """Per-video cache record -> its file's modification time (a re-render writes it again)."""
    return {p: store.fs.info(store._abs(p))["mtime"] for p in store.ls("cache/videos")}


def test_failed_videos_are_errors_then_the_next_run_redoes_only_them(prefect_harness, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    failing = PROMPTS[1:3]
    cfg = load_config("quick", [f"store={tmp_path / 'run'}", f"evolve.prompts={{source: file, path: {prompts}}}",
                                "evolve.rounds=0", "evolve.shard_size=2",
                                f"generator.options={{frames: 8, size: 32, fail_first: {failing}, "
                                f"fail_ledger: {tmp_path / 'ledger'}}}"])
    first = evolve(cfg)
    log = first["log"].read()
    errors = log.set_index("original")["error"]
    assert errors[failing].notna().all() and errors.drop(failing).isna().all()
    assert all("injected failure" in e for e in errors[failing])
    assert log.set_index("original")["overall"][failing].isna().all()
    store = Store(cfg.store)
    before = cache_records(store)
    assert len(before) == len(PROMPTS) - len(failing)  # a failure is never a finished item

    since = datetime.now(timezone.utc)
    second = evolve(cfg)
    states = task_states_since(since)
    log = second["log"].read()
    assert log["error"].isna().all() and log["overall"].notna().all()
    after = cache_records(store)
    assert len(after) == len(PROMPTS)
    assert {p: after[p] for p in before} == before  # the finished videos were not rendered again
    # Both shards held a failure, so both re-ran their generate (the finished half from the item cache).
    assert states["generate"] == ["Completed", "Completed"]

    since = datetime.now(timezone.utc)
    evolve(cfg)
    assert set(task_states_since(since)["generate"]) == {"Cached"}  # complete now: cached for good


def test_registered_backends_are_part_of_the_code_a_stage_runs():
    generate = code_files("pav.tasks.generate")
    assert {"pav.models.generators.sim", "pav.models.generators.diffusers_video", "pav.data.video"} <= set(generate)
    assert "pav.config" not in generate  # declares inputs only; it would tie every stage to every backend
    train = code_files("pav.tasks.train")
    assert {"pav.models.training", "pav.models.llm"} <= set(train)
    assert "pav.models.generators.sim" not in train  # a renderer fix does not retrain the enhancer


def test_an_edit_to_code_the_stage_imports_recomputes_it(prefect_harness, tmp_path, monkeypatch):
    """A stage module and the helper that does its work, in a package outside the installation."""
    package = tmp_path / "userstages"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helper.py").write_text("def render(text):\n    return text.upper()\n")
    (package / "stage.py").write_text(textwrap.dedent("""
        import pandas as pd
        from prefect import task
        from pav.data.store import Store, content_key
        from pav.tasks import STAGE_OPTIONS
        from userstages.helper import render
        CALLS = []

        @task(**STAGE_OPTIONS)
        def shout(root: str, texts: list[str]):
            CALLS.append(texts)
            df = pd.DataFrame({"prompt_id": texts, "prompt": [render(t) for t in texts], "source": "test"})
            return Store(root).write_table("prompts", "shout", content_key(texts), df)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    stage = importlib.import_module("userstages.stage")
    root = str(tmp_path / "run")

    @flow
    def one_stage():
        from pav.tasks import on_store
        return on_store(root, stage.shout)(root, ["a cat"])

    assert one_stage().read()["prompt"].tolist() == ["A CAT"]
    one_stage()
    assert len(stage.CALLS) == 1  # cached: same inputs, same code
    version = code_version("userstages.stage")
    (package / "helper.py").write_text("def render(text):\n    return text.title()\n")
    code_version.cache_clear()  # a new worker process computes it afresh; this one must forget
    assert code_version("userstages.stage") != version
    importlib.reload(sys.modules["userstages.helper"])
    importlib.reload(stage)
    assert one_stage().read()["prompt"].tolist() == ["A Cat"]
    assert len(stage.CALLS) == 1 and stage.CALLS == [["a cat"]]  # the reloaded module's first call


class ServerError(Exception):
    status_code = 503


ATTEMPTS: list[str] = []


@task(**{**GPU_STAGE_OPTIONS, "retry_delay_seconds": 0, "cache_policy": NO_CACHE, "persist_result": False})
def flaky_gpu_stage(error: str) -> str:
    ATTEMPTS.append(error)
    if len(ATTEMPTS) == 1:
        raise {"oom": MemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), "503": ServerError("busy"),
               "bad input": ValueError("prompt is empty")}[error]
    return "done"


@flow
def one_gpu_stage(error: str) -> str:
    return flaky_gpu_stage(error)


@pytest.mark.parametrize("error, retried", [("oom", True), ("503", True), ("bad input", False)])
def test_gpu_stages_retry_transient_errors_only(prefect_harness, error, retried):
    ATTEMPTS.clear()
    if retried:
        assert one_gpu_stage(error) == "done" and len(ATTEMPTS) == 2
    else:
        with pytest.raises(ValueError, match="prompt is empty"):
            one_gpu_stage(error)
        assert len(ATTEMPTS) == 1  # a bad input fails the same way every time: not retried
    assert is_transient(TimeoutError()) and is_transient(ConnectionResetError()) and not is_transient(KeyError("x"))
