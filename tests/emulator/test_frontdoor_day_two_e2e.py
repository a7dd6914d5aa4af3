"""The front door's second apply on the emulator (issue 35): a port change, a second entry, a WAF web ACL, a protected destroy.

On a private copy of the shared production/prod deployment (one ``deploy-local`` already paid
for by the session), a variant of the declaration is deployed as the second apply a team makes:

- ``web`` (routed by the ``public`` entry) moves from port 80 to 8080: its target group is
  replaced, the new one (a new name) created before the old one goes (finding 1);
- a second entry, ``partner``, puts ``api`` behind another team's existing listener;
- prod's ``public`` entry gets a WAF web ACL.

The listener, its load balancer's group and the web ACL do not exist in the emulator: the deploy
stands each in under the declared ID or ARN and says so (``emulator/standins.py``). Then a
``make destroy`` of the result is refused before anything is deleted, because the ``public``
load balancer has deletion protection (finding 8), read from the state the emulator's apply
wrote. Fails (never skips) when moto, terraform or the provider mirror is missing.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from aws import commands
from aws import target as aws_target
from examples import production
from runner import run
from topology.errors import USER_ERROR, command

from ..deployments import Deploy, local_command, request_lines
from .test_local_e2e import _first

LISTENER = "arn:aws:elasticloadbalancing:{region}:{account}:listener/app/partner-edge/0123456789abcdef/fedcba9876543210"
PROD_LISTENER = LISTENER.format(region=production.PROD_REGION, account=production.PROD_ACCOUNT)
PROD_BALANCER = PROD_LISTENER.replace(":listener/", ":loadbalancer/").rsplit("/", 1)[0]
WEB_ACL = f"arn:aws:wafv2:{production.PROD_REGION}:{production.PROD_ACCOUNT}:regional/webacl/shop-edge/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
PARTNER_GROUP = "sg-0d1e2f3a4b5c6d7e8"

VARIANT = f'''
"""examples.production on its second apply: web on port 8080, a partner entry on an existing listener, prod's web ACL."""
from dataclasses import replace

import examples.production as declared
from topology import Entry, EntryOverride, ExistingLoadBalancer, Port, Route

LISTENER = "{LISTENER}"


def _web_on_8080(service):
    if service.name != "web":
        return service
    port = Port(name="web", container_port=8080, protocol="http", health_path="/")
    return replace(service, ports=(port,), command=declared._nginx_on(8080), health_check=declared._http_check(8080))


