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


@pytest.fixture(scope="session")
def prefect_harness(api):
    """The session's one Prefect API: a real server on 127.0.0.1 (SQLite in a temporary home), used by
    every in-process flow and by the deployment tests' workers alike, so no test switches APIs."""
    return api
