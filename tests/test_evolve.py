"""The data engine end to end on the embedded default: it improves prompts, writes pairs, resumes."""

import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import numpy as np
import pytest

from pav.data.store import Store
from pav.flows.evolve import evolve
from pav.models.operators import MutationResult
from pav.models.operators.lexical import LexicalOperator
from pav.tasks.mutate import propose
from pav.config import load_config
from prefect_server import kill_job, stop
from task_runs import task_states_since

SMALL = ["evolve.prompts.limit=8", "evolve.rounds=2", "evolve.shard_size=4", "evolve.targets_per_prompt=2",
         "generator.options={frames: 12, size: 48}"]


@pytest.fixture(scope="module")
def evolved(prefect_harness, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("evolve") / "run")
    cfg = load_config("quick", SMALL + [f"store={root}"])
    since = datetime.now(timezone.utc)
    result = evolve(cfg)
    return cfg, result, task_states_since(since)


def test_rounds_raise_the_best_prompts_over_the_originals(evolved):
    _, result, _ = evolved
    rounds = result["rounds"]
    assert [r["round"] for r in rounds] == [0, 1, 2]
    best = [r["best_overall"] for r in rounds]
    assert best[0] == pytest.approx(rounds[0]["original_overall"])
    assert best[1] > best[0] + 0.5 and best[2] > best[1]
    assert rounds[-1]["pairs"] > 0


def test_round_table_counts_the_pairs_the_stage_writes(evolved):
    _, result, _ = evolved
    pairs = result["pairs"].read()
    per_prompt = pairs.groupby("prompt_id").size()
    assert per_prompt.max() == 2  # two targets per source prompt where two pass, never more
    assert result["rounds"][-1]["pairs"] == len(pairs) > pairs["prompt_id"].nunique()


def test_log_and_pairs_are_consistent(evolved):
    _, result, _ = evolved
    log, pairs = result["log"].read(), result["pairs"].read()
    assert set(log["round"]) == {0, 1, 2}
    assert log.groupby("prompt_id")["prompt"].apply(lambda s: s.is_unique).all()  # never rendered twice
    children = log[log["round"] > 0]
    assert children["parent_id"].isin(log["candidate_id"]).all()
    assert (children["operator"] == "lexical").all()
    for _, pair in pairs.iterrows():
        target = log[(log["prompt_id"] == pair["prompt_id"]) & (log["prompt"] == pair["completion"])].iloc[0]
        original = log[(log["prompt_id"] == pair["prompt_id"]) & (log["round"] == 0)].iloc[0]
        assert target["passes"] and target["overall"] > original["overall"]
        assert pair["prompt"] == original["prompt"]
    # the scores are against the ORIGINAL prompt: every candidate's scores row carries it
    videos_stage = Store(result["log"].root).read_tables("scores", "evolve/round-1")
    assert set(videos_stage["original"]) <= set(log.loc[log["round"] == 0, "prompt"])


def test_second_run_executes_no_generation_scoring_or_mutation(evolved):
    cfg, result, first = evolved
    assert first["generate"].count("Completed") == 6 and first["mutate"].count("Completed") == 4
    since = datetime.now(timezone.utc)
    assert evolve(cfg)["pairs"] == result["pairs"]
    again = task_states_since(since)
    for stage in ("generate", "score", "select", "mutate", "pairs"):
        assert set(again[stage]) == {"Cached"}, (stage, again[stage])


def test_deleted_round_artifact_recomputes_only_that_stage(evolved):
    cfg, result, _ = evolved
    store = Store(cfg.store)
    victim = store.ls("evolve/round-2/videos")[0]
    store.delete(victim)
    since = datetime.now(timezone.utc)
    evolve(cfg)
    states = task_states_since(since)
    executed = {name: s.count("Completed") for name, s in states.items()
                if "Completed" in s and name not in ("load_prompt_set", "shard_prompts", "report_round", "usage")}
    assert executed == {"generate": 1}  # its consumers find their own artifacts and stay cached
    assert store.exists(victim)


def test_operator_failure_keeps_best_so_far_and_is_recorded(evolved):
    _, result, _ = evolved
    log = result["log"].read()
    log = log[log["round"] == 0]

    class Failing(LexicalOperator):
        def mutate(self, requests):
            return [MutationResult([], error="endpoint refused") for _ in requests]

    candidates, stats = propose(Failing(), log, top_n=3, n=3, round_=1, seed=0)
    assert candidates.empty
    assert {f["error"] for f in stats["failures"]} == {"endpoint refused"}
    assert len(stats["failures"]) == log["prompt_id"].nunique()


def test_killed_run_resumes_without_rerendering_finished_shards(tmp_path):
    root = tmp_path / "run"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PAV_STORE": str(root)}
    argv = [sys.executable, "-m", "pav.cli", "evolve", "--profile", "quick"] + \
        [a for s in SMALL + ["evolve.rounds=1"] for a in ("--set", s)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and len([p for p in Store(root).ls("evolve/round-1")
                                              if p.endswith(".parquet")]) < 3:
            time.sleep(0.2)  # round 1: the first shard's candidates, videos and scores are in
        assert proc.poll() is None, "the run ended before it could be killed"
        kill_job(proc)
    finally:
        stop(proc)
    store = Store(root)
    before = {p: os.stat(store.url(p)).st_mtime_ns for p in store.ls("videos")}
    assert before, "no video was finished before the kill"
    finished = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    after = {p: os.stat(store.url(p)).st_mtime_ns for p in store.ls("videos")}
    assert all(after[p] == t for p, t in before.items()), "a finished video was rendered again"
    assert len(after) > len(before)
    assert set(store.read_tables("evolution", "evolve")["round"]) == {0, 1}

    # An uninterrupted run of the same config ends with the same videos, scores and pairs.
    fresh = tmp_path / "uninterrupted"
    done = subprocess.run(argv, env={**env, "PAV_STORE": str(fresh)}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    resumed_log, fresh_log = (Store(r).read_tables("evolution", "evolve").drop_duplicates("candidate_id")
                              .sort_values("candidate_id").reset_index(drop=True) for r in (root, fresh))
    assert resumed_log["candidate_id"].tolist() == fresh_log["candidate_id"].tolist()
    assert np.allclose(resumed_log["overall"], fresh_log["overall"], atol=1e-9, equal_nan=True)
    mp4s = [{p: Store(r).read_bytes(p) for p in Store(r).ls("videos")} for r in (root, fresh)]
    assert mp4s[0] == mp4s[1], "identical frames encoded to different mp4 bytes"
    resumed_pairs, fresh_pairs = (Store(r).read_tables("pairs", "evolve").sort_values("prompt_id")
                                  .reset_index(drop=True) for r in (root, fresh))
    assert len(fresh_pairs) > 0
    assert resumed_pairs[["prompt_id", "prompt", "completion"]].equals(fresh_pairs[["prompt_id", "prompt", "completion"]])
