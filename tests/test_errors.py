"""No library module raises ``SystemExit``: library code raises ``topology.errors.UserError`` (one line), and only
a command line's entry (``if __name__ == "__main__":``, a ``__main__.py``) ends the process, through
``topology.errors.command``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from topology.errors import USER_ERROR, UserError, command

from .test_layout import _modules

ROOT = Path(__file__).resolve().parent.parent
ENTRY_HOOKS = {("emulator.serve", "")}
"""emulator/serve.py is the moto process's own start (run as a script, or imported once by the fork server): its moto
version guard must stop that process before any patch is applied, so it ends it at import, in one line."""


def _is_main_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)


def _raises_system_exit(node: ast.AST) -> bool:
    if isinstance(node, ast.Raise) and node.exc is not None:
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(target, ast.Name) and target.id == "SystemExit"
    return isinstance(node, ast.Call) and ast.unparse(node.func) == "sys.exit"


def _below_entry(name: str, tree: ast.Module) -> list[str]:
    """``module:line (function)`` of each SystemExit outside the module's entry block."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_main_block(child):
                continue
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if _raises_system_exit(child) and (name, function) not in ENTRY_HOOKS:
                found.append(f"{name}:{getattr(child, 'lineno', 0)} ({function or 'module'})")
            visit(child, inner)

    visit(tree, "")
    return found


def test_no_library_module_raises_system_exit() -> None:
    modules = {name: path for name, path in _modules(ROOT).items() if name != "main" and path.name != "__main__.py"}
    assert len(modules) > 100  # the scan sees the project
    found = [hit for name, path in sorted(modules.items()) for hit in _below_entry(name, ast.parse(path.read_text(encoding="utf-8")))]
    assert found == []


def test_the_scan_finds_a_system_exit_below_an_entry_point() -> None:
    tree = ast.parse("def helper():\n    raise SystemExit('x')\n\nif __name__ == '__main__':\n    raise SystemExit(main())\n")
    assert _below_entry("m", tree) == ["m:2 (helper)"]


def test_the_wrapper_turns_a_user_error_into_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> int:
        raise UserError("TF_PROVIDER_MIRROR=/nowhere: no hashicorp/aws 5.100.0 under it")

    assert command(broken) == USER_ERROR
    assert capsys.readouterr().err == "error: TF_PROVIDER_MIRROR=/nowhere: no hashicorp/aws 5.100.0 under it\n"


def test_an_unknown_example_is_one_line_from_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "proof.scan", "--system", "examples.nope"], cwd=ROOT, capture_output=True, text=True)
    assert "Traceback" not in done.stderr
    assert done.returncode == USER_ERROR and len(done.stderr.splitlines()) == 1