STAGING_PARTNER = ExistingLoadBalancer(
    listener_arn=LISTENER.format(region=declared.REGION, account=declared.ACCOUNT), security_group_id="sg-0c1d2e3f4a5b6c7d8"
)
PARTNER = Entry(name="partner", routes=(Route(service="api", path="/partner/*"),), existing=STAGING_PARTNER)
TOPOLOGY = replace(
    declared.TOPOLOGY,
    services=tuple(_web_on_8080(service) for service in declared.TOPOLOGY.services),
    entries=(*declared.TOPOLOGY.entries, PARTNER),
)
staging, prod = declared.ENVIRONMENTS
entries = dict(prod.entries)
entries["public"] = replace(entries["public"], web_acl_arn="{WEB_ACL}")
entries["partner"] = EntryOverride(existing=ExistingLoadBalancer(listener_arn="{PROD_LISTENER}", security_group_id="{PARTNER_GROUP}"))
ENVIRONMENTS = (staging, replace(prod, entries=entries))
'''


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("day-two-variant")
    (folder / "day_two.py").write_text(textwrap.dedent(VARIANT), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def second_apply(deployed: Deploy, variant: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    """The variant deployed over a copy of production/prod: (home, what it printed, the requests of this apply)."""
    prod = deployed("examples.production", "prod")
    first = len(prod.requests())
    home = prod.copy(tmp_path_factory.mktemp("day-two") / "home")
    environ = dict(os.environ, PYTHONPATH=str(variant))
    done = local_command("deploy", home, "--system", "day_two", "--env", "prod", env=environ)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = [unquote_plus(line) for line in request_lines(home / "recording.jsonl")]
    return home, done.stdout + done.stderr, lines[first:]


def test_the_listener_and_the_web_acl_are_stood_in_for_under_their_arns(second_apply: tuple[Path, str, list[str]]) -> None:
    _, printed, lines = second_apply
    assert f"emulator: stand-in for {WEB_ACL} (entry public's web ACL) (an empty web ACL that allows everything)" in printed
    assert f"emulator: stand-in for {PARTNER_GROUP} (entry partner's load balancer group)" in printed
    assert f"emulator: stand-in for {PROD_LISTENER} (entry partner's existing listener)" in printed
    balancer = _first(lines, "Action=CreateLoadBalancer", "Name=partner-edge", f"SecurityGroups.member.1={PARTNER_GROUP}")
    assert f"Tags.member.2.Value={PROD_BALANCER}" in lines[balancer]  # its ARN: the declared account, not the emulator's own
    listener = _first(lines, "Action=CreateListener", f"LoadBalancerArn={PROD_BALANCER}")
    acl = _first(lines, "CreateWebACL", '"Name": "shop-edge"')
    rule = _first(lines, "Action=CreateRule", f"ListenerArn={PROD_LISTENER}", "PathPatternConfig.Values.member.1=/partner/*")
    association = _first(lines, "AssociateWebACL", f'"WebACLArn":"{WEB_ACL}"', "loadbalancer/app/public-internal-api-prod/")
    assert max(balancer, listener) < rule and acl < association


def test_a_port_change_replaces_the_target_group_before_the_old_one_goes(second_apply: tuple[Path, str, list[str]]) -> None:
    """Finding 1 on a second apply: the new group (a new name) is created, the rule moves to it, then the old one is deleted."""
    _, printed, lines = second_apply
    created = _first(lines, "Action=CreateTargetGroup", "Name=internal-api-prod-public-", "Port=8080")  # public routes only web
    moved = _first(lines, "Action=ModifyRule", "listener-rule/app/public-internal-api-prod/")
    web = _first(lines, "UpdateService", '"containerName":"web","containerPort":8080')
    deleted = _first(lines, "Action=DeleteTargetGroup", "targetgroup/internal-api-prod-public-")
    assert created < moved < deleted and created < web < deleted
    assert not [line for line in lines if "DeleteLoadBalancer" in line or "DeleteListener&" in line]
    assert "services-prod: Apply complete!" in printed and "Error:" not in printed


def test_the_second_entry_routes_api_on_the_existing_listener(second_apply: tuple[Path, str, list[str]]) -> None:
    _, _, lines = second_apply
    group = _first(lines, "Action=CreateTargetGroup", "Name=internal-api-prod-partner-", "Port=8080")
    api = _first(lines, "UpdateService", '"containerName":"api","containerPort":8080', "internal-api-prod-partner-")
    admitted = _first(lines, "AuthorizeSecurityGroupIngress", PARTNER_GROUP, "8080")
    assert group < api and admitted < api


def test_destroy_of_a_protected_load_balancer_is_refused_before_anything_goes(
    second_apply: tuple[Path, str, list[str]], variant: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding 8 on the emulator's state: ``make destroy`` reads the applied state, finds the protected ALB, deletes nothing.

    The AWS command runs in-process on the emulator home's synthesized stacks; only its two steps that need the
    real AWS account are replaced: asking STS who the caller is, and the synth (the home's stacks are synthesized).
    """
    home, _, _ = second_apply
    states = sorted((home / "state").rglob("*.tfstate"))
    assert states, f"no state under {home / 'state'}"
    before = {state: state.read_bytes() for state in states}
    monkeypatch.syspath_prepend(str(variant))
    monkeypatch.setenv("CDKTF_OUTDIR", str(home / "cdktf.out"))
    monkeypatch.setattr(aws_target, "preflight", lambda deployment, env: production.PROD_ACCOUNT)
    monkeypatch.setattr(run, "synth", lambda outdir, env: None)
    code = command(lambda: commands.main(["destroy", "--system", "day_two", "--env", "prod"]))
    assert (code, capsys.readouterr().err.strip().splitlines()[-1]) == (
        USER_ERROR,
        "error: destroy: load balancer public-internal-api-prod has deletion protection; "
        "set the entry's deletion_protection=False and apply first. Nothing was deleted",
    )
    assert {state: state.read_bytes() for state in states} == before
