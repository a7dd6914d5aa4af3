"""Adopt the article's running system end to end against the emulator, with no replacement.

The system is built with plain AWS API calls, as its CDK stack and ecspresso
would have (``tests/builders/legacy_article.py``): VPC, cluster, namespace, security groups
with the client -> internal rule, roles, log groups, task definitions, and the two
ECS services with their Service Connect blocks. This project then adopts it: the
plan imports what runs and replaces none of it, apply, and a second plan is clean
apart from the emulator's known gaps. Fails (never skips) when moto, terraform or
the provider mirror is missing.

moto does not implement CloudWatch Logs' AssociateKmsKey, which the first apply
over an adopted log group calls (this project encrypts every log group with its
key); so log groups are adopted in the reviewed plan and left out of the applied one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from emulator.server import KNOWN_GAPS, Emulator, pointed
from emulator.target import base_env
from examples import article
from proof.plan_review import StackReview, markdown, review
from runner.run import plan_stacks
from toolchain.stackrun import StackError
from topology import AdoptedService, Adoption, ExistingNetwork, NetworkSettings, Settings, Topology

from ..conftest import Synthesizer
from .test_existing_network_e2e import seed
from .test_local_e2e import _changed_attributes

ROLE_OF = {"internal-nginx": "internal", "client-nginx": "client"}


def adoption_settings(ids: dict[str, Any], *, log_groups: bool, manage_cluster: bool = False) -> Settings:
    """What a reader of the article would write: the IDs and names of what runs."""
    services = tuple(
        AdoptedService(
            name=name,
            security_group_id=ids["security_group_ids"][role],
            ingress_rule_ids=(("client-nginx", ids["ingress_rule_id"]),) if role == "internal" else (),
            execution_role_name=ids["roles"][name]["execution"],
            task_role_name=ids["roles"][name]["task"],
            log_group_name=ids["log_groups"][name]["app"] if log_groups else None,
            proxy_log_group_name=ids["log_groups"][name]["proxy"] if log_groups else None,
        )
        for name, role in ROLE_OF.items()
    )
    existing = ExistingNetwork(
        vpc_id=ids["vpc_id"],
        private_subnet_ids=tuple(ids["private_subnet_ids"]),
        use_existing_cluster=not manage_cluster,
        namespace_id=None if manage_cluster else ids["namespace_arn"],
        adopt=Adoption(
            services=services,
            cluster=manage_cluster,
            namespace_id=ids["namespace_arn"].rsplit("/", 1)[-1] if manage_cluster else None,
        ),
    )
    return Settings(network=NetworkSettings(existing=existing))


@dataclass
class Adopted:
    ids: dict[str, Any]
    full: StackReview
    """The review of the plan that adopts everything, log groups too."""
    applied: StackReview
    """The review of the plan that was applied."""
    second: dict[str, Any]
    """The plan after apply."""
    protocol_change: str
    """What a plan says that would change a running port's appProtocol."""
    managed_network: StackReview
    """The network plan that imports the cluster and the namespace instead of reading them."""


def _terraform_apply(outdir: Path, stack: str, plan: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["terraform", "apply", "-input=false", "-no-color", str(plan)],
        cwd=outdir / "stacks" / stack,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _variant(synthesize: Synthesizer, settings: Settings, where: Path) -> Path:
    outdir = where / "cdktf.out"
    shutil.copytree(synthesize(article.TOPOLOGY, settings).outdir, outdir, ignore=shutil.ignore_patterns(".terraform*"))
    return outdir


def _plan(outdir: Path, stack: str, env: dict[str, str], plandir: Path) -> dict[str, Any]:
    (planned,) = plan_stacks(outdir, plandir, env, stacks=(stack,), share_provider=True)
    result: dict[str, Any] = json.loads(planned.read_text(encoding="utf-8"))
    return result


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory, synthesize: Synthesizer) -> Iterator[Adopted]:
    work = tmp_path_factory.mktemp("adopt")
    with Emulator(work / "emulator", region="ap-northeast-1", record=False) as aws:
        ids = seed(aws, "system")
        applied = _variant(synthesize, adoption_settings(ids, log_groups=False), work / "applied")
        env = pointed(base_env(applied), aws)
        _plan(applied, "network", env, work / "plan")
        _terraform_apply(applied, "network", work / "plan" / "network.tfplan", env)
        full = _variant(synthesize, adoption_settings(ids, log_groups=True), work / "full")
        (full.parent / "state").symlink_to(applied.parent / "state")  # the network stack's outputs
        full_review = review("services", _plan(full, "services", env, work / "full-plan"))
        internal = article.TOPOLOGY.service("internal-nginx")
        grpc = replace(internal, ports=(replace(internal.ports[0], protocol="grpc"),))
        changed = Topology(services=(grpc, article.TOPOLOGY.service("client-nginx")))
        other = work / "grpc" / "cdktf.out"
        shutil.copytree(
            synthesize(changed, adoption_settings(ids, log_groups=False)).outdir, other, ignore=shutil.ignore_patterns(".terraform*")
        )
        (other.parent / "state").symlink_to(applied.parent / "state")
        with pytest.raises(StackError) as refused:
            _plan(other, "services", env, work / "grpc-plan")
        managed = _variant(synthesize, adoption_settings(ids, log_groups=False, manage_cluster=True), work / "managed")
        (managed.parent / "state").symlink_to(applied.parent / "state")
        managed_network = review("network", _plan(managed, "network", env, work / "managed-plan"))
        first = _plan(applied, "services", env, work / "plan")
        _terraform_apply(applied, "services", work / "plan" / "services.tfplan", env)
        second = _plan(applied, "services", env, work / "second")
        yield Adopted(ids, full_review, review("services", first), second, re.sub(r"\s+", " ", str(refused.value)), managed_network)


