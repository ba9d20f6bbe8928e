"""Failures are recorded and redone, never cached; the code that does a stage's work is part of its key."""

import importlib
import sys
import textwrap
import weakref
from datetime import datetime, timezone

import numpy as np
import pytest
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pav.config import load_config
from pav.data.registry import code_files, code_version
from pav.data.store import Store
from pav.flows.evolve import evolve
from pav.models.generators import Video
from pav.tasks.orchestration import GPU_STAGE_OPTIONS, hold_models, is_transient
from pav.models.rendering import _generate
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
        from pav.tasks.orchestration import STAGE_OPTIONS
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
        from pav.tasks.orchestration import on_store
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


class _Tensor:
    """Stands for the activations a failed CUDA call leaves in its frames."""


class _TightGenerator:
    """Renders `batch_size` prompts at a time (the whole list where None); more than `fits` at once raises what
    torch raises on a full GPU. (A real CUDA out-of-memory cannot happen on this machine; the retry logic around
    it can.)"""

    def __init__(self, batch_size: int | None, fits: int):
        self.fits, self.calls, self.held = fits, [], []
        if batch_size is not None:
            self.batch_size = batch_size

    def generate(self, prompts, seeds):
        # the previous failed call's activations must be gone before any retry runs
        self.calls.append((len(prompts), [ref() is not None for ref in self.held]))
        activations = _Tensor()
        if min(getattr(self, "batch_size", len(prompts)), len(prompts)) > self.fits:
            self.held.append(weakref.ref(activations))
            raise MemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return [Video(np.zeros((1, 4, 4, 3), np.uint8), 8.0) for _ in prompts]


def test_out_of_memory_renders_fewer_at_once_after_releasing_the_failed_call():
    whole_list = _TightGenerator(batch_size=None, fits=2)  # renders the list it is given at once: halve the list
    videos = _generate(whole_list, ["a", "b", "c", "d"], [1, 1, 1, 1])
    assert all(v.error is None for v in videos) and len(videos) == 4
    assert [n for n, _ in whole_list.calls] == [4, 2, 2]
    assert not any(alive for _, held in whole_list.calls[1:] for alive in held)  # released before the retries
    batched = _TightGenerator(batch_size=4, fits=1)  # a pipeline's own batch: halve that, keep the list
    videos = _generate(batched, ["a", "b", "c", "d"], [1, 1, 1, 1])
    assert all(v.error is None for v in videos) and batched.batch_size == 1
    assert [n for n, _ in batched.calls] == [4, 4, 4] and not any(any(h) for _, h in batched.calls[1:])


def test_out_of_memory_at_one_prompt_at_a_time_is_recorded_not_retried():
    # a pipeline that renders one prompt at a time gains nothing from a shorter list: it would redo the first ones
    gen = _TightGenerator(batch_size=1, fits=0)
    videos = _generate(gen, ["a", "b", "c"], [1, 1, 1])
    assert len(gen.calls) == 1 and all("out of memory" in v.error for v in videos)


def test_changing_model_family_gives_the_previous_familys_memory_back():
    # sampling, SFT and DPO cache no model, yet what they freed stays reserved until the cache is emptied
    hold_models("llm")
    assert hold_models("generator") is True
    assert hold_models("generator") is False  # the same family again keeps its models
    assert hold_models("rewards") is True and hold_models("llm") is True
