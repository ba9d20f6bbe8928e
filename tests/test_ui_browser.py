"""The Prefect UI in headless Chromium: the deployments page and a finished run's artifact table render."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from pav.config import load_config
from pav.environment import PROJECT_DIR
from test_deployments import EASY

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
    [pairs_artifact] = [a for a in artifacts if a.key == "evolve-pairs"]
    first_prompt = pairs["prompt"].iloc[0]
    dom = page(f"{deployed.url}/artifacts/artifact/{pairs_artifact.id}", "ui-artifact-pairs", tmp_path,
               first_prompt)
    assert "evolve-pairs" in dom and "<table" in dom
    assert first_prompt in dom  # a row of the run's pairs table
