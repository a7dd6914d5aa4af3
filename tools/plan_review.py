"""Turn ``terraform show -json`` plans into the few lines a reviewer must read.

For each stack: counts of add / change / replace / destroy; every replacement of
an ECS service or task definition; the services the change redeploys (and why);
and **blocking findings**: every change that would widen who can reach a
service: a new (source, port) ingress pair, a CIDR or prefix-list source, a
public IP, a load balancer, target group or API gateway. The review is Markdown,
fit to paste into a pull request; ``main`` exits 1 when a blocking finding exists.

    python -m tools.plan_review build/plan/network.json build/plan/services.json -o build/plan/review.md
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INGRESS_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule")
FRONT_DOOR_TYPES = (
    "aws_lb",
    "aws_alb",
    "aws_lb_listener",
    "aws_alb_listener",
    "aws_lb_target_group",
    "aws_alb_target_group",
    "aws_lb_target_group_attachment",
    "aws_api_gateway_rest_api",
    "aws_api_gateway_vpc_link",
    "aws_apigatewayv2_api",
    "aws_apigatewayv2_vpc_link",
)
WATCHED_REPLACEMENTS = ("aws_ecs_service", "aws_ecs_task_definition")


@dataclass
class StackReview:
    stack: str
    counts: dict[str, int] = field(default_factory=lambda: {"add": 0, "change": 0, "replace": 0, "destroy": 0})
    blocking: list[str] = field(default_factory=list)
    replacements: list[str] = field(default_factory=list)
    redeploys: list[str] = field(default_factory=list)
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
    """One stack's plan JSON with lookups from IDs and references back to resource addresses."""

    def __init__(self, stack: str, data: dict[str, Any]) -> None:
        self.stack = stack
        self.changes: list[dict[str, Any]] = data.get("resource_changes", [])
        self.prior = {
            r["address"]: r.get("values", {}) for r in self._walk(data.get("prior_state", {}).get("values", {}).get("root_module", {}))
        }
        self.config = {
            r["address"]: r.get("expressions", {}) for r in data.get("configuration", {}).get("root_module", {}).get("resources", [])
        }
        self.by_id: dict[str, str] = {
            str(values["id"]): address for address, values in self.prior.items() if isinstance(values.get("id"), str)
        }
        self.names: dict[str, str] = {}
        for change in self.changes:
            values = change["change"].get("after") or change["change"].get("before") or {}
            name = values.get("name") or values.get("family") if isinstance(values, dict) else None
            if isinstance(name, str):
                self.names[change["address"]] = name
        self.group_owner = self._group_owners()

    @staticmethod
    def _walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from Plan._walk(child)

    def _group_owners(self) -> dict[str, str]:
        """Security group address -> name of the ECS service whose tasks use it."""
        owners: dict[str, str] = {}
        for address, expressions in self.config.items():
            if not address.startswith("aws_ecs_service."):
                continue
            network = _first(expressions.get("network_configuration"))
            for reference in network.get("security_groups", {}).get("references", []):
                if reference.startswith("aws_security_group.") and reference.count(".") == 1:
                    owners[reference] = self.names.get(address, address)
        return owners

    def group_address(self, value: Any, address: str, attribute: str, *, before: bool) -> str | None:
        """The security group an ingress attribute points at: by its ID, or (unknown yet) by its reference."""
        if isinstance(value, str) and value in self.by_id:
            return self.by_id[value]
        if before:
            return None
        references = self.config.get(address, {}).get(attribute, {}).get("references", [])
        groups = [str(r) for r in references if r.startswith("aws_security_group.") and r.count(".") == 1]
        return groups[0] if groups else None

    def label(self, group: str | None) -> str:
        if group is None:
            return "an unknown security group"
        return self.group_owner.get(group) or self.names.get(group) or group


def _ingress_pairs(plan: Plan, address: str, rtype: str, values: dict[str, Any], *, before: bool) -> Iterator[tuple[str, str, str]]:
    """(target, source, port) for one ingress rule's values; CIDR sources are prefixed with ``cidr:``."""
    if rtype == "aws_security_group_rule" and values.get("type") != "ingress":
        return
    target = plan.group_address(values.get("security_group_id"), address, "security_group_id", before=before)
    protocol = str(values.get("ip_protocol", values.get("protocol", "?")))
    port = f"{protocol}/{values.get('from_port')}" + (
        "" if values.get("from_port") == values.get("to_port") else f"-{values.get('to_port')}"
    )
    source_attribute = "referenced_security_group_id" if rtype == "aws_vpc_security_group_ingress_rule" else "source_security_group_id"
    for cidr_field in ("cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_id", "prefix_list_ids"):
        raw = values.get(cidr_field)
        for cidr in raw if isinstance(raw, list) else [raw] if raw else []:
            yield (plan.label(target), f"cidr:{cidr}", port)
    if values.get(source_attribute) is not None or (not before and source_attribute in plan.config.get(address, {})):
        yield (
            plan.label(target),
            plan.label(plan.group_address(values.get(source_attribute), address, source_attribute, before=before)),
            port,
        )
    if values.get("self"):
        yield (plan.label(target), "itself", port)


