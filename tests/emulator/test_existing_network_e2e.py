"""Existing network mode against the emulator: the plan-time checks speak to a person, and a fit VPC plans cleanly.

The VPC, subnets, cluster and namespace are created with plain AWS API calls
(``tests/builders/legacy_article.py``, as the article's CDK did); this project then plans
its ``network`` stack over them. Fails (never skips) when moto, terraform or the
provider mirror is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.server import Emulator, pointed
from emulator.target import base_env
from examples import article
from proof.plan_review import review
from runner.run import ROOT, plan_stacks
from toolchain.stackrun import StackError
from topology import ExistingNetwork, NetworkSettings, Settings

from ..conftest import Synthesizer

EMULATOR_PYTHON = ROOT / "emulator" / ".venv" / "bin" / "python"


def seed(aws: dict[str, str], what: str = "network") -> dict[str, Any]:
    """Create the legacy system in the running emulator; its IDs."""
    done = subprocess.run(
        [str(EMULATOR_PYTHON), "-m", "tests.builders.legacy_article", "--endpoint", aws["AWS_ENDPOINT_URL"], "--what", what],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    with Emulator(tmp_path_factory.mktemp("legacy"), region="ap-northeast-1", record=False) as aws:
        yield aws, seed(aws)


def _plan_network(synthesize: Synthesizer, settings: Settings, aws: dict[str, str], tmp: Path) -> Path:
    variant = tmp / "variant"
    shutil.copytree(synthesize(article.TOPOLOGY, settings).outdir, variant / "cdktf.out", ignore=shutil.ignore_patterns(".terraform*"))
    env = base_env(variant / "cdktf.out")
    (planned,) = plan_stacks(variant / "cdktf.out", tmp / "plan", pointed(env, aws), stacks=("network",), share_provider=True)
    return planned


def _failure(synthesize: Synthesizer, settings: Settings, aws: dict[str, str], tmp: Path) -> str:
    with pytest.raises(StackError) as failed:
        _plan_network(synthesize, settings, aws, tmp)
    return re.sub(r"\s+", " ", str(failed.value))


def _existing(ids: dict[str, Any], subnets: tuple[str, ...], *, cluster: bool = False, namespace: bool = False) -> Settings:
    existing = ExistingNetwork(
        vpc_id=ids["vpc_id"],
        private_subnet_ids=subnets,
        use_existing_cluster=cluster,
        namespace_id=ids["namespace_arn"].rsplit("/", 1)[-1] if namespace else None,  # by ID: the ARN is built
    )
    return Settings(network=NetworkSettings(existing=existing))


def test_a_subnet_routed_to_an_internet_gateway_is_refused(
    legacy: tuple[dict[str, str], dict[str, Any]], synthesize: Synthesizer, tmp_path: Path
) -> None:
    aws, ids = legacy
    public = ids["public_subnet_ids"][0]
    message = _failure(synthesize, _existing(ids, (ids["private_subnet_ids"][0], public)), aws, tmp_path)
    assert "Resource postcondition failed" in message
    assert re.search(
        rf"Subnet {public} has a route to an internet gateway \(route table rtb-[0-9a-f]+\): it is a public subnet, "
        "and tasks there could be reached from the internet.",
        message,
    ), message
    assert ids["private_subnet_ids"][0] not in message  # the private one passes


def test_a_subnet_of_another_vpc_is_refused(legacy: tuple[dict[str, str], dict[str, Any]], synthesize: Synthesizer, tmp_path: Path) -> None:
    aws, ids = legacy
    message = _failure(synthesize, _existing(ids, (ids["other_subnet_id"],)), aws, tmp_path)
    assert (
        f"Subnet {ids['other_subnet_id']} is in VPC {ids['other_vpc_id']}, not in the VPC the settings name ({ids['vpc_id']}): "
        "name subnets of that VPC in network.existing.private_subnet_ids." in message
    )


def test_a_namespace_of_another_vpc_is_refused(
    legacy: tuple[dict[str, str], dict[str, Any]], synthesize: Synthesizer, tmp_path: Path
) -> None:
    """Issue 20, finding 2: the namespace named by ID must be a private DNS namespace of the VPC the settings name."""
    aws, ids = legacy
    namespace_id = ids["namespace_arn"].rsplit("/", 1)[-1]
    existing = ExistingNetwork(vpc_id=ids["other_vpc_id"], private_subnet_ids=(ids["other_subnet_id"],), namespace_id=namespace_id)
    message = _failure(synthesize, Settings(network=NetworkSettings(existing=existing)), aws, tmp_path)
    assert message.startswith(
        "error: the existing namespace is not a private DNS namespace of network.existing.vpc_id under network.namespace's "
        "name (Cloud Map's private zone of that name is not in that VPC): check network.namespace, "
        "network.namespace_type and network.existing.namespace_id"
    ), message


def test_another_namespaces_id_is_refused(legacy: tuple[dict[str, str], dict[str, Any]], synthesize: Synthesizer, tmp_path: Path) -> None:
    """The VPC's zone of that name exists, but it is another namespace's: the ID names the wrong one."""
    aws, ids = legacy
    existing = ExistingNetwork(
        vpc_id=ids["vpc_id"], private_subnet_ids=tuple(ids["private_subnet_ids"]), namespace_id="ns-aaaaaaaaaaaaaaaa"
    )
    message = _failure(synthesize, Settings(network=NetworkSettings(existing=existing)), aws, tmp_path)
    assert "Resource postcondition failed" in message
    assert re.search(
        rf"The private zone ServiceConnectNS of VPC {ids['vpc_id']} \([A-Z0-9]+\) is not namespace ns-aaaaaaaaaaaaaaaa's "
        rf"\(it belongs to {re.escape(ids['namespace_arn'])}\): network.existing.namespace_id must name the private DNS "
        "namespace of that name in that VPC.",
        message,
    ), message


def test_a_missing_cluster_is_named(legacy: tuple[dict[str, str], dict[str, Any]], synthesize: Synthesizer, tmp_path: Path) -> None:
    aws, ids = legacy
    existing = ExistingNetwork(vpc_id=ids["vpc_id"], private_subnet_ids=tuple(ids["private_subnet_ids"]), use_existing_cluster=True)
    settings = Settings(network=NetworkSettings(existing=existing, cluster_name="Orders"))
    message = _failure(synthesize, settings, aws, tmp_path)
    assert "Resource precondition failed" in message
    assert (
        "ECS cluster Orders does not exist in ap-northeast-1: create it first, or set network.existing.use_existing_cluster = False"
        in message
    )


def test_a_fit_vpc_with_its_cluster_and_namespace_plans_only_the_key(
    legacy: tuple[dict[str, str], dict[str, Any]], synthesize: Synthesizer, tmp_path: Path
) -> None:
    aws, ids = legacy
    settings = _existing(ids, tuple(ids["private_subnet_ids"]), cluster=True, namespace=True)
    plan = json.loads(_plan_network(synthesize, settings, aws, tmp_path).read_text(encoding="utf-8"))
    created = sorted({change["type"] for change in plan["resource_changes"] if change["change"]["actions"] == ["create"]})
    assert created == ["aws_kms_alias", "aws_kms_key"]  # the logs key: nothing of the network exists twice
    assert review("network", plan).blocking == []
    outputs = plan["planned_values"]["outputs"]
    assert outputs["private_subnet_ids"]["value"] == ids["private_subnet_ids"]
    assert outputs["cluster_name"]["value"] == "ServiceConnect"
    assert outputs["namespace_arn"]["value"] == ids["namespace_arn"]
