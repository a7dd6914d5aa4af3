"""What ``make deploy-local`` stands in for: every outside reference of the selected environment, once, in order."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from emulator import standins
from emulator.server import EMULATOR_PYTHON, EmulatorError
from emulator.standins import VPC_CIDR, StandIn, network_stand_ins, stand_ins
from examples import production
from topology import Entry, ExistingLoadBalancer, ExistingNetwork, NetworkSettings, Route
from topology.resolved import ResolvedEnvironment
from topology.system import deployments, load_system


def test_staging_stands_in_for_its_own_references() -> None:
    staging, _ = deployments(load_system("examples.production"))
    region, account = "ap-northeast-1", production.ACCOUNT
    assert stand_ins(staging) == [
        StandIn(
            kind="security_group",
            reference="sg-0a1b2c3d4e5f60718",
            name="sg-0a1b2c3d4e5f60718",
            account=None,
            region=region,
            why="api egress postgres",
        ),
        StandIn(
            kind="secret",
            reference=production.DB_SECRET,
            name="internal-api/db",
            account=account,
            region=region,
            why="api secret DB_PASSWORD",
            suffix="AbCdEf",
        ),
        StandIn(
            kind="kms_key",
            reference=production.DB_SECRET_KEY,
            name="0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
            account=account,
            region=region,
            why="api secret DB_PASSWORD's key",
        ),
        StandIn(
            kind="parameter",
            reference=production.FLAGS_PARAMETER,
            name="/internal-api/feature-flags",
            account=account,
            region=region,
            why="api secret FEATURE_FLAGS",
        ),
        StandIn(
            kind="bucket",
            reference="arn:aws:s3:::acme-internal-api-reports",
            name="acme-internal-api-reports",
            account=None,
            region=region,
            why="api permission Reports",
        ),
        StandIn(
            kind="queue",
            reference=production.JOBS_QUEUE,
            name="internal-api-jobs",
            account=account,
            region=region,
            why="api permission Jobs",
        ),
    ]


VPC, PRIVATE, PUBLIC = (
    "vpc-0123456789abcdef0",
    ("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"),
    ("subnet-0bbbbbbbbbbbbbbb1",),
)


def _with_existing_network(existing: ExistingNetwork) -> ResolvedEnvironment:
    staging, _ = deployments(load_system("examples.production"))
    return replace(staging, settings=replace(staging.settings, network=replace(staging.settings.network, existing=existing)))


def _subnet(subnet_id: str, tier: str, cidr: str, zone: str) -> StandIn:
    return StandIn(
        kind="subnet",
        reference=subnet_id,
        name=subnet_id,
        account=None,
        region="ap-northeast-1",
        why=f"the existing VPC's {tier} subnet",
        cidr=cidr,
        vpc=VPC,
        zone=zone,
    )


def test_an_existing_vpc_and_its_subnets_are_stood_in_for_first_under_their_ids() -> None:
    deployment = _with_existing_network(
        ExistingNetwork(vpc_id=VPC, private_subnet_ids=PRIVATE, public_subnet_ids=PUBLIC, use_existing_cluster=True)
    )
    found = stand_ins(deployment)
    region = "ap-northeast-1"
    assert found[:6] == [
        StandIn(kind="vpc", reference=VPC, name=VPC, account=None, region=region, why="the existing VPC", cidr="10.0.0.0/16"),
        _subnet(PRIVATE[0], "private", "10.0.0.0/24", "ap-northeast-1a"),
        _subnet(PRIVATE[1], "private", "10.0.1.0/24", "ap-northeast-1c"),
        _subnet(PRIVATE[2], "private", "10.0.2.0/24", "ap-northeast-1a"),
        _subnet(PUBLIC[0], "public", "10.0.128.0/24", "ap-northeast-1a"),
        StandIn(
            kind="cluster",
            reference="ServiceConnect-staging",
            name="ServiceConnect-staging",
            account=None,
            region=region,
            why="the existing cluster",
        ),
    ]
    assert [item.kind for item in found[6:]] == ["security_group", "secret", "kms_key", "parameter", "bucket", "queue"]  # as without
    assert [item.line for item in found[:2]] + [found[4].line] == [
        f"emulator: stand-in for {VPC} (the existing VPC) (CIDR 10.0.0.0/16, chosen by the emulator)",
        f"emulator: stand-in for {PRIVATE[0]} (the existing VPC's private subnet) (10.0.0.0/24 in ap-northeast-1a, chosen by the emulator)",
        f"emulator: stand-in for {PUBLIC[0]} (the existing VPC's public subnet) (10.0.128.0/24 in ap-northeast-1a, chosen by the emulator)",
    ]


def test_without_an_existing_network_there_is_no_network_stand_in() -> None:
    staging, _ = deployments(load_system("examples.production"))
    assert network_stand_ins(staging.settings.network, "ap-northeast-1") == []


def test_the_stand_in_cidrs_fit_the_vpc_and_do_not_overlap() -> None:
    many = tuple(f"subnet-0{index:016x}" for index in range(128))
    found = network_stand_ins(
        replace(NetworkSettings(), existing=ExistingNetwork(vpc_id=VPC, private_subnet_ids=many, public_subnet_ids=many[:3])),
        "ap-northeast-1",
    )
    blocks = [ipaddress.ip_network(item.cidr or "") for item in found[1:]]
    assert all(block.subnet_of(ipaddress.ip_network(VPC_CIDR)) for block in blocks)  # type: ignore[arg-type]
    assert len(set(blocks)) == len(blocks) == 131
    with pytest.raises(EmulatorError, match=r"^the emulator stands in for at most 128 private subnets \(129 named\)$"):
        network_stand_ins(
            replace(NetworkSettings(), existing=ExistingNetwork(vpc_id=VPC, private_subnet_ids=(*many, "subnet-0ffffffffffffffff"))), "x"
        )


NETWORK = network_stand_ins(
    replace(NetworkSettings(), existing=ExistingNetwork(vpc_id=VPC, private_subnet_ids=PRIVATE[:1])), "ap-northeast-1"
)


def _answering(statuses: list[str], calls: list[tuple[str, list[str]]]) -> Callable[[str, list[StandIn], str], list[str]]:
    def client(action: str, items: list[StandIn], endpoint: str) -> list[str]:
        calls.append((action, [item.reference for item in items]))
        return statuses if action == "create" else []

    return client


def test_what_exists_already_is_said_and_neither_recorded_nor_removed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A VPC a test seeded by hand: deploy-local says it exists and uses it; destroy-local removes only what it created."""
    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(standins, "_client", _answering(["exists", "created"], calls))
    record = tmp_path / "stand-ins.json"
    assert standins.create(NETWORK, "http://emulator", record) == [
        f"emulator: {VPC} exists in the emulated account already (the existing VPC): no stand-in",
        NETWORK[1].line,
    ]
    assert standins.remove("http://emulator", record) == [f"emulator: removed the stand-in for {PRIVATE[0]}"]
    assert calls[-1] == ("delete", [PRIVATE[0]]) and not record.exists()


