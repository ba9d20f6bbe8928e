"""The house: one import root (`pav`), imports one way down the layers, one top-level package in the wheel."""

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"data": "pav.data", "models": "pav.models", "rewards": "pav.rewards", "tasks": "pav.tasks",
           "flows": "pav.flows", "deployments": "pav.deployments", "pav": "pav"}
# data <- models, rewards <- config <- tasks <- flows <- deployments <- the command line
LAYERS = {"pav.data": 0, "pav.models": 1, "pav.rewards": 1, "pav.config": 2, "pav.overrides": 2, "pav.environment": 2,
          "pav.report": 2, "pav.report_plots": 2, "pav.batcher": 2, "pav.tasks": 3, "pav.flows": 4, "pav.deployments": 5}
COMMAND_LINE = 6  # every other pav.* module: cli, ops, services, progress, runs


def layer(module: str) -> int:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    return COMMAND_LINE


def family(module: str) -> str:
    return ".".join(module.split(".")[:2])


def project_modules():
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            yield path, ".".join((package, *parts))


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "pav":
                found += [(node.lineno, f"pav.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and re.fullmatch(r"pav(\.\w+)+:\w+", node.value):  # registry entries "pav.models.generators.sim:SimSteady"
            found.append((node.lineno, node.value.partition(":")[0]))
    return found


def test_layers_import_one_way_down():
    wrong = []
    for path, module in project_modules():
        for line, target in imports_of(path):
            where = f"{path.relative_to(ROOT)}:{line} {module} imports {target}"
            if target.split(".")[0] in FOLDERS and target.split(".")[0] != "pav":
                wrong.append(f"{where} (bare folder import; use pav.{target})")
            elif target.startswith("pav.") and layer(target) > layer(module):
                wrong.append(f"{where} (layer {layer(module)} -> {layer(target)})")
            elif {family(module), family(target)} == {"pav.models", "pav.rewards"}:
                wrong.append(f"{where} (models and rewards never import each other)")
    assert not wrong, "\n".join(wrong)


def test_the_layer_check_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from pav.tasks.generate import render\nfrom models.llm import x\n"
                   "REG = {'a': 'pav.flows.evolve:evolve'}\n")
    assert [t for _, t in imports_of(bad)] == ["pav.tasks.generate", "models.llm", "pav.flows.evolve"]
    assert layer("pav.tasks.generate") > layer("pav.models.llm") and layer("pav.cli") == COMMAND_LINE


def test_import_root_works_outside_the_checkout_and_bare_names_do_not(tmp_path):
    code = ("import importlib.util, pav.models, pav.data.store, pav.flows.evolve\n"
            "assert pav.models.__name__ == 'pav.models'\n"
            "print([n for n in ('data', 'models', 'rewards', 'tasks', 'flows', 'deployments') "
            "if importlib.util.find_spec(n) is not None])\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for rel in tracked.splitlines():
        if (ROOT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Warning" not in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]  # a quiet build
    return next(out.glob("*.whl"))


def test_wheel_holds_one_top_level_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"pav", "prompt_a_video-0.1.0.dist-info"}
    for module in ("pav/data/store.py", "pav/models/generators/sim.py", "pav/rewards/cv_quality.py",
                   "pav/tasks/generate.py", "pav/flows/evolve.py",
                   "pav/deployments/deploy.py", "pav/profiles/demo.yaml", "pav/profiles/presets/paper.yaml",
                   "pav/data/vbench/all_dimension.txt", "pav/data/vbench/LICENSE",
                   "pav/data/vbench/prompts_per_dimension/subject_consistency.txt", "pav/deployments/prefect.yaml"):
        assert module in names
