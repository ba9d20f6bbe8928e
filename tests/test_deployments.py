"""Deployments and operations against a real Prefect server, real workers and the real stage flows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterId

from pav.data.store import Store
from pav.deployments import DEPLOYMENTS, NIGHTLY_CRON
from pav.models.generators import GENERATORS
from pav.models.operators import OPERATORS
from pav.config import load_config
from pav.runs import stage_name
from pav.tasks.orchestration import artifact_key
from pav.environment import PROJECT_DIR
from prefect_server import stop, stop_worker
from pav.rewards import SUITES

EASY = "{vq: 1, tc: 1, fc: 1, tva: 1, dd: 1, aesthetic: 1, preference: 1}"  # so a few rewrites make pairs


def tiny_config(store: Path, *extra: str):
    return load_config("quick", [f"store={store}", "evolve.prompts.limit=4", "evolve.rounds=1",
                                 "evolve.shard_size=2", "generator.options={frames: 8, size: 32}",
                                 f"rewards.aggregation.thresholds={EASY}", *extra])


def run_deployment_cli(server, name: str, config) -> tuple[str, subprocess.CompletedProcess]:
    """`prefect deployment run NAME --params ... --watch`, as the UI's Run button does; returns the run id."""
    done = server.cli("deployment", "run", name, "--params", json.dumps({"config": config.model_dump(mode="json")}),
                      "--watch", "--watch-interval", "1", "--watch-timeout", "240")
    found = re.search(r"UUID:\s*([0-9a-f-]{36})", done.stdout)
    assert found, done.stdout + done.stderr
    return found.group(1), done


def flow_run(run_id: str):
    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def task_runs(run_id: str, timeout: float = 30):
    """The flow run's task runs once all are final (task states reach the API as events, a moment late)."""
    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
        if all(t.state and t.state.is_final() for t in runs) or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)


def wait_final(run_id: str, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = flow_run(run_id)
        if run.state and run.state.is_final() and run.state.name != "AwaitingRetry":
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} still {run.state.name} after {timeout}s")


@pytest.fixture(scope="module")
def gpu_worker(deployed):
    """`pav worker --pool gpu` in the foreground of a child process; SIGTERM must stop it within 30 s."""
    proc = deployed.spawn("pav-worker-gpu", [sys.executable, "-c", "import typer; from pav.ops import worker; "
                                             "typer.run(worker)", "--pool", "gpu"])
    yield proc
    stop_worker(proc, 30, deployed.log_dir / "worker-shutdown.log")


def schema_enum(schema: dict, model: str, field: str) -> list:
    defs = schema.get("definitions") or schema.get("$defs")
    return defs[model]["properties"][field]["enum"]


def deployment_summary() -> dict:
    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        return {f"{flows[d.flow_id]}/{d.name}": (d.entrypoint, d.work_pool_name, d.pull_steps, sorted(d.tags),
                                                 [(s.schedule.cron, s.schedule.timezone) for s in d.schedules])
                for d in client.read_deployments()}


def test_pools_schedule_and_run_form(deployed):
    with get_client(sync_client=True) as client:
        pools = {name: client.read_work_pool(name) for name in ("cpu", "gpu")}
        stage = client.read_deployment_by_name("evolve/gpu")
        nightly = client.read_deployment_by_name("nightly-evolve/nightly")
    assert pools["gpu"].concurrency_limit == 1 and pools["cpu"].concurrency_limit is None
    assert {p.type for p in pools.values()} == {"process"}
    assert [(s.schedule.cron, s.schedule.timezone) for s in nightly.schedules] == [(NIGHTLY_CRON, "UTC")]
    assert nightly.parameters["config"]["dispatch"] == "deployments"
    # A gpu deployment runs its stage in one slot: its form has no fan-out fields (they would do nothing).
    assert "dispatch" not in stage.parameters["config"] and "gpu_poll_s" not in stage.parameters["config"]
    assert "dispatch" not in stage.parameter_openapi_schema["definitions"]["RunConfig"]["properties"]
    assert stage.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT_DIR)}}]
    # The run form: Literal config fields become dropdowns.
    schema = stage.parameter_openapi_schema
    assert schema_enum(schema, "GeneratorConfig", "name") == sorted(GENERATORS)
    assert schema_enum(schema, "OperatorConfig", "name") == sorted(OPERATORS)
    assert schema_enum(schema, "RewardConfig", "suite") == sorted(SUITES)
    assert schema_enum(nightly.parameter_openapi_schema, "RunConfig", "dispatch") == ["in-process", "deployments"]


def test_prefect_yaml_is_written_from_the_python_declaration():
    from pav.deployments import prefect_yaml

    assert prefect_yaml.PATH.read_text() == prefect_yaml.render(), (
        "deployments/prefect.yaml is stale: run `python -m pav.deployments.prefect_yaml`")


