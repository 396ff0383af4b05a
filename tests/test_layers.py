"""The layers are a checked contract: `make lint` runs import-linter over the product's code.

These tests run the same contracts over a copy of the package with one import added, so a
change that breaks the layers is known to fail lint, not only believed to.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--config", str(ROOT / "pyproject.toml")],
        cwd=tree,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "fangkong",
        tmp_path / "fangkong",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "locale", "*.mo"),
    )
    return tmp_path


def _add_import(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_product_keeps_its_layers(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "line", "says"),
    [
        # The bottom importing the top.
        ("fangkong.core.models", "import fangkong.command.models", "is not allowed to import"),
        # A domain app importing the command centre that sits on top of it.
        ("fangkong.testing.services.rounds", "import fangkong.command.models", "not allowed"),
        # The tree reaching up into the registry.
        ("fangkong.geo.selectors", "import fangkong.people.models", "not allowed"),
        # Two domain apps in one layer importing each other: a cycle (lab uses testing).
        ("fangkong.testing.services.rounds", "import fangkong.lab.models", "No cycles"),
    ],
)
def test_an_import_against_the_layers_fails_lint(tree, module, line, says):
    _add_import(tree, module, line)
    result = _lint(tree)
    assert result.returncode == 1
    assert says in result.stdout
