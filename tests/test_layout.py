"""The layout keeps its arrows one way: no import cycle between the project's packages, nor between modules.

Imports are read from the source (every ``import``/``from`` statement, also those inside
functions and under ``if TYPE_CHECKING:``), so a lazy or type-only import that only hides a cycle
from Python's loader is still one: the two modules still cannot be understood apart.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = (
    "topology",
    "stacks",
    "proof",
    "runner",
    "emulator",
    "aws",
    "writers",
    "importers",
    "toolchain",
    "benchmarks",
    "tools",
    "examples",
)
TOP_LEVEL = {*PACKAGES, "main"}


def _modules(root: Path) -> dict[str, Path]:
    found = {"main": root / "main.py"}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def _graph(root: Path) -> dict[str, set[str]]:
    modules = _modules(root)
    return {name: set(_imports(name, path, set(modules))) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    top = {name: name.split(".")[0] for name in graph}
    result: dict[str, set[str]] = {package: set() for package in TOP_LEVEL}
    for name, targets in graph.items():
        result[top[name]] |= {top[t] for t in targets if top[t] != top[name]}
    return result


def test_no_cycle_between_packages(project_root: Path) -> None:
    assert _cycle(_packages(_graph(project_root))) is None


def test_no_cycle_between_modules(project_root: Path) -> None:
    graph = _graph(project_root)
    for package in {name.split(".")[0] for name in graph}:  # a package's __init__ re-exporting its modules is not a cycle
        graph.pop(package, None)
    assert _cycle(graph) is None


def test_the_declaration_imports_nothing_of_the_terraform_side(project_root: Path) -> None:
    """``topology/`` is the typed model: it must stay importable without cdktf, jsii or the commands."""
    outside = {t.split(".")[0] for name, targets in _graph(project_root).items() if name.startswith("topology") for t in targets}
    assert outside <= {"topology"}


@pytest.mark.parametrize(
    ("graph", "expected"),
    [({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]), ({"a": {"b"}, "b": set()}, None), ({"a": {"a"}}, ["a", "a"])],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[str] | None) -> None:
    assert _cycle(graph) == expected


ALIASES = {
    "tools.verify": "proof.verify",
    "tools.local": "emulator.local",
    "tools.aws": "aws.commands",
    "tools.hcl": "writers.hcl",
    "tools.diagram": "writers.diagram",
    "tools.scan": "proof.scan",
    "tools.plan_review": "proof.plan_review",
    "tools.import_ecspresso": "importers.ecspresso",
    "tools.selection": "topology.selection",
    "tools.tf_mirror": "toolchain.tf_mirror",
    "tools.bench": "benchmarks.bench",
}


@pytest.mark.parametrize(("alias", "module"), sorted(ALIASES.items()))
def test_older_command_lines_still_run_the_moved_module(alias: str, module: str, project_root: Path) -> None:
    """``python -m tools.<name> --help`` keeps working after the move, and prints the moved module's own help."""
    import subprocess
    import sys

    old = subprocess.run([sys.executable, "-m", alias, "--help"], cwd=project_root, capture_output=True, text=True, timeout=120)
    new = subprocess.run([sys.executable, "-m", module, "--help"], cwd=project_root, capture_output=True, text=True, timeout=120)
    assert old.returncode == 0 == new.returncode, old.stderr + new.stderr
    assert old.stdout.split("\n\n", 1)[1] == new.stdout.split("\n\n", 1)[1]  # same options; only the usage (prog) differs


def test_the_queue_names_files_that_exist_and_deploy(project_root: Path) -> None:
    """tests/conftest.py's LONGEST_FIRST: a renamed file would silently lose its place at the front."""
    from .conftest import LONGEST_FIRST

    assert LONGEST_FIRST, "the queue names files"
    for path in LONGEST_FIRST:
        text = (project_root / path).read_text(encoding="utf-8")
        assert "deployed" in text or "/emulator/" in path, path


def test_type_only_and_function_level_imports_count(tmp_path: Path) -> None:
    """The cycle test must see the imports that Python's loader does not run at import time."""
    module = tmp_path / "a.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n\ndef f() -> None:\n    from pkg import c\n",
        encoding="utf-8",
    )
    assert set(_imports("pkg.a", module, {"pkg.a", "pkg.b", "pkg.c"})) == {"pkg.b", "pkg.c"}


def test_the_architecture_page_lists_every_folders_arrows(project_root: Path) -> None:
    """docs/architecture.md's folder table says which folders each folder imports: it must say what the code does."""
    text = (project_root / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("## The folders, each with one job", 1)[1]
    documented: dict[str, set[str]] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            name = cells[0].split("`")[1].rstrip("/")
            documented[name] = set() if cells[2] == "nothing" else {part.strip().strip("`") for part in cells[2].split(",")}
    assert documented == _packages(_graph(project_root))