def test_prefect_yaml_declares_the_same_deployments(deployed):
    from pav.deployments.deploy import deploy_all

    python = deployment_summary()
    assert set(python) == set(DEPLOYMENTS)
    done = deployed.cli("deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert deployment_summary() == python
    deploy_all(load_config("quick"), "inbox")  # back to the Python defaults for the other tests


def test_run_from_cli_completes_and_publishes_artifacts(deployed, gpu_worker, tmp_path):
    run_id, done = run_deployment_cli(deployed, "evolve/gpu", tiny_config(tmp_path / "run"))
    run = flow_run(run_id)
    assert run.state.is_completed(), done.stdout + done.stderr
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(
            any_=[run.id])))
    keys = {a.key for a in artifacts}
    key = partial(artifact_key, str(tmp_path / "run"))  # keys name the store: "evolve-pairs-<store>-<hash>"
    assert {key("evolve-pairs"), key("evolve-round-0"), key("evolve-round-1")} <= keys
    assert artifact_key(str(tmp_path / "other"), "evolve-pairs") not in keys
    pairs = next(a for a in artifacts if a.key == key("evolve-pairs"))
    store = Store(tmp_path / "run")
    [written] = [p for p in store.ls("evolve") if Path(p).name.startswith("pairs-")]
    assert len(json.loads(pairs.data)) == len(store.read_table(written, "pairs")) > 0
    usage = json.loads(next(a for a in artifacts if a.key == key("usage-evolve")).data)
    log = store.read_tables("evolution", "evolve")
    assert [(r["stage"], r["videos"]) for r in usage] == [
        (f"evolve/round-{r}", int((log["round"] == r).sum())) for r in (0, 1)]
    assert all(r["device_seconds"] > 0 and r["failed"] == 0 for r in usage)


def test_retry_reruns_only_unfinished_stages(deployed, gpu_worker, tmp_path):
    store = tmp_path / "run"
    blocker = store / "evolve" / "round-1"  # a file where round 1 writes its tables: round 1 fails
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory")
    run_id, _ = run_deployment_cli(deployed, "evolve/gpu", tiny_config(store))
    assert flow_run(run_id).state.is_failed()
    first = {t.id for t in task_runs(run_id)}

    blocker.unlink()
    retried = subprocess.run([sys.executable, "-c", "import typer; from pav.ops import retry; typer.run(retry)",
                              run_id], env=deployed.env, cwd=PROJECT_DIR, capture_output=True, text=True)
    assert retried.returncode == 0, retried.stderr
    assert wait_final(run_id).state.is_completed()

    again = [t for t in task_runs(run_id) if t.id not in first]
    states = {}
    for t in again:
        states.setdefault(stage_name(t), []).append(t.state.name)
    shards = 2
    # Round 0 finished before the failure: its generate/score/select come from the cache.
    for stage in ("generate", "score", "select"):
        assert sorted(states[stage]) == ["Cached"] * shards + ["Completed"] * shards, states
    assert states["mutate"] == ["Completed"] * shards, states


def test_nightly_evolves_only_new_prompts(api, tmp_path):
    from pav.data.dataset import evolved_ids
    from pav.data.prompts import prompt_id
    from pav.flows.nightly import nightly_evolve

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # a profile's extra source prompts (the demo's everyday set) are not evolved again every night
    cfg = tiny_config(tmp_path / "run", "evolve.prompts.limit=null", "evolve.extra_prompts=[{source: everyday, limit: 2}]")
    store = Store(cfg.store)
    first = ["a red fox in snow", "a lighthouse at dusk", "a child flying a kite"]
    (inbox / "monday.txt").write_text("\n".join(first) + "\n")
    night1 = nightly_evolve(cfg, str(inbox))
    assert night1["new_prompts"] == 3
    assert night1["dataset"] == {"nights": 1, "prompts": 3, "pairs": len(night1["pairs"].read())}

    second = ["a lighthouse at dusk", "a train crossing a bridge", "bees on a sunflower"]
    (inbox / "tuesday.txt").write_text("\n".join(second) + "\n")
    night2 = nightly_evolve(cfg, str(inbox))
    assert night2["new_prompts"] == 2
    tonight = {prompt_id("a train crossing a bridge"), prompt_id("bees on a sunflower")}
    assert set(night2["evolved"].read()["prompt_id"]) == tonight
    assert set(night2["pairs"].read()["prompt_id"]) <= tonight
    # Only tonight's prompts were evolved: the night's evolution log holds nothing else.
    logs = store.read_tables("evolution", "evolve")
    assert logs.groupby("prompt_id").size().max() > 0 and set(logs["prompt_id"]) == {prompt_id(t) for t in first} | tonight
    assert night1["pairs"].exists()  # earlier nights stay
    pairs_total = len(night1["pairs"].read()) + len(night2["pairs"].read())
    assert pairs_total > len(night1["pairs"].read())
    assert night2["dataset"] == {"nights": 2, "prompts": 5, "pairs": pairs_total}
    assert evolved_ids(store) == {prompt_id(t) for t in first + second}

    began = time.monotonic()
    night3 = nightly_evolve(cfg, str(inbox))
    assert night3 == {"new_prompts": 0, "dataset": night2["dataset"], "trained": False}
    assert time.monotonic() - began < 15


