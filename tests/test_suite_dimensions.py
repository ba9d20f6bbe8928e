"""A reward suite with its own dimensions: a team's server scoring VideoAlign's three (VQ, MQ, TA) over real HTTP
on 127.0.0.1 drives the data engine, the DPO filter and the evaluation end to end; the tables carry those three
columns, not the paper's seven, and the report names them."""

from __future__ import annotations

import numpy as np
import pytest

from pav.config import load_config
from pav.data.schemas import DIMENSIONS
from pav.data.store import Store
from pav.flows.evaluate import evaluate
from pav.flows.evolve import evolve
from pav.rewards.selection import DPOFilter, dpo_triplets
from test_http_reward import JudgeServer

OWN = ["vq", "mq", "ta"]


def videoalign_like(frames: np.ndarray, prompt: str) -> dict[str, float]:
    """Raw rewards as VideoAlign returns them (not on 1-4): VQ from sharpness, MQ from motion, TA from the
    number of words the video was made from (a stand-in that rewrites can raise)."""
    grey = frames.astype(float).mean(axis=-1)
    motion = float(np.abs(np.diff(grey, axis=0)).mean()) if len(grey) > 1 else 0.0
    return {"vq": float(np.abs(np.diff(grey, axis=2)).mean()) / 8 - 1, "mq": motion / 4 - 1,
            "ta": min(len(prompt.split()), 30) / 10 - 1}


@pytest.fixture(scope="module")
def judged(prefect_harness, tmp_path_factory):
    server = JudgeServer(answer=videoalign_like)
    root = str(tmp_path_factory.mktemp("own-dims") / "run")
    sets = ["rewards.suite=http", f"rewards.options={{http: {{url: '{server.url}', dimensions: [vq, mq, ta]}}}}",
            "rewards.aggregation.image_bands={vq: [-1, 2], mq: [-1, 2], ta: [-1, 2]}",
            "rewards.aggregation.thresholds={vq: 1.0, mq: 1.0, ta: 1.5}",
            "evolve.prompts.limit=6", "evolve.rounds=1", "evolve.shard_size=6",
            "generator.options={frames: 8, size: 32}",
            "evaluate.prompts.limit=4", "evaluate.baselines=[booster]", "evaluate.bootstrap=100", f"store={root}"]
    cfg = load_config("quick", sets)
    try:
        yield cfg, evolve(cfg), evaluate(cfg, enhancers={})
    finally:
        server.close()


def test_the_server_named_dimensions_become_the_aggregations(judged):
    cfg, _, _ = judged
    agg = cfg.rewards.aggregation
    assert agg.dimensions == tuple(OWN) and set(agg.image_bands) == set(OWN)
    assert agg.weights == {"vq": 1.0, "mq": 1.0, "ta": 1.0}


def test_the_data_engine_scores_ranks_and_pairs_on_the_suites_dimensions(judged):
    cfg, result, _ = judged
    log, pairs = result["log"].read(), result["pairs"].read()
    for frame in (log, pairs):
        assert set(OWN) <= set(frame.columns) and not {"tc", "aesthetic", "preference"} & set(frame.columns)
    assert log[OWN].notna().all().all() and log["overall"].between(3, 12).all()
    assert len(pairs) >= 1 and (pairs["overall"] > pairs["original_overall"]).all()


def test_the_dpo_filter_reads_the_suites_dimensions(judged):
    cfg, result, _ = judged
    log = result["log"].read()
    samples = log.assign(operator="dpo-1")  # every prompt's judged candidates, as if the policy had sampled them
    found = dpo_triplets(samples, cfg.rewards.aggregation, DPOFilter(margin=0.0), 1)
    assert len(found) >= 1 and (found["chosen_overall"] > found["rejected_overall"]).all()


def test_evaluation_tables_and_report_carry_the_suites_dimensions(judged):
    cfg, _, evaluated = judged
    evals = evaluated["evaluations"].read()
    assert set(evals["method"]) == {"original", "booster"}
    assert set(OWN) <= set(evals.columns) and not set(DIMENSIONS[1:]) & set(evals.columns)
    report = Store(cfg.store).read_bytes(evaluated["report"]["markdown"]).decode()
    assert "| MQ |" in report and "own dimensions (VQ, MQ, TA)" in report


def test_dpo_filter_weighs_the_suites_dimensions_unless_it_names_its_own(judged):
    cfg, _, _ = judged
    assert cfg.train.dpo_aggregation.dimensions == tuple(OWN)
    named = load_config("quick", ["rewards.suite=http", "rewards.options={http: {url: 'http://x', dimensions: [a, b]}}",
                                  "train.dpo_aggregation={suite_dimensions: [a], weights: {a: 2}}"])
    assert named.rewards.aggregation.dimensions == ("a", "b") and named.train.dpo_aggregation.dimensions == ("a",)
