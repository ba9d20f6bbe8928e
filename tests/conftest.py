import contextlib
import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/ helpers (tiny model builders, fake servers)

from pav.environment import apply_defaults  # noqa: E402

# Tests never touch the project's own .prefect; subprocesses they start get their own homes too.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="pav-test-prefect-")
apply_defaults()
os.environ["HF_HUB_OFFLINE"] = "1"

from prefect_server import api, deployed, prefect_server  # noqa: E402,F401 (session fixtures)

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    pass


@pytest.fixture(scope="session", autouse=True)
def no_service_outlives_the_session(tmp_path_factory):
    """Fail the session when a Prefect server or worker it started is still running afterwards."""
    import time

    import psutil

    began = time.time()
    homes = (os.environ["PREFECT_HOME"], str(tmp_path_factory.getbasetemp()))  # this session's Prefect homes
    yield
    time.sleep(1)
    left = []
    for proc in psutil.process_iter(["pid", "cmdline", "create_time", "environ"]):
        with contextlib.suppress(psutil.Error):
            line = " ".join(proc.info["cmdline"] or [])
            ours = (proc.info["environ"] or {}).get("PREFECT_HOME", "").startswith(homes)
            if ours and proc.info["create_time"] >= began and ("prefect" in line) and proc.pid != os.getpid():
                left.append(f"{proc.pid}: {line[:120]}")
    assert not left, "services left running after the tests:\n" + "\n".join(left)


@pytest.fixture(scope="session")
def prefect_harness(api):
    """The session's one Prefect API: a real server on 127.0.0.1 (SQLite in a temporary home), used by
    every in-process flow and by the deployment tests' workers alike, so no test switches APIs."""
    return api


# `make test-fast` leaves these out: tests that need a Prefect server (and its workers), a browser, or the whole
# pipeline. `make test` (what CI runs) runs everything.
SERVER_FIXTURES = {"prefect_server", "api", "deployed", "prefect_harness"}
SLOW_MODULES = {"test_pipeline", "test_ui_browser", "test_services"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())) or item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