def test_a_failed_run_is_posted_to_the_alert_webhook(deployed, gpu_worker, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pav.deployments.deploy import deploy_all

    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "json": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        deploy_all(load_config("quick"), "inbox", alert_webhook=f"http://127.0.0.1:{hook.server_port}/hook?token=s3cret")
        store = tmp_path / "run"
        (store / "evolve").mkdir(parents=True)
        (store / "evolve" / "round-1").write_text("not a directory")  # round 1 fails
        run_id, _ = run_deployment_cli(deployed, "evolve/gpu", tiny_config(store))
        run = flow_run(run_id)
        assert run.state.is_failed()
        deadline = time.monotonic() + 90
        while not received and time.monotonic() < deadline:
            time.sleep(1)
        assert received, "no POST reached the webhook"
        [post] = received
        assert post["path"] == "/hook?token=s3cret"
        text = post["json"]["text"]
        assert run.name in text and "Failed" in text and "evolve" in text
        assert f"/runs/flow-run/{run.id}" in text  # a link to the run in the UI
        with get_client(sync_client=True) as client:
            [automation] = client.read_automations_by_name("pav: post failed or crashed runs to the alert webhook")
            block = client.read_block_document_by_name("pav-alerts", "custom-webhook", include_secrets=False)
        # The URL (its token) is a secret of the block: the API shows it to nobody who does not ask for secrets.
        assert "s3cret" not in automation.model_dump_json() and "s3cret" not in json.dumps(block.data)
    finally:
        hook.shutdown()
        with get_client(sync_client=True) as client:
            for automation in client.read_automations_by_name("pav: post failed or crashed runs to the alert webhook"):
                client.delete_automation(automation.id)


def test_the_nightly_deployment_trains_on_the_accumulated_dataset_once_it_has_grown_enough(deployed, gpu_worker,
                                                                                          tmp_path):
    """Two nights from the nightly deployment (cpu worker orchestrating, gpu worker rendering and training):
    the first stays under the threshold of new pairs, the second crosses it and trains on both nights."""
    from tiny_models import tiny_chat_model

    from pav.data.dataset import TRAINED_MARKER, nights
    from pav.deployments.deploy import deploy_all

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    base = tiny_chat_model(tmp_path / "tiny-llm")
    cfg = tiny_config(tmp_path / "run", "evolve.prompts.limit=null", f"train.base_model={base}", "train.dpo_rounds=0",
                      "train.sft.max_steps=2", "train.sft.batch_size=2", "evaluate.prompts.limit=2",
                      "evaluate.baselines=[]", "train.sampling.max_new_tokens=12", "dispatch=deployments",
                      "gpu_poll_s=0.5")
    store = Store(cfg.store)
    deploy_all(cfg, str(inbox))
    cpu = deployed.spawn("pav-worker-cpu-nightly", [sys.executable, "-m", "pav.cli", "worker", "--pool", "cpu"])
    try:
        with get_client(sync_client=True) as client:
            nightly = client.read_deployment_by_name("nightly-evolve/nightly")
        assert nightly.global_concurrency_limit.limit == 1  # one night at a time

        def night(prompts: list[str], name: str):
            (inbox / f"{name}.txt").write_text("\n".join(prompts) + "\n")
            with get_client(sync_client=True) as client:
                run = client.create_flow_run_from_deployment(nightly.id, parameters={"train_after_new_pairs": 2})
            done = wait_final(str(run.id), timeout=600)
            assert done.state.is_completed(), done.state.message
            with get_client(sync_client=True) as client:
                children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    parent_flow_run_id={"any_": [str(run.id)]}))
            return done, sorted({c.name.split(" ", 1)[0] for c in children})

        _, first = night(["a red fox in snow"], "monday")
        assert len(nights(store)) == 1 and len(store.read_tables("pairs", "dataset/pairs")) < 2  # under the threshold
        assert first == ["evolve"] and not store.exists(TRAINED_MARKER)  # no training yet

        _, second = night(["a lighthouse at dusk", "a train crossing a bridge", "bees on a sunflower"], "tuesday")
        pairs = store.read_tables("pairs", "dataset/pairs")
        assert len(pairs) >= 2 and len(nights(store)) == 2
        assert second == ["evaluate", "evolve", "train"]  # the night that crossed it trained and evaluated
        marker = store.read_json(TRAINED_MARKER)
        assert marker["pairs"] == len(pairs) and marker["nights"] == nights(store)
        card = (Path(cfg.store) / marker["models"]["sft"] / "merged" / "README.md").read_text()
        assert "dataset/all/pairs/" in card  # SFT read the whole accumulated dataset
        [trained_on] = store.read_tables("pairs", "dataset/all")[["prompt_id"]].nunique().tolist()
        assert trained_on == pairs["prompt_id"].nunique()
        report = next(p for p in store.ls("eval") if p.endswith(".html"))
        assert all(n in store.read_bytes(report).decode() for n in nights(store))  # the report names the nights
    finally:
        stop(cpu)
        deploy_all(load_config("quick"), "inbox")
