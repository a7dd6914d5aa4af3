"""Releases through plain Terraform variables: ``VARS=`` reaches each command as ``-var`` for the stack that declares it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from toolchain.stackrun import StackError, parse_variables, undeclared_release_variables


def _stacks(root: Path) -> Path:
    for stack, variables in (("network-prod", {}), ("services-prod", {"image_api": {"type": "string", "default": "a"}})):
        (root / "stacks" / stack).mkdir(parents=True)
        document = {"variable": variables} if variables else {}
        (root / "stacks" / stack / "cdk.tf.json").write_text(json.dumps(document), encoding="utf-8")
    return root


def test_each_variable_goes_to_the_stack_that_declares_it(tmp_path: Path) -> None:
    assert parse_variables(["image_api=registry.example/api:v2"], _stacks(tmp_path), ("network-prod", "services-prod")) == {
        "network-prod": [],
        "services-prod": ["-var=image_api=registry.example/api:v2"],
    }


def test_a_misspelt_tf_var_release_is_a_warning_not_silence(tmp_path: Path) -> None:
    """Terraform ignores TF_VAR_image_apj; the release would deploy the old image without a word."""
    environ = {
        "TF_VAR_image_apj": "registry.example/api:v2",
        "TF_VAR_image_api": "registry.example/api:v2",
        "TF_VAR_region": "x",
        "PATH": "/bin",
    }
    assert undeclared_release_variables(environ, _stacks(tmp_path), ("network-prod", "services-prod")) == [
        "warning: TF_VAR_image_apj is set, but no stack of network-prod, services-prod declares 'image_apj', so Terraform ignores it "
        "(image variables: image_api)"
    ]
    assert undeclared_release_variables({"TF_VAR_image_api": "v"}, tmp_path, ("network-prod", "services-prod")) == []


def test_an_undeclared_or_malformed_variable_is_one_line(tmp_path: Path) -> None:
    outdir = _stacks(tmp_path)
    for given, line in (
        ("image_orders=x", "VARS: 'image_orders' is not a variable of network-prod, services-prod (variables: image_api)"),
        (
            "image_api",
            "VARS: 'image_api' is not NAME=VALUE (like image_orders=123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/orders:v2)",
        ),
    ):
        with pytest.raises(StackError) as raised:
            parse_variables([given], outdir, ("network-prod", "services-prod"))
        assert str(raised.value) == line


@pytest.mark.parametrize("target", ["deploy-local", "plan", "diff", "deploy"])
def test_make_passes_vars_to_the_command(target: str, project_root: Path) -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", target, "VARS=image_a=1 image_b=2"],
        cwd=project_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.splitlines()[-1].endswith(" --var image_a=1 --var image_b=2")
