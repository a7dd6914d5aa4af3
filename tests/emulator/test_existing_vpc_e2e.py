"""An existing VPC and its subnets, stood in for by ``make deploy-local`` with no hand seeding, then destroyed.

The storefront (four services, an internet-facing entry) adopts a VPC that exists outside
the project: ``network.existing`` names the VPC, two private subnets for the tasks, two public
subnets for the load balancer, and an existing cluster. Nothing is seeded: ``deploy-local``
stands each in under its very ID (``emulator/custom_ids.py`` makes moto's EC2 honour
``_custom_id_``), says so one line each, and the stacks apply over them; a replay of the
recording recreates the same IDs; ``destroy-local`` removes them, subnets before the VPC.
One deployment for the session (the ``deployed`` fixture). Fails (never skips) when moto,
terraform or the provider mirror is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from emulator import standins
from emulator.server import EMULATOR_PYTHON, SETTINGS, Emulator
from topology import ExistingNetwork, NetworkSettings

from ..deployments import Deploy, Deployed, local_command

SYSTEM = "adopted.storefront"
VPC = "vpc-0e5a1b2c3d4e5f607"
PRIVATE = ("subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712")
PUBLIC = ("subnet-0b1b2c3d4e5f60721", "subnet-0b1b2c3d4e5f60722")
MODULE = f'''"""The storefront in a VPC that exists outside the project (its network team's)."""

from examples.storefront import TOPOLOGY
from topology import ExistingNetwork, NetworkSettings, Settings

SETTINGS = Settings(
    network=NetworkSettings(
        existing=ExistingNetwork(
            vpc_id="{VPC}", private_subnet_ids={PRIVATE!r}, public_subnet_ids={PUBLIC!r}, use_existing_cluster=True
        )
    )
)
'''
STAND_INS = [
    f"emulator: stand-in for {VPC} (the existing VPC) (CIDR 10.0.0.0/16, chosen by the emulator)",
    f"emulator: stand-in for {PRIVATE[0]} (the existing VPC's private subnet) (10.0.0.0/24 in ap-northeast-1a, chosen by the emulator)",
    f"emulator: stand-in for {PRIVATE[1]} (the existing VPC's private subnet) (10.0.1.0/24 in ap-northeast-1c, chosen by the emulator)",
    f"emulator: stand-in for {PUBLIC[0]} (the existing VPC's public subnet) (10.0.128.0/24 in ap-northeast-1a, chosen by the emulator)",
    f"emulator: stand-in for {PUBLIC[1]} (the existing VPC's public subnet) (10.0.129.0/24 in ap-northeast-1c, chosen by the emulator)",
    "emulator: stand-in for ServiceConnect (the existing cluster)",
]
PROBE = """
import json, sys
import boto3
from botocore.exceptions import ClientError

ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="ap-northeast-1", aws_access_key_id="emulator", aws_secret_access_key="x")
vpcs = {v["VpcId"]: v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"]}
subnets = {s["SubnetId"]: [s["VpcId"], s["CidrBlock"], s["AvailabilityZone"]] for s in ec2.describe_subnets()["Subnets"]}
refused = []
for chosen in ("vpc-NOTHEX", sys.argv[2]):
    try:
        ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "_custom_id_", "Value": chosen}]}])
    except ClientError as error:
        refused.append(error.response["Error"]["Message"])
print(json.dumps({"vpcs": vpcs, "subnets": subnets, "refused": refused}))
"""


@pytest.fixture(scope="module")
def system_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder to put on PYTHONPATH: it holds ``adopted/storefront.py``, as a team's own module."""
    root = tmp_path_factory.mktemp("adopted-system")
    (root / "adopted").mkdir()
    (root / "adopted" / "__init__.py").write_text("", encoding="utf-8")
    (root / "adopted" / "storefront.py").write_text(MODULE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def adopted(deployed: Deploy, system_root: Path) -> Deployed:
    return deployed(SYSTEM, pythonpath=system_root)


def _account(recording: Path, scratch: Path) -> dict[str, Any]:
    """The EC2 view of the account a recording replays into (a fresh emulator, read-only), and what it refuses.

    The recording's moto settings (``emulator.server.SETTINGS``, beside it under the same prefix) go with it."""
    scratch.mkdir(parents=True)
    shutil.copy(recording, scratch / "recording.jsonl")
    prefix = recording.name.removesuffix("recording.jsonl")
    shutil.copy(recording.with_name(f"{prefix}{SETTINGS}"), scratch / SETTINGS)
    with Emulator(scratch, region="ap-northeast-1", record=False) as aws:
        done = subprocess.run(
            [str(EMULATOR_PYTHON), "-c", PROBE, aws["AWS_ENDPOINT_URL"], VPC], capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_deploy_local_stands_in_for_the_existing_network_and_says_so(adopted: Deployed) -> None:
    assert [line for line in adopted.stderr.splitlines() if line.startswith("emulator: stand-in for")] == STAND_INS
    assert "no stand-in" not in adopted.stderr


def test_the_stacks_run_in_the_stood_in_subnets(adopted: Deployed) -> None:
    network = adopted.outputs["network"]
    assert (network["private_subnet_ids"], network["public_subnet_ids"]) == (list(PRIVATE), list(PUBLIC))
    balancer = next(line for line in adopted.requests() if "Action=CreateLoadBalancer" in line)
    assert [f"Subnets.member.{n}={subnet}" in balancer for n, subnet in enumerate(PUBLIC, 1)] == [True, True]
    web = next(line for line in adopted.requests() if '"serviceName":"web"' in line and "CreateService" in line)
    assert f'"subnets":{json.dumps(list(PRIVATE), separators=(",", ":"))}' in web


def test_a_replay_recreates_the_ids_and_chosen_ids_are_checked(adopted: Deployed, tmp_path: Path) -> None:
    account = _account(adopted.home / "recording.jsonl", tmp_path / "replayed")
    assert account["vpcs"][VPC] == "10.0.0.0/16"
    assert {subnet: account["subnets"][subnet] for subnet in (*PRIVATE, *PUBLIC)} == {
        PRIVATE[0]: [VPC, "10.0.0.0/24", "ap-northeast-1a"],
        PRIVATE[1]: [VPC, "10.0.1.0/24", "ap-northeast-1c"],
        PUBLIC[0]: [VPC, "10.0.128.0/24", "ap-northeast-1a"],
        PUBLIC[1]: [VPC, "10.0.129.0/24", "ap-northeast-1c"],
    }
    assert account["refused"] == [
        "_custom_id_ 'vpc-NOTHEX' is not a VPC ID (vpc- and 8 to 17 lowercase hex digits)",
        f"_custom_id_ {VPC}: a VPC of that ID exists already in this account and region",
    ]


def test_a_network_that_exists_already_is_used_and_left_alone(adopted: Deployed, tmp_path: Path) -> None:
    """As when a test seeds the VPC by hand: another emulator home finds it there, says so, and records nothing to remove."""
    home = adopted.copy(tmp_path / "home")
    existing = ExistingNetwork(vpc_id=VPC, private_subnet_ids=PRIVATE, public_subnet_ids=PUBLIC)
    items = standins.network_stand_ins(NetworkSettings(existing=existing), "ap-northeast-1")
    record = tmp_path / "other-home-stand-ins.json"
    with Emulator(home, region="ap-northeast-1", record=False) as aws:
        lines = standins.create(items, aws["AWS_ENDPOINT_URL"], record)
    assert lines == [f"emulator: {item.reference} exists in the emulated account already ({item.why}): no stand-in" for item in items]
    assert len(lines) == 5 and not record.exists()


def test_destroy_local_removes_the_subnets_then_the_vpc(adopted: Deployed, system_root: Path, tmp_path: Path) -> None:
    home = adopted.copy(tmp_path / "home")
    done = local_command("destroy", home, "--system", SYSTEM, env={**os.environ, "PYTHONPATH": str(system_root)})
    assert done.returncode == 0, done.stderr[-3000:]
    removed = [
        line.removeprefix("emulator: removed the stand-in for ") for line in done.stderr.splitlines() if "removed the stand-in" in line
    ]
    assert removed == [*PRIVATE, *PUBLIC, "ServiceConnect", VPC]
    assert not (home / "stand-ins.json").exists() and not (home / "recording.jsonl").exists()
    account = _account(home / "last-recording.jsonl", tmp_path / "after")
    assert VPC not in account["vpcs"]
    assert not set(account["subnets"]) & {*PRIVATE, *PUBLIC}
