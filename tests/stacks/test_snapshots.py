"""The Terraform JSON of every example, byte for byte as ``app.synth()`` writes it.

A difference fails the test and shows the diff. After reviewing it, accept the new
output with ``make snapshot-update`` and commit the changed files with the change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from topology import Settings

from ..conftest import EXAMPLES, Synthesizer


class TerraformJson(SingleFileSnapshotExtension):
    """One ``.json`` file per stack per example, stored exactly as synthesized."""

    file_extension = "json"
    _write_mode = WriteMode.TEXT


@pytest.mark.parametrize("stack", ["network", "services"])
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_synthesized_json(example: str, stack: str, synthesize: Synthesizer, snapshot: SnapshotAssertion) -> None:
    synth = synthesize(EXAMPLES[example], Settings())
    assert synth.text(stack) == snapshot(extension_class=TerraformJson)


def test_manifest(synthesize: Synthesizer, snapshot: SnapshotAssertion) -> None:
    synth = synthesize(EXAMPLES["article"], Settings())
    assert (synth.outdir / "manifest.json").read_text(encoding="utf-8") == snapshot(extension_class=TerraformJson)


@pytest.fixture(scope="module")
def production_environments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/production.py's staging and prod, synthesized as ``make synth SYSTEM=examples.production`` does."""
    from stacks.app import build_deployments_app
    from topology.system import deployments, load_system

    outdir = tmp_path_factory.mktemp("production-environments")
    build_deployments_app(deployments(load_system("examples.production")), outdir=str(outdir)).synth()
    return outdir


@pytest.mark.parametrize("stack", ["network-staging", "services-staging", "network-prod", "services-prod"])
def test_production_environments_json(stack: str, production_environments: Path, snapshot: SnapshotAssertion) -> None:
    text = (production_environments / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8")
    assert text == snapshot(extension_class=TerraformJson)
