import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/ helpers (tiny model builders, fake servers)

from pav.environment import apply_defaults  # noqa: E402

apply_defaults()
os.environ["HF_HUB_OFFLINE"] = "1"

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    pass


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One Prefect test harness (its own SQLite database) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    with prefect_test_harness(server_startup_timeout=120):
        yield
