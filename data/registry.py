"""Backend registries: one plain dict per family mapping a name to a lazy "module:Class" string."""

import importlib
from typing import Any


def load_class(registry: dict[str, str], name: str, family: str) -> Any:
    """Resolve a registry name to its class; an unknown name lists the valid ones."""
    if name not in registry:
        raise ValueError(f"unknown {family} {name!r}; valid: {', '.join(sorted(registry))}")
    module, _, attr = registry[name].partition(":")
    return getattr(importlib.import_module(module), attr)