def test_a_second_deploy_keeps_what_the_first_created_as_its_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[str, list[str]]] = []
    record = tmp_path / "stand-ins.json"
    monkeypatch.setattr(standins, "_client", _answering(["created", "created"], calls))
    first = standins.create(NETWORK, "http://emulator", record)
    monkeypatch.setattr(standins, "_client", _answering(["exists", "exists"], calls))
    assert standins.create(NETWORK, "http://emulator", record) == first == [item.line for item in NETWORK]
    assert standins.remove("http://emulator", record) == [
        f"emulator: removed the stand-in for {PRIVATE[0]}",
        f"emulator: removed the stand-in for {VPC}",  # subnets before their VPC
    ]
    assert calls[-1] == ("delete", [PRIVATE[0], VPC])


def test_a_stand_in_the_declaration_no_longer_names_is_still_removed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[str, list[str]]] = []
    record = tmp_path / "stand-ins.json"
    monkeypatch.setattr(standins, "_client", _answering(["created", "created"], calls))
    standins.create(NETWORK, "http://emulator", record)
    monkeypatch.setattr(standins, "_client", _answering(["exists"], calls))
    assert standins.create(NETWORK[:1], "http://emulator", record) == [NETWORK[0].line]
    standins.remove("http://emulator", record)
    assert calls[-1] == ("delete", [PRIVATE[0], VPC])


def test_each_environment_stands_in_its_own_certificate() -> None:
    """The emulator's certificates come from the resolved deployment: prod's own, never staging's."""
    from emulator.target import certificates

    staging, prod = deployments(load_system("examples.production"))
    assert (certificates(staging), certificates(prod)) == ((production.CERTIFICATE,), (production.PROD_CERTIFICATE,))


LISTENER = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/partner-edge/0123456789abcdef/fedcba9876543210"
WEB_ACL = "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/shop-edge/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"


def test_an_entrys_existing_listener_and_web_acl_are_stood_in_for_before_the_services_references() -> None:
    """Issue 35: what a front door names and does not create; the existing load balancer's group before its listener."""
    staging, _ = deployments(load_system("examples.production"))
    shop = Entry(
        name="partner",
        routes=(Route(service="api", path="/partner/*"),),
        existing=ExistingLoadBalancer(listener_arn=LISTENER, security_group_id="sg-0c1d2e3f4a5b6c7d8"),
    )
    public = replace(staging.topology.entries[0], web_acl_arn=WEB_ACL)
    deployment = replace(staging, topology=replace(staging.topology, entries=(public, shop)))
    region = "ap-northeast-1"
    found = stand_ins(deployment)
    assert found[:3] == [
        StandIn(kind="web_acl", reference=WEB_ACL, name=WEB_ACL, account=None, region=region, why="entry public's web ACL"),
        StandIn(
            kind="security_group",
            reference="sg-0c1d2e3f4a5b6c7d8",
            name="sg-0c1d2e3f4a5b6c7d8",
            account=None,
            region=region,
            why="entry partner's load balancer group",
        ),
        StandIn(
            kind="listener",
            reference=LISTENER,
            name=LISTENER,
            account=None,
            region=region,
            why="entry partner's existing listener",
            security_group="sg-0c1d2e3f4a5b6c7d8",
        ),
    ]
    assert [item.kind for item in found[3:]] == [item.kind for item in stand_ins(staging)]  # the services' references, as without
    assert found[2].line == (
        f"emulator: stand-in for {LISTENER} (entry partner's existing listener) "
        "(a load balancer with an HTTP listener that answers 404, in the default VPC)"
    )


