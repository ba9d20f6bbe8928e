"""Process environment defaults, applied before Prefect or Hugging Face libraries are imported.

Offline by construction: analytics off (its telemetry only fails offline and holds the database
lock) and the model hubs disabled. A user who has configured Prefect (PREFECT_HOME, PREFECT_API_URL,
PREFECT_PROFILE or a profiles file in ~/.prefect) keeps that configuration; anyone else gets a
project-local PREFECT_HOME with the ephemeral API on SQLite. Anything the user has already set wins.
"""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]

DEFAULTS = {
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


def user_configured_prefect(environ: dict[str, str] | None = None, home: Path | None = None) -> bool:
    """Whether the user has chosen a Prefect home, API or profile of their own."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    return (any(environ.get(k) for k in ("PREFECT_HOME", "PREFECT_API_URL", "PREFECT_PROFILE"))
            or (home / ".prefect" / "profiles.toml").is_file())


def apply_defaults() -> None:
    if not user_configured_prefect():
        os.environ["PREFECT_HOME"] = str(PROJECT_DIR / ".prefect")
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)


def describe_api() -> str:
    """Which Prefect API this process talks to, and from which profile and home."""
    from prefect.context import get_settings_context

    context = get_settings_context()
    url = context.settings.api.url
    where = f"{url}" if url else f"an ephemeral API (SQLite under {context.settings.home})"
    return f"Prefect: {where}, profile {context.profile.name!r}"
