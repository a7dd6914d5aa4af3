"""What ``make deploy-local`` stands in for: every outside reference of the selected environment, once, in order."""

from __future__ import annotations

from dataclasses import replace

from emulator.standins import StandIn, cannot_stand_in, stand_ins
from examples import production
from topology import ExistingNetwork
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
    assert cannot_stand_in(staging) == []


def test_an_existing_vpc_cannot_be_stood_in_for_and_the_line_says_so() -> None:
    staging, _ = deployments(load_system("examples.production"))
    existing = ExistingNetwork(vpc_id="vpc-0123456789abcdef0", private_subnet_ids=("subnet-0123456789abcdef0",), use_existing_cluster=True)
    deployment = replace(staging, settings=replace(staging.settings, network=replace(staging.settings.network, existing=existing)))
    assert cannot_stand_in(deployment) == [
        "emulator: no stand-in for vpc-0123456789abcdef0, subnet-0123456789abcdef0 (moto cannot create a VPC or subnet with a given ID): "
        "they must exist in the emulated account"
    ]
    assert stand_ins(deployment)[0] == StandIn(
        kind="cluster",
        reference="ServiceConnect-staging",
        name="ServiceConnect-staging",
        account=None,
        region="ap-northeast-1",
        why="the existing cluster",
    )


def test_each_environment_stands_in_its_own_certificate() -> None:
    """The emulator's certificates come from the resolved deployment: prod's own, never staging's."""
    from emulator.local import certificates

    staging, prod = deployments(load_system("examples.production"))
    assert (certificates(staging), certificates(prod)) == ((production.CERTIFICATE,), (production.PROD_CERTIFICATE,))
