"""End to end against the local AWS emulator: deploy in order, outputs, a second plan, reviews, destroy.

Uses the same commands as ``make deploy-local`` / ``make plan`` / ``make destroy-local``
(the pinned cdktf CLI, terraform, moto). Nothing is fetched; when moto, terraform or
the provider is missing these tests fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from emulator.server import KNOWN_GAPS, Emulator, pointed
from emulator.target import base_env
from examples import article
from proof.known_gaps import ENTRY_GAPS
from proof.plan_review import StackReview, review
from runner.run import ROOT, plan_stacks
from toolchain.stackrun import PROXY_SWITCH
from topology import Service, Settings, Topology

from ..conftest import Synthesizer
from ..deployments import Deploy, Deployed, local_command, request_lines

INTERNAL = article.TOPOLOGY.service("internal-nginx")
_local = local_command
_requests = request_lines


@pytest.fixture(scope="module")
def article_deployed(deployed: Deploy) -> Deployed:
    """The article deployed once for the session (tests/deployments.py), shared with the HCL equivalence."""
    return deployed("examples.article")


def _first(lines: list[str], *needles: str) -> int:
    return next(i for i, line in enumerate(lines) if all(n in line for n in needles))


def test_deploy_applies_network_then_servers_then_callers(article_deployed: Deployed) -> None:
    home, outputs = article_deployed.home, article_deployed.outputs
    assert outputs["services"]["endpoint_internal-nginx"] == "http://internal-nginx.serviceconnectns:80"
    assert outputs["services"]["cluster_name"] == outputs["network"]["cluster_name"] == "ServiceConnect"
    assert "curl -sS http://internal-nginx.serviceconnectns:80" in outputs["services"]["check_client-nginx_to_internal-nginx"]
    assert str(outputs["network"]["vpc_id"]).startswith("vpc-") and len(outputs["network"]["private_subnet_ids"]) == 2
    lines = _requests(home / "recording.jsonl")
    create_vpc = _first(lines, "Action=CreateVpc")
    create_server = _first(lines, "CreateService", "internal-nginx")
    create_client = _first(lines, "CreateService", "client-nginx")
    assert create_vpc < create_server < create_client


def _changed_attributes(plan: dict[str, Any]) -> set[tuple[str, str]]:
    changed = set()
    for change in plan["resource_changes"]:
        actions = change["change"]["actions"]
        assert actions in (["no-op"], ["update"], ["read"]), f"{change['address']}: {actions}"
        if actions == ["update"]:
            before, after = change["change"]["before"], change["change"]["after"]
            changed |= {(change["type"], key) for key in set(before) | set(after) if before.get(key) != after.get(key)}
    return changed


def test_second_plan_differs_only_in_known_emulator_gaps(article_deployed: Deployed, tmp_path: Path) -> None:
    home = article_deployed.copy(tmp_path / "home")  # plan re-synthesizes and re-inits in its home
    done = _local("plan", home, "--plandir", str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    changed = set().union(*(_changed_attributes(json.loads((tmp_path / f"{s}.json").read_text())) for s in ("network", "services")))
    assert changed == KNOWN_GAPS - ENTRY_GAPS  # the article has no entry (no service behind a load balancer)
    text = (tmp_path / "review.md").read_text(encoding="utf-8")
    assert "No change widens who can reach a service." in text
    assert "(known emulator gap, not a real change)" in text
    proven = subprocess.run(
        [sys.executable, "-m", "proof.verify", str(tmp_path / "network.json"), str(tmp_path / "services.json"), "--example", "article"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert (proven.returncode, proven.stdout) == (0, ""), proven.stdout + proven.stderr


@pytest.fixture(scope="module")
def replayed(article_deployed: Deployed) -> Iterator[dict[str, str]]:
    """One emulator with the deployed account replayed, shared by the read-only variant plans."""
    with Emulator(article_deployed.home, region="ap-northeast-1", record=False) as aws:
        yield aws


def _plan_variant(home: Path, aws: dict[str, str], variant: Path, tmp: Path) -> StackReview:
    """Plan ``variant/cdktf.out``'s services stack (network is unchanged) against the deployed account and state."""
    (variant / "state").symlink_to(home / "state")
    env = base_env(variant / "cdktf.out")
    (planned,) = plan_stacks(variant / "cdktf.out", tmp / "plan", pointed(env, aws), stacks=("services",), share_provider=True)
    return review(planned.stem, json.loads(planned.read_text(encoding="utf-8")))


