"""Turn ``terraform show -json`` plans into the few lines a reviewer must read.

For each stack: counts of add / change / replace / destroy; every replacement of
an ECS service or task definition; the services the change redeploys (and why);
and **blocking findings**: every change that would widen who can reach a
service, decided by the checker's reachability model (proof/verify/services.py, ingress.py, reach.py) on
the state before and the state after: a new source of connections (a new
caller, a CIDR or prefix-list range, a new member of an admitted security group
such as an instance placed in a caller's group), a public IP, a load balancer,
target group or API gateway. A new source the declaration asks for (a new call)
is listed as **declared** and does not block; only what it does not explain blocks,
and the review says what to do. A port change for an existing caller is listed as a
change (each rule once: old port -> new port), not as a finding. Every changed resource
is listed; a difference known to come from the emulator (docs/emulator.md's table of
gaps) is marked as such. The review is Markdown, fit to paste into a pull
request; ``main`` exits 1 when a blocking finding exists.

    python -m proof.plan_review build/plan/network.json build/plan/services.json -o build/plan/review.md [--emulator]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proof.verify.exposure import WIDENING_TYPES

FRONT_DOOR_TYPES = WIDENING_TYPES
"""A created load balancer, listener, listener rule (a new route), target group, ... : a new path in (proof/verify/exposure.py)."""
WATCHED_REPLACEMENTS = ("aws_ecs_service", "aws_ecs_task_definition")


@dataclass(frozen=True)
class Declared:
    """What the declaration asks for: a widening it explains is listed as *declared* and does not block.

    ``reasons`` maps ``(service, source)`` (the reachability model's names: the source is a
    caller's service name, or ``cidr:<range>``) to why it is declared. Calls fill it; other
    kinds of declared reach (entry routes) add their own pairs with ``merged``, and the review
    does not change.
    """

    reasons: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def calls(cls, topology: Any) -> Declared:
        """Every (server, caller) pair of the topology's ``calls``."""
        from topology import call_edges

        return cls({(server, caller): f"declared: {caller} calls {server}" for caller, server in call_edges(topology)})

    def merged(self, other: Declared) -> Declared:
        return Declared({**self.reasons, **other.reasons})

    def explain(self, service: str, source: str) -> str | None:
        return self.reasons.get((service, source))


NOTHING_DECLARED = Declared()

WHAT_TO_DO = (
    "What to do: each blocking line names the resource that adds the reach. If the reach is intended, declare it in the "
    "system module (a caller: add the server to the caller's `calls`) and run `make plan` again: it is then listed as "
    "declared and does not block. Otherwise remove what adds it. The review exits 1 while a blocking finding remains."
)


@dataclass
class StackReview:
    stack: str
    counts: dict[str, int] = field(default_factory=lambda: {"add": 0, "change": 0, "replace": 0, "destroy": 0})
    blocking: list[str] = field(default_factory=list)
    replacements: list[str] = field(default_factory=list)
    redeploys: list[str] = field(default_factory=list)
    reach_changes: list[str] = field(default_factory=list)
    """Same callers, other ports: a change to read, not a widening."""
    declared: list[str] = field(default_factory=list)
    """Widenings the declaration asks for (a new call): listed, not blocking."""
    changed: list[str] = field(default_factory=list)
    """Every changed resource, with its changed attributes; emulator-only differences marked."""
    emulator_only: int = 0
    imports: list[str] = field(default_factory=list)
    """Every resource the plan adopts (``import`` blocks), and what the plan then does to it."""
    forced: list[str] = field(default_factory=list)
    """Every resource replaced, with the attributes that cannot change in place (``replace_paths``)."""
    running_services: list[str] = field(default_factory=list)
    """ECS services that already run: in the prior state or being imported."""


def _kind(actions: list[str]) -> str | None:
    if "create" in actions and "delete" in actions:
        return "replace"
    return {"create": "add", "update": "change", "delete": "destroy"}.get(actions[0]) if len(actions) == 1 else None


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


class Plan:
    """One stack's plan JSON: its changes and the names of the resources they touch."""

    def __init__(self, stack: str, data: dict[str, Any]) -> None:
        self.stack = stack
        self.changes: list[dict[str, Any]] = data.get("resource_changes", [])
        # Addresses already in the state before this plan: an ECS service there is running.
        self.prior: set[str] = {r["address"] for r in self._walk(data.get("prior_state", {}).get("values", {}).get("root_module", {}))}
        self.names: dict[str, str] = {}
        for change in self.changes:
            values = change["change"].get("after") or change["change"].get("before") or {}
            name = values.get("name") or values.get("family") if isinstance(values, dict) else None
            if isinstance(name, str):
                self.names[change["address"]] = name

    @staticmethod
    def _walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from Plan._walk(child)


def _plan_address(where: str) -> str:
    """``services:aws_x.y.ingress[0]`` (the checker's) -> ``aws_x.y.ingress[0]`` (the plan's)."""
    return where.split(":", 1)[1] if ":" in where else where


def reach_findings(stack: str, data: dict[str, Any], declared: Declared = NOTHING_DECLARED) -> tuple[list[str], list[str], list[str]]:
    """(blocking, declared, changes): new sources of connections to a service, unexplained then explained by the
    declaration, and port moves of existing ones."""
    from proof.verify.config import Config
    from proof.verify.load import plan_stacks
    from proof.verify.reach import reach
    from proof.verify.services import Model

    before = reach(Model(Config(*plan_stacks(stack, data, prior=True), source="plan"), None))
    after = reach(Model(Config(*plan_stacks(stack, data), source="plan"), None))
    blocking, asked, changes = [], [], []
    for service, sources in sorted(after.items()):
        for source, ports in sorted(sources.items()):
            old = before.get(service, {}).get(source)
            if old is None:
                what = f"CIDR ingress {source.removeprefix('cidr:')}" if source.startswith("cidr:") else f"new ingress source {source}"
                lines = [f"`{_plan_address(where)}`: {what} -> {service} on {port}" for port, where in sorted(ports.items())]
                reason = declared.explain(service, source)
                if reason:
                    asked += [f"{line} ({reason})" for line in lines]
                else:
                    blocking += lines
            elif set(ports) != set(old):
                changes.append(f"{source} -> {service}: {_port_change(ports, old)}")
    return blocking, asked, changes


def _port_change(now: dict[str, str], was: dict[str, str]) -> str:
    """A rule whose port changed is one line ``tcp/80 -> tcp/8080 (`rule`)``, never both "now" and "removed"."""
    now_by_rule: dict[str, list[str]] = {}
    was_by_rule: dict[str, list[str]] = {}
    for port, where in now.items():
        now_by_rule.setdefault(_plan_address(where), []).append(port)
    for port, where in was.items():
        was_by_rule.setdefault(_plan_address(where), []).append(port)
    parts = []
    for rule in sorted(set(now_by_rule) | set(was_by_rule)):
        old, new = sorted(was_by_rule.get(rule, [])), sorted(now_by_rule.get(rule, []))
        if old == new:
            continue
        if old and new:
            parts.append(f"{', '.join(old)} -> {', '.join(new)} (`{rule}`)")
        elif new:
            parts.append(f"added {', '.join(new)} (`{rule}`)")
        else:
            parts.append(f"removed {', '.join(old)} (`{rule}`)")
    return "port change, " + "; ".join(parts)


def _system(plans: dict[str, dict[str, Any]], *, prior: bool) -> Any:
    from proof.verify.config import Config
    from proof.verify.load import plan_stacks

    stacks: dict[str, dict[str, Any]] = {}
    ids: dict[str, Any] = {}
    for stack, data in plans.items():
        found, known = plan_stacks(stack, data, prior=prior)
        stacks.update(found)
        ids.update(known)
    return Config(stacks, ids, source="plan")


def add_route_findings(reviews: list[StackReview], plans: dict[str, dict[str, Any]]) -> None:
    """Routes cross stacks (subnets and routes in one, services in the other): with every stack's plan, a route
    from a service's subnet to an internet gateway that the plan adds is a blocking finding of the stack it is in."""
    from proof.verify.exposure import check_placement
    from proof.verify.services import Model

    def routes(prior: bool) -> set[tuple[str, str, str]]:
        model = Model(_system(plans, prior=prior), None)
        return {
            (ecs.name, v.resource, v.detail)
            for ecs in model.services
            for v in check_placement(model, ecs)
            if v.rule == "private-subnets" and v.detail.endswith("to an internet gateway")
        }

    by_stack = {r.stack: r for r in reviews}
    for service, resource, detail in sorted(routes(False) - routes(True)):
        stack = resource.split(":", 1)[0]
        if stack in by_stack:
            by_stack[stack].blocking.append(f"`{_plan_address(resource)}`: {service} becomes reachable from the internet ({detail})")


def _changed_attributes(change: dict[str, Any]) -> list[str]:
    before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
    unknown = change["change"].get("after_unknown") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return sorted(k for k in set(before) | set(after) | set(unknown) if before.get(k) != after.get(k) or unknown.get(k) is True)


def _exposure_findings(plan: Plan) -> Iterator[str]:
    for change in plan.changes:
        actions = change["change"]["actions"]
        before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
        if change["type"] in FRONT_DOOR_TYPES and "create" in actions:
            yield f"`{change['address']}`: a {change['type']} is created (a new path in or a new route; only a declared entry may add one)"
        if change["type"] == "aws_ecs_service" and ("create" in actions or "update" in actions):
            name = after.get("name", change["address"])
            if _first(after.get("network_configuration")).get("assign_public_ip") and not _first(before.get("network_configuration")).get(
                "assign_public_ip"
            ):
                yield f"`{change['address']}`: {name} gets a public IP (assign_public_ip = true)"
            if after.get("load_balancer") and not before.get("load_balancer"):
                yield f"`{change['address']}`: {name} is attached to a load balancer"
        if change["type"] == "aws_subnet" and after.get("map_public_ip_on_launch") and not before.get("map_public_ip_on_launch"):
            yield f"`{change['address']}`: subnet starts giving public IPs (map_public_ip_on_launch = true)"


def _redeploy(change: dict[str, Any]) -> str | None:
    details = change["change"]
    before, after, unknown = details.get("before") or {}, details.get("after") or {}, details.get("after_unknown") or {}
    reasons = []
    if unknown.get("task_definition") or before.get("task_definition") != after.get("task_definition"):
        reasons.append("new task definition revision")
    old, new = before.get("triggers") or {}, after.get("triggers") or {}
    changed = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
    if changed or unknown.get("triggers"):
        reasons.append(f"its servers' Service Connect settings changed ({', '.join(changed) or 'triggers'})")
    return f"{after.get('name', change['address'])}: {'; '.join(reasons)}" if reasons else None


def _paths(change: dict[str, Any]) -> str:
    paths = change["change"].get("replace_paths") or []
    shown = sorted({".".join(str(part) for part in path) for path in paths if path})
    return ", ".join(f"`{path}`" for path in shown) or "an attribute the provider does not name"


def _adoption(plan: Plan, result: StackReview) -> None:
    """Imports, forced replacements, and above all: is a running ECS service replaced or destroyed?"""
    for change in plan.changes:
        actions, address = change["change"]["actions"], change["address"]
        kind = _kind(actions)
        running = change["type"] == "aws_ecs_service" and (address in plan.prior or change["change"].get("importing"))
        name = plan.names.get(address, "?")
        if running:
            result.running_services.append(name)
        if change["change"].get("importing"):
            what = {None: "no change", "change": "updated in place", "replace": "REPLACED", "destroy": "DESTROYED", "add": "created"}[kind]
            result.imports.append(f"`{address}` ({name}): imported ({change['change']['importing'].get('id', '?')}), {what}")
        if kind == "replace":
            result.forced.append(f"`{address}` ({name}): replaced because {_paths(change)} cannot change in place")
        if running and kind in ("replace", "destroy"):
            why = f" ({_paths(change)} cannot change in place)" if kind == "replace" else ""
            done = {"replace": "replaced", "destroy": "destroyed"}[kind]
            result.blocking.append(
                f"`{address}`: the running ECS service {name} would be {done}{why}: its tasks stop and its endpoint changes"
            )


def review(
    stack: str, data: dict[str, Any], *, gaps: frozenset[tuple[str, str]] = frozenset(), declared: Declared = NOTHING_DECLARED
) -> StackReview:
    """``gaps``: (type, attribute) pairs the plan's target is known to misreport (the emulator's table of gaps);
    ``declared``: what the declaration asks for (without it, every widening blocks)."""
    plan = Plan(stack, data)
    result = StackReview(stack)
    for change in plan.changes:
        kind = _kind(change["change"]["actions"])
        if kind is None:
            continue
        result.counts[kind] += 1
        attributes = _changed_attributes(change) if kind == "change" else []
        gap_only = bool(attributes) and all((change["type"], a) in gaps for a in attributes)
        result.emulator_only += gap_only
        detail = f": {', '.join(attributes)}" if attributes else ""
        result.changed.append(f"`{change['address']}` {kind}{detail}" + (" (known emulator gap, not a real change)" if gap_only else ""))
        if kind == "replace" and change["type"] in WATCHED_REPLACEMENTS:
            result.replacements.append(f"`{change['address']}` ({plan.names.get(change['address'], '?')})")
        if kind == "change" and change["type"] == "aws_ecs_service" and not gap_only:
            line = _redeploy(change)
            if line:
                result.redeploys.append(line)
    reach_blocking, result.declared, result.reach_changes = reach_findings(stack, data, declared)
    result.blocking = reach_blocking + list(_exposure_findings(plan))
    _adoption(plan, result)
    return result


def running_services_line(reviews: list[StackReview]) -> str | None:
    """The one sentence a reviewer of an adoption looks for first."""
    running = sorted({name for r in reviews for name in r.running_services})
    if not running:
        return None
    hit = [line for r in reviews for line in r.blocking if "the running ECS service" in line]
    if hit:
        return f"**BLOCKING: the plan replaces or destroys {len(hit)} running ECS service(s).**"
    return f"**No replacement or destruction of a running ECS service** ({', '.join(running)})."


def markdown(reviews: list[StackReview]) -> str:
    blocking = sum(1 for r in reviews for line in r.blocking if "the running ECS service" not in line)
    asked = sum(len(r.declared) for r in reviews)
    if blocking:
        headline = f"**BLOCKING: {blocking} change(s) widen who can reach a service, and the declaration does not explain them.**"
    elif asked:
        headline = f"**No unexplained widening: {asked} change(s) widen who can reach a service, as the declaration asks.**"
    else:
        headline = "**No change widens who can reach a service.**"
    lines = [
        f"## Plan review: {', '.join(r.stack for r in reviews)}",
        "",
        headline,
        "",
        "| stack | add | change | replace | destroy |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.stack} | {r.counts['add']} | {r.counts['change']} | {r.counts['replace']} | {r.counts['destroy']} |" for r in reviews]
    running = running_services_line(reviews)
    if running:
        lines[4:4] = [running, ""]
    gap_only = sum(r.emulator_only for r in reviews)
    if gap_only:
        lines += [
            "",
            f"{gap_only} change(s) differ only in attributes the emulator is known not to store (docs/emulator.md's table of gaps).",
        ]
    sections = [
        ("Blocking findings (approve explicitly or change the plan)", [f"{r.stack}: {line}" for r in reviews for line in r.blocking]),
        (
            "Declared widenings (the declaration asks for them; not blocking)",
            [f"{r.stack}: {line}" for r in reviews for line in r.declared],
        ),
        ("Reachability changes that do not widen it", [f"{r.stack}: {line}" for r in reviews for line in r.reach_changes]),
        ("ECS services and task definitions replaced", [f"{r.stack}: {line}" for r in reviews for line in r.replacements]),
        ("Services this change redeploys", [f"{r.stack}: {line}" for r in reviews for line in r.redeploys]),
        ("Every changed resource", [f"{r.stack}: {line}" for r in reviews for line in r.changed]),
    ]
    if any(r.imports for r in reviews):
        sections.insert(1, ("Adopted (imported) resources", [f"{r.stack}: {line}" for r in reviews for line in r.imports]))
    if any(r.forced for r in reviews):
        sections.insert(2, ("Every replacement, and what forces it", [f"{r.stack}: {line}" for r in reviews for line in r.forced]))
    for title, items in sections:
        lines += ["", f"### {title}", ""]
        lines += [f"- {item}" for item in items] or ["- none"]
        if title.startswith("Blocking") and items:
            lines += ["", WHAT_TO_DO]
    return "\n".join(lines) + "\n"


def _emulator_gaps() -> frozenset[tuple[str, str]]:
    from .known_gaps import KNOWN_GAPS

    return KNOWN_GAPS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plans", nargs="+", type=Path, help="terraform show -json output, one per stack (<stack>.json)")
    parser.add_argument("-o", "--output", type=Path, help="write the Markdown here as well as to stdout")
    parser.add_argument("--emulator", action="store_true", help="the plans are against the local emulator: mark its known gaps")
    parser.add_argument("--system", help="the system module whose declaration explains widenings (without it, every widening blocks)")
    parser.add_argument("--env", help="its environment")
    args = parser.parse_args(argv)
    gaps = _emulator_gaps() if args.emulator else frozenset()
    declared = NOTHING_DECLARED
    if args.system:
        from topology.selection import select

        declared = Declared.calls(select(args.system, args.env).one().topology)
    plans = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in args.plans}
    reviews = [review(stack, data, gaps=gaps, declared=declared) for stack, data in plans.items()]
    add_route_findings(reviews, plans)
    text = markdown(reviews)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 1 if any(r.blocking for r in reviews) else 0


if __name__ == "__main__":
    raise SystemExit(main())
