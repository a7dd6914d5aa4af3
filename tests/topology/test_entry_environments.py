"""A front door's values per environment (issue 18): ``Environment.entries`` and ``EntryOverride``.

The storefront's entry, deployed as staging (the declared account and region) and as prod
(another account and region). Every bad input is asserted as its exact line; what the
internet may reach (routes' services, ports and paths, internet_facing) stays the same.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from examples import storefront
from main import problems
from topology import (
    Entry,
    EntryOverride,
    Environment,
    ExistingLoadBalancer,
    Listener,
    NetworkSettings,
    Route,
    Settings,
    Topology,
    validate,
)
from topology.errors import USER_ERROR
from topology.system import SelectionError, System, deployments, environment_problems, load_system

from ..systems import write_shop

ROOT = Path(__file__).resolve().parent.parent.parent

STAGING_ACCOUNT, STAGING_REGION = storefront.ACCOUNT, storefront.REGION
PROD_ACCOUNT, PROD_REGION = "210987654321", "us-west-2"
PROD_CERTIFICATE = f"arn:aws:acm:{PROD_REGION}:{PROD_ACCOUNT}:certificate/9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b"
PROD_WEB_ACL = f"arn:aws:wafv2:{PROD_REGION}:{PROD_ACCOUNT}:regional/webacl/shop/1b2c3d4e-5f60-7182-93a4-b5c6d7e8f9a0"
STAGING_WEB_ACL = f"arn:aws:wafv2:{STAGING_REGION}:{STAGING_ACCOUNT}:regional/webacl/shop/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
LISTENER = f"arn:aws:elasticloadbalancing:{STAGING_REGION}:{STAGING_ACCOUNT}:listener/app/edge/0123456789abcdef/0123456789abcdef"
PROD_LISTENER = f"arn:aws:elasticloadbalancing:{PROD_REGION}:{PROD_ACCOUNT}:listener/app/edge/fedcba9876543210/fedcba9876543210"
EDGE_GROUP, PROD_EDGE_GROUP = "sg-0123456789abcdef0", "sg-0fedcba9876543210"
OFFICE = "203.0.113.0/24"

SHOP = storefront.TOPOLOGY.entries[0]
HTTPS, HTTP = SHOP.listeners

STAGING = Environment(
    name="staging",
    account_id=STAGING_ACCOUNT,
    region=STAGING_REGION,
    entries={
        "shop": EntryOverride(hosts={"shop.example.com": "shop.staging.example.com"}, allowed_sources=(OFFICE,), deletion_protection=False)
    },
)
PROD = Environment(
    name="prod",
    account_id=PROD_ACCOUNT,
    region=PROD_REGION,
    availability_zones=("us-west-2a", "us-west-2b"),
    entries={"shop": EntryOverride(certificate_arn=PROD_CERTIFICATE, web_acl_arn=PROD_WEB_ACL, access_logs_bucket="acme-shop-logs-prod")},
)


def _system(*environments: Environment, entry: Entry = SHOP) -> System:
    topology = replace(storefront.TOPOLOGY, entries=(entry,))
    return System(module="examples.storefront", topology=topology, settings=Settings(), environments=environments)


def _prod(**overrides: Any) -> Environment:
    """Prod with only these entry values (no certificate of its own unless given)."""
    return replace(PROD, entries={"shop": EntryOverride(**overrides)})


def _entry(system: System, environment: str) -> Entry:
    (deployment,) = deployments(system, environment)
    (entry,) = deployment.topology.entries
    return entry


STAGING_EDGE = ExistingLoadBalancer(listener_arn=LISTENER, security_group_id=EDGE_GROUP)


def _edge() -> Entry:
    """Routes on another team's listener (staging's, as declared)."""
    return Entry(name="edge", existing=STAGING_EDGE, routes=(Route(service="web", host="shop.example.com"),))


# --- what each environment gets ------------------------------------------------------------------


def test_each_environment_gets_its_own_front_door_values() -> None:
    system = _system(STAGING, PROD)
    assert environment_problems(system) == []
    staging, prod = deployments(system)
    assert staging.topology.entries == (
        replace(
            SHOP, routes=(Route(service="web", host="shop.staging.example.com"),), allowed_sources=(OFFICE,), deletion_protection=False
        ),
    )
    assert prod.topology.entries == (
        replace(
            SHOP,
            listeners=(replace(HTTPS, certificate_arn=PROD_CERTIFICATE), HTTP),  # the HTTP redirect gets no certificate
            web_acl_arn=PROD_WEB_ACL,
            access_logs_bucket="acme-shop-logs-prod",
        ),
    )
    assert prod.topology.entries[0].access_logs_prefix == "shop"  # not given: the declared prefix
    assert problems([staging, prod]) == []


def test_what_the_internet_may_reach_is_the_same_in_every_environment() -> None:
    assert len(deployments(_system(STAGING, PROD))) == 2
    for deployment in deployments(_system(STAGING, PROD)):
        (entry,) = deployment.topology.entries
        assert (entry.name, entry.internet_facing, [(r.service, r.port, r.path) for r in entry.routes]) == (
            "shop",
            True,
            [("web", None, None)],
        )
        assert deployment.topology.services == storefront.TOPOLOGY.services


def test_an_entry_overridden_in_one_environment_only_keeps_the_declared_values_elsewhere() -> None:
    system = _system(Environment(name="dev"), STAGING)
    assert _entry(system, "dev") == SHOP
    assert _entry(system, "staging").allowed_sources == (OFFICE,)


def test_a_certificate_applies_to_the_listeners_given_with_it() -> None:
    listeners = (Listener(protocol="HTTPS", port=8443), Listener(protocol="HTTP", redirect_to_https=True))
    entry = _entry(_system(STAGING, _prod(listeners=listeners, certificate_arn=PROD_CERTIFICATE)), "prod")
    assert entry.listeners == (Listener(protocol="HTTPS", port=8443, certificate_arn=PROD_CERTIFICATE), listeners[1])


def test_hosts_map_declared_hosts_wildcards_included_and_leave_the_others() -> None:
    entry = replace(SHOP, routes=(Route(service="web", host="shop.example.com"), Route(service="web", host="*.example.com", path="/api/*")))
    staging = replace(STAGING, entries={"shop": EntryOverride(hosts={"*.example.com": "*.staging.example.com"})})
    system = _system(staging, replace(PROD, entries={"shop": EntryOverride(certificate_arn=PROD_CERTIFICATE)}), entry=entry)
    assert [(r.host, r.path) for r in _entry(system, "staging").routes] == [("shop.example.com", None), ("*.staging.example.com", "/api/*")]
    assert [(r.host, r.path) for r in _entry(system, "prod").routes] == [("shop.example.com", None), ("*.example.com", "/api/*")]
    assert problems(deployments(system)) == []


def test_false_removes_the_web_acl_and_the_access_logs() -> None:
    declared = replace(SHOP, web_acl_arn=STAGING_WEB_ACL)
    prod = _prod(certificate_arn=PROD_CERTIFICATE, web_acl_arn=False, access_logs_bucket=False)
    entry = _entry(_system(STAGING, prod, entry=declared), "prod")
    assert (entry.web_acl_arn, entry.access_logs_bucket, entry.access_logs_prefix) == (None, None, None)
    only_prefix = _entry(_system(STAGING, _prod(access_logs_prefix=False), entry=declared), "prod")
    assert (only_prefix.access_logs_bucket, only_prefix.access_logs_prefix) == ("acme-storefront-alb-logs", None)


def test_an_entry_on_another_teams_listener_takes_each_environments_listener() -> None:
    prod_edge = ExistingLoadBalancer(listener_arn=PROD_LISTENER, security_group_id=PROD_EDGE_GROUP, first_priority=200)
    system = _system(replace(STAGING, entries={}), replace(PROD, entries={"edge": EntryOverride(existing=prod_edge)}), entry=_edge())
    assert environment_problems(system) == []
    assert _entry(system, "prod").existing == prod_edge
    assert _entry(system, "staging").existing == STAGING_EDGE
    assert problems(deployments(system)) == []


# --- account and region --------------------------------------------------------------------------


def test_prod_without_its_own_certificate_gets_a_line_not_stagings_certificate() -> None:
    system = _system(STAGING, _prod())
    assert problems(deployments(system)) == [
        f"environment 'prod': entry 'shop': listeners[0].certificate_arn: '{storefront.CERTIFICATE}' is in region ap-northeast-1, "
        "but it is deployed to region us-west-2",
        f"environment 'prod': entry 'shop': listeners[0].certificate_arn: '{storefront.CERTIFICATE}' is in account 123456789012, "
        "but it is deployed to account 210987654321",
    ]


def test_a_certificate_of_the_right_account_in_another_region_is_its_line() -> None:
    other_region = f"arn:aws:acm:eu-west-1:{PROD_ACCOUNT}:certificate/9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b"
    assert problems(deployments(_system(STAGING, _prod(certificate_arn=other_region)))) == [
        f"environment 'prod': entry 'shop': listeners[0].certificate_arn: '{other_region}' is in region eu-west-1, "
        "but it is deployed to region us-west-2"
    ]


def test_a_web_acl_of_staging_in_prod_is_its_line() -> None:
    system = _system(STAGING, _prod(certificate_arn=PROD_CERTIFICATE, web_acl_arn=STAGING_WEB_ACL))
    assert problems(deployments(system)) == [
        f"environment 'prod': entry 'shop': web_acl_arn: '{STAGING_WEB_ACL}' is in region ap-northeast-1, but it is deployed to region us-west-2",
        f"environment 'prod': entry 'shop': web_acl_arn: '{STAGING_WEB_ACL}' is in account 123456789012, but it is deployed to account 210987654321",
    ]


def test_the_existing_listener_of_another_account_is_its_line() -> None:
    foreign = f"arn:aws:elasticloadbalancing:{PROD_REGION}:999999999999:listener/app/edge/fedcba9876543210/fedcba9876543210"
    existing = ExistingLoadBalancer(listener_arn=foreign, security_group_id=PROD_EDGE_GROUP)
    system = _system(replace(STAGING, entries={}), replace(PROD, entries={"edge": EntryOverride(existing=existing)}), entry=_edge())
    assert problems(deployments(system)) == [
        f"environment 'prod': entry 'edge': existing.listener_arn: '{foreign}' is in account 999999999999, "
        "but it is deployed to account 210987654321"
    ]
    trusting = _system(
        replace(STAGING, entries={}),
        replace(PROD, trusted_accounts=("999999999999",), entries={"edge": EntryOverride(existing=existing)}),
        entry=_edge(),
    )
    assert problems(deployments(trusting)) == []


def test_the_staging_load_balancer_group_in_prod_is_its_line() -> None:
    existing = ExistingLoadBalancer(listener_arn=PROD_LISTENER, security_group_id=EDGE_GROUP)
    system = _system(replace(STAGING, entries={}), replace(PROD, entries={"edge": EntryOverride(existing=existing)}), entry=_edge())
    assert environment_problems(system) == [
        "environment 'prod': entry 'edge': existing.security_group_id: 'sg-0123456789abcdef0' is also used by environment 'staging' "
        "in region ap-northeast-1; a security group belongs to one region (give each environment its own)"
    ]


def test_a_prefix_list_admitted_in_two_regions_is_its_line() -> None:
    declared = replace(SHOP, allowed_sources=("pl-0123456789abcdef0",))
    system = _system(replace(STAGING, entries={}), _prod(certificate_arn=PROD_CERTIFICATE), entry=declared)
    assert environment_problems(system) == [
        "environment 'prod': entry 'shop': allowed_sources[0]: 'pl-0123456789abcdef0' is also used by environment 'staging' "
        "in region ap-northeast-1; a prefix list belongs to one region (give each environment its own)"
    ]
    own = _system(
        replace(STAGING, entries={}), _prod(certificate_arn=PROD_CERTIFICATE, allowed_sources=("pl-0fedcba9876543210",)), entry=declared
    )
    assert environment_problems(own) == []


def test_an_environment_without_account_may_not_name_another_environments_account() -> None:
    stagings_account_in_prods_region = f"arn:aws:acm:{PROD_REGION}:{STAGING_ACCOUNT}:certificate/9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b"
    prod = replace(_prod(certificate_arn=stagings_account_in_prods_region), account_id=None)
    assert environment_problems(_system(STAGING, prod)) == [
        f"environment 'prod': entry 'shop': listeners[0].certificate_arn: '{stagings_account_in_prods_region}' is in account "
        "123456789012, the account of environment 'staging' (set this environment's account_id)"
    ]


def test_a_system_without_environments_has_its_entry_arns_checked_too() -> None:
    us_west = Settings(
        region=PROD_REGION, account_id=PROD_ACCOUNT, network=NetworkSettings(availability_zones=("us-west-2a", "us-west-2b"))
    )
    assert validate(storefront.TOPOLOGY, us_west) == [
        f"entry 'shop': listeners[0].certificate_arn: '{storefront.CERTIFICATE}' is in region ap-northeast-1, but it is deployed to region us-west-2",
        f"entry 'shop': listeners[0].certificate_arn: '{storefront.CERTIFICATE}' is in account 123456789012, "
        "but it is deployed to account 210987654321",
    ]
    assert validate(storefront.TOPOLOGY, Settings(account_id=STAGING_ACCOUNT)) == []


# --- bad overrides: one line each ------------------------------------------------------------------

BAD: list[tuple[object, str]] = [
    ({"door": EntryOverride()}, "environment 'prod': entries: 'door' is not a declared entry (declared: shop)"),
    ({"shop": {"certificate_arn": PROD_CERTIFICATE}}, "environment 'prod': entries['shop']: must be EntryOverride(...), got dict"),
    ([EntryOverride()], "environment 'prod': entries: must be a dict of entry name -> EntryOverride(...), got list"),
    (
        {"shop": EntryOverride(hosts={"shop.exmaple.com": "shop.prod.example.com"})},
        "environment 'prod': entries['shop'].hosts: 'shop.exmaple.com' is not the host of a route of entry 'shop' "
        "(declared hosts: shop.example.com)",
    ),
    (
        {"shop": EntryOverride(hosts=("shop.example.com", "shop.prod.example.com"))},  # type: ignore[arg-type]
        "environment 'prod': entries['shop'].hosts: must be a dict of declared host -> this environment's host, got tuple",
    ),
    (
        {"shop": EntryOverride(hosts={"shop.example.com": None})},  # type: ignore[dict-item]
        "environment 'prod': entries['shop'].hosts['shop.example.com']: must be a string (this environment's host), got NoneType None",
    ),
    (
        {"shop": EntryOverride(idle_timeout_seconds="60")},  # type: ignore[arg-type]
        "environment 'prod': entries['shop'].idle_timeout_seconds: must be an integer, got the string '60'",
    ),
    (
        {"shop": EntryOverride(allowed_sources=OFFICE)},  # type: ignore[arg-type]
        "environment 'prod': entries['shop'].allowed_sources: must be a tuple of CIDRs or prefix list IDs, got the string "
        """'203.0.113.0/24' (write ("203.0.113.0/24",))""",
    ),
    (
        {"shop": EntryOverride(listeners=HTTPS, certificate_arn=PROD_CERTIFICATE)},  # type: ignore[arg-type]
        "environment 'prod': entries['shop'].listeners: must be a tuple of Listener(...), got Listener(...)",
    ),
    (
        {"shop": EntryOverride(certificate_arn=5)},  # type: ignore[arg-type]
        "environment 'prod': entries['shop'].certificate_arn: must be a string, got int 5",
    ),
    (
        {"shop": EntryOverride(web_acl_arn=True)},  # type: ignore[arg-type]
        "environment 'prod': entries['shop'].web_acl_arn: must be a string or False (none in this environment), got bool True",
    ),
    (
        {"shop": EntryOverride(existing=ExistingLoadBalancer(listener_arn=PROD_LISTENER, security_group_id=PROD_EDGE_GROUP))},
        "environment 'prod': entries['shop'].existing: entry 'shop' creates its own load balancer in every environment; existing=... "
        "here replaces only the listener of an entry declared with Entry(existing=...)",
    ),
]


@pytest.mark.parametrize(("entries", "line"), BAD, ids=[line.split(": ", 2)[1] + str(i) for i, (_, line) in enumerate(BAD)])
def test_a_bad_override_is_one_line(entries: Mapping[str, EntryOverride], line: str) -> None:
    assert environment_problems(_system(STAGING, replace(PROD, entries=entries))) == [line]


def test_a_certificate_for_an_entry_without_https_listeners_is_its_line() -> None:
    system = _system(
        replace(STAGING, entries={}), replace(PROD, entries={"edge": EntryOverride(certificate_arn=PROD_CERTIFICATE)}), entry=_edge()
    )
    assert environment_problems(system) == [
        "environment 'prod': entries['edge'].certificate_arn: entry 'edge' has no HTTPS listener (the certificate is given to each "
        "HTTPS listener; an entry on another team's listener has none)"
    ]


RESOLVED: list[tuple[EntryOverride, str]] = [
    (
        EntryOverride(certificate_arn=PROD_CERTIFICATE, idle_timeout_seconds=5000),
        "environment 'prod': entry 'shop': idle_timeout_seconds: 5000 must be between 1 and 4000",
    ),
    (
        EntryOverride(certificate_arn=PROD_CERTIFICATE, hosts={"shop.example.com": "shop prod"}),
        "environment 'prod': entry 'shop': routes[0].host: 'shop prod' must be 1-128 characters of letters, digits, '-', '.', '*' or '?'",
    ),
    (
        EntryOverride(listeners=()),
        "environment 'prod': entry 'shop': listeners: declare at least one Listener(...) (or attach to an existing one with existing=...)",
    ),
    (
        EntryOverride(certificate_arn=PROD_CERTIFICATE, listeners=(Listener(protocol="HTTPS"), Listener(protocol="HTTP"))),
        "environment 'prod': entry 'shop': listeners[1]: plain HTTP that forwards on an internet-facing entry; set redirect_to_https=True "
        "(or internet_facing=False)",
    ),
    (
        EntryOverride(certificate_arn=PROD_CERTIFICATE, access_logs_bucket=False, access_logs_prefix="prod"),
        "environment 'prod': entry 'shop': access_logs_prefix: set access_logs_bucket too (the prefix is a key prefix in that bucket)",
    ),
    (
        EntryOverride(certificate_arn=PROD_CERTIFICATE, allowed_sources=("203.0.113.0/33",)),
        "environment 'prod': entry 'shop': allowed_sources[0]: '203.0.113.0/33' is not a CIDR (like '203.0.113.0/24' or '2001:db8::/32') "
        "or a prefix list ID (like 'pl-0123456789abcdef0')",
    ),
    (
        EntryOverride(certificate_arn=f"arn:aws:acm:{PROD_REGION}:{PROD_ACCOUNT}:cert/x"),
        f"environment 'prod': entry 'shop': listeners[0].certificate_arn: 'arn:aws:acm:{PROD_REGION}:{PROD_ACCOUNT}:cert/x' is not an "
        "ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
    ),
]


@pytest.mark.parametrize(("override", "line"), RESOLVED, ids=[line.split(": ", 3)[2] for _, line in RESOLVED])
def test_the_resolved_entry_of_each_environment_is_validated_with_the_environment_named(override: EntryOverride, line: str) -> None:
    system = _system(STAGING, replace(PROD, entries={"shop": override}))
    assert environment_problems(system) == []
    assert problems(deployments(system)) == [line]


def test_two_hosts_mapped_onto_one_route_twice_is_its_line() -> None:
    entry = replace(SHOP, routes=(Route(service="web", host="shop.example.com"), Route(service="web", host="*.example.com")))
    staging = replace(STAGING, entries={"shop": EntryOverride(hosts={"*.example.com": "shop.example.com"})})
    system = _system(staging, _prod(certificate_arn=PROD_CERTIFICATE), entry=entry)
    assert problems(deployments(system)) == [
        "environment 'staging': entry 'shop': routes[1]: host 'shop.example.com' and path None already routed by routes[0]"
    ]


# --- written in a module: one line at import, never a traceback ---------------------------------------

FIXED = (
    "(an entry's name, routes and internet_facing are set once, on the Entry; hosts=... gives a route's host per environment) "
    "(shop.py, line 3)"
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "EntryOverride(routes=())",
            f"EntryOverride(routes=...): 'routes' is part of what the internet may reach, the same in every environment {FIXED}",
        ),
        (
            "EntryOverride(internet_facing=False)",
            f"EntryOverride(internet_facing=...): 'internet_facing' is part of what the internet may reach, the same in every environment {FIXED}",
        ),
        (
            "EntryOverride(name='door')",
            f"EntryOverride(name=...): 'name' is part of what the internet may reach, the same in every environment {FIXED}",
        ),
        (
            "EntryOverride(certificate='x')",
            "EntryOverride(certificate=...): no such field (one of: access_logs_bucket, access_logs_prefix, allowed_sources, "
            "certificate_arn, deletion_protection, drop_invalid_header_fields, existing, hosts, idle_timeout_seconds, listeners, "
            "web_acl_arn) (shop.py, line 3)",
        ),
    ],
)
def test_an_override_of_what_the_internet_may_reach_is_one_line_at_import(on_path: Path, given: str, expected: str) -> None:
    write_shop(on_path, f"from topology import EntryOverride\n\nX = {given}\n")
    with pytest.raises(SelectionError) as raised:
        load_system("acme.shop")
    assert str(raised.value) == f"system 'acme.shop': importing it failed: {expected}"


def test_main_prints_the_routes_line_and_exits_1_without_a_traceback(on_path: Path) -> None:
    write_shop(on_path, "from topology import EntryOverride\n\nX = EntryOverride(routes=())\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{on_path}:{ROOT}", "INTERNAL_API_SYSTEM": "acme.shop"},
        capture_output=True,
        text=True,
        cwd=on_path,
    )
    assert (done.returncode, done.stdout) == (USER_ERROR, "")
    assert done.stderr == (
        "error: system 'acme.shop': importing it failed: EntryOverride(routes=...): 'routes' is part of what the internet may reach, "
        f"the same in every environment {FIXED}\n"
    )


def test_a_topology_without_entries_takes_no_entry_overrides() -> None:
    system = System(module="m", topology=Topology(services=storefront.TOPOLOGY.services), settings=Settings(), environments=(STAGING,))
    assert environment_problems(system) == ["environment 'staging': entries: 'shop' is not a declared entry (declared: none)"]
