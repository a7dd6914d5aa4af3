"""Shared fixtures: one synth per example per test session, written to a temporary outdir; one emulator
deployment per system and environment per session (``deployed``, see tests/deployments.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import examples
from examples import article
from topology import Settings, Topology

from .deployments import Deploy, Deployments
from .tfjson import Synth

# Tests name their systems themselves: `make test SYSTEM=...` must not change what they check.
for _name in ("INTERNAL_API_SYSTEM", "INTERNAL_API_ENV", "CDKTF_OUTDIR"):
    os.environ.pop(_name, None)

EXAMPLES: dict[str, Topology] = {name: examples.load(name) for name in examples.NAMES}

Synthesizer = Callable[[Topology, Settings], Synth]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` (left out by ``make test-fast``) every test under tests/emulator/ and every user of ``deployed``.

    Other tests that need terraform, make or checkov carry ``pytestmark = pytest.mark.slow`` in their file.
    """
    for item in items:
        if "emulator" in item.path.parts[-2:-1] or "deployed" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def synthesize(tmp_path_factory: pytest.TempPathFactory) -> Synthesizer:
    """Synthesize a topology in this process (the jsii runtime starts once per session); cached by input."""
    from stacks.app import build_app

    cache: dict[tuple[Topology, Settings], Synth] = {}

    def run(topology: Topology, settings: Settings) -> Synth:
        key = (topology, settings)
        if key not in cache:
            outdir = tmp_path_factory.mktemp("cdktf.out")
            build_app(topology, settings, outdir=str(outdir)).synth()
            cache[key] = Synth(outdir)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def article_synth(synthesize: Synthesizer) -> Synth:
    return synthesize(article.TOPOLOGY, Settings())


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Deploy:
    """``deployed("examples.article")`` (or ``deployed(system, env)``): deployed once per session, shared; never change it.

    Tests that apply, import or destroy work on ``.copy(tmp_path / "x")``. See tests/deployments.py.
    """
    return Deployments(tmp_path_factory.mktemp("deployed")).get
