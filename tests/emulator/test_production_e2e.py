"""examples/production.py (environment ``prod``) end to end against the local AWS emulator, as a user runs it.

One deployment for the whole session (the shared ``deployed`` fixture), through the same command as
``make deploy-local SYSTEM=examples.production ENV=prod``: the declaration names a database
group, secrets, a parameter, a key, a bucket, a queue and prod's ACM certificate that the project
does not create, and the command creates a stand-in for each first, saying so. Then: the apply
order, what reached the emulator (prod's front door included), Spot turned on and off in place, and
``destroy-local`` (which also removes the stand-ins) on a private copy; a release is planned and applied on
another copy in test_ci_e2e.py (another file, so another worker runs it meanwhile).
Fails (never skips) when moto, terraform or the provider mirror is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from emulator.server import KNOWN_GAPS
from examples import production

from ..deployments import Deploy, Deployed, local_command
from .test_local_e2e import _first, _requests

SELECTION = ("--system", "examples.production", "--env", "prod")
STAND_INS = [
    f"emulator: stand-in certificate under {production.PROD_CERTIFICATE} "
    "(a self-signed one made by the emulator; on AWS the ACM certificate must exist)",
    "emulator: stand-in for sg-0f1e2d3c4b5a69788 (api egress postgres)",
    f"emulator: stand-in for {production.PROD_DB_SECRET} (api secret DB_PASSWORD)",
    f"emulator: stand-in for {production.PROD_DB_SECRET_KEY} (api secret DB_PASSWORD's key) "
    "(a key of another ID: moto cannot choose a key's ID; nothing in the emulator decrypts with it)",
    f"emulator: stand-in for {production.PROD_FLAGS_PARAMETER} (api secret FEATURE_FLAGS)",
    "emulator: stand-in for arn:aws:s3:::acme-internal-api-reports-prod (api permission Reports)",
    f"emulator: stand-in for {production.PROD_JOBS_QUEUE} (api permission Jobs)",
]


@pytest.fixture(scope="module")
def prod(deployed: Deploy) -> Deployed:
    return deployed("examples.production", "prod")


def _local(command: str, home: Path, *extra: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return local_command(command, home, *SELECTION, *extra, env=environ)


def test_deploy_local_stands_in_for_what_exists_outside_and_says_so(prod: Deployed) -> None:
    assert [line for line in prod.stderr.splitlines() if line.startswith("emulator: stand-in")] == STAND_INS
    text = "\n".join(prod.requests())
    assert "TagSpecification.1.Tag.2.Key=_custom_id_&TagSpecification.1.Tag.2.Value=sg-0f1e2d3c4b5a69788" in text  # its very ID
    assert "GroupName=sg-0f1e2d3c4b5a69788" not in text  # so the egress rule found it by ID, not by a name
    assert '{"Key": "_custom_id_", "Value": "ZyXwVu"}' in text  # the secret's ARN suffix, so its ARN is the referenced one


def test_production_applies_servers_before_callers(prod: Deployed) -> None:
    assert prod.outputs["services-prod"]["endpoint_api"] == "http://api.serviceconnectns:8080"
    assert prod.outputs["services-prod"]["endpoint_worker"] == "http://worker.serviceconnectns:80"
    assert prod.outputs["services-prod"]["cluster_name"] == "ServiceConnect-prod"
    lines = prod.requests()
    assert _first(lines, "CreateService", '"worker"') < _first(lines, "CreateService", '"api"') < _first(lines, "CreateService", '"web"')


def test_production_resources_reach_the_emulator(prod: Deployed) -> None:
    text = "\n".join(prod.requests())
    assert "RegisterScalableTarget" in text and "PutScalingPolicy" in text
    assert "ECSServiceAverageMemoryUtilization" in text
    assert "PutScheduledAction" in text and "America/Los_Angeles" in text
    assert "PutClusterCapacityProviders" in text and "FARGATE_SPOT" in text
    assert '"cpuArchitecture":"ARM64"' in text and '"ephemeralStorage":{"sizeInGiB":30}' in text
    assert f"{production.PROD_DB_SECRET}:password::" in text and production.DB_SECRET not in text
    assert "IpPermissions.1.FromPort=5432" in text and "IpPermissions.1.Groups.1.GroupId=sg-0f1e2d3c4b5a69788" in text
    assert f'"image":"{production.PROD_NGINX}"' in text  # prod's image for web, the variable's default
    assert '"name":"API_URL","value":"http://api.serviceconnectns:8080"' in text  # Endpoint(server="api"), resolved
    assert '"logging":"OVERRIDE"' in text and '"cloudWatchLogGroupName":"/ecs/ServiceConnect-prod/exec-audit"' in text


def test_the_entry_is_created_before_the_edge_service(prod: Deployed) -> None:
    """The front door as the emulator's log shows it: an internet-facing load balancer, an IP target group on web's
    port, an HTTPS listener with the TLS 1.3 policy and an HTTP one that only redirects, the host rule, all before
    ``web`` registers with it; the internal services get no load balancer (was the storefront's own deployment)."""
    lines = [unquote_plus(line) for line in prod.requests()]
    balancer = _first(lines, "Action=CreateLoadBalancer", "Name=public-internal-api-prod")
    assert "Scheme=internal" not in lines[balancer]
    group = _first(lines, "Action=CreateTargetGroup", "TargetType=ip", "Port=80", "HealthCheckPath=/")
    https = _first(lines, "Action=CreateListener", "&Protocol=HTTPS", "&Port=443", f"CertificateArn={production.PROD_CERTIFICATE}")
    assert "SslPolicy=ELBSecurityPolicy-TLS13-1-2-2021-06" in lines[https]
    http = _first(lines, "Action=CreateListener", "&Protocol=HTTP&", "&Port=80", "RedirectConfig.Protocol=HTTPS")
    web = _first(lines, "CreateService", '"serviceName":"web"', '"loadBalancers"')
    assert max(balancer, group, https, http) < web
    for internal in ("api", "worker"):
        assert '"loadBalancers"' not in lines[_first(lines, "CreateService", f'"serviceName":"{internal}"')]
    dns = prod.outputs["services-prod"]["entry_public_dns_name"]
    assert dns.startswith("public-internal-api-prod-") and dns.endswith(".elb.amazonaws.com")
    assert (
        f"entry public: {dns}\n  curl --connect-to app.example.com:443:{dns}:443 https://app.example.com:443/" in prod.stdout + prod.stderr
    )


def test_prods_front_door_has_prods_certificate_and_host(prod: Deployed) -> None:
    """The entry's per-environment values reach the emulator: prod's certificate and host name, never staging's."""
    lines = [unquote_plus(line) for line in prod.requests()]
    https = _first(lines, "Action=CreateListener", "Protocol=HTTPS", f"CertificateArn={production.PROD_CERTIFICATE}")
    rule = _first(lines, "Action=CreateRule", production.PROD_HOST)
    assert max(https, rule) < _first(lines, "CreateService", '"serviceName":"web"')
    text = "\n".join(lines)
    assert production.CERTIFICATE not in text and production.HOST not in text
    dns = prod.outputs["services-prod"]["entry_public_dns_name"]
    assert (
        prod.outputs["services-prod"]["entry_public_curl"]
        == f"curl --connect-to app.example.com:443:{dns}:443 https://app.example.com:443/"
    )


def _changes(plan: dict[str, Any]) -> tuple[dict[str, set[str]], dict[str, list[list[str]]]]:
    """Per address: attributes changed in place; and each replaced resource's replace paths."""
    changed: dict[str, set[str]] = {}
    replaced: dict[str, list[list[str]]] = {}
    for change in plan["resource_changes"]:
        actions, before, after = change["change"]["actions"], change["change"]["before"], change["change"]["after"]
        if actions == ["update"]:
            changed[change["address"]] = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
        elif actions not in (["no-op"], ["read"]):
            assert actions == ["delete", "create"], f"{change['address']}: {actions}"
            replaced[change["address"]] = change["change"]["replace_paths"]
    return changed, replaced


def _real(changed: dict[str, set[str]]) -> dict[str, set[str]]:
    """What a plan changes beyond the emulator's known gaps."""
    gaps = {attribute for _, attribute in KNOWN_GAPS}
    return {address: attributes - gaps for address, attributes in changed.items() if attributes - gaps}


VARIANT = '''
"""examples.production with web's Fargate Spot share off and worker's (it calls nobody) on, in prod."""
from dataclasses import replace

import examples.production as declared
from topology import Capacity

TOPOLOGY = declared.TOPOLOGY
if hasattr(declared, "SETTINGS"):
    SETTINGS = declared.SETTINGS
staging, prod = declared.ENVIRONMENTS
services = dict(prod.services)
services["web"] = replace(services["web"], capacity=Capacity(spot_percent=0))
services["worker"] = replace(services["worker"], capacity=Capacity(spot_percent=50))
ENVIRONMENTS = (staging, replace(prod, services=services))
'''


def test_spot_on_and_off_plans_in_place(prod: Deployed, tmp_path: Path) -> None:
    """Issue 20, finding 5: web's Spot share off and worker's on: both updated in place, not replaced."""
    (tmp_path / "variant").mkdir()
    (tmp_path / "variant" / "spot_variant.py").write_text(textwrap.dedent(VARIANT), encoding="utf-8")
    home = prod.copy(tmp_path / "home")
    environ = dict(os.environ, PYTHONPATH=str(tmp_path / "variant"))
    done = local_command("plan", home, "--system", "spot_variant", "--env", "prod", "--plandir", str(tmp_path / "plan"), env=environ)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    plan = json.loads((tmp_path / "plan" / "services-prod.json").read_text(encoding="utf-8"))
    services_planned = {
        change["address"].split(".")[1].split("_service_")[0]: change["change"]
        for change in plan["resource_changes"]
        if change["type"] == "aws_ecs_service"
    }
    actions = {name: change["actions"] for name, change in services_planned.items()}
    assert (actions["web"], actions["worker"]) == (["update"], ["update"])  # in place, not ["delete", "create"]
    assert actions["api"] in (["no-op"], ["update"])
    real = _real(_changes(plan)[0])
    assert {address.split(".")[1].split("_service_")[0] for address in real if address.startswith("aws_ecs_service.")} == {"web", "worker"}
    strategies = {  # compared by provider and weight: the plan leaves an unset base null
        name: sorted((item["capacity_provider"], item["weight"]) for item in change["after"]["capacity_provider_strategy"])
        for name, change in services_planned.items()
    }
    assert strategies["web"] == [("FARGATE", 1)]
    assert strategies["worker"] == [("FARGATE", 50), ("FARGATE_SPOT", 50)]


def test_an_unknown_variable_is_one_line(prod: Deployed, tmp_path: Path) -> None:
    done = _local("plan", prod.copy(tmp_path / "home"), "--plandir", str(tmp_path / "plan"), "--var", "image_orders=x")
    assert (done.returncode, done.stderr.splitlines()[-1]) == (
        1,  # a user's mistake: terraform's error code (topology.errors.USER_ERROR)
        "error: VARS: 'image_orders' is not a variable of network-prod, services-prod (variables: image_api, image_web, image_worker)",
    )


def test_destroy_local_removes_the_stand_ins(prod: Deployed, tmp_path: Path) -> None:
    home = prod.copy(tmp_path / "home")
    done = _local("destroy", home)
    assert done.returncode == 0, done.stderr[-3000:]
    removed = [
        line.removeprefix("emulator: removed the stand-in for ") for line in done.stderr.splitlines() if "removed the stand-in" in line
    ]
    # every stand-in the deploy created, in order; the certificate is the emulator's own (made at its start), not a stand-in to remove
    created = [line for line in STAND_INS if line.startswith("emulator: stand-in for ")]
    assert len(created) == len(STAND_INS) - 1
    assert removed == [line.removeprefix("emulator: stand-in for ").split(" (")[0] for line in created]
    assert not (home / "stand-ins-prod.json").exists()
    assert not (home / "recording.jsonl").exists()  # nothing deployed any more: the account was forgotten
    lines = [unquote_plus(line) for line in _requests(home / "last-recording.jsonl")]  # the front door goes after web, rules first
    web = _first(lines, "DeleteService", 'service/ServiceConnect-prod/web"')
    rule = _first(lines, "Action=DeleteRule")
    listeners = [i for i, line in enumerate(lines) if "Action=DeleteListener" in line]
    balancer = _first(lines, "Action=DeleteLoadBalancer")
    group = _first(lines, "Action=DeleteTargetGroup")
    assert len(listeners) == 2
    assert web < rule < max(listeners) < balancer and web < group
