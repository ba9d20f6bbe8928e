"""Process environment defaults, applied before Prefect or Hugging Face libraries are imported.

Offline by construction: a project-local PREFECT_HOME with the ephemeral API on SQLite, analytics
off (its telemetry only fails offline and holds the database lock), and the model hubs disabled.
Anything the user has already set wins.
"""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]

DEFAULTS = {
    "PREFECT_HOME": str(PROJECT_DIR / ".prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.3",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # library bars (weights, dataset maps) drown our own output
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_defaults() -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
