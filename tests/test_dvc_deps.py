"""dvc.yaml's code deps cover what each stage imports, and the layers hold.

A stage whose deps miss a module it imports keeps its cached outputs when that
module changes: stale results that look fresh. The import closure of each
stage script inside ``pipeline/`` is computed with grimp (the graph that
import-linter checks) and every module of it must lie in one of the stage's
deps; every code dep must still exist and hold part of the closure.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import grimp
import pytest
import yaml

from pipeline.config import MODELS_DIR
from pipeline.registry import DETECTOR_NAMES
from tests.helpers import REPO

PACKAGE = "pipeline"


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, cache_dir=None)


def stages() -> dict[str, dict]:
    return yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def script_of(stage: dict) -> Path:
    """The stage script of ``cmd: python stages/<name>.py ...``."""
    return Path(stage["cmd"].split()[1])


def imported_modules(script: Path) -> set[str]:
    """The ``pipeline`` modules a script imports directly (at any depth of its code)."""
    tree = ast.parse((REPO / script).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            # ``from pipeline.x import y`` may name the submodule pipeline.x.y.
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in found if m.split(".")[0] == PACKAGE and m in graph().modules}


def import_closure(modules: set[str]) -> set[str]:
    """Every module that importing ``modules`` executes: imports and parent packages."""
    closure: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in closure:
            continue
        closure.add(module)
        todo.extend(graph().find_upstream_modules(module))
        # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
    return closure


def module_path(module: str) -> Path:
    base = Path(*module.split("."))
    package = base / "__init__.py"
    return package if (REPO / package).is_file() else base.with_suffix(".py")


def code_deps(stage: dict) -> list[Path]:
    return [Path(d) for d in stage.get("deps", []) if str(d).startswith(("pipeline", "stages"))]


def covered(path: Path, deps: list[Path]) -> bool:
    return any(path == dep or dep in path.parents for dep in deps)


def stage_closure(stage: dict) -> set[Path]:
    return {module_path(m) for m in import_closure(imported_modules(script_of(stage)))}


@pytest.mark.parametrize("name", sorted(stages()))
def test_code_deps_cover_the_stage_import_closure(name):
    stage = stages()[name]
    deps = code_deps(stage)
    assert script_of(stage) in deps, f"{name}: its script {script_of(stage)} is not a dep"
    needed = stage_closure(stage)
    missing = sorted(str(p) for p in needed if not covered(p, deps))
    assert not missing, f"dvc.yaml stage {name!r} imports modules its deps miss: {missing}"


@pytest.mark.parametrize("name", sorted(stages()))
def test_every_code_dep_exists_and_is_used(name):
    stage = stages()[name]
    needed = stage_closure(stage) | {script_of(stage)}
    for dep in code_deps(stage):
        assert (REPO / dep).exists(), f"dvc.yaml stage {name!r}: dep {dep} does not exist"
        assert any(covered(p, [dep]) for p in needed), (
            f"dvc.yaml stage {name!r}: dep {dep} holds no module the stage imports"
        )


#: Modules that open model files named in params (checkpoints, GGUF, embeddings).
MODEL_READERS = {
    Path("pipeline/detectors/training.py"),
    Path("pipeline/text/llm.py"),
    Path("pipeline/text/embed.py"),
}


@pytest.mark.parametrize("name", sorted(stages()))
def test_stages_that_read_model_files_depend_on_the_models_folder(name):
    stage = stages()[name]
    if stage_closure(stage) & MODEL_READERS:
        assert str(MODELS_DIR) in stage["deps"], f"dvc.yaml stage {name!r} reads model files"


def test_a_removed_dep_is_caught():
    """The check fails when a dep is taken away (here: train without pipeline.metrics)."""
    stage = next(s for n, s in stages().items() if n == "train")
    deps = [d for d in code_deps(stage) if d != Path("pipeline/metrics.py")]
    assert Path("pipeline/metrics.py") in stage_closure(stage)
    assert not all(covered(p, deps) for p in stage_closure(stage))


def test_parent_packages_join_the_closure():
    closure = import_closure({"pipeline.detectors.deepsoz"})
    # pipeline/detectors/__init__.py imports every architecture.
    assert {"pipeline.detectors", "pipeline.detectors.cnnblstm", "pipeline"} <= closure


def test_layer_contract_holds():
    """import-linter's contract in pyproject.toml: nothing imports upward."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_matrix_stages_run_every_registry_detector():
    for name in ("detector", "train"):
        assert tuple(stages()[name]["matrix"]["detector"]) == DETECTOR_NAMES, name
