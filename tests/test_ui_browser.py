"""The Prefect UI in real Chromium: pages render, and a user clicks Run -> Custom run and Retry (Playwright)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
import subprocess

import pytest

from pav.config import load_config
from pav.runs import stage_name
from pav.data.store import Store
from pav.environment import PROJECT_DIR
from test_deployments import EASY, gpu_worker  # noqa: F401 (a fixture)

CHROMIUM = shutil.which("chromium")
OUTPUT = PROJECT_DIR / "test-output"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs Debian's package)")


def chromium(url: str, profile_dir, *mode: str) -> subprocess.CompletedProcess:
    """Headless Chromium on `url`, offline-quiet, a fresh profile; `mode` is --dump-dom or --screenshot=FILE."""
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
            f"--user-data-dir={profile_dir}", "--window-size=1400,1000", "--virtual-time-budget=15000", *mode, url]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def page(url: str, name: str, tmp_path, expect: str) -> str:
    """The rendered DOM of a UI page once it shows `expect`; its screenshot is kept as test-output/NAME.png."""
    OUTPUT.mkdir(exist_ok=True)
    shot = chromium(url, tmp_path / f"{name}-shot", f"--screenshot={OUTPUT / f'{name}.png'}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    # Virtual time can run out before the SPA's API calls answer on a busy machine: load again.
    for attempt in range(3):
        dom = chromium(url, tmp_path / f"{name}-dom-{attempt}", "--dump-dom")
        assert dom.returncode == 0, dom.stderr[-2000:]
        if expect in dom.stdout:
            break
    return dom.stdout


@pytest.fixture(scope="module")
def finished_run(deployed, tmp_path_factory):
    """An evolve flow run on the test server (in this process) with its artifacts."""
    from pav.flows.evolve import evolve

    store = tmp_path_factory.mktemp("ui-run")
    cfg = load_config("quick", [f"store={store}", "evolve.prompts.limit=2", "evolve.rounds=1", f"rewards.aggregation.thresholds={EASY}",
                                "generator.options={frames: 8, size: 32}"])
    state = evolve(cfg, return_state=True)
    assert state.is_completed()
    return str(state.state_details.flow_run_id), state.result()["pairs"].read()


def test_deployments_page_lists_every_deployment(deployed, tmp_path):
    dom = page(f"{deployed.url}/deployments", "ui-deployments", tmp_path, "nightly-evolve")
    for flow_name in ("evolve", "train", "evaluate", "pipeline", "nightly-evolve"):
        assert re.search(rf"(?<![\w-]){flow_name}(?![\w-])", dom), flow_name  # "evolve" is not "nightly-evolve"
    assert "nightly" in dom and "gpu" in dom


def test_artifact_page_renders_the_pairs_table(deployed, finished_run, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    run_id, pairs = finished_run
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(
            any_=[run_id])))
    [pairs_artifact] = [a for a in artifacts if a.key.startswith("evolve-pairs-")]
    first_prompt = pairs["prompt"].iloc[0]
    dom = page(f"{deployed.url}/artifacts/artifact/{pairs_artifact.id}", "ui-artifact-pairs", tmp_path,
               first_prompt)
    assert "evolve-pairs" in dom and "<table" in dom
    assert first_prompt in dom  # a row of the run's pairs table


# --- Clicked through in real Chromium, driven by Playwright (Debian's chromium, never a downloaded one) ---

def browser():
    """A Playwright Chromium on Debian's binary; the caller closes it."""
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    chrome = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
    return driver, chrome


def form_field(page, label: str):
    """The input under a run-form property's label (the schema form's labels are not tied to their inputs)."""
    return page.locator(f"xpath=//span[normalize-space()='{label}']/ancestor::div[contains(concat(' ', @class, ' '),"
                        " ' p-label ')][1]//input")


def newest_run(deployment_id) -> object:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                                     sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1)
    return runs[0] if runs else None


