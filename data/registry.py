"""Backend registries: one plain dict per family mapping a name to a lazy "module:Class" string."""

import ast
import functools
import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

_NOT_CODE = {"pav.config"}
_REGISTERED = re.compile(r"^(pav(?:\.\w+)+):\w+$")  # "pav.models.generators.sim:SimSteady"


def load_class(registry: dict[str, str], name: str, family: str) -> Any:
    """Resolve a registry name to its class; an unknown name lists the valid ones."""
    if name not in registry:
        raise ValueError(f"unknown {family} {name!r}; valid: {', '.join(sorted(registry))}")
    module, _, attr = registry[name].partition(":")
    return getattr(importlib.import_module(module), attr)


class Loaded:
    """A family's backends built once per process, by (name, options); clear() drops them all, so that the next
    stage gets their memory."""

    def __init__(self, registry: dict[str, str], family: str):
        self.registry, self.family, self._held = registry, family, {}

    def get(self, name: str, options: dict[str, Any] | None = None) -> Any:
        key = json.dumps([name, options or {}], sort_keys=True, default=str)
        if key not in self._held:
            self._held[key] = load_class(self.registry, name, self.family)(**(options or {}))
        return self._held[key]

    def clear(self) -> int:
        """Drop every backend held; returns how many."""
        count = len(self._held)
        self._held.clear()
        return count


def backend_version(registry: dict[str, str], name: str) -> str:
    """code_version of a registered backend's module. Per-item caches (a rendered video, its scores) carry
    it in their keys, so an edited renderer or judge recomputes them instead of serving what the old code
    made; an unknown name has none (its loader reports it)."""
    return code_version(registry[name].partition(":")[0]) if name in registry else ""


@functools.lru_cache(maxsize=None)
def code_version(module: str) -> str:
    """Hash of code_files(module): the implementation version that stage cache keys carry."""
    digest = hashlib.sha256()
    for name, path in sorted(code_files(module).items()):
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def code_files(module: str) -> dict[str, Path]:
    """The source files of `module` and of every first-party module it imports or registers, transitively.

    First-party: pav's own modules, and any module outside the interpreter's installation (a user's
    stage module in their checkout); libraries are pinned by the environment, not hashed.

    Read with ast, never imported: a stage's registry names backends as "module:Class" strings, and
    their code (a renderer, a reward) is part of what the stage computes. Whole files are hashed, so
    an edit anywhere in them recomputes the stage: over-approximated, never stale. pav.config is left
    out: it only declares the inputs (hashed as inputs), and through its registry imports it would tie
    every stage to every backend (a sim renderer fix would retrain the enhancer).
    """
    seen: dict[str, Path] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        if name in seen or name in _NOT_CODE or not (name == module or _first_party_package(name.split(".")[0])):
            continue
        try:
            spec = importlib.util.find_spec(name)  # imports parent packages only
        except ModuleNotFoundError:  # `from pav.x import y` named a function, not a module
            continue
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        seen[name] = Path(spec.origin)
        pending += _references(seen[name], name, spec.submodule_search_locations is not None)
    return seen


def _references(path: Path, module: str, is_package: bool) -> list[str]:
    package = module if is_package else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found += [base] + [f"{base}.{a.name}" for a in node.names]  # `from pav.x import y` may be a module
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (hit := _REGISTERED.match(node.value)):
            found.append(hit.group(1))
    names = []
    for name in found:
        names.append(name)
        names += [name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)]  # parents' __init__ run too
    return [n for n in names if n and n != "pav"]


@functools.lru_cache(maxsize=None)
def _first_party_package(top: str) -> bool:
    """pav, or a top-level module found outside the interpreter's installation (found, not imported)."""
    if top == "pav":
        return True
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return False
    installed = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return not any(Path(spec.origin).resolve().is_relative_to(root) for root in installed)
