"""The fast tests need nothing of the emulator: a clone without emulator/.venv (no `make setup` for it) runs them.

The project is copied without its emulator environment (and without checkov's), then pytest runs in the
copy with the project's own Python: collecting every test must not start the emulator's fork server, and the
fast tests that once ran a program through the emulator's Python (the AWS preflight) must pass.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .test_layout import PACKAGES

IGNORED = shutil.ignore_patterns(".venv", "__pycache__", "__snapshots__", "cdktf.out", "node_modules")


def _clone_without_emulator(project_root: Path, into: Path) -> Path:
    for folder in (*PACKAGES, "tests"):
        shutil.copytree(project_root / folder, into / folder, ignore=IGNORED)
    for name in ("main.py", "pyproject.toml", "cdktf.json"):
        shutil.copy2(project_root / name, into / name)
    assert not (into / "emulator" / ".venv").exists() and (project_root / "tests").is_dir()
    return into


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)


def test_every_test_collects_and_the_preflight_passes_without_the_emulator(project_root: Path, tmp_path: Path) -> None:
    root = _clone_without_emulator(project_root, tmp_path / "clone")
    collected = _pytest(root, "--collect-only", "tests/emulator")  # no -m: the fork server must still not be started
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    assert "INTERNALERROR" not in collected.stdout + collected.stderr
    ran = _pytest(root, "-m", "not slow", "tests/aws/test_commands.py", "tests/test_moto_pin.py")
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout and "skipped" not in ran.stdout
