"""Each environment's services stack carries that environment's front door: certificate, hosts, sources, WAF, logs.

The storefront's entry in staging (its declared account and region, an office CIDR only, a
staging host name) and in prod (another account and region, its own certificate, web ACL and
log bucket). Values are asserted from the synthesized JSON; the proof holds in each.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from examples import storefront
from proof.verify import Config, from_topology, verify
from topology import EntryOverride, Environment, Settings
from topology.resolved import ResolvedEnvironment
from topology.system import System, deployments

from ..conftest import Synthesizer
from ..tfjson import Synth

PROD_ACCOUNT, PROD_REGION = "210987654321", "us-west-2"
PROD_CERTIFICATE = f"arn:aws:acm:{PROD_REGION}:{PROD_ACCOUNT}:certificate/9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b"
PROD_WEB_ACL = f"arn:aws:wafv2:{PROD_REGION}:{PROD_ACCOUNT}:regional/webacl/shop/1b2c3d4e-5f60-7182-93a4-b5c6d7e8f9a0"
STAGING_WEB_ACL = f"arn:aws:wafv2:{storefront.REGION}:{storefront.ACCOUNT}:regional/webacl/shop/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
OFFICE, VPN = "203.0.113.0/24", "2001:db8::/32"

ENVIRONMENTS = (
    Environment(
        name="staging",
        account_id=storefront.ACCOUNT,
        region=storefront.REGION,
        entries={
            "shop": EntryOverride(
                hosts={"shop.example.com": "shop.staging.example.com"},
                allowed_sources=(OFFICE, VPN),
                web_acl_arn=False,
                deletion_protection=False,
            )
        },
    ),
    Environment(
        name="prod",
        account_id=PROD_ACCOUNT,
        region=PROD_REGION,
        availability_zones=("us-west-2a", "us-west-2b"),
        entries={
            "shop": EntryOverride(certificate_arn=PROD_CERTIFICATE, web_acl_arn=PROD_WEB_ACL, access_logs_bucket="acme-shop-logs-prod")
        },
    ),
)
"""The declared entry names staging's web ACL; staging turns it off, prod names its own."""


def _deployments() -> dict[str, ResolvedEnvironment]:
    topology = replace(storefront.TOPOLOGY, entries=(replace(storefront.TOPOLOGY.entries[0], web_acl_arn=STAGING_WEB_ACL),))
    system = System(module="examples.storefront", topology=topology, settings=Settings(), environments=ENVIRONMENTS)
    return {str(d.environment): d for d in deployments(system)}


@pytest.fixture(scope="module")
def synths(synthesize: Synthesizer) -> dict[str, Synth]:
    return {name: synthesize(d.topology, d.settings) for name, d in _deployments().items()}


def _one(synth: Synth, rtype: str, **match: Any) -> dict[str, Any]:
    (body,) = [b for b in synth.resources("services", rtype).values() if all(b.get(k) == v for k, v in match.items())]
    return body


def _entry_sources(synth: Synth) -> list[tuple[int, str]]:
    """(port, CIDR) of every ingress rule into the load balancer's own group (``<project>-entry-shop``)."""
    (group,) = [name for name, b in synth.resources("services", "aws_security_group").items() if b["name"].endswith("-entry-shop")]
    into = [
        b
        for b in synth.resources("services", "aws_vpc_security_group_ingress_rule").values()
        if b["security_group_id"] == f"${{aws_security_group.{group}.id}}"
    ]
    return sorted((b["from_port"], b.get("cidr_ipv4") or b.get("cidr_ipv6") or b["prefix_list_id"]) for b in into)


def test_each_environment_has_its_own_certificate(synths: dict[str, Synth]) -> None:
    certificates = {
        env: [b.get("certificate_arn") for b in sorted(s.resources("services", "aws_lb_listener").values(), key=lambda b: b["port"])]
        for env, s in synths.items()
    }
    assert certificates == {
        "staging": [None, storefront.CERTIFICATE],
        "prod": [None, PROD_CERTIFICATE],
    }  # port 80 redirects, 443 terminates


def test_each_environment_routes_its_own_host_name(synths: dict[str, Synth]) -> None:
    hosts = {env: [b["condition"] for b in s.resources("services", "aws_lb_listener_rule").values()] for env, s in synths.items()}
    assert hosts == {
        "staging": [[{"host_header": {"values": ["shop.staging.example.com"]}}]],
        "prod": [[{"host_header": {"values": ["shop.example.com"]}}]],
    }


def test_each_environment_admits_its_own_sources(synths: dict[str, Synth]) -> None:
    assert _entry_sources(synths["staging"]) == [(80, VPN), (80, OFFICE), (443, VPN), (443, OFFICE)]
    assert _entry_sources(synths["prod"]) == [(80, "0.0.0.0/0"), (80, "::/0"), (443, "0.0.0.0/0"), (443, "::/0")]


def test_each_environment_has_its_own_web_acl_or_none(synths: dict[str, Synth]) -> None:
    assert "aws_wafv2_web_acl_association" not in synths["staging"].stack("services")["resource"]
    (balancer,) = synths["prod"].resources("services", "aws_lb")
    association = _one(synths["prod"], "aws_wafv2_web_acl_association")
    assert {k: v for k, v in association.items() if k != "//"} == {
        "resource_arn": f"${{aws_lb.{balancer}.arn}}",
        "web_acl_arn": PROD_WEB_ACL,
    }


def test_each_environment_has_its_own_logs_and_deletion_protection(synths: dict[str, Synth]) -> None:
    balancers = {env: next(iter(s.resources("services", "aws_lb").values())) for env, s in synths.items()}
    assert {env: (b["access_logs"], b["enable_deletion_protection"]) for env, b in balancers.items()} == {
        "staging": ({"bucket": "acme-storefront-alb-logs", "enabled": True, "prefix": "shop"}, False),
        "prod": ({"bucket": "acme-shop-logs-prod", "enabled": True, "prefix": "shop"}, True),
    }
    assert {env: b["name"] for env, b in balancers.items()} == {"staging": "shop-internal-api-staging", "prod": "shop-internal-api-prod"}


def test_the_proof_holds_for_each_environments_front_door(synths: dict[str, Synth]) -> None:
    assert len(_deployments()) >= 2, "more than one environment, each with its own front door"
    for env, deployment in _deployments().items():
        synth = synths[env]
        config = Config({name: synth.stack(name) for name in ("network", "services")})
        assert [str(v) for v in verify(config, from_topology(deployment.topology))] == [], env
