"""Families judged by what they can do (issue 33, item 1): each harmless neighbour passes, its harmful twin fails.

A resource is a finding only when it can open a path: join a service's group, add a rule or source to one, route
the internet into a task subnet, and so on. These cases add everyday neighbours (network ACLs, endpoints in their
own group, SSM parameters, S3 buckets with ACLs, main route-table associations, ``removed`` blocks, a remote state
path written with ``${path.module}``) to synthesized systems, and then the one change that makes each harmful.
The property at the end draws random harmless additions and random path-opening ones from a seeded generator
(deterministic: the same seeds every run).
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from examples import chain, storefront
from proof.findings import Finding
from proof.verify import Config, declared_callers, from_topology, verify
from topology import Settings

from ..conftest import Synthesizer
from ..tfjson import Synth

Stacks = dict[str, dict[str, Any]]
SERVER, CLIENT = "internal-nginx", "client-nginx"
VPC = "${aws_vpc.vpc.id}"


def _stacks(synth: Synth) -> Stacks:
    return {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}


def _group(stacks: Stacks, service: str) -> str:
    (name,) = [
        n
        for n, b in stacks["services"]["resource"]["aws_security_group"].items()
        if b.get("//", {}).get("metadata", {}).get("path") == f"services/{service}_sg/group"
    ]
    return f"${{aws_security_group.{name}.id}}"


def _services_vpc(stacks: Stacks) -> str:
    """The VPC as the services stack names it (through the network stack's output)."""
    return str(next(iter(stacks["services"]["resource"]["aws_security_group"].values()))["vpc_id"])


def _add(stacks: Stacks, stack: str, rtype: str, name: str, body: dict[str, Any]) -> str:
    stacks[stack]["resource"].setdefault(rtype, {})[name] = body
    return f"{stack}:{rtype}.{name}"


def _lines(stacks: Stacks, declared: Any) -> list[str]:
    return [str(v) for v in verify(Config(stacks), declared)]


def _findings(stacks: Stacks, declared: Any) -> list[Finding]:
    return verify(Config(stacks), declared)


# -- narrow-only: network ACLs --------------------------------------------------------------------------------------


def _nacl(stacks: Stacks, cidr: str = "0.0.0.0/0") -> str:
    """A network ACL on the task subnets that allows everything in: it still admits nothing the groups do not."""
    subnets = [f"${{aws_subnet.{n}.id}}" for n in stacks["network"]["resource"]["aws_subnet"] if n.startswith("private")]
    acl = _add(
        stacks,
        "network",
        "aws_network_acl",
        "tasks",
        {
            "vpc_id": VPC,
            "subnet_ids": subnets,
            "ingress": [{"rule_no": 100, "action": "allow", "protocol": "-1", "from_port": 0, "to_port": 0, "cidr_block": cidr}],
            "egress": [{"rule_no": 100, "action": "allow", "protocol": "-1", "from_port": 0, "to_port": 0, "cidr_block": cidr}],
        },
    )
    _add(
        stacks,
        "network",
        "aws_network_acl_rule",
        "deny_rdp",
        {
            "network_acl_id": "${aws_network_acl.tasks.id}",
            "rule_number": 50,
            "egress": False,
            "protocol": "tcp",
            "rule_action": "deny",
            "cidr_block": cidr,
            "from_port": 3389,
            "to_port": 3389,
        },
    )
    return acl


def test_a_network_acl_only_narrows(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    _nacl(stacks)
    _add(stacks, "network", "aws_network_acl_association", "one", {"network_acl_id": "${aws_network_acl.tasks.id}", "subnet_id": "x"})
    _add(stacks, "network", "aws_default_network_acl", "default", {"default_network_acl_id": "${aws_vpc.vpc.default_network_acl_id}"})
    assert _lines(stacks, declared_callers("article")) == []


def test_the_same_acl_beside_a_group_that_admits_a_range_fails_on_the_group_rule(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    _nacl(stacks)
    rule = _add(
        stacks,
        "services",
        "aws_vpc_security_group_ingress_rule",
        "office",
        {"security_group_id": _group(stacks, SERVER), "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 80, "to_port": 80},
    )
    assert _lines(stacks, declared_callers("article")) == [
        f"service '{SERVER}': {rule}: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"
    ]


# -- own-group endpoints and interfaces ------------------------------------------------------------------------------


def _endpoint(stacks: Stacks, groups: list[str], name: str = "ecr_dkr", kind: str = "Interface") -> str:
    return _add(
        stacks,
        "services",
        "aws_vpc_endpoint",
        name,
        {
            "vpc_id": _services_vpc(stacks),
            "service_name": "com.amazonaws.ap-northeast-1.ecr.dkr",
            "vpc_endpoint_type": kind,
            "private_dns_enabled": True,
            "security_group_ids": groups,
            "policy": '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"*"}]}',
        },
    )


def _endpoint_group(stacks: Stacks, admits: list[str]) -> str:
    """The endpoint's own group: it admits the tasks on 443, and the tasks may send to it."""
    _add(stacks, "services", "aws_security_group", "endpoints", {"name": "endpoints", "vpc_id": _services_vpc(stacks)})
    own = "${aws_security_group.endpoints.id}"
    for index, source in enumerate(admits):
        rule = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443}
        _add(
            stacks,
            "services",
            "aws_vpc_security_group_ingress_rule",
            f"endpoints_from_{index}",
            {"security_group_id": own, "referenced_security_group_id": source, **rule},
        )
        _add(
            stacks,
            "services",
            "aws_vpc_security_group_egress_rule",
            f"tasks_to_endpoints_{index}",
            {"security_group_id": source, "referenced_security_group_id": own, **rule},
        )
    return own


def test_an_endpoint_in_its_own_group_passes(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    own = _endpoint_group(stacks, [_group(stacks, SERVER), _group(stacks, CLIENT)])
    _endpoint(stacks, [own])
    _endpoint(stacks, [], name="s3", kind="Gateway")
    _add(stacks, "services", "aws_network_interface", "spare", {"subnet_id": "subnet-1", "security_groups": [own]})
    endpoint = {"vpc_endpoint_id": "${aws_vpc_endpoint.s3.id}"}
    _add(stacks, "services", "aws_vpc_endpoint_route_table_association", "s3", {**endpoint, "route_table_id": "rtb-0123456789abcdef0"})
    _add(stacks, "services", "aws_vpc_endpoint_subnet_association", "ecr", {**endpoint, "subnet_id": "subnet-1"})
    _add(stacks, "services", "aws_vpc_endpoint_security_group_association", "ecr", {**endpoint, "security_group_id": own})
    _add(stacks, "services", "aws_vpc_endpoint_policy", "s3", {**endpoint, "policy": '{"Statement":[]}'})
    assert _lines(stacks, declared_callers("article")) == []


def test_an_endpoint_group_association_with_the_servers_group_fails(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    association = _add(
        stacks,
        "services",
        "aws_vpc_endpoint_security_group_association",
        "ecr",
        {"vpc_endpoint_id": "vpce-0123456789abcdef0", "security_group_id": _group(stacks, SERVER)},
    )
    assert {(v.subject, v.resource) for v in _findings(stacks, declared_callers("article"))} == {(SERVER, association)}


def test_an_endpoint_in_the_servers_group_fails(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    endpoint = _endpoint(stacks, [_group(stacks, SERVER)])
    assert [(v.subject, v.resource, v.kind) for v in _findings(stacks, declared_callers("article"))] == [
        (SERVER, endpoint, "ingress-callers-only")
    ]


def test_an_endpoint_whose_group_a_server_admits_fails(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    own = _endpoint_group(stacks, [])
    endpoint = _endpoint(stacks, [own])
    _add(
        stacks,
        "services",
        "aws_vpc_security_group_ingress_rule",
        "from_endpoints",
        {
            "security_group_id": _group(stacks, SERVER),
            "referenced_security_group_id": own,
            "ip_protocol": "tcp",
            "from_port": 80,
            "to_port": 80,
        },
    )
    lines = _lines(stacks, declared_callers("article"))
    assert lines == [
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.from_endpoints: ingress-callers-only: ingress from "
        f"services:aws_security_group.endpoints, which is not the security group of a declared caller ({endpoint}: an aws_vpc_endpoint, "
        "not an ECS service)"
    ]


def test_a_lattice_endpoint_is_not_an_own_group_endpoint(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    endpoint = _endpoint(stacks, [_endpoint_group(stacks, [])], kind="ServiceNetwork")
    assert {(v.resource, v.kind) for v in _findings(stacks, declared_callers("article"))} == {(endpoint, "known-types-only")}


def test_an_interface_in_an_untraceable_group_fails(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    eni = _add(stacks, "services", "aws_network_interface", "spare", {"subnet_id": "subnet-1", "security_groups": ["${var.group}"]})
    assert {(v.subject, v.resource) for v in _findings(stacks, declared_callers("article"))} == {(SERVER, eni), (CLIENT, eni)}


def _instance(stacks: Stacks, groups: list[str], **extra: Any) -> str:
    """A bastion-like instance with a public address."""
    body = {"ami": "ami-0123456789abcdef0", "instance_type": "t3.micro", "associate_public_ip_address": True}
    return _add(
        stacks,
        "services",
        "aws_instance",
        "bastion",
        {**body, "vpc_security_group_ids": groups, **extra},
    )


def test_an_instance_without_a_role_in_its_own_group_passes(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    _instance(stacks, [_endpoint_group(stacks, [])])
    assert _lines(stacks, declared_callers("article")) == []


@pytest.mark.parametrize(
    ("extra", "argument"),
    [
        ({"iam_instance_profile": "ops"}, "iam_instance_profile"),
        ({"launch_template": {"id": "lt-0123456789abcdef0"}}, "launch_template"),
        ({"security_groups": ["internal-api-internal-nginx"]}, "security_groups"),
        ({"user_data": "#!/bin/sh\nAWS_ACCESS_KEY_ID=AKIA0 aws ec2 authorize-security-group-ingress --cidr 0.0.0.0/0\n"}, "user_data"),
    ],
)
def test_an_instance_with_a_role_or_groups_from_elsewhere_fails(article_synth: Synth, extra: dict[str, Any], argument: str) -> None:
    stacks = _stacks(article_synth)
    instance = _instance(stacks, [_endpoint_group(stacks, [])], **extra)
    assert {(v.resource, v.kind, v.detail.rsplit("(", 1)[-1]) for v in _findings(stacks, declared_callers("article"))} == {
        (instance, "known-types-only", f"{argument})")
    }


def test_an_instance_in_a_callers_group_fails(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    instance = _instance(stacks, [_group(stacks, CLIENT)])
    findings = _findings(stacks, declared_callers("article"))
    assert {(v.subject, v.resource) for v in findings if v.resource == instance} == {(CLIENT, instance)}  # it joins the client's group
    assert any(v.subject == SERVER and f"admits {instance} (an aws_instance" in v.detail for v in findings), (
        findings
    )  # the server admits it


# -- data, not membership --------------------------------------------------------------------------------------------


def test_ssm_parameters_are_data(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    _add(
        stacks,
        "services",
        "aws_ssm_parameter",
        "cidr",
        {"name": "/net/cidr", "type": "String", "value": "0.0.0.0/0", "allowed_pattern": "^[0-9./]+$"},
    )
    _add(stacks, "services", "aws_ssm_parameter", "group", {"name": "/net/group", "type": "String", "value": _group(stacks, SERVER)})
    assert _lines(stacks, declared_callers("article")) == []


def _bucket(stacks: Stacks, acl: str, blocked: bool) -> str:
    _add(stacks, "services", "aws_s3_bucket", "assets", {"bucket": "acme-assets"})
    _add(
        stacks,
        "services",
        "aws_s3_bucket_ownership_controls",
        "assets",
        {"bucket": "${aws_s3_bucket.assets.id}", "rule": {"object_ownership": "ObjectWriter"}},
    )
    if blocked:
        flags = {f: True for f in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")}
        _add(stacks, "services", "aws_s3_bucket_public_access_block", "assets", {"bucket": "${aws_s3_bucket.assets.id}", **flags})
    return _add(stacks, "services", "aws_s3_bucket_acl", "assets", {"bucket": "${aws_s3_bucket.assets.id}", "acl": acl})


@pytest.mark.parametrize(("acl", "blocked"), [("private", False), ("log-delivery-write", False), ("public-read", True)])
def test_a_bucket_acl_that_grants_nobody_outside_passes(article_synth: Synth, acl: str, blocked: bool) -> None:
    stacks = _stacks(article_synth)
    _bucket(stacks, acl, blocked)
    assert _lines(stacks, declared_callers("article")) == []


def test_a_public_bucket_acl_without_the_block_fails(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    acl = _bucket(stacks, "public-read-write", blocked=False)
    assert {(v.resource, v.detail.rsplit("(", 1)[-1]) for v in _findings(stacks, declared_callers("article"))} == {(acl, "acl)")}


def test_a_block_on_another_bucket_does_not_count(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    acl = _bucket(stacks, "public-read", blocked=True)
    stacks["services"]["resource"]["aws_s3_bucket_public_access_block"]["assets"]["bucket"] = "other-bucket"
    assert {v.resource for v in _findings(stacks, declared_callers("article"))} == {acl}


# -- routes: the main table ------------------------------------------------------------------------------------------


def _main_association(stacks: Stacks, table: str) -> str:
    return _add(
        stacks, "network", "aws_main_route_table_association", "main", {"vpc_id": VPC, "route_table_id": f"${{aws_route_table.{table}.id}}"}
    )


def test_a_main_table_association_beside_explicit_ones_passes(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    _main_association(stacks, "public_rt")  # the public table made main: no task subnet uses the main table
    assert _lines(stacks, declared_callers("article")) == []


def test_a_task_subnet_without_its_own_association_is_judged_by_the_main_table(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    del stacks["network"]["resource"]["aws_route_table_association"]["private_0_rta"]
    _main_association(stacks, "private_0_rt")
    assert _lines(stacks, declared_callers("article")) == []
    stacks["network"]["resource"]["aws_main_route_table_association"]["main"]["route_table_id"] = "${aws_route_table.public_rt.id}"
    findings = _findings(stacks, declared_callers("article"))
    assert {(v.subject, v.resource, v.kind) for v in findings} == {
        (name, "network:aws_route.public_default", "private-subnets") for name in (SERVER, CLIENT)
    }
    assert all("network:aws_subnet.private_0 routes 0.0.0.0/0 to an internet gateway" in v.detail for v in findings)


def test_without_a_main_association_a_subnet_without_its_own_stays_a_finding(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    del stacks["network"]["resource"]["aws_route_table_association"]["private_0_rta"]
    assert {v.detail for v in _findings(stacks, declared_callers("article"))} == {
        "no route table association (the VPC's main route table is not checked)"
    }


# -- neutral blocks and remote state ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kept",
    [
        "aws_cloudwatch_log_group.old",
        "aws_ssm_parameter.old",
        "aws_network_acl.old",
        "aws_s3_bucket_acl.old",
        "${aws_s3_bucket_versioning.old}",
    ],
)
def test_a_removed_block_that_keeps_a_neutral_resource_passes(article_synth: Synth, kept: str) -> None:
    stacks = _stacks(article_synth)
    stacks["services"]["removed"] = [{"from": kept, "lifecycle": {"destroy": False}}]
    stacks["services"]["import"] = [{"to": "aws_cloudwatch_log_group.x", "id": "/x"}]
    stacks["services"]["moved"] = [{"from": "aws_cloudwatch_log_group.a", "to": "aws_cloudwatch_log_group.b"}]
    assert _lines(stacks, declared_callers("article")) == []


@pytest.mark.parametrize("kept", ["aws_vpc_security_group_ingress_rule.old", "aws_instance.old", "aws_vpc_endpoint.old", "module.old"])
def test_a_removed_block_that_keeps_what_can_open_a_path_fails(article_synth: Synth, kept: str) -> None:
    stacks = _stacks(article_synth)
    stacks["services"]["removed"] = [{"from": kept, "lifecycle": {"destroy": False}}]
    assert {(v.resource, v.detail.rsplit("(", 1)[-1]) for v in _findings(stacks, declared_callers("article"))} == {
        ("services:removed[0]", "destroy = false keeps it running outside the configuration)")
    }


@pytest.mark.parametrize("root", ["${path.module}", "${ path.root }"])
def test_a_remote_state_path_from_the_module_folder_is_the_same_state(article_synth: Synth, root: str) -> None:
    stacks = _stacks(article_synth)
    (remote,) = stacks["services"]["data"]["terraform_remote_state"].values()
    remote["config"]["path"] = f"{root}/{remote['config']['path']}"
    assert _lines(stacks, declared_callers("article")) == []
    remote["config"]["path"] = f"{root}/../elsewhere/network.tfstate"
    assert _lines(stacks, declared_callers("article")) != []


# -- the property: random harmless additions never find anything, random path-opening ones always do ---------------


def _harmless(stacks: Stacks, rng: random.Random, servers: list[str]) -> None:
    """One everyday neighbour, drawn at random."""
    choice = rng.randrange(7)
    tag = f"h{rng.randrange(10_000)}"
    if choice == 0 and "aws_network_acl" not in stacks["network"]["resource"]:
        _nacl(stacks, rng.choice(["0.0.0.0/0", "10.0.0.0/8", "::/0"]) if rng.random() < 0.9 else "0.0.0.0/0")
    elif choice == 1:
        value = rng.choice(["0.0.0.0/0", _group(stacks, rng.choice(servers)), "port 22", "true"])
        _add(stacks, "services", "aws_ssm_parameter", tag, {"name": f"/{tag}", "type": "String", "value": value, "allowed_pattern": ".*"})
    elif choice == 2 and "endpoints" not in stacks["services"]["resource"].get("aws_security_group", {}):
        own = _endpoint_group(stacks, [_group(stacks, s) for s in rng.sample(servers, rng.randint(1, len(servers)))])
        _endpoint(stacks, [own], name=tag, kind=rng.choice(["Interface", "interface"]))
    elif choice == 3 and "assets" not in stacks["services"]["resource"].get("aws_s3_bucket", {}):
        blocked = rng.random() < 0.5
        _bucket(
            stacks,
            rng.choice(["private", "bucket-owner-full-control"] + (["public-read", "authenticated-read"] if blocked else [])),
            blocked,
        )
    elif choice == 4:
        kept = rng.choice(["aws_cloudwatch_log_group", "aws_ssm_parameter", "aws_network_acl_rule", "aws_s3_bucket_versioning"])
        stacks["services"].setdefault("removed", []).append(
            {"from": f"{kept}.{tag}", "lifecycle": {"destroy": rng.choice([False, "false"])}}
        )
    elif choice == 5 and "bastion" not in stacks["services"]["resource"].get("aws_instance", {}):
        group = f"${{aws_security_group.{tag}.id}}"
        _add(stacks, "services", "aws_security_group", tag, {"name": tag, "vpc_id": _services_vpc(stacks)})
        _instance(stacks, rng.choice([[group], []]))  # its own group, or none (the VPC's emptied default group)
    else:
        _main_association(stacks, "public_rt")


HARMFUL_KINDS = 5


def _harmful(stacks: Stacks, rng: random.Random, servers: list[str], choice: int) -> tuple[str, str | None]:
    """Path-opening twin number ``choice``, aimed at a random service: (the address the finding must name, the
    service it must name)."""
    target = rng.choice(servers)
    if choice == 0:
        return _endpoint(stacks, [_group(stacks, target)], name="in_group"), target
    if choice == 1:
        rule = {"security_group_id": _group(stacks, target), "cidr_ipv4": rng.choice(["0.0.0.0/0", "10.0.0.0/8"])}
        return _add(
            stacks,
            "services",
            "aws_vpc_security_group_ingress_rule",
            "wide",
            {**rule, "ip_protocol": "tcp", "from_port": 80, "to_port": 80},
        ), target
    if choice == 2:
        _add(stacks, "services", "aws_s3_bucket", "open", {"bucket": "acme-open"})
        return _add(
            stacks, "services", "aws_s3_bucket_acl", "open", {"bucket": "${aws_s3_bucket.open.id}", "acl": "public-read-write"}
        ), None
    if choice == 3:
        stacks["services"].setdefault("removed", []).append({"from": "aws_security_group_rule.kept", "lifecycle": {"destroy": False}})
        return f"services:removed[{len(stacks['services']['removed']) - 1}]", None
    del stacks["network"]["resource"]["aws_route_table_association"]["private_0_rta"]
    stacks["network"]["resource"].get("aws_main_route_table_association", {}).pop("main", None)
    _main_association(stacks, "public_rt")
    return "network:aws_route.public_default", None


@pytest.fixture(scope="module")
def systems(article_synth: Synth, synthesize: Synthesizer) -> list[tuple[Stacks, Any, list[str]]]:
    """(stacks, declaration, services) of three systems: the article, a three-service chain, and the storefront
    (a front door on the internet)."""
    chained = synthesize(chain.TOPOLOGY, Settings())
    shop = synthesize(storefront.TOPOLOGY, Settings())
    return [
        (_stacks(article_synth), declared_callers("article"), [SERVER, CLIENT]),
        (_stacks(chained), from_topology(chain.TOPOLOGY), [s.name for s in chain.TOPOLOGY.services]),
        (_stacks(shop), from_topology(storefront.TOPOLOGY), [s.name for s in storefront.TOPOLOGY.services]),
    ]


@pytest.mark.parametrize("seed", range(15))
def test_random_neighbours_keep_the_verdict_and_a_random_twin_breaks_it(seed: int, systems: list[tuple[Stacks, Any, list[str]]]) -> None:
    rng = random.Random(seed)
    pristine, declared, services = rng.choice(systems)
    stacks = copy.deepcopy(pristine)
    for _ in range(rng.randint(1, 6)):
        _harmless(stacks, rng, services)
    assert _lines(stacks, declared) == [], f"seed {seed}"
    resource, service = _harmful(stacks, rng, services, seed % HARMFUL_KINDS)  # each twin on at least two seeds
    findings = _findings(stacks, declared)
    assert any(v.resource == resource and (service is None or v.subject == service) for v in findings), (seed, resource, findings)
