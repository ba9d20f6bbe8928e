"""Stage caching: a re-run executes no stage; a deleted artifact recomputes exactly its stage."""

import pandas as pd
import pytest
from prefect import flow, task

from pav.data.store import Store, content_key
from pav.tasks import STAGE_OPTIONS, on_store

EXECUTED: list[str] = []


@task(**STAGE_OPTIONS)
def make_prompts(root: str, texts: list[str]):
    EXECUTED.append("make_prompts")
    df = pd.DataFrame({"prompt_id": [str(i) for i in range(len(texts))], "prompt": texts, "source": "test"})
    return Store(root).write_table("prompts", "prompts", content_key(texts), df)


@task(**STAGE_OPTIONS)
def shout(root: str, prompts_ref):
    EXECUTED.append("shout")
    df = prompts_ref.read()
    df["prompt"] = df["prompt"].str.upper()
    return Store(root).write_table("prompts", "shouted", content_key(prompts_ref), df)


@flow
def two_stages(root: str, texts: list[str]):
    make, loud = on_store(root, make_prompts, shout)
    return loud(root, make(root, texts))


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_rerun_executes_nothing_and_deleted_artifact_recomputes(prefect_harness, tmp_path, kind):
    root = str(tmp_path / "run") if kind == "local" else f"memory://stage-cache-{tmp_path.name}"
    EXECUTED.clear()
    ref = two_stages(root, ["a cat", "a dog"])
    assert EXECUTED == ["make_prompts", "shout"]
    assert ref.read()["prompt"].tolist() == ["A CAT", "A DOG"]

    EXECUTED.clear()
    assert two_stages(root, ["a cat", "a dog"]) == ref
    assert EXECUTED == []

    Store(root).delete(ref.path)
    EXECUTED.clear()
    again = two_stages(root, ["a cat", "a dog"])
    assert EXECUTED == ["shout"]
    assert again.exists()

    EXECUTED.clear()
    two_stages(root, ["a cat", "a dog"])
    assert EXECUTED == []

    EXECUTED.clear()
    two_stages(root, ["a cat", "a bird"])  # a changed input never reuses the old result
    assert EXECUTED == ["make_prompts", "shout"]
