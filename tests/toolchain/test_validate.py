"""toolchain/validate.py (``make validate``): every stack validated through one shared provider, failures named.

Needs terraform and the provider mirror; fails (never skips) without them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from toolchain.validate import validate
from topology import Settings
from writers import hcl

from ..conftest import EXAMPLES, Synthesizer

pytestmark = pytest.mark.slow  # terraform init + validate


@pytest.fixture(scope="module")
def terraform_env() -> dict[str, str]:
    """The environment ``make`` gives a command (the CLI config of the provider mirror), as writers/hcl.py builds it outside make."""
    return hcl._terraform_env()


@pytest.fixture
def outdir(synthesize: Synthesizer, tmp_path: Path) -> Path:
    """The chain example's stacks in a folder of the test's own (no ``.terraform`` yet)."""
    assert shutil.which("terraform"), "terraform is not on PATH"
    copied = tmp_path / "cdktf.out"
    shutil.copytree(synthesize(EXAMPLES["chain"], Settings()).outdir, copied, ignore=shutil.ignore_patterns(".terraform*"))
    return copied


def test_every_stack_is_validated_in_order_and_a_broken_one_is_named(
    outdir: Path, terraform_env: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    assert validate(outdir, ["network", "services"], terraform_env) == 0
    said = capfd.readouterr().out
    assert [line.split(":")[0] for line in said.splitlines() if "The configuration is valid." in line] == ["network", "services"]

    services = outdir / "stacks" / "services" / "cdk.tf.json"
    stack = json.loads(services.read_text(encoding="utf-8"))
    group = next(iter(stack["resource"]["aws_security_group"].values()))
    group["no_such_argument"] = "x"  # what a hand edit or a provider upgrade might leave
    services.write_text(json.dumps(stack), encoding="utf-8")
    assert validate(outdir, ["network", "services"], terraform_env) == 1
    out, err = capfd.readouterr()
    assert "network: Success!" in out and "services: " in out and "Extraneous JSON object property" in err and "no_such_argument" in err


def test_a_stack_that_was_not_synthesized_is_one_line(
    tmp_path: Path, terraform_env: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    assert validate(tmp_path / "cdktf.out", ["network"], terraform_env) == 1
    assert capfd.readouterr().err.strip().splitlines() == [
        f"error: {tmp_path / 'cdktf.out' / 'stacks' / 'network'} has no cdk.tf.json: run make synth first"
    ]
