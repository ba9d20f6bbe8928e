"""Fan-out over a pool of gpu workers: one process worker per (stand-in) GPU, shards at once, crashes retried.

On this CPU machine the three gpu workers are `pav worker --pool gpu --gpus 0,1,2` (CUDA_VISIBLE_DEVICES
set, no GPU behind it); the orchestrating evolve runs on a cpu worker from the evolve/cpu deployment.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.sorting import FlowRunSort

from pav.config import load_config
from pav.runs import stage_name
from pav.data.store import Store
from prefect_server import stop_worker
from test_deployments import EASY, flow_run, run_deployment_cli, task_runs, wait_final

ZOMBIE_AFTER_S = 40  # the automation's silence window here (deployments default: 90 s)
GPUS = ["0", "1", "2"]


@pytest.fixture(scope="module")
def pool(deployed):
    """The gpu pool with three slots, three pinned gpu workers and a cpu worker; restored afterwards."""
    from pav.deployments.deploy import deploy_all

    deploy_all(load_config("quick"), gpus=len(GPUS), zombie_after_s=ZOMBIE_AFTER_S)
    gpu = deployed.spawn("pav-worker-gpus", [sys.executable, "-m", "pav.cli", "worker", "--pool", "gpu",
                                             "--gpus", ",".join(GPUS)])
    cpu = deployed.spawn("pav-worker-cpu", [sys.executable, "-m", "pav.cli", "worker", "--pool", "cpu"])
    yield deployed
    for proc in (cpu, gpu):
        stop_worker(proc, 30, deployed.log_dir / "worker-shutdown.log")
    deploy_all(load_config("quick"), gpus=1)


def config(store: Path, prompts: int, *extra: str):
    return load_config("quick", [f"store={store}", f"evolve.prompts.limit={prompts}", "evolve.shard_size=4",
                                 f"rewards.aggregation.thresholds={EASY}", "gpu_poll_s=0.5", "dispatch=deployments", *extra])


def gpu_runs(store: str) -> list:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["gpu-work"])),
                                     sort=FlowRunSort.START_TIME_ASC)
    return [r for r in runs if r.parameters.get("store") == store]


def results(store: Store) -> list[dict]:
    return [store.read_json(p) for p in store.ls("dispatch") if p.endswith(".json")]


def test_shards_run_at_once_on_every_gpu_worker_each_exactly_once(pool, tmp_path):
    cfg = config(tmp_path / "run", 24, "evolve.rounds=1", "generator.options={frames: 8, size: 32, gpu_seconds: 0.3}")
    run_id, done = run_deployment_cli(pool, "evolve/cpu", cfg)
    parent = wait_final(run_id, timeout=600)
    assert parent.state.is_completed(), done.stdout + done.stderr

    children = gpu_runs(cfg.store)
    names = [r.name for r in children]
    expected = [f"render+score evolve/round-{r} shard {i}/6" for r in (0, 1) for i in range(1, 7)]
    assert sorted(names) == sorted(expected)  # every shard of every round once, none twice
    assert {r.state.name for r in children} == {"Completed"}
    done_by = {(res["worker"], res["gpu"]) for res in results(Store(cfg.store))}
    assert {gpu for _, gpu in done_by} == set(GPUS)  # all three workers took shards
    assert all(worker and worker.endswith(f"-gpu-{gpu}") for worker, gpu in done_by)
    # Each child rendered and scored its shard; the parent did neither and replayed no stage.
    for child in children:  # task runs named by stage and shard, like their run
        label = child.name.removeprefix("render+score ")
        assert sorted(t.name for t in task_runs(child.id)) == [f"generate {label}", f"score {label}"]
    parent_tasks = [stage_name(t) for t in task_runs(run_id)]
    assert "generate" not in parent_tasks and "score" not in parent_tasks
    assert parent_tasks.count("select") == 12 and parent_tasks.count("mutate") == 6
    log = Store(cfg.store).read_tables("evolution", "evolve")
    assert log["prompt_id"].nunique() == 24 and log["overall"].notna().all()


def video_records(store: Store) -> dict[str, float]:
    return {p: store.fs.info(store._abs(p))["mtime"] for p in store.ls("cache/videos")} if store.exists(
        "cache/videos") else {}


def test_a_killed_gpu_worker_leaves_its_run_crashed_and_another_redoes_only_the_rest(pool, tmp_path):
    cfg = config(tmp_path / "run", 8, "evolve.rounds=0",
                 "generator.options={frames: 8, size: 32, gpu_seconds: 2.5}", "generator.render_batch=1")
    store = Store(cfg.store)
    with get_client(sync_client=True) as client:
        parent = client.create_flow_run_from_deployment(
            client.read_deployment_by_name("evolve/cpu").id, parameters={"config": cfg.model_dump(mode="json")})
    victim, finished = None, {}
    deadline = time.monotonic() + 300
    while victim is None and time.monotonic() < deadline:
        time.sleep(0.5)
        running = [r for r in gpu_runs(cfg.store) if r.state and r.state.is_running() and r.infrastructure_pid]
        finished = video_records(store)
        if running and len(finished) >= 2:
            victim = running[0]
    seen = [(r.name, r.state_name, r.infrastructure_pid) for r in gpu_runs(cfg.store)]
    assert victim is not None, f"no gpu run got going: {seen}, {len(finished)} videos"
    flow_pid = int(str(victim.infrastructure_pid).rsplit(":", 1)[-1])
    worker = psutil.Process(flow_pid).parent()
    command = " ".join(worker.cmdline())
    assert "worker" in command
    killed_gpu = next(g for g in GPUS if command.endswith(f"-gpu-{g}"))
    worker.kill()  # the GPU's worker and the run it holds, gone at once (a lost machine)
    psutil.Process(flow_pid).kill()
    finished = video_records(store)

    assert wait_final(str(parent.id), timeout=600).state.is_completed()
    killed = flow_run(victim.id)
    assert killed.state.name == "Crashed" and "heartbeat" in (killed.state.message or "")
    again = [r for r in gpu_runs(cfg.store) if r.name == f"{victim.name} (attempt 2)"]
    assert len(again) == 1 and again[0].state.is_completed()
    retry = store.read_json(again[0].parameters["result_path"])
    assert retry["gpu"] != killed_gpu  # on one of the workers still alive
    after = video_records(store)
    assert len(after) == 8
    assert {p: after[p] for p in finished} == finished  # videos done before the kill were not rendered again
    assert len(finished) >= 2


def test_a_gpu_run_past_its_time_limit_is_cancelled_resubmitted_then_failed_with_the_reason(pool, tmp_path):
    cfg = config(tmp_path / "run", 2, "evolve.rounds=0", "generator.options={frames: 8, size: 32, gpu_seconds: 60}",
                 "gpu_run_timeout_s=6", "gpu_crash_retries=1")
    run_id, done = run_deployment_cli(pool, "evolve/cpu", cfg)
    parent = wait_final(run_id, timeout=300)
    assert parent.state.is_failed(), done.stdout + done.stderr
    message = parent.state.message or ""
    runs = gpu_runs(cfg.store)
    assert sorted(r.name for r in runs) == ["render+score evolve/round-0 shard 1/1",
                                            "render+score evolve/round-0 shard 1/1 (attempt 2)"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(not flow_run(r.id).state.is_final() for r in runs):
        time.sleep(1)  # the workers kill the processes and mark the runs Cancelled
    assert [flow_run(r.id).state.name for r in runs] == ["Cancelled", "Cancelled"]
    assert not Store(cfg.store).exists("cache/videos") or not Store(cfg.store).ls("cache/videos")  # nothing cached
    assert "ran longer than gpu_run_timeout_s=6, attempt 2 of 2" in message, message
