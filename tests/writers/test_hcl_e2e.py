"""The HCL of ``make hcl`` deploys the same thing as the JSON: compare the two states, not the two texts.

For the ledger (its own queue, bucket and table, and their grants; it has every resource type the article has, which a
test below keeps true, so the article's apply would add only time): the synthesized JSON stacks (network, then
services) as ``make deploy-local`` applied them into one emulated account (the session's
shared deployment, tests/deployments.py: the same apply the local end-to-end tests read),
and the HCL stacks written by writers/hcl.py applied into another with plain
``terraform init/apply`` against moto (emulator/server.py, same seed). Then every
resource of one state must be in the other under its renamed address, with equal
attributes, and the outputs must be equal. Nothing is fetched; when terraform, moto or
the provider mirror is missing these tests fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from emulator.server import KNOWN_GAPS, Emulator, pointed
from toolchain.stackrun import one_provider
from topology import Settings
from writers import hcl

from ..conftest import EXAMPLES, Synthesizer
from ..deployments import Deploy

pytestmark = [pytest.mark.slow, pytest.mark.deploys]  # the emulator and terraform: `make test-fast` leaves it out

REGION = "ap-northeast-1"
EXAMPLE = "examples.ledger"
"""The system applied both ways: a superset of the article's resource types (``test_the_example_has_every_type_the_article_has``)."""