def _synth_variant(synthesize: Synthesizer, topology: Topology, tmp: Path) -> Path:
    import shutil

    variant = tmp / "variant"
    shutil.copytree(synthesize(topology, Settings()).outdir, variant / "cdktf.out", ignore=shutil.ignore_patterns(".terraform*"))
    return variant


def test_port_change_redeploys_the_client(
    article_deployed: Deployed, replayed: dict[str, str], synthesize: Synthesizer, tmp_path: Path
) -> None:
    moved = replace(INTERNAL, ports=(replace(INTERNAL.ports[0], container_port=8080),))
    topology = Topology(services=(moved, article.TOPOLOGY.service("client-nginx")))
    services = _plan_variant(article_deployed.home, replayed, _synth_variant(synthesize, topology, tmp_path), tmp_path)
    assert any(
        line.startswith("client-nginx: ") and "a changed server endpoint (internal-nginx)" in line for line in services.lines("redeploy")
    )
    assert any("(internal-api-internal-nginx)" in line for line in services.lines("replacement"))  # new task definition revision
    assert not any("client-nginx" in line for line in services.blocking)  # same caller, other port: a change
    # One rule, one line: old port -> new port (issue 20: not "now tcp/8080" and "removed tcp/80" for the same rule).
    assert any(
        line.startswith("client-nginx -> internal-nginx: port change, tcp/80 -> tcp/8080 (`") for line in services.lines("reach-change")
    )


def test_a_new_caller_is_a_blocking_finding(
    article_deployed: Deployed, replayed: dict[str, str], synthesize: Synthesizer, tmp_path: Path
) -> None:
    topology = Topology(services=(*article.TOPOLOGY.services, Service(name="reporter", calls=("internal-nginx",))))
    services = _plan_variant(article_deployed.home, replayed, _synth_variant(synthesize, topology, tmp_path), tmp_path)
    assert [line for line in services.blocking if "reporter" in line] == [next(line for line in services.blocking if "reporter" in line)]
    assert any("new ingress source reporter -> internal-nginx on tcp/80" in line for line in services.blocking)
    assert services.counts["add"] > 0 and services.counts["destroy"] == 0


def _mutated(synthesize: Synthesizer, tmp: Path, mutate: Any) -> Path:
    variant = _synth_variant(synthesize, article.TOPOLOGY, tmp)
    path = variant / "cdktf.out" / "stacks" / "services" / "cdk.tf.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    mutate(body["resource"])
    path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return variant


def test_opening_the_api_to_the_internet_is_blocking(
    article_deployed: Deployed, replayed: dict[str, str], synthesize: Synthesizer, tmp_path: Path
) -> None:
    def open_up(resources: dict[str, Any]) -> None:
        (sg,) = [n for n, b in resources["aws_security_group"].items() if b["name"] == "internal-api-internal-nginx"]
        resources["aws_vpc_security_group_ingress_rule"]["world"] = {
            "security_group_id": f"${{aws_security_group.{sg}.id}}",
            "cidr_ipv4": "0.0.0.0/0",
            "ip_protocol": "tcp",
            "from_port": 80,
            "to_port": 80,
        }

    services = _plan_variant(article_deployed.home, replayed, _mutated(synthesize, tmp_path, open_up), tmp_path)
    assert services.blocking == ["`aws_vpc_security_group_ingress_rule.world`: CIDR ingress 0.0.0.0/0 -> internal-nginx on tcp/80"]