def test_the_plan_imports_what_runs_and_replaces_no_running_service(adopted: Adopted) -> None:
    full = adopted.full
    imported = sorted(line.split("`")[1].split(".")[0] for line in full.imports)
    assert imported == sorted(
        ["aws_ecs_service"] * 2
        + ["aws_security_group"] * 2
        + ["aws_iam_role"] * 4
        + ["aws_cloudwatch_log_group"] * 4
        + ["aws_vpc_security_group_ingress_rule"]
    )
    assert all(line.endswith(("updated in place", "no change")) for line in full.imports), full.imports
    assert sorted(full.running_services) == ["client-nginx", "internal-nginx"]
    assert full.counts["replace"] == 0 and full.counts["destroy"] == 0
    assert full.blocking == [] and full.forced == []
    text = markdown([full])
    assert "**No replacement or destruction of a running ECS service** (client-nginx, internal-nginx)." in text
    assert "No change widens who can reach a service." in text


def test_immutable_names_are_kept(adopted: Adopted) -> None:
    names = {line.split("(")[1].split(")")[0] for line in adopted.full.imports}
    assert {
        "ServiceConnectStack-InternalContainerSg",
        "ServiceConnectStack-ClientContainerSg",
        "internal-nginx-execution",
        "/ecs/internal-nginx",
    } <= names


def test_apply_keeps_the_running_services_and_a_second_plan_is_clean(adopted: Adopted) -> None:
    assert adopted.applied.blocking == [] and adopted.applied.counts["replace"] == 0 and adopted.applied.counts["destroy"] == 0
    assert len(adopted.applied.imports) == 9
    services = {
        resource["values"]["name"]: resource["values"]["id"]
        for resource in adopted.second["prior_state"]["values"]["root_module"]["resources"]
        if resource["type"] == "aws_ecs_service" and resource["mode"] == "managed"
    }
    assert services == adopted.ids["services"]  # the same services (ARNs), not new ones
    assert _changed_attributes(adopted.second) <= KNOWN_GAPS
    assert not any(change["change"].get("importing") for change in adopted.second["resource_changes"])


def test_a_port_protocol_ecs_cannot_change_stops_the_plan_before_anything_is_applied(adopted: Adopted) -> None:
    assert "Resource postcondition failed" in adopted.protocol_change
    assert (
        "The running service internal-nginx serves its ports with another appProtocol than declared (internal-nginx: grpc); "
        'running: {"internal-nginx":"http"}. ECS cannot change appProtocol in a Service Connect service without deleting and '
        "recreating it: declare the running protocol to adopt it without downtime." in adopted.protocol_change
    ), adopted.protocol_change


def test_the_cluster_and_namespace_can_be_imported_too(adopted: Adopted) -> None:
    network = adopted.managed_network
    namespace_id = adopted.ids["namespace_arn"].rsplit("/", 1)[-1]
    assert sorted(line.split(": imported ")[1] for line in network.imports) == sorted(
        [f"({namespace_id}:{adopted.ids['vpc_id']}), updated in place", "(ServiceConnect), updated in place"]
    )
    assert network.counts["replace"] == 0 and network.counts["destroy"] == 0 and network.blocking == []
