"""Everything that wraps a model: video generators, LLM evolution operators, the prompt enhancer."""

import importlib
from typing import Any


def load_class(registry: dict[str, str], name: str, family: str) -> Any:
    """Resolve a registry name ("module:Class" string) to its class; unknown names list the valid ones."""
    if name not in registry:
        raise ValueError(f"unknown {family} {name!r}; valid: {', '.join(sorted(registry))}")
    module, _, attr = registry[name].partition(":")
    return getattr(importlib.import_module(module), attr)
