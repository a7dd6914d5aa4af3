"""Listener identity (issue 33, item 4): a rule is proven only on a listener that is provably the entry's declared
forwarding listener, known by what it attaches to (load balancer, port, protocol, or the declared ARN), whether
the listener is a resource or a data lookup.

The storefront's entry ``shop`` listens on HTTPS 443 (forwarding) and HTTP 80 (redirect only); its one rule
routes ``shop.example.com`` to ``web`` on the 443 listener.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from proof.verify import Config, declared_callers, verify
from topology import Settings
from topology.entry_rules import rule_priorities

from ..conftest import EXAMPLES, Synthesizer
from ..tfjson import Synth

Stacks = dict[str, dict[str, Any]]
(PRIORITY,) = rule_priorities(EXAMPLES["storefront"].entries[0]).values()


@pytest.fixture(scope="module")
def storefront(synthesize: Synthesizer) -> Synth:
    return synthesize(EXAMPLES["storefront"], Settings())


def _stacks(synth: Synth) -> Stacks:
    return {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}


def _named(s: Stacks, rtype: str, path: str) -> str:
    (name,) = [str(n) for n, b in s["services"]["resource"][rtype].items() if b["//"]["metadata"]["path"] == f"services/{path}"]
    return name


def _rule(s: Stacks) -> tuple[str, dict[str, Any]]:
    name = _named(s, "aws_lb_listener_rule", f"entry_shop/rule_0_p{PRIORITY}")
    return f"services:aws_lb_listener_rule.{name}", s["services"]["resource"]["aws_lb_listener_rule"][name]


def _listener(s: Stacks, port: int) -> str:
    return f"${{aws_lb_listener.{_named(s, 'aws_lb_listener', f'entry_shop/listener_{port}')}.arn}}"


def _lookup(s: Stacks, body: dict[str, Any]) -> str:
    s["services"].setdefault("data", {}).setdefault("aws_lb_listener", {})["shop"] = body
    return "${data.aws_lb_listener.shop.arn}"


def _balancer(s: Stacks) -> str:
    return f"${{aws_lb.{_named(s, 'aws_lb', 'entry_shop/lb')}.arn}}"


def _findings(s: Stacks) -> set[tuple[str, str, str, str]]:
    return {(v.subject, v.resource, v.kind, v.detail) for v in verify(Config(s), declared_callers("storefront"))}


def test_the_rule_on_the_declared_https_listener_passes(storefront: Synth) -> None:
    assert _findings(_stacks(storefront)) == set()


def test_the_same_rule_on_the_redirect_listener_fails(storefront: Synth) -> None:
    s = _stacks(storefront)
    where, rule = _rule(s)
    rule["listener_arn"] = _listener(s, 80)
    findings = _findings(s)
    assert (
        "web",
        where,
        "front-door-declared",
        "it forwards on listener HTTP 80, which entry 'shop' declares a redirect",
    ) in findings, findings


def test_a_listener_of_an_undeclared_port_fails(storefront: Synth) -> None:
    s = _stacks(storefront)
    where, rule = _rule(s)
    listeners = s["services"]["resource"]["aws_lb_listener"]
    listeners["extra"] = {**listeners[_named(s, "aws_lb_listener", "entry_shop/listener_443")], "port": 8443}
    rule["listener_arn"] = "${aws_lb_listener.extra.arn}"
    assert ("web", where, "front-door-declared", "it forwards on listener HTTPS 8443, which entry 'shop' does not declare") in _findings(s)


@pytest.mark.parametrize(("port", "passes"), [(443, True), ("443", True), (80, False)])
def test_a_listener_looked_up_by_its_balancer_and_port_is_that_listener(storefront: Synth, port: Any, passes: bool) -> None:
    s = _stacks(storefront)
    where, rule = _rule(s)
    rule["listener_arn"] = _lookup(s, {"load_balancer_arn": _balancer(s), "port": port})
    findings = _findings(s)
    if passes:
        assert findings == set()
    else:
        assert findings == {
            (
                "web",
                where,
                "front-door-declared",
                "it forwards on the listener on port 80 (services:data.aws_lb_listener.shop), which entry 'shop' declares a redirect",
            )
        }


@pytest.mark.parametrize(
    "lookup",
    [
        {"arn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/other/0123456789abcdef/0123456789abcdef"},
        {"load_balancer_arn": "${var.balancer}", "port": 443},
        {"load_balancer_arn": "BALANCER"},
    ],
    ids=["another-listener-by-arn", "a-computed-balancer", "no-port"],
)
def test_a_lookup_that_cannot_be_told_apart_fails(storefront: Synth, lookup: dict[str, Any]) -> None:
    s = _stacks(storefront)
    where, rule = _rule(s)
    rule["listener_arn"] = _lookup(s, {k: _balancer(s) if v == "BALANCER" else v for k, v in lookup.items()})
    assert ("web", where, "front-door-declared", "a listener rule that no declared entry has forwards to its target group") in _findings(s)


def test_a_fixed_response_rule_on_the_redirect_listener_passes(storefront: Synth) -> None:
    s = _stacks(storefront)
    _, rule = _rule(s)
    rule["listener_arn"] = _listener(s, 80)
    rule["action"] = [{"type": "fixed-response", "fixed_response": {"content_type": "text/plain", "status_code": "503"}}]
    assert _findings(s) == set()