def _reach_findings(plan: Plan) -> list[str]:
    before_pairs = {
        pair
        for address, values in plan.prior.items()
        for rtype in INGRESS_TYPES
        if address.startswith(f"{rtype}.")
        for pair in _ingress_pairs(plan, address, rtype, values, before=True)
    }
    findings = []
    for change in plan.changes:
        actions, after = change["change"]["actions"], change["change"].get("after")
        if change["type"] in INGRESS_TYPES and ("create" in actions or "update" in actions) and isinstance(after, dict):
            for target, source, port in _ingress_pairs(plan, change["address"], change["type"], after, before=False):
                if (target, source, port) in before_pairs:
                    continue
                what = f"CIDR ingress {source.removeprefix('cidr:')}" if source.startswith("cidr:") else f"new ingress source {source}"
                findings.append(f"`{change['address']}`: {what} -> {target} on {port}")
    return findings


def _exposure_findings(plan: Plan) -> Iterator[str]:
    for change in plan.changes:
        actions = change["change"]["actions"]
        before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
        if change["type"] in FRONT_DOOR_TYPES and "create" in actions:
            yield f"`{change['address']}`: a {change['type']} is created (nothing may front an internal service)"
        if change["type"] == "aws_ecs_service" and ("create" in actions or "update" in actions):
            name = after.get("name", change["address"])
            if _first(after.get("network_configuration")).get("assign_public_ip") and not _first(before.get("network_configuration")).get(
                "assign_public_ip"
            ):
                yield f"`{change['address']}`: {name} gets a public IP (assign_public_ip = true)"
            if after.get("load_balancer") and not before.get("load_balancer"):
                yield f"`{change['address']}`: {name} is attached to a load balancer"
        if change["type"] == "aws_security_group" and ("create" in actions or "update" in actions):
            for rule in after.get("ingress") or []:
                for cidr in (rule.get("cidr_blocks") or []) + (rule.get("ipv6_cidr_blocks") or []):
                    yield f"`{change['address']}`: inline CIDR ingress {cidr} on {rule.get('protocol')}/{rule.get('from_port')}"
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


def review(stack: str, data: dict[str, Any]) -> StackReview:
    plan = Plan(stack, data)
    result = StackReview(stack)
    for change in plan.changes:
        kind = _kind(change["change"]["actions"])
        if kind is None:
            continue
        result.counts[kind] += 1
        if kind == "replace" and change["type"] in WATCHED_REPLACEMENTS:
            result.replacements.append(f"`{change['address']}` ({plan.names.get(change['address'], '?')})")
        if kind == "change" and change["type"] == "aws_ecs_service":
            line = _redeploy(change)
            if line:
                result.redeploys.append(line)
    result.blocking = _reach_findings(plan) + list(_exposure_findings(plan))
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
    lines = [
        f"## Plan review: {', '.join(r.stack for r in reviews)}",
        "",
        f"**{'BLOCKING: ' + str(blocking) + ' change(s) widen who can reach a service' if blocking else 'No change widens who can reach a service.'}**",
        "",
        "| stack | add | change | replace | destroy |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.stack} | {r.counts['add']} | {r.counts['change']} | {r.counts['replace']} | {r.counts['destroy']} |" for r in reviews]
    running = running_services_line(reviews)
    if running:
        lines[4:4] = [running, ""]
    sections = [
        ("Blocking findings (approve explicitly or change the plan)", [f"{r.stack}: {line}" for r in reviews for line in r.blocking]),
        ("ECS services and task definitions replaced", [f"{r.stack}: {line}" for r in reviews for line in r.replacements]),
        ("Services this change redeploys", [f"{r.stack}: {line}" for r in reviews for line in r.redeploys]),
    ]
    if any(r.imports for r in reviews):
        sections.insert(1, ("Adopted (imported) resources", [f"{r.stack}: {line}" for r in reviews for line in r.imports]))
    if any(r.forced for r in reviews):
        sections.insert(2, ("Every replacement, and what forces it", [f"{r.stack}: {line}" for r in reviews for line in r.forced]))
    for title, items in sections:
        lines += ["", f"### {title}", ""]
        lines += [f"- {item}" for item in items] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plans", nargs="+", type=Path, help="terraform show -json output, one per stack (<stack>.json)")
    parser.add_argument("-o", "--output", type=Path, help="write the Markdown here as well as to stdout")
    args = parser.parse_args(argv)
    reviews = [review(path.stem, json.loads(path.read_text(encoding="utf-8"))) for path in args.plans]
    text = markdown(reviews)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 1 if any(r.blocking for r in reviews) else 0


if __name__ == "__main__":
    raise SystemExit(main())
