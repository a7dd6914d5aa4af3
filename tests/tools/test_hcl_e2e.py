"""The HCL of ``make hcl`` deploys the same thing as the JSON: compare the two states, not the two texts.

For the article and the chain example: apply the synthesized JSON stacks (network,
then services) into one emulated account, and the HCL stacks written by
tools/hcl.py into another, both with plain ``terraform init/apply -parallelism=1``
against moto (tools/emulator.py, same seed). Then every resource of one state must
be in the other under its renamed address, with equal attributes, and the outputs
must be equal. Nothing is fetched; when terraform, moto or the provider mirror is
missing these tests fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools import hcl
from tools.emulator import Emulator, pointed
from topology import Settings

from ..conftest import EXAMPLES, Synthesizer

REGION = "ap-northeast-1"


def _terraform(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"terraform {args[0]} in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _apply(home: Path, workdirs: list[Path]) -> None:
    """``terraform init`` + ``apply`` each directory in order, into the emulated account kept in ``home``."""
    assert shutil.which("terraform"), "terraform is not on PATH"
    env = hcl._terraform_env()
    with Emulator(home, region=REGION) as aws:
        for workdir in workdirs:
            _terraform(["init", "-input=false"], workdir, pointed(env, aws))
            _terraform(["apply", "-input=false", "-auto-approve", "-parallelism=1"], workdir, pointed(env, aws))


def _state(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def _resources(state: dict[str, Any], rename: dict[tuple[str, str, str], str] | None = None) -> dict[str, Any]:
    """``{address: attributes}``, JSON addresses mapped through tools/hcl.py's renames when ``rename`` is given."""
    found = {}
    for resource in state["resources"]:
        (instance,) = resource["instances"]
        key = (resource["mode"], resource["type"], resource["name"])
        name = rename[key] if rename is not None else resource["name"]
        found[f"{'data.' if resource['mode'] == 'data' else ''}{resource['type']}.{name}"] = _documents(instance["attributes"])
    return found


def _documents(attributes: dict[str, Any]) -> dict[str, Any]:
    """JSON-document attributes parsed: the HCL writes them with ``jsonencode`` (compact), the JSON with ``", "``."""
    return {k: json.loads(v) if k in hcl.JSON_DOCUMENTS and isinstance(v, str) and v else v for k, v in attributes.items()}


@pytest.mark.parametrize("example", ["article", "chain"])
def test_hcl_and_json_deploy_the_same_resources(example: str, synthesize: Synthesizer, tmp_path: Path) -> None:
    json_home, hcl_home = tmp_path / "json", tmp_path / "hcl"
    shutil.copytree(synthesize(EXAMPLES[example], Settings()).outdir, json_home / "cdktf.out", ignore=shutil.ignore_patterns(".terraform*"))
    converted = hcl.convert(json_home / "cdktf.out", hcl_home / "hcl")
    assert converted.stacks == ("network", "services")

    _apply(json_home, [json_home / "cdktf.out" / "stacks" / s for s in converted.stacks])
    _apply(hcl_home, [hcl_home / "hcl" / s for s in converted.stacks])

    for stack in converted.stacks:
        from_json = _state(json_home / "state" / f"{stack}.tfstate")
        from_hcl = _state(hcl_home / "state" / f"{stack}.tfstate")
        names = converted.names[stack]
        expected = _resources(from_json, names.resources)
        actual = _resources(from_hcl)
        assert sorted(actual) == sorted(expected), stack
        for address, attributes in expected.items():
            assert actual[address] == attributes, f"{stack}: {address}"
        outputs = {names.outputs.get(k, k): v for k, v in from_json["outputs"].items()}
        assert from_hcl["outputs"] == outputs, stack