def test_a_listener_stand_in_goes_before_its_group_and_a_vpc_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in load balancer uses the group: deleting the group first would fail on AWS (DependencyViolation)."""
    group = StandIn(kind="security_group", reference="sg-0c1d2e3f4a5b6c7d8", name="sg-0c1d2e3f4a5b6c7d8", account=None, region="r", why="g")
    listener = StandIn(kind="listener", reference=LISTENER, name=LISTENER, account=None, region="r", why="l", security_group=group.name)
    vpc = StandIn(kind="vpc", reference=VPC, name=VPC, account=None, region="r", why="v", cidr=VPC_CIDR)
    calls: list[tuple[str, list[str]]] = []
    record = tmp_path / "stand-ins.json"
    monkeypatch.setattr(standins, "_client", _answering(["created", "created", "created"], calls))
    standins.create([vpc, group, listener], "http://emulator", record)
    standins.remove("http://emulator", record)
    assert calls[-1] == ("delete", [LISTENER, group.name, VPC])


CHOSEN_ARNS = """
import json
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from emulator import custom_ids

custom_ids.install()
listener = "{listener}"
balancer = listener.replace(":listener/", ":loadbalancer/").rsplit("/", 1)[0]
acl = "{acl}"
found = {{}}
with mock_aws():
    subnets = [s["SubnetId"] for s in boto3.client("ec2", region_name="us-west-2").describe_subnets()["Subnets"]][:2]
    elb, waf = boto3.client("elbv2", region_name="us-west-2"), boto3.client("wafv2", region_name="us-west-2")
    tag = lambda value: [{{"Key": "_custom_id_", "Value": value}}]
    found["balancer"] = elb.create_load_balancer(Name="partner-edge", Subnets=subnets, Tags=tag(balancer))["LoadBalancers"][0]["LoadBalancerArn"]
    action = [{{"Type": "fixed-response", "FixedResponseConfig": {{"StatusCode": "404"}}}}]
    found["listener"] = elb.create_listener(
        LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=action, Tags=tag(listener)
    )["Listeners"][0]["ListenerArn"]
    found["other"] = elb.create_load_balancer(Name="other", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    visibility = {{"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}}
    found["acl"] = waf.create_web_acl(
        Name="shop-edge", Scope="REGIONAL", DefaultAction={{"Allow": {{}}}}, VisibilityConfig=visibility, Tags=tag(acl)
    )["Summary"]["ARN"]
    token = waf.get_web_acl(Name="shop-edge", Scope="REGIONAL", Id=acl.rsplit("/", 1)[1])["LockToken"]
    waf.delete_web_acl(Name="shop-edge", Scope="REGIONAL", Id=acl.rsplit("/", 1)[1], LockToken=token)
    found["acls_left"] = len(waf.list_web_acls(Scope="REGIONAL")["WebACLs"])
    refused = []
    for name, value in (("other-name", balancer), ("partner-edge", balancer.replace("0123456789abcdef", "0123"))):
        try:
            elb.create_load_balancer(Name=name, Subnets=subnets, Tags=tag(value))
        except ClientError as error:
            refused.append(error.response["Error"]["Code"])
    found["refused"] = refused
print(json.dumps(found))
"""


def test_moto_gives_an_existing_listener_and_a_web_acl_their_declared_arns() -> None:
    """emulator/custom_ids.py: the whole ARN (another account's) through _custom_id_, refused when it cannot be this call's."""
    listener = LISTENER.replace("ap-northeast-1:123456789012", "us-west-2:210987654321")
    acl = WEB_ACL.replace("ap-northeast-1:123456789012", "us-west-2:210987654321")
    script = CHOSEN_ARNS.format(listener=listener, acl=acl)
    done = subprocess.run([str(EMULATOR_PYTHON), "-c", script], cwd=standins.ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert found["balancer"] == listener.replace(":listener/", ":loadbalancer/").rsplit("/", 1)[0]
    assert (found["listener"], found["acl"]) == (listener, acl)
    assert ":123456789012:loadbalancer/app/other/" in found["other"]  # without the tag: moto's own account and ID
    assert found["acls_left"] == 0  # deleted by name and ID although its ARN names another account
    assert found["refused"] == ["ValidationError", "ValidationError"]  # another name's ARN; an ID AWS would not give
