"""Every resource and data-source body the examples write fits hashicorp/aws 5.100.0's schema, checked fast.

The bodies are read from the synthesized ``cdk.tf.json`` (whatever construct or dict wrote them) and checked
against the committed trimmed schema (tests/provider_schema.py): every argument is one the type has and may
be set (not computed-only), every required argument is there, and every nested block is a block of that
type, within its item bounds, checked the same way inside. ``terraform validate`` (slow) checks the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import examples
from topology.system import deployments, load_system

from ..conftest import Synthesizer
from ..provider_schema import BUILT_IN, SCHEMA_FILE, SECTIONS

META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection", "//"})
"""Terraform's own arguments of every resource (and cdktf's ``//`` metadata), not the provider's."""
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def block_problems(where: str, body: dict[str, Any], block: dict[str, Any]) -> Iterator[str]:
    """One line per way ``body`` does not fit the schema ``block``."""
    attributes, blocks = block["attributes"], block["blocks"]
    for name, value in body.items():
        if name in attributes:
            if attributes[name] == "computed":
                yield f"{where}.{name}: computed by the provider, not an argument"
        elif name in blocks:
            yield from nested_problems(f"{where}.{name}", value, blocks[name])
        elif name == "dynamic" and isinstance(value, dict):
            yield from (f"{where}.dynamic.{n}: not a block of this type" for n in value if n not in blocks)
        else:
            yield f"{where}.{name}: not an argument or block of this type"
    for name, mode in attributes.items():
        if mode == "required" and name not in body:
            yield f"{where}.{name}: required, missing"
    for name, nested in blocks.items():
        if nested["min"] > 0 and name not in body and name not in body.get("dynamic", {}):
            yield f"{where}.{name}: at least {nested['min']} block(s) required, none"


def nested_problems(where: str, value: Any, nested: dict[str, Any]) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("${"):
        return  # a whole-block expression: terraform validate's to check
    items = value if isinstance(value, list) else [value]
    if nested["nesting"] == "single" and isinstance(value, list):
        yield f"{where}: a single block, written as a list"
    if nested["max"] and len(items) > nested["max"]:
        yield f"{where}: {len(items)} blocks, at most {nested['max']}"
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            yield f"{where}[{index}]: a block must be an object, not {type(item).__name__}"
            continue
        yield from block_problems(f"{where}[{index}]", item, nested["block"])


def body_problems(section: str, rtype: str, name: str, body: dict[str, Any]) -> Iterator[str]:
    where = f"{section}.{rtype}.{name}"
    if rtype in BUILT_IN:
        return
    if rtype not in SCHEMA[section]:
        yield f"{where}: {rtype} is not in tests/fixtures/provider-schema.json (run python -m tests.provider_schema)"
        return
    yield from block_problems(where, {k: v for k, v in body.items() if k not in META_ARGUMENTS}, SCHEMA[section][rtype])


def _deployments() -> list[tuple[str, Any]]:
    return [(f"{name}/{d.environment or '-'}", d) for name in examples.NAMES for d in deployments(load_system(f"examples.{name}"))]


@pytest.mark.parametrize(("label", "deployment"), _deployments(), ids=[label for label, _ in _deployments()])
def test_every_body_fits_the_provider_schema(label: str, deployment: Any, synthesize: Synthesizer) -> None:
    synth = synthesize(deployment.topology, deployment.settings)
    checked, problems = 0, list[str]()
    for stack in ("network", "services"):  # build_app names one environment's stacks without a suffix
        document = synth.stack(stack)
        for section in SECTIONS:
            for rtype, bodies in document.get(section, {}).items():
                for name, body in bodies.items():
                    checked += 1
                    problems += body_problems(section, rtype, name, body)
    assert checked > 10, f"{label}: the stacks' bodies were read"
    assert problems == []


def test_the_check_sees_a_wrong_argument_a_missing_required_one_and_a_misnested_block() -> None:
    """The checker itself: each kind of mistake is one line."""
    body = {
        "name": "x",
        "cluster_name": "c",  # not an argument of aws_ecs_service
        "network_configuration": [{"subnets": ["s"]}, {"subnets": ["t"]}],  # at most one
        "deployment_circuit_breaker": {"enable": True},  # rollback is required
    }
    problems = list(body_problems("resource", "aws_ecs_service", "svc", body))
    assert problems == [
        "resource.aws_ecs_service.svc.cluster_name: not an argument or block of this type",
        "resource.aws_ecs_service.svc.network_configuration: 2 blocks, at most 1",
        "resource.aws_ecs_service.svc.deployment_circuit_breaker[0].rollback: required, missing",
    ]
    assert list(body_problems("resource", "aws_security_group", "sg", {"arn": "a"})) == [
        "resource.aws_security_group.sg.arn: computed by the provider, not an argument"
    ]
    assert list(body_problems("resource", "aws_nowhere", "x", {})) == [
        "resource.aws_nowhere.x: aws_nowhere is not in tests/fixtures/provider-schema.json (run python -m tests.provider_schema)"
    ]