@pytest.fixture
def ui_deployment(deployed, tmp_path):
    """evolve/gpu deployed with a tiny config as its run form's defaults; the suite's defaults restored after."""
    from prefect.client.orchestration import get_client

    from pav.deployments.deploy import deploy_all
    from test_deployments import tiny_config

    cfg = tiny_config(tmp_path / "run")
    deploy_all(cfg, "inbox")
    with get_client(sync_client=True) as client:
        yield cfg, client.read_deployment_by_name("evolve/gpu")
    deploy_all(load_config("quick"), "inbox")


def test_custom_run_from_the_deployment_page_runs_with_the_changed_field(deployed, ui_deployment, gpu_worker):
    from test_deployments import wait_final

    cfg, deployment = ui_deployment
    before = newest_run(deployment.id)
    driver, chrome = browser()
    try:
        page = chrome.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{deployed.url}/deployments/deployment/{deployment.id}")
        page.get_by_role("button", name="Run", exact=True).click()
        page.get_by_text("Custom run", exact=True).click()
        rounds = form_field(page, "Rounds (Optional)")
        assert rounds.input_value() == str(cfg.evolve.rounds)  # the form opens with the deployment's defaults
        rounds.fill(str(cfg.evolve.rounds + 1))
        rounds.scroll_into_view_if_needed()
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "ui-custom-run-form.png"))
        page.get_by_role("button", name="Submit", exact=True).click()
        try:  # back on the deployment page; the UI validates the whole form first, slow beside a worker on 2 cores
            page.wait_for_url(lambda url: not url.split("?")[0].endswith("/run"), timeout=120_000)
        finally:
            page.screenshot(path=str(OUTPUT / "ui-custom-run-submitted.png"), full_page=True)  # what it showed
    finally:
        chrome.close()
        driver.stop()
    run = newest_run(deployment.id)
    assert run is not None and (before is None or run.id != before.id), "Submit created no flow run"
    assert run.parameters["config"]["evolve"]["rounds"] == cfg.evolve.rounds + 1
    assert run.parameters["config"]["store"] == cfg.store  # the rest of the form as deployed
    done = wait_final(str(run.id), timeout=300)
    assert done.state.is_completed(), done.state.message
    rounds_logged = Store(cfg.store).read_tables("evolution", "evolve")["round"].max()
    assert rounds_logged == cfg.evolve.rounds + 1  # it ran with the field as changed in the browser


def test_retry_on_a_failed_run_page_completes_it_with_the_finished_shards_cached(deployed, ui_deployment, gpu_worker):
    from prefect.client.orchestration import get_client

    from test_deployments import task_runs, wait_final

    cfg, deployment = ui_deployment
    blocker = Path(cfg.store) / "evolve" / "round-1"  # a file where round 1 writes its tables: round 1 fails
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory")
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(deployment.id, parameters={"config": cfg.model_dump(mode="json")})
    failed = wait_final(str(run.id), timeout=300)
    assert failed.state.is_failed(), failed.state
    first = {t.id for t in task_runs(str(run.id))}
    blocker.unlink()

    driver, chrome = browser()
    try:
        page = chrome.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{deployed.url}/runs/flow-run/{run.id}")
        page.get_by_text("Failed").first.wait_for()
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "ui-failed-run.png"))
        page.get_by_role("button", name="Retry", exact=True).click()
        confirm = page.get_by_role("dialog").get_by_role("button", name="Retry", exact=True)
        if confirm.count():
            confirm.click()
        retried = wait_final(str(run.id), timeout=300)  # the worker picks the rescheduled run up
        page.reload()
        page.get_by_text("Completed").first.wait_for()
        page.screenshot(path=str(OUTPUT / "ui-retried-run.png"))
    finally:
        chrome.close()
        driver.stop()
    assert retried.state.is_completed(), retried.state.message
    states: dict[str, list[str]] = {}
    for t in task_runs(str(run.id)):
        if t.id not in first:
            states.setdefault(stage_name(t), []).append(t.state.name)
    # Round 0 finished before the failure: its shards' generate, score and select come from the cache.
    for stage in ("generate", "score", "select"):
        assert states[stage].count("Cached") == 2 and states[stage].count("Completed") == 2, states
