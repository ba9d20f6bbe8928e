"""Stage caching: a re-run executes no stage; a deleted artifact recomputes exactly its stage."""

import pandas as pd
import pytest
from prefect import flow, task

from pav.data.store import Store, content_key
from pav.tasks.orchestration import STAGE_OPTIONS, on_store

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


USER_BACKENDS = '''
import numpy as np
from pav.models.generators import Video

SHADE = {shade}
SCORE = {score}


class Flat:
    name = "user-flat"

    def settings(self):
        return {{}}

    def generate(self, prompts, seeds):
        return [Video(np.full((4, 16, 16, 3), SHADE, np.uint8), 8.0) for _ in prompts]


class Judge:
    name = "user-judge"
    dimensions = ("vq", "tc", "dd", "tva", "fc", "aesthetic", "preference")

    def score(self, videos, prompts):
        return [{{d: SCORE for d in self.dimensions}} for _ in videos]
'''


def test_an_edited_renderer_or_judge_recomputes_its_cached_videos_and_scores(tmp_path, monkeypatch):
    """Per-item caches carry the backend's code version: after an edit, the old code's videos and scores
    are not served (the stage cache alone would not catch it: another stage's inputs, same item keys)."""
    import importlib
    import sys

    from pav.data.registry import code_version
    from pav.models.generators import GENERATORS, unload_generators
    from pav.rewards import REWARDS, SUITES, unload_rewards
    from pav.models.rendering import render
    from pav.rewards.scoring import score_videos

    (tmp_path / "userbackends").mkdir()
    (tmp_path / "userbackends" / "__init__.py").write_text("")
    module = tmp_path / "userbackends" / "flat.py"
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(GENERATORS, "user-flat", "userbackends.flat:Flat")
    monkeypatch.setitem(REWARDS, "user-judge", "userbackends.flat:Judge")
    monkeypatch.setitem(SUITES, "user", ["user-judge"])
    store = Store(str(tmp_path / "run"))

    def render_and_score(shade: int, score: float):
        module.write_text(USER_BACKENDS.format(shade=shade, score=score))
        code_version.cache_clear()  # a new process hashes the edited file; this one must forget
        if "userbackends.flat" in sys.modules:
            importlib.reload(sys.modules["userbackends.flat"])
        unload_generators()
        unload_rewards()
        videos, rendered = render(store, "user-flat", {}, ["a cat", "a dog"], [0, 0])
        scores, scored = score_videos(store, videos, ["a cat", "a dog"], "user")
        return videos, rendered, scores, scored

    videos, rendered, scores, scored = render_and_score(10, 2.0)
    assert rendered["rendered"] == 2 and scored["scored"] == 2 and (scores["vq"] == 2.0).all()
    again = render_and_score(10, 2.0)
    assert again[1]["rendered"] == 0 and again[3]["reused"] == 2  # same code: both caches serve
    edited = render_and_score(200, 3.0)
    assert edited[1]["rendered"] == 2 and edited[3]["scored"] == 2  # edited code: both recompute
    assert (edited[2]["vq"] == 3.0).all() and set(edited[0]["video_id"]).isdisjoint(videos["video_id"])