def test_a_public_ip_is_blocking(article_deployed: Deployed, replayed: dict[str, str], synthesize: Synthesizer, tmp_path: Path) -> None:
    def public(resources: dict[str, Any]) -> None:
        for body in resources["aws_ecs_service"].values():
            if body["name"] == "internal-nginx":
                body["network_configuration"]["assign_public_ip"] = True

    services = _plan_variant(article_deployed.home, replayed, _mutated(synthesize, tmp_path, public), tmp_path)
    assert [line for line in services.blocking if "public IP" in line] == [next(line for line in services.blocking if "public IP" in line)]
    assert "internal-nginx gets a public IP" in " ".join(services.blocking)


def test_first_deploy_review_against_an_empty_account(synthesize: Synthesizer, tmp_path: Path) -> None:
    variant = _synth_variant(synthesize, article.TOPOLOGY, tmp_path)
    env = base_env(variant / "cdktf.out")
    with Emulator(tmp_path / "empty", region="ap-northeast-1", record=False) as aws:
        planned = plan_stacks(variant / "cdktf.out", tmp_path / "plan", pointed(env, aws), share_provider=True)
    assert [p.stem for p in planned] == ["network"]  # services reads network's outputs: planned after network exists
    network = review("network", json.loads(planned[0].read_text(encoding="utf-8")))
    expected = sum(len(v) for v in json.loads((variant / "cdktf.out/stacks/network/cdk.tf.json").read_text())["resource"].values())
    assert network.counts == {"add": expected, "change": 0, "replace": 0, "destroy": 0}
    assert network.blocking == []


def _comparable(plan_json: Path) -> dict[str, Any]:
    """A plan's JSON without what two plans of the same change differ in: the time it was made, and the order of
    ``relevant_attributes`` (Terraform writes that list in map order, so it varies from one run to the next)."""
    plan: dict[str, Any] = json.loads(plan_json.read_text(encoding="utf-8"))
    assert plan.pop("timestamp")
    plan["relevant_attributes"] = sorted(plan.get("relevant_attributes", []), key=json.dumps)
    return plan


def test_plans_through_the_schema_proxy_are_the_plans_without_it(
    article_deployed: Deployed, replayed: dict[str, str], synthesize: Synthesizer, tmp_path: Path
) -> None:
    """toolchain/provider_proxy.py hands Terraform a trimmed schema: nothing a plan says may change for it."""
    variant = _synth_variant(synthesize, article.TOPOLOGY, tmp_path)
    (variant / "state").symlink_to(article_deployed.home / "state")
    env = pointed(base_env(variant / "cdktf.out"), replayed)
    env.pop(PROXY_SWITCH, None)  # through the proxy, whatever the run's setting
    proxied = plan_stacks(variant / "cdktf.out", tmp_path / "proxied", env, share_provider=True)
    direct = plan_stacks(variant / "cdktf.out", tmp_path / "direct", {**env, PROXY_SWITCH: "off"}, share_provider=True)
    assert [path.stem for path in proxied] == [path.stem for path in direct] == ["network", "services"]
    assert [_comparable(path) for path in proxied] == [_comparable(path) for path in direct]


def test_destroy_removes_callers_then_servers_then_network(article_deployed: Deployed, tmp_path: Path) -> None:
    """Destroys a copy of the shared deployment, and reads the order from the emulator's log."""
    home = article_deployed.copy(tmp_path / "home")
    done = _local("destroy", home)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = _requests(home / "last-recording.jsonl")
    client = _first(lines, "DeleteService", "client-nginx")
    server = _first(lines, "DeleteService", "internal-nginx")
    cluster = _first(lines, "DeleteCluster")
    vpc = _first(lines, "Action=DeleteVpc")
    assert client < server < cluster < vpc
    assert not (home / "recording.jsonl").exists()
    assert not (home / "state" / "services.tfstate").exists()