def _terraform(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"terraform {args[0]} in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _apply(home: Path, workdirs: list[Path], written_from: list[Path]) -> None:
    """``terraform init`` + ``apply`` each directory in order, into the emulated account kept in ``home``.

    ``written_from``: the JSON stacks the HCL was written from, which name the same types (the schema proxy
    reads JSON stacks only; a type they missed would make Terraform refuse the HCL, not pass it)."""
    assert shutil.which("terraform"), "terraform is not on PATH"
    env = hcl._terraform_env()
    with Emulator(home, region=REGION) as aws:
        for workdir in workdirs:
            _terraform(["init", "-input=false"], workdir, pointed(env, aws))
        with one_provider(workdirs[0], pointed(env, aws), stacks=written_from) as run_env:  # as make deploy-local runs them
            for workdir in workdirs:
                _terraform(["apply", "-input=false", "-auto-approve"], workdir, run_env)


def _state(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def _resources(state: dict[str, Any], rename: dict[tuple[str, str, str], str] | None = None) -> dict[str, Any]:
    """``{address: attributes}``, JSON addresses mapped through writers/hcl.py's renames when ``rename`` is given."""
    found = {}
    for resource in state["resources"]:
        (instance,) = resource["instances"]
        mode = "data" if resource["mode"] == "data" else "resource"  # the state says "managed"
        key = (mode, resource["type"], resource["name"])
        name = rename[key] if rename is not None else resource["name"]
        found[f"{'data.' if resource['mode'] == 'data' else ''}{resource['type']}.{name}"] = instance["attributes"]
    return found


# What AWS (here moto, from its seeded generator) makes up: equal only if both applies sent their
# requests in the same order, which Terraform's graph walk does not promise across renamed addresses.
# They are paired resource by resource (a one-to-one map, checked) and every value of the JSON state is
# translated through the map; then everything must be equal, so every reference (which VPC, which
# subnet, which key) is compared too.
GENERATED = frozenset(
    {
        "id",
        "arn",
        "key_id",
        "unique_id",
        "allocation_id",
        "association_id",
        "network_interface_id",
        "private_ip",
        "public_ip",
        "public_dns",
        "security_group_rule_id",
        "hosted_zone",
        "default_network_acl_id",
        "default_route_table_id",
        "default_security_group_id",
        "main_route_table_id",
    }
)
TIMESTAMPS = frozenset({("aws_iam_role", "create_date")})
UNORDERED_JSON = frozenset({("aws_ecs_task_definition", "container_definitions")})
"""Stored as JSON whose object key order varies between two applies of the same input (the provider writes
the awslogs options map in Go's map order): compared as parsed JSON. Every other JSON document (IAM
policies) is compared as text."""


def _json_document(value: str) -> Any:
    """The parsed object of a JSON document stored as a string (a policy), else ``None``."""
    if not value.startswith("{"):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _normalized(value: Any) -> Any:
    """The HCL side's values with JSON documents written the way ``_translate`` writes the JSON side's."""
    if isinstance(value, str):
        document = _json_document(value)
        return json.dumps(document, sort_keys=True) if document is not None else value
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    return value


def _pair_generated(pairs: dict[str, str], expected: dict[str, Any], actual: dict[str, Any]) -> None:
    for address, attributes in expected.items():
        for key in GENERATED & set(attributes):
            old, new = attributes[key], actual[address].get(key)
            if isinstance(old, str) and old:
                assert pairs.setdefault(old, new) == new, f"{address}.{key}: {old} is both {pairs[old]} and {new}"


def _translate(value: Any, pairs: dict[str, str]) -> Any:
    if isinstance(value, str):
        document = _json_document(value)
        if document is not None:  # an IAM policy naming a generated ARN (the exec session key): translate inside
            return json.dumps(_translate(document, pairs), sort_keys=True)
        return pairs.get(value, value)
    if isinstance(value, list):
        return [_translate(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: _translate(v, pairs) for k, v in value.items()}
    return value


def _types(synthesize: Synthesizer, example: str) -> set[tuple[str, str]]:
    """Every (block, type) of an example's stacks: ``("resource", "aws_lb")``, ``("data", ...)``."""
    synth = synthesize(EXAMPLES[example], Settings())
    stacks = [synth.stack(s) for s in ("network", "services")]
    return {(block, rtype) for stack in stacks for block in ("resource", "data") for rtype in stack.get(block, {})}


def test_the_example_has_every_type_the_article_has(synthesize: Synthesizer) -> None:
    article, example = _types(synthesize, "article"), _types(synthesize, EXAMPLE.removeprefix("examples."))
    assert ("resource", "aws_ecs_service") in article
    assert article - example == set(), "apply the article both ways again, or give the example what it lacks"


def test_hcl_and_json_deploy_the_same_resources(deployed: Deploy, aws_provider_schema: dict[str, Any], tmp_path: Path) -> None:
    json_home = deployed(EXAMPLE).copy(tmp_path / "json")  # the adoption below applies over its state
    hcl_home = tmp_path / "hcl"
    converted = hcl.convert(json_home / "cdktf.out", hcl_home / "hcl")
    assert converted.stacks == ("network", "services")

    _apply(hcl_home, [hcl_home / "hcl" / s for s in converted.stacks], [json_home / "cdktf.out" / "stacks" / s for s in converted.stacks])

    schemas = aws_provider_schema["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["resource_schemas"]
    assert _state_differences(json_home / "state", hcl_home / "state", converted, schemas) == []
    _assert_hcl_adopts_the_json_state(json_home)


def _sets_sorted(value: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:
    """``value`` with every set (attribute or nested block, per the schema) in one order.

    Terraform stores a set in an order derived from its elements, here IDs that differ between
    the two applies; the translated JSON set holds the same elements in another order.
    """
    result = dict(value)
    for key, attribute in block.get("attributes", {}).items():
        if isinstance(attribute["type"], list) and attribute["type"][0] == "set" and isinstance(result.get(key), list):
            result[key] = sorted(result[key], key=lambda item: json.dumps(item, sort_keys=True))
    for key, nested in block.get("block_types", {}).items():
        if isinstance(result.get(key), list):
            items = [_sets_sorted(item, nested["block"]) for item in result[key]]
            set_like = nested["nesting_mode"] == "set"
            result[key] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True)) if set_like else items
    return result


def _state_differences(json_states: Path, hcl_states: Path, converted: hcl.Converted, schemas: dict[str, Any]) -> list[str]:
    """Every attribute and output that differs between the two applies, after pairing generated IDs."""
    states = {stack: (_state(json_states / f"{stack}.tfstate"), _state(hcl_states / f"{stack}.tfstate")) for stack in converted.stacks}
    resources = {stack: (_resources(j, converted.names[stack].resources), _resources(h)) for stack, (j, h) in states.items()}
    pairs: dict[str, str] = {}
    for stack, (expected, actual) in resources.items():
        assert sorted(actual) == sorted(expected), stack
        _pair_generated(pairs, expected, actual)
    assert len(set(pairs.values())) == len(pairs), "two generated values of the JSON state map to one of the HCL state"
    differences = []
    for stack, (expected, actual) in resources.items():
        for address, attributes in expected.items():
            rtype = address.split(".")[-2]
            if rtype == "terraform_remote_state":
                attributes = _renamed_remote_outputs(attributes, converted)
                assert attributes.pop("config")["value"]["path"] == "../../../state/network.tfstate"
                assert actual[address].pop("config")["value"] == {"path": "../../state/network.tfstate"}
            translated = _translate(attributes, pairs)
            actual[address] = _normalized(actual[address])
            if address.startswith(rtype):  # a managed resource (data sources hold no sets here)
                translated, actual[address] = (
                    _sets_sorted(translated, schemas[rtype]["block"]),
                    _sets_sorted(actual[address], schemas[rtype]["block"]),
                )
            for key in (k for t, k in UNORDERED_JSON if t == rtype):
                translated[key], actual[address][key] = json.loads(translated[key]), json.loads(actual[address][key])
            for key in sorted(set(translated) | set(actual[address])):
                if (rtype, key) not in TIMESTAMPS and translated.get(key) != actual[address].get(key):
                    differences.append(f"{stack}: {address}.{key}: {translated.get(key)!r} (JSON) != {actual[address].get(key)!r} (HCL)")
        from_json, from_hcl = states[stack]
        outputs = {converted.names[stack].outputs.get(k, k): _translate(v, pairs) for k, v in from_json["outputs"].items()}
        assert sorted(from_hcl["outputs"]) == sorted(outputs), stack
        differences += [
            f"{stack}: output {k}: {v!r} != {from_hcl['outputs'][k]!r}" for k, v in outputs.items() if from_hcl["outputs"][k] != v
        ]
    return differences


def _renamed_remote_outputs(attributes: dict[str, Any], converted: hcl.Converted) -> dict[str, Any]:
    """A JSON state's ``terraform_remote_state`` with the producer's outputs under their HCL names (value and type)."""
    producer = converted.names[attributes["config"]["value"]["path"].rsplit("/", 1)[-1].removesuffix(".tfstate")]
    value, (kind, types) = attributes["outputs"]["value"], attributes["outputs"]["type"]
    renamed = {
        "value": {producer.outputs.get(k, k): v for k, v in value.items()},
        "type": [kind, {producer.outputs.get(k, k): t for k, t in types.items()}],
    }
    return dict(attributes, outputs=renamed)


def _changes(workdir: Path, env: dict[str, str]) -> list[tuple[str, list[str], set[str]]]:
    """``(address, actions, changed attributes)`` of each resource change that is not a plain no-op."""
    _terraform(["plan", "-input=false", "-out=adopt.tfplan"], workdir, env)
    shown = subprocess.run(["terraform", "show", "-json", "adopt.tfplan"], cwd=workdir, env=env, capture_output=True, text=True, check=True)
    found = []
    for change in json.loads(shown.stdout)["resource_changes"]:
        actions, before, after = change["change"]["actions"], change["change"]["before"] or {}, change["change"]["after"] or {}
        changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
        if actions not in (["no-op"], ["read"]):
            found.append((change["address"], actions, {f"{change['type']}.{key}" for key in changed}))
    return found


def _assert_hcl_adopts_the_json_state(json_home: Path) -> None:
    """The HCL written next to the JSON's cdktf.out/ plans against the state ``cdktf deploy`` wrote: moves, no replacements.

    network first: applying it writes the renamed cross-stack outputs services reads.
    Only moto's known gaps (proof/known_gaps.KNOWN_GAPS) may show as in-place updates.
    """
    converted = hcl.convert(json_home / "cdktf.out", json_home / "hcl")
    gaps = {f"{rtype}.{attr}" for rtype, attr in KNOWN_GAPS}
    with Emulator(json_home, region=REGION, record=False) as aws:
        env = pointed(hcl._terraform_env(), aws)
        for stack in converted.stacks:
            _terraform(["init", "-input=false"], json_home / "hcl" / stack, env)
        written_from = [json_home / "cdktf.out" / "stacks" / stack for stack in converted.stacks]  # and whose state the HCL adopts
        with one_provider(json_home / "hcl" / converted.stacks[0], env, stacks=written_from) as run_env:
            _adopt(json_home, converted.stacks, run_env, gaps)


def _adopt(json_home: Path, stacks: tuple[str, ...], env: dict[str, str], gaps: set[str]) -> None:
    """Plan each HCL stack over the JSON's state (nothing but known gaps may change), then apply that plan."""
    for stack in stacks:
        workdir = json_home / "hcl" / stack
        unexpected = [(a, act, ch - gaps) for a, act, ch in _changes(workdir, env) if act != ["update"] or ch - gaps]
        assert unexpected == [], stack
        _terraform(["apply", "-input=false", "adopt.tfplan"], workdir, env)
