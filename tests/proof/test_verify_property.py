"""Property: any valid topology verifies as synthesized, and any exposing edit is rejected naming its service."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proof.verify import Config, from_topology, verify
from topology import Port, Service, Settings, Topology, callers_of

from ..conftest import Synthesizer

Stacks = dict[str, dict[str, Any]]
Edit = Callable[[Stacks, str], str]
"""Applies one exposing edit aimed at a service; returns the resource address the rejection must name."""


@st.composite
def topologies(draw: st.DrawFn) -> Topology:
    """2-4 services; svc-0 serves and the last one calls it, the rest is random (calls only point back: no cycles)."""
    count = draw(st.integers(min_value=2, max_value=4))
    names = [f"svc-{i}" for i in range(count)]
    serves = [i == 0 or (i < count - 1 and draw(st.booleans())) for i in range(count)]
    services = []
    for i, name in enumerate(names):
        servers = [names[j] for j in range(i) if serves[j]]
        calls = set(draw(st.lists(st.sampled_from(servers), unique=True))) if servers else set()
        if i == count - 1:
            calls.add(names[0])
        ports = (Port(name=name, container_port=draw(st.sampled_from([80, 8080, 9000]))),) if serves[i] else ()
        services.append(Service(name=name, ports=ports, calls=tuple(sorted(calls)), enable_execute_command=draw(st.booleans())))
    return Topology(services=tuple(services))


def _named(stacks: Stacks, stack: str, rtype: str, path: str) -> str:
    (name,) = [
        n
        for n, b in stacks[stack]["resource"].get(rtype, {}).items()
        if b.get("//", {}).get("metadata", {}).get("path") == f"{stack}/{path}"
    ]
    return str(name)


def _group(stacks: Stacks, service: str) -> str:
    return f"${{aws_security_group.{_named(stacks, 'services', 'aws_security_group', f'{service}_sg/group')}.id}}"


def _add(stacks: Stacks, rtype: str, name: str, body: dict[str, Any]) -> str:
    stacks["services"]["resource"].setdefault(rtype, {})[name] = body
    return f"services:{rtype}.{name}"


def open_to_the_internet(stacks: Stacks, target: str) -> str:
    rule = {"security_group_id": _group(stacks, target), "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 443, "to_port": 443}
    return _add(stacks, "aws_vpc_security_group_ingress_rule", "world", rule)


def public_ip(stacks: Stacks, target: str) -> str:
    name = _named(stacks, "services", "aws_ecs_service", f"{target}/service")
    stacks["services"]["resource"]["aws_ecs_service"][name]["network_configuration"]["assign_public_ip"] = True
    return f"services:aws_ecs_service.{name}"


def host_in_its_callers_group(stacks: Stacks, target: str, caller: str) -> str:
    return _add(
        stacks, "aws_instance", "host", {"ami": "ami-1", "instance_type": "t3.micro", "vpc_security_group_ids": [_group(stacks, caller)]}
    )


def wildcard_task_policy(stacks: Stacks, target: str) -> str:
    role = _named(stacks, "services", "aws_iam_role", f"{target}_iam/task")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    return _add(stacks, "aws_iam_role_policy", "wide", {"name": "wide", "role": f"${{aws_iam_role.{role}.id}}", "policy": policy})


def foreign_group(stacks: Stacks, target: str) -> str:
    _add(stacks, "aws_security_group", "foreign", {"name": "foreign", "vpc_id": "vpc-1"})
    rule = {
        "security_group_id": _group(stacks, target),
        "referenced_security_group_id": "${aws_security_group.foreign.id}",
        "ip_protocol": "tcp",
        "from_port": 80,
        "to_port": 80,
    }
    return _add(stacks, "aws_vpc_security_group_ingress_rule", "foreign", rule)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(topology=topologies(), data=st.data())
def test_any_exposing_edit_is_rejected_naming_the_service(topology: Topology, data: st.DataObject, synthesize: Synthesizer) -> None:
    synth = synthesize(topology, Settings())
    pristine = {name: synth.stack(name) for name in ("network", "services")}
    declared = from_topology(topology)
    assert verify(Config(copy.deepcopy(pristine)), declared) == []
    target = data.draw(st.sampled_from([s.name for s in topology.services]), label="target")
    edits: list[Callable[[Stacks], str]] = [
        lambda s: open_to_the_internet(s, target),
        lambda s: public_ip(s, target),
        lambda s: wildcard_task_policy(s, target),
        lambda s: foreign_group(s, target),
    ]
    callers = callers_of(topology, target)
    if callers:
        caller = data.draw(st.sampled_from(sorted(callers)), label="caller")
        edits.append(lambda s: host_in_its_callers_group(s, target, caller))
    edit = data.draw(st.sampled_from(edits), label="edit")
    stacks = copy.deepcopy(pristine)
    resource = edit(stacks)
    lines = [str(v) for v in verify(Config(stacks), declared)]
    assert any(line.startswith(f"service '{target}': ") and resource in line for line in lines), "\n".join(lines)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-1, 70000)
    | st.sampled_from(["", "80", "tcp", "${var.x}", "${ local.y }", "${aws_vpc.vpc.id}", "sg-1", "*", "[1]", "${f(x)}"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["Effect", "Action", "name", "portMappings", "ingress"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every (key or index) path inside a stack, to pick one to overwrite."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            if key != "//":
                found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_input_makes_the_checker_crash(data: st.DataObject, article_synth: Any) -> None:
    """Any value anywhere in the article's stacks, however odd: findings or a proof, never an exception."""
    stacks = {name: article_synth.stack(name) for name in ("network", "services")}
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        stack = data.draw(st.sampled_from(["network", "services"]), label="stack")
        path = data.draw(st.sampled_from(_paths(stacks[stack])), label="path")
        holder: Any = stacks[stack]
        for step in path[:-1]:
            holder = holder[step]
        holder[path[-1]] = data.draw(JSON_VALUES, label="value")
    assert isinstance(verify(Config(stacks), None), list)
