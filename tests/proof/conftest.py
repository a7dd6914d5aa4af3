"""Fixtures of the proof's tests: the two-environment production system synthesized once, a fresh copy of it per
test, and a system module of a test's own (a team's module, importable by ``--system``)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stacks.app import build_deployments_app
from topology.system import deployments, load_system

SystemModule = Callable[[str, str], str]
"""(package name, module text) -> the dotted name of ``<package>.system``, importable for this test."""


@pytest.fixture(scope="session")
def production_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/production.py (staging and prod, two accounts and regions), every environment, synthesized once."""
    outdir = tmp_path_factory.mktemp("production") / "cdktf.out"
    build_deployments_app(deployments(load_system("examples.production"), None), outdir=str(outdir)).synth()
    return outdir


@pytest.fixture
def production(production_synth: Path, tmp_path: Path) -> Path:
    """A copy of the production synth output that the test may edit."""
    copy = tmp_path / "cdktf.out"
    shutil.copytree(production_synth, copy)
    return copy


@pytest.fixture
def system_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SystemModule:
    def write(package: str, text: str) -> str:
        folder = tmp_path / "modules" / package
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("", encoding="utf-8")
        (folder / "system.py").write_text(text, encoding="utf-8")
        monkeypatch.syspath_prepend(str(folder.parent))
        for name in (package, f"{package}.system"):
            sys.modules.pop(name, None)
        return f"{package}.system"

    return write
