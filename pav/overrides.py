"""How a user's overrides become one nested dict: `--set KEY.PATH=VALUE`, PAV_SECTION__FIELD environment variables,
merged over a profile's YAML (pav/config.py's load_config applies them in that order)."""

from __future__ import annotations

import os

import yaml


def deep_merge(base: dict, update: dict, whole: tuple[str, ...] = ()) -> dict:
    """`update` over `base`, dict by dict; a prompt set that switches its source starts afresh, and so does a
    mapping under a key in `whole`.

    A profile samples the bundled suite (offset, limit, stride); carried over to a user's own file, a
    stride of 16 would keep 1 prompt of 7 without a word. So an override that sets another `source`
    replaces the profile's prompt set instead of merging into it.
    """
    out = dict(base)
    for key, value in update.items():
        previous = out.get(key)
        if isinstance(value, dict) and isinstance(previous, dict) and not _switches_source(previous, value) \
                and key not in whole:
            out[key] = deep_merge(previous, value, whole)
        else:
            out[key] = value
    return out


def _switches_source(base: dict, update: dict) -> bool:
    return "source" in update and update["source"] != base.get("source", "vbench")


def dotted(assignments: list[str]) -> dict:
    """["evolve.rounds=2", ...] -> nested dict; values parsed as YAML scalars."""
    out: dict = {}
    for item in assignments:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise ValueError(f"override {item!r}: expected KEY.PATH=VALUE")
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return out


NOT_CONFIG = ("PAV_CACHE", "PAV_PROFILE", "PAV_WORKER_NAME", "PAV_ALERT_WEBHOOK")  # PAV_* variables read elsewhere


def env_overrides(fields: set[str], environ: dict[str, str] | None = None) -> list[str]:
    """PAV_EVOLVE__ROUNDS=2 -> "evolve.rounds=2" (PAV_STORE -> "store=..."). Only variables in the config's own
    shape, PAV_<FIELD> or PAV_<SECTION>__<FIELD> for a top-level field in `fields`, are read; others (PAV_SERVE_KEY, a
    key that `pav serve --api-key-env` names) are left alone. A misspelt field under a real section
    (PAV_EVOLVE__ROUNDZ) is still an error."""
    environ = os.environ if environ is None else environ
    return [f"{k[4:].lower().replace('__', '.')}={v}" for k, v in sorted(environ.items())
            if k.startswith("PAV_") and k not in NOT_CONFIG and k[4:].lower().split("__")[0] in fields]
