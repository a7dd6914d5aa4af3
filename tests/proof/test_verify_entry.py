"""The front door's proof: the storefront's entry reaches only ``web`` on 8080, and each way to break that is one exact line.

Each mutation edits a copy of the storefront's synthesized JSON the way a hand edit of the
generated Terraform would, and asserts the line that names the service, the resource and the reason.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from proof.verify import Config, declared_callers, verify
from proof.verify.reach import reach
from proof.verify.services import Model
from topology import Settings
from topology.entry_rules import rule_priorities

from ..conftest import EXAMPLES, Synthesizer
from ..tfjson import Synth

Stacks = dict[str, dict[str, Any]]
ALL = {"web", "orders", "catalog", "payments"}


@pytest.fixture(scope="module")
def storefront(synthesize: Synthesizer) -> Synth:
    return synthesize(EXAMPLES["storefront"], Settings())


def _stacks(synth: Synth) -> Stacks:
    return {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}


def _name(s: Stacks, rtype: str, path: str) -> str:
    (name,) = [str(n) for n, b in s["services"]["resource"][rtype].items() if b["//"]["metadata"]["path"] == f"services/{path}"]
    return name


def _at(s: Stacks, rtype: str, path: str) -> str:
    return f"services:{rtype}.{_name(s, rtype, path)}"


def _body(s: Stacks, rtype: str, path: str) -> dict[str, Any]:
    body: dict[str, Any] = s["services"]["resource"][rtype][_name(s, rtype, path)]
    return body


def _ref(s: Stacks, rtype: str, path: str, attr: str) -> str:
    return f"${{{rtype}.{_name(s, rtype, path)}.{attr}}}"


def _add(s: Stacks, rtype: str, name: str, body: dict[str, Any]) -> None:
    s["services"]["resource"].setdefault(rtype, {})[name] = body


def _lines(s: Stacks) -> list[str]:
    return [str(v) for v in verify(Config(s), declared_callers("storefront"))]


TG = "entry_shop/tg_web_web"
TG_NAME = "internal-api-shop-web-web-" + hashlib.sha256(b"8080|HTTP|HTTP1|ip|cidr 10.0.0.0/16").hexdigest()[:6]
"""The name plus a hash of what replaces a target group: port, protocol, protocol version, target type, VPC."""
(RULE_PRIORITY,) = rule_priorities(EXAMPLES["storefront"].entries[0]).values()
LB_SG = "entry_shop/group"


def test_the_storefront_is_proven(storefront: Synth) -> None:
    assert _lines(_stacks(storefront)) == []


def strip(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "//"}


def test_the_entry_resources_are_exactly_these(storefront: Synth) -> None:
    s = _stacks(storefront)
    assert strip(_body(s, "aws_lb", "entry_shop/lb")) == {
        "access_logs": {"bucket": "acme-storefront-alb-logs", "enabled": True, "prefix": "shop"},
        "drop_invalid_header_fields": True,
        "enable_deletion_protection": True,
        "idle_timeout": 60,
        "internal": False,
        "load_balancer_type": "application",
        "name": "shop-internal-api",
        "security_groups": [_ref(s, "aws_security_group", LB_SG, "id")],
        "subnets": [
            "${data.terraform_remote_state.cross-stack-reference-input-network.outputs.cross-stack-output-aws_subnetpublic_0id}",
            "${data.terraform_remote_state.cross-stack-reference-input-network.outputs.cross-stack-output-aws_subnetpublic_1id}",
        ],
        "tags": {"Entry": "shop", "Name": "shop-internal-api"},
    }
    assert strip(_body(s, "aws_lb_listener", "entry_shop/listener_443")) == {
        "certificate_arn": "arn:aws:acm:ap-northeast-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
        "default_action": [
            {"fixed_response": {"content_type": "text/plain", "message_body": "Not Found", "status_code": "404"}, "type": "fixed-response"}
        ],
        "load_balancer_arn": _ref(s, "aws_lb", "entry_shop/lb", "arn"),
        "port": 443,
        "protocol": "HTTPS",
        "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "tags": {"Entry": "shop"},
    }
    assert strip(_body(s, "aws_lb_listener", "entry_shop/listener_80")) == {
        "default_action": [{"redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}, "type": "redirect"}],
        "load_balancer_arn": _ref(s, "aws_lb", "entry_shop/lb", "arn"),
        "port": 80,
        "protocol": "HTTP",
        "tags": {"Entry": "shop"},
    }
    # An exact host and no path: band 130 of the exact-host ranks, 10 slots each, from priority 1.
    priority = RULE_PRIORITY
    assert 1 + 1300 <= priority < 1 + 1310
    assert strip(_body(s, "aws_lb_listener_rule", f"entry_shop/rule_0_p{priority}")) == {
        "action": [{"target_group_arn": _ref(s, "aws_lb_target_group", TG, "arn"), "type": "forward"}],
        "condition": [{"host_header": {"values": ["shop.example.com"]}}],
        "listener_arn": _ref(s, "aws_lb_listener", "entry_shop/listener_443", "arn"),
        "priority": priority,
        "tags": {"Entry": "shop", "Service": "web"},
    }
    assert strip(_body(s, "aws_lb_target_group", TG)) == {
        "deregistration_delay": "30",
        "health_check": {"enabled": True, "matcher": "200-399", "path": "/", "port": "traffic-port", "protocol": "HTTP"},
        "lifecycle": {"create_before_destroy": True},
        "name": TG_NAME,
        "port": 8080,
        "protocol": "HTTP",
        "protocol_version": "HTTP1",
        "tags": {"Entry": "shop", "Name": TG_NAME, "Service": "web"},
        "target_type": "ip",
        "vpc_id": "${data.terraform_remote_state.cross-stack-reference-input-network.outputs.cross-stack-output-aws_vpcvpcid}",
    }


def test_the_groups_admit_only_what_is_declared(storefront: Synth) -> None:
    s = _stacks(storefront)
    rules = s["services"]["resource"]["aws_vpc_security_group_ingress_rule"]
    lb_group = _ref(s, "aws_security_group", LB_SG, "id")
    into_lb = sorted(
        (b["from_port"], b.get("cidr_ipv4") or b.get("cidr_ipv6")) for b in rules.values() if b["security_group_id"] == lb_group
    )
    assert into_lb == [(80, "0.0.0.0/0"), (80, "::/0"), (443, "0.0.0.0/0"), (443, "::/0")]
    from_lb = sorted(
        (b["security_group_id"], b["from_port"], b["to_port"]) for b in rules.values() if b.get("referenced_security_group_id") == lb_group
    )
    assert from_lb == [(_ref(s, "aws_security_group", "web_sg/group", "id"), 8080, 8080)]
    egress = s["services"]["resource"]["aws_vpc_security_group_egress_rule"]
    out_of_lb = [(b["referenced_security_group_id"], b["from_port"]) for b in egress.values() if b["security_group_id"] == lb_group]
    assert out_of_lb == [(_ref(s, "aws_security_group", "web_sg/group", "id"), 8080)]


def test_the_edge_service_waits_for_its_front_door(storefront: Synth) -> None:
    s = _stacks(storefront)
    web = _body(s, "aws_ecs_service", "web/service")
    assert web["load_balancer"] == [
        {"container_name": "web", "container_port": 8080, "target_group_arn": _ref(s, "aws_lb_target_group", TG, "arn")}
    ]
    assert web["health_check_grace_period_seconds"] == 60
    assert {
        f"aws_lb_target_group.{_name(s, 'aws_lb_target_group', TG)}",
        f"aws_lb_listener.{_name(s, 'aws_lb_listener', 'entry_shop/listener_443')}",
        f"aws_lb_listener.{_name(s, 'aws_lb_listener', 'entry_shop/listener_80')}",
        f"aws_lb_listener_rule.{_name(s, 'aws_lb_listener_rule', f'entry_shop/rule_0_p{RULE_PRIORITY}')}",
    } <= set(web["depends_on"])
    for other in ("orders", "catalog", "payments"):
        assert "load_balancer" not in _body(s, "aws_ecs_service", f"{other}/service")


# -- mutations: each class of the proof, its exact line --------------------------------------------------------------


def undeclared_listener(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_lb_listener",
        "extra",
        {
            "load_balancer_arn": _ref(s, "aws_lb", "entry_shop/lb", "arn"),
            "port": 8443,
            "protocol": "HTTPS",
            "default_action": [{"type": "fixed-response", "fixed_response": {"content_type": "text/plain", "status_code": "404"}}],
        },
    )
    return "service 'web': services:aws_lb_listener.extra: front-door-declared: listener HTTPS 8443 is not declared by entry 'shop'", {
        "web"
    }


def undeclared_rule(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_lb_listener_rule",
        "admin",
        {
            "listener_arn": _ref(s, "aws_lb_listener", "entry_shop/listener_443", "arn"),
            "priority": 9,
            "action": [{"type": "forward", "target_group_arn": _ref(s, "aws_lb_target_group", TG, "arn")}],
            "condition": [{"host_header": {"values": ["admin.example.com"]}}],
        },
    )
    tg = _at(s, "aws_lb_target_group", TG)
    return (
        f"service 'web': services:aws_lb_listener_rule.admin: front-door-declared: routes host ['admin.example.com'] path any to {tg}, which entry 'shop' does not declare",
        {"web"},
    )


def rule_on_undeclared_listener(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_lb_listener_rule",
        "side",
        {
            "listener_arn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/other/0123456789abcdef/0123456789abcdef",
            "priority": 1,
            "action": [{"type": "forward", "target_group_arn": _ref(s, "aws_lb_target_group", TG, "arn")}],
            "condition": [{"path_pattern": {"values": ["/*"]}}],
        },
    )
    return (
        "service 'web': services:aws_lb_listener_rule.side: front-door-declared: a listener rule that no declared entry has forwards to its target group",
        {"web"},
    )


def undeclared_target_group(s: Stacks) -> tuple[str, set[str]]:
    _add(s, "aws_lb_target_group", "extra", {"target_type": "ip", "port": 8080, "protocol": "HTTP", "vpc_id": "vpc-1"})
    return "service 'orders': services:aws_lb_target_group.extra: no-load-balancer: an IP target group could register its tasks", ALL


def target_group_of_another_service(s: Stacks) -> tuple[str, set[str]]:
    orders = _body(s, "aws_ecs_service", "orders/service")
    orders["load_balancer"] = [
        {"target_group_arn": _ref(s, "aws_lb_target_group", TG, "arn"), "container_name": "orders", "container_port": 8080}
    ]
    return f"service 'orders': {_at(s, 'aws_ecs_service', 'orders/service')}: no-load-balancer: has a load_balancer block", {"orders"}


def edge_block_on_another_port(s: Stacks) -> tuple[str, set[str]]:
    _body(s, "aws_ecs_service", "web/service")["load_balancer"][0]["container_port"] = 9090
    tg = _at(s, "aws_lb_target_group", TG)
    return (
        f"service 'web': {_at(s, 'aws_ecs_service', 'web/service')}: front-door-declared: load_balancer block: {tg} port 9090 is not a declared entry's route to it",
        {"web"},
    )


def wider_source(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_vpc_security_group_ingress_rule",
        "office",
        {
            "security_group_id": _ref(s, "aws_security_group", LB_SG, "id"),
            "cidr_ipv4": "10.0.0.0/8",
            "ip_protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
        },
    )
    return (
        "service 'web': services:aws_vpc_security_group_ingress_rule.office: front-door-declared: the load balancer's group admits 10.0.0.0/8; entry 'shop' declares 0.0.0.0/0, ::/0",
        {"web"},
    )


def extra_port_on_balancer(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_vpc_security_group_ingress_rule",
        "ssh",
        {
            "security_group_id": _ref(s, "aws_security_group", LB_SG, "id"),
            "cidr_ipv4": "0.0.0.0/0",
            "ip_protocol": "tcp",
            "from_port": 22,
            "to_port": 22,
        },
    )
    return (
        "service 'web': services:aws_vpc_security_group_ingress_rule.ssh: front-door-declared: the load balancer's group opens tcp 22-22; entry 'shop' listens on tcp [80, 443]",
        {"web"},
    )


def plain_http_forwarding(s: Stacks) -> tuple[str, set[str]]:
    listener = _body(s, "aws_lb_listener", "entry_shop/listener_80")
    listener["default_action"] = [{"type": "forward", "target_group_arn": _ref(s, "aws_lb_target_group", TG, "arn")}]
    where = _at(s, "aws_lb_listener", "entry_shop/listener_80")
    return f"service 'web': {where}: front-door-declared: a plain-HTTP listener forwards on an internet-facing entry", {"web"}


def rule_on_the_redirect_listener(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_lb_listener_rule",
        "plain",
        {
            "listener_arn": _ref(s, "aws_lb_listener", "entry_shop/listener_80", "arn"),
            "priority": 1,
            "action": [{"type": "forward", "target_group_arn": _ref(s, "aws_lb_target_group", TG, "arn")}],
            "condition": [{"host_header": {"values": ["shop.example.com"]}}],
        },
    )
    return (
        "service 'web': services:aws_lb_listener_rule.plain: front-door-declared: a plain-HTTP listener forwards on an internet-facing entry",
        {"web"},
    )


def balancer_made_internal(s: Stacks) -> tuple[str, set[str]]:
    _body(s, "aws_lb", "entry_shop/lb")["internal"] = True
    where = _at(s, "aws_lb", "entry_shop/lb")
    return f"service 'web': {where}: front-door-declared: entry 'shop' is declared internet-facing, but this load balancer is not", {"web"}


def edge_admits_a_cidr(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_vpc_security_group_ingress_rule",
        "direct",
        {
            "security_group_id": _ref(s, "aws_security_group", "web_sg/group", "id"),
            "cidr_ipv4": "0.0.0.0/0",
            "ip_protocol": "tcp",
            "from_port": 8080,
            "to_port": 8080,
        },
    )
    return (
        "service 'web': services:aws_vpc_security_group_ingress_rule.direct: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)",
        {"web"},
    )


def balancer_admitted_by_internal_service(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_vpc_security_group_ingress_rule",
        "lb_to_orders",
        {
            "security_group_id": _ref(s, "aws_security_group", "orders_sg/group", "id"),
            "referenced_security_group_id": _ref(s, "aws_security_group", LB_SG, "id"),
            "ip_protocol": "tcp",
            "from_port": 8080,
            "to_port": 8080,
        },
    )
    lb, group = _at(s, "aws_lb", "entry_shop/lb"), _at(s, "aws_security_group", LB_SG)
    return (
        f"service 'orders': services:aws_vpc_security_group_ingress_rule.lb_to_orders: ingress-callers-only: ingress from {group}, which is not "
        f"the security group of a declared caller ({lb}: the load balancer of entry 'shop', which does not route to it)",
        {"orders"},
    )


def edge_opens_another_port_to_the_balancer(s: Stacks) -> tuple[str, set[str]]:
    rule = _body(s, "aws_vpc_security_group_ingress_rule", "web_sg/from_entry_shop_web")
    rule["from_port"] = rule["to_port"] = 8081
    where = _at(s, "aws_vpc_security_group_ingress_rule", "web_sg/from_entry_shop_web")
    return f"service 'web': {where}: ingress-callers-only: opens tcp 8081-8081; only tcp on [8080] (the ports its entries route to)", {
        "web"
    }


def attachment_by_address(s: Stacks) -> tuple[str, set[str]]:
    _add(
        s,
        "aws_lb_target_group_attachment",
        "pinned",
        {"target_group_arn": _ref(s, "aws_lb_target_group", TG, "arn"), "target_id": "10.0.8.5"},
    )
    return (
        "service 'payments': services:aws_lb_target_group_attachment.pinned: no-load-balancer: cannot prove: it registers 10.0.8.5 by address, which may be one of its tasks",
        ALL,
    )


MUTATIONS: list[Callable[[Stacks], tuple[str, set[str]]]] = [
    undeclared_listener,
    undeclared_rule,
    rule_on_undeclared_listener,
    undeclared_target_group,
    target_group_of_another_service,
    edge_block_on_another_port,
    wider_source,
    extra_port_on_balancer,
    plain_http_forwarding,
    rule_on_the_redirect_listener,
    balancer_made_internal,
    edge_admits_a_cidr,
    balancer_admitted_by_internal_service,
    edge_opens_another_port_to_the_balancer,
    attachment_by_address,
]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_each_break_of_the_front_door_is_one_line(mutate: Callable[[Stacks], tuple[str, set[str]]], storefront: Synth) -> None:
    s = _stacks(storefront)
    expected, named = mutate(s)
    lines = _lines(s)
    assert expected in lines, "\n".join(lines)
    assert {line.split("'")[1] for line in lines} == named


def test_without_the_declaration_the_front_door_is_not_proven(storefront: Synth) -> None:
    lines = [str(v) for v in verify(Config(_stacks(storefront)))]
    web = f"service 'web': {_at(_stacks(storefront), 'aws_ecs_service', 'web/service')}: no-load-balancer: has a load_balancer block"
    assert web in lines


def test_a_wider_source_widens_the_edge_services_reach(storefront: Synth) -> None:
    """What the plan review compares: who can open a connection to each service, through the load balancer too."""
    before = reach(Model(Config(_stacks(storefront)), None))
    s = _stacks(storefront)
    wider_source(s)
    after = reach(Model(Config(s), None))
    lb = f"aws_lb.{_name(s, 'aws_lb', 'entry_shop/lb')}"
    added = {source for source in after["web"] if source not in before["web"]}
    assert added == {f"{lb} from 10.0.0.0/8 on tcp/443"}
    assert f"{lb} from 0.0.0.0/0 on tcp/443" in before["web"]
    assert after["orders"] == before["orders"]


def test_every_front_door_type_is_in_the_one_registry_of_modelled_types() -> None:
    """The front-door checks and default-deny over types name the same types: none falls between them."""
    from proof.verify.exposure import FRONT_DOOR_TYPES
    from proof.verify.modelled import MODELLED

    assert set(FRONT_DOOR_TYPES) <= set(MODELLED)


# -- harmless everyday edits, each with its harmful twin ---------------------------------------------------------


def test_a_listener_port_written_as_a_string_is_the_same_port(storefront: Synth) -> None:
    s = _stacks(storefront)
    _body(s, "aws_lb_listener", "entry_shop/listener_443")["port"] = "443"  # Terraform converts it to 443
    assert _lines(s) == []
    _body(s, "aws_lb_listener", "entry_shop/listener_443")["port"] = "8443"
    assert any("listener HTTPS 8443 is not declared by entry 'shop'" in line for line in _lines(s))


def _authenticate_first(s: Stacks, target: str) -> None:
    rule = _body(s, "aws_lb_listener_rule", f"entry_shop/rule_0_p{RULE_PRIORITY}")
    forward = [action for action in rule["action"] if action.get("type") == "forward"]
    assert forward  # the rule forwards, or this test proves nothing
    oidc = {
        "type": "authenticate-oidc",
        "order": 1,
        "authenticate_oidc": {
            "authorization_endpoint": "https://idp.example.com/auth",
            "client_id": "shop",
            "issuer": "https://idp.example.com",
        },
    }
    rule["action"] = [oidc, {**forward[0], "order": 2, "target_group_arn": target}]


def test_an_authenticate_oidc_action_before_the_forward_only_narrows(storefront: Synth) -> None:
    s = _stacks(storefront)
    _authenticate_first(s, _ref(s, "aws_lb_target_group", TG, "arn"))
    assert _lines(s) == []
    _add(s, "aws_lb_target_group", "other", {"port": 8080, "protocol": "HTTP", "target_type": "ip", "vpc_id": "${aws_vpc.x.id}"})
    _authenticate_first(s, "${aws_lb_target_group.other.arn}")
    assert any("aws_lb_listener_rule" in line and "front-door-declared" in line for line in _lines(s))
