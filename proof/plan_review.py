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

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proof.findings import Finding
from proof.known_gaps import KNOWN_GAPS
from proof.protection import protected_deletions
from proof.verify.config import Config
from proof.verify.declaration import from_topology
from proof.verify.exposure import WIDENING_TYPES, check_front_doors, check_placement
from proof.verify.load import stacks_from_plan
from proof.verify.reach import reach
from proof.verify.services import Model
from topology import call_edges
from topology.errors import CommandLine, command
from topology.selection import select

WATCHED_REPLACEMENTS = ("aws_ecs_service", "aws_ecs_task_definition")


@dataclass(frozen=True)
class DeclaredReach:
    """What the declaration asks for: a widening it explains is listed as *declared* and does not block.

    ``reasons`` maps ``(service, source)`` (the reachability model's names: the source is a
    caller's service name, or ``cidr:<range>``) to why it is declared. Calls fill it; other
    kinds of declared reach (entry routes) add their own pairs with ``merged``, and the review
    does not change.
    """

    reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    front_doors: frozenset[str] = frozenset()
    """``stack:address`` of each load balancer, listener, rule or target group of the planned configuration, when the
    front-door proof (``exposure.check_front_doors``) ties every one of them to a declared entry (``proven_front_doors``)."""

    @classmethod
    def calls(cls, topology: Any) -> DeclaredReach:
        """Every (server, caller) pair of the topology's ``calls``."""
        return cls({(server, caller): f"declared: {caller} calls {server}" for caller, server in call_edges(topology)})

    @classmethod
    def of(cls, topology: Any, plans: dict[str, dict[str, Any]]) -> DeclaredReach:
        """The calls, and the front door the plans create when the proof ties it to the declared entries."""
        return cls(cls.calls(topology).reasons, proven_front_doors(plans, topology))

    def merged(self, other: DeclaredReach) -> DeclaredReach:
        return DeclaredReach({**self.reasons, **other.reasons}, self.front_doors | other.front_doors)

    def explain(self, service: str, source: str, stack: str = "") -> str | None:
        """Why ``source`` may reach ``service``: a declared call, or a load balancer of ``stack`` that the front-door
        proof ties to a declared entry (its sources are then the entry's, ``from <range>`` included)."""
        if (service, source) in self.reasons:
            return self.reasons[(service, source)]
        if f"{stack}:{source.split(' ', 1)[0]}" in self.front_doors:
            return "declared: a declared entry's load balancer, proven on the plan"
        return None


NOTHING_DECLARED = DeclaredReach()


def proven_front_doors(plans: dict[str, dict[str, Any]], topology: Any) -> frozenset[str]:
    """Every load-balancing resource of the planned configuration (``stack:address``), when the front-door proof finds
    nothing on it with the declaration's entries: each load balancer, listener, rule and target group then belongs
    to a declared entry and reaches only its declared routes, so creating one (a new entry, a target group replaced
    for a new port) is what the declaration asks for. One finding anywhere, or no service to judge, and none is:
    every creation then blocks, as without a declaration."""
    model = Model(_system(plans, prior=False), from_topology(topology))
    if not model.services or any(True for ecs in model.services for _ in check_front_doors(model, ecs)):
        return frozenset()
    return frozenset(str(address) for rtype in WIDENING_TYPES for address, _ in model.config.resources(rtype))


WHAT_TO_DO = (
    "What to do: each blocking line names the resource that adds the reach. If the reach is intended, declare it in the "
    "system module (a caller: add the server to the caller's `calls`) and run `make plan` again: it is then listed as "
    "declared and does not block. Otherwise remove what adds it. The review exits 1 while a blocking finding remains."
)


KINDS = ("blocking", "running-service", "declared", "reach-change", "image", "redeploy", "replacement")
"""The review's findings, in the order it shows them: ``blocking`` (a widening the declaration does not explain),
``running-service`` (a running ECS service replaced or destroyed; blocking too), ``declared`` (a widening the
declaration asks for), ``reach-change`` (same callers, other ports), ``image`` (old → new), ``redeploy`` (a service
the change redeploys, and why), ``replacement`` (an ECS service or task definition replaced)."""
BLOCKING = ("blocking", "running-service")
LINE = "{subject}: {detail}"
"""The review's line for a finding: its stack, then the line as a reviewer reads it (the resource first)."""
JSON_KEYS = {"kind": "kind", "stack": "subject", "address": "resource", "message": "detail"}
"""``--json``'s keys for a finding, as before the findings shared one shape with the proof's."""


def _at(kind: str, stack: str, address: str, text: str) -> Finding:
    """A finding about one resource of a plan: its line starts with the address, in backticks."""
    return Finding(stack, address, kind, f"`{address}`: {text}")


@dataclass
class StackReview:
    stack: str
    counts: dict[str, int] = field(default_factory=lambda: {"add": 0, "change": 0, "replace": 0, "destroy": 0})
    findings: list[Finding] = field(default_factory=list)
    """What the review reports about this stack (``KINDS``), in the order it found them."""
    changed: list[str] = field(default_factory=list)
    """Every changed resource, with its changed attributes; emulator-only differences marked."""
    emulator_only: int = 0
    imports: list[str] = field(default_factory=list)
    """Every resource the plan adopts (``import`` blocks), and what the plan then does to it."""
    forced: list[str] = field(default_factory=list)
    """Every resource replaced, with the attributes that cannot change in place (``replace_paths``)."""
    running_services: list[str] = field(default_factory=list)
    """ECS services that already run: in the prior state or being imported."""
    addresses: dict[str, list[str]] = field(default_factory=lambda: {"add": [], "change": [], "replace": [], "destroy": []})
    """Per action, each resource (a change with its changed attributes); emulator-only differences are not here."""
    emulator_gaps: list[str] = field(default_factory=list)
    """Changes only in attributes the emulator is known not to store: not counted, listed apart."""

    def lines(self, *kinds: str) -> list[str]:
        """The lines of this stack's findings of ``kinds``, in the order found."""
        return [f.detail for f in self.findings if f.kind in kinds]

    @property
    def blocking(self) -> list[str]:
        """What blocks the plan: unexplained widenings, and running ECS services replaced or destroyed."""
        return self.lines(*BLOCKING)

    @property
    def declared(self) -> list[str]:
        """Widenings the declaration asks for (a new call): listed, not blocking."""
        return self.lines("declared")


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


def reach_findings(stack: str, data: dict[str, Any], declared: DeclaredReach = NOTHING_DECLARED) -> list[Finding]:
    """New sources of connections to a service (``blocking``, or ``declared`` when the declaration explains them),
    and port moves of existing ones (``reach-change``)."""

    before = reach(Model(Config(*stacks_from_plan(stack, data, prior=True), source="plan"), None))
    after = reach(Model(Config(*stacks_from_plan(stack, data), source="plan"), None))
    found: list[Finding] = []
    for service, sources in sorted(after.items()):
        for source, ports in sorted(sources.items()):
            old = before.get(service, {}).get(source)
            if old is None:
                found += _new_source(stack, service, source, ports, declared.explain(service, source, stack))
            elif set(ports) != set(old):
                pair = f"{source} -> {service}"
                found.append(Finding(stack, pair, "reach-change", f"{pair}: {_port_change(ports, old)}"))
    return found


def _new_source(stack: str, service: str, source: str, ports: dict[str, str], reason: str | None) -> list[Finding]:
    """One finding per port a new source reaches: ``declared`` (with why) when the declaration explains it."""
    what = f"CIDR ingress {source.removeprefix('cidr:')}" if source.startswith("cidr:") else f"new ingress source {source}"
    suffix = f" ({reason})" if reason else ""
    kind = "declared" if reason else "blocking"
    return [_at(kind, stack, _plan_address(where), f"{what} -> {service} on {port}{suffix}") for port, where in sorted(ports.items())]


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


def _system(plans: dict[str, dict[str, Any]], *, prior: bool) -> Config:
    stacks: dict[str, dict[str, Any]] = {}
    ids: dict[str, Any] = {}
    for stack, data in plans.items():
        found, known = stacks_from_plan(stack, data, prior=prior)
        stacks.update(found)
        ids.update(known)
    return Config(stacks, ids, source="plan")


def add_route_findings(reviews: list[StackReview], plans: dict[str, dict[str, Any]]) -> None:
    """Routes cross stacks (subnets and routes in one, services in the other): with every stack's plan, a route
    from a service's subnet to an internet gateway that the plan adds is a blocking finding of the stack it is in."""

    def routes(prior: bool) -> set[tuple[str, str, str]]:
        model = Model(_system(plans, prior=prior), None)
        return {
            (ecs.name, v.resource, v.detail)
            for ecs in model.services
            for v in check_placement(model, ecs)
            if v.kind == "private-subnets" and v.detail.endswith("to an internet gateway")
        }

    by_stack = {r.stack: r for r in reviews}
    for service, resource, detail in sorted(routes(False) - routes(True)):
        stack = resource.split(":", 1)[0]
        if stack in by_stack:
            by_stack[stack].findings.append(
                _at("blocking", stack, _plan_address(resource), f"{service} becomes reachable from the internet ({detail})")
            )


def _changed_attributes(change: dict[str, Any]) -> list[str]:
    before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
    unknown = change["change"].get("after_unknown") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return sorted(k for k in set(before) | set(after) | set(unknown) if before.get(k) != after.get(k) or unknown.get(k) is True)


def _front_doors_created(plan: Plan, declared: DeclaredReach) -> Iterator[Finding]:
    """Each load-balancing resource the plan creates: ``declared`` when the front-door proof ties it to a declared
    entry on the planned configuration (``proven_front_doors``), else ``blocking``."""
    for change in plan.changes:
        if change["type"] in WIDENING_TYPES and "create" in change["change"]["actions"]:
            address = change["address"]
            if f"{plan.stack}:{address}" in declared.front_doors:
                yield _at("declared", plan.stack, address, f"a {change['type']} is created (declared: an entry's, proven on the plan)")
            else:
                why = "a new path in or a new route; only a declared entry may add one"
                yield _at("blocking", plan.stack, address, f"a {change['type']} is created ({why})")


def _exposure_findings(plan: Plan) -> Iterator[Finding]:
    """A public IP, a load balancer attached to a service, a subnet that starts giving public IPs: each blocks."""
    for change in plan.changes:
        actions = change["change"]["actions"]
        before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
        if change["type"] == "aws_ecs_service" and ("create" in actions or "update" in actions):
            name = after.get("name", change["address"])
            if _first(after.get("network_configuration")).get("assign_public_ip") and not _first(before.get("network_configuration")).get(
                "assign_public_ip"
            ):
                yield _at("blocking", plan.stack, change["address"], f"{name} gets a public IP (assign_public_ip = true)")
            if after.get("load_balancer") and not before.get("load_balancer"):
                yield _at("blocking", plan.stack, change["address"], f"{name} is attached to a load balancer")
        if change["type"] == "aws_subnet" and after.get("map_public_ip_on_launch") and not before.get("map_public_ip_on_launch"):
            yield _at("blocking", plan.stack, change["address"], "subnet starts giving public IPs (map_public_ip_on_launch = true)")


def _redeploy(stack: str, change: dict[str, Any]) -> Finding | None:
    """Why the plan redeploys a service, by its real cause: a new call, a server's changed endpoint, a new revision."""
    details = change["change"]
    before, after, unknown = details.get("before") or {}, details.get("after") or {}, details.get("after_unknown") or {}
    revised = unknown.get("task_definition") or before.get("task_definition") != after.get("task_definition")
    reasons = [*(["new task definition revision"] if revised else []), *_trigger_reasons(before, after, unknown)]
    name = after.get("name", change["address"])
    return Finding(stack, name, "redeploy", f"{name}: {'; '.join(reasons)}") if reasons else None


def _trigger_reasons(before: dict[str, Any], after: dict[str, Any], unknown: dict[str, Any]) -> list[str]:
    """What a change of ``triggers`` (one per server a caller calls) says: a new call, a server's changed endpoint,
    or, when neither can be named, that its servers' Service Connect settings changed."""
    old, new = before.get("triggers") or {}, after.get("triggers") or {}
    added = sorted(set(new) - set(old))
    changed = sorted(key for key in set(old) & set(new) if old[key] != new[key])
    reasons = [f"a new call ({', '.join(map(_server, added))})"] if added else []
    reasons += [f"a changed server endpoint ({', '.join(map(_server, changed))})"] if changed else []
    if not reasons and (unknown.get("triggers") or set(old) - set(new)):
        reasons.append("its servers' Service Connect settings changed (triggers)")
    return reasons


def _server(trigger: str) -> str:
    """``service_connect_<server>`` (the trigger the project writes per server a caller calls) -> its server."""
    return trigger.removeprefix("service_connect_")


def _images(definitions: Any) -> dict[str, str]:
    if not isinstance(definitions, str):
        return {}
    try:
        containers = json.loads(definitions)
    except ValueError:
        return {}
    return {c.get("name", "?"): c.get("image", "?") for c in containers if isinstance(c, dict)}


def _image_changes(stack: str, change: dict[str, Any]) -> list[Finding]:
    """``family/container: old → new`` for each container whose image changes (a new image is a new revision)."""
    before = _images((change["change"].get("before") or {}).get("container_definitions"))
    after_values = change["change"].get("after") or {}
    after = _images(after_values.get("container_definitions"))
    family = after_values.get("family") or change["address"]
    return [
        Finding(stack, f"{family}/{name}", "image", f"{family}/{name}: `{before[name]}` → `{image}`")
        for name, image in sorted(after.items())
        if name in before and before[name] != image
    ]


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
            text = f"the running ECS service {name} would be {done}{why}: its tasks stop and its endpoint changes"
            result.findings.append(_at("running-service", plan.stack, address, text))


def review(
    stack: str, data: dict[str, Any], *, gaps: frozenset[tuple[str, str]] = frozenset(), declared: DeclaredReach = NOTHING_DECLARED
) -> StackReview:
    """``gaps``: (type, attribute) pairs the plan's target is known to misreport (the emulator's table of gaps);
    ``declared``: what the declaration asks for (without it, every widening blocks)."""
    plan = Plan(stack, data)
    result = StackReview(stack)
    for change in plan.changes:
        kind = _kind(change["change"]["actions"])
        if kind is not None:
            gap_only = _listed_change(result, change, kind, gaps)
            result.findings += _watched(plan, change, kind, gap_only)
    result.findings += reach_findings(stack, data, declared)
    result.findings += _front_doors_created(plan, declared)
    result.findings += _exposure_findings(plan)
    result.findings += protected_deletions(stack, plan.changes)
    _adoption(plan, result)
    return result


def _listed_change(result: StackReview, change: dict[str, Any], kind: str, gaps: frozenset[tuple[str, str]]) -> bool:
    """Count and list one change under its action, or apart when only known emulator gaps differ (then True)."""
    attributes = _changed_attributes(change) if kind == "change" else []
    gap_only = bool(attributes) and all((change["type"], a) in gaps for a in attributes)
    result.emulator_only += gap_only
    detail = f": {', '.join(attributes)}" if attributes else ""
    result.changed.append(f"`{change['address']}` {kind}{detail}" + (" (known emulator gap, not a real change)" if gap_only else ""))
    if gap_only:
        result.emulator_gaps.append(f"`{change['address']}`{detail} (known emulator gap, not a real change)")
    else:
        result.counts[kind] += 1
        result.addresses[kind].append(f"`{change['address']}`{detail}")
    return gap_only


def _watched(plan: Plan, change: dict[str, Any], kind: str, gap_only: bool) -> list[Finding]:
    """What a reviewer watches in one change: new images, a replaced ECS service or task definition, a redeploy."""
    address = change["address"]
    found = _image_changes(plan.stack, change) if change["type"] == "aws_ecs_task_definition" else []
    if kind == "replace" and change["type"] in WATCHED_REPLACEMENTS:
        found.append(Finding(plan.stack, address, "replacement", f"`{address}` ({plan.names.get(address, '?')})"))
    redeploy = _redeploy(plan.stack, change) if kind == "change" and change["type"] == "aws_ecs_service" and not gap_only else None
    return [*found, *([redeploy] if redeploy else [])]


def running_services_line(reviews: list[StackReview]) -> str | None:
    """The one sentence a reviewer of an adoption looks for first."""
    running = sorted({name for r in reviews for name in r.running_services})
    if not running:
        return None
    hit = [line for r in reviews for line in r.lines("running-service")]
    if hit:
        return f"**BLOCKING: the plan replaces or destroys {len(hit)} running ECS service(s).**"
    named = ", ".join(running) if len(running) <= 20 else f"{len(running)} services"  # a line, even for 1,000 services
    return f"**No replacement or destruction of a running ECS service** ({named})."


COMMENT_LIMIT = 65_536
"""GitHub's limit on a pull-request comment, in characters: the review is cut to fit, per section, with a note."""
FULL_REVIEW = "the full review is in the plan artifact (review.full.md)"


def findings(reviews: list[StackReview]) -> list[Finding]:
    """Every finding of every stack, in the order the review shows them: per stack, by kind (``KINDS``; blocking and
    running-service together), each kind in the order found."""
    rank = {kind: 0 if kind in BLOCKING else index for index, kind in enumerate(KINDS)}
    return [f for r in reviews for f in sorted(r.findings, key=lambda f: rank[f.kind])]


def _counts_line(reviews: list[StackReview]) -> str:
    """The first line a reviewer reads: what each stack adds, changes, destroys and replaces; or "No changes."."""
    if not any(sum(r.counts.values()) for r in reviews):
        return "No changes."
    parts = []
    for r in reviews:
        c = r.counts
        shown = (
            "no changes"
            if not sum(c.values())
            else f"{c['add']} to add, {c['change']} to change, {c['destroy']} to destroy, {c['replace']} to replace"
        )
        parts.append(f"**{r.stack}**: {shown}")
    return "; ".join(parts)


def _reach_headline(reviews: list[StackReview]) -> str:
    blocking = sum(1 for r in reviews for f in r.findings if f.kind == "blocking")
    asked = sum(1 for r in reviews for f in r.findings if f.kind == "declared")
    if blocking:
        return f"**BLOCKING: {blocking} change(s) widen who can reach a service, and the declaration does not explain them.**"
    if asked:
        return f"**No unexplained widening: {asked} change(s) widen who can reach a service, as the declaration asks.**"
    return "**No change widens who can reach a service.**"


def _destroy_warning(reviews: list[StackReview], budget: int) -> list[str]:
    """The block a reviewer must not miss, first: everything destroyed or replaced."""
    gone = [f"{r.stack}: {address} ({kind})" for r in reviews for kind in ("destroy", "replace") for address in r.addresses[kind]]
    if not gone:
        return []
    return [
        "> [!WARNING]",
        f"> This plan destroys or replaces {len(gone)} resource(s):",
        *[f"> {line}" for line in _listed(gone, budget)],
        "",
    ]


BLOCKING_TITLE = "Blocking findings (approve explicitly or change the plan)"
FINDING_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (BLOCKING_TITLE, BLOCKING),
    ("Declared widenings (the declaration asks for them; not blocking)", ("declared",)),
    ("Reachability changes that do not widen it", ("reach-change",)),
    ("Images (old → new)", ("image",)),
    ("Services this change redeploys", ("redeploy",)),
    ("ECS services and task definitions replaced", ("replacement",)),
)
"""Each section of findings: its heading and the kinds it lists."""
GAPS_SUMMARY = "{} change(s) differ only in attributes the emulator is known not to store (docs/emulator.md's table of gaps)."


def _sections(reviews: list[StackReview]) -> list[tuple[str, list[str]]]:
    """The findings by section, with the adopted resources and the forced replacements after the blocking ones."""
    every = findings(reviews)
    sections = [(title, [f.line(LINE) for f in every if f.kind in kinds]) for title, kinds in FINDING_SECTIONS]
    if any(r.imports for r in reviews):
        sections.insert(1, ("Adopted (imported) resources", [f"{r.stack}: {line}" for r in reviews for line in r.imports]))
    if any(r.forced for r in reviews):
        sections.insert(2, ("Every replacement, and what forces it", [f"{r.stack}: {line}" for r in reviews for line in r.forced]))
    return sections


def _folded(reviews: list[StackReview]) -> list[tuple[str, list[str]]]:
    """What the review folds in ``<details>``: the resources per action, then the emulator-only differences."""
    folded = [
        (f"{action} ({sum(len(r.addresses[action]) for r in reviews)})", [f"{r.stack}: {a}" for r in reviews for a in r.addresses[action]])
        for action in ("add", "change", "destroy", "replace")
    ]
    gaps = [f"{r.stack}: {line}" for r in reviews for line in r.emulator_gaps]
    return [*folded, (GAPS_SUMMARY.format(len(gaps)), gaps)]


def _budget(pieces: int, warnings: list[str], limit: int) -> int:
    """Characters each non-empty section may use, so that the whole review fits in ``limit``."""
    fixed = 4000 + sum(len(w) + 3 for w in warnings)  # title, counts, headlines, headings, WHAT_TO_DO
    return max(500, (limit - fixed) // max(pieces, 1))


def _head(reviews: list[StackReview], warnings: list[str], budget: int) -> list[str]:
    """Title, counts, the destroy/replace warning, the running services, the reach headline, the run's warnings."""
    running = running_services_line(reviews)
    head = [f"## Plan review: {', '.join(r.stack for r in reviews)}", "", _counts_line(reviews), ""]
    head += [*_destroy_warning(reviews, budget), *([running, ""] if running else []), _reach_headline(reviews)]
    return head + (["", "### Warnings printed by the run", "", *[f"- {w}" for w in warnings]] if warnings else [])


def _section(title: str, items: list[str], budget: int) -> list[str]:
    """One section of findings; the blocking one ends with what to do."""
    return ["", f"### {title}", "", *_listed(items, budget), *(["", WHAT_TO_DO] if title == BLOCKING_TITLE else [])]


def _listed(items: list[str], budget: int) -> list[str]:
    """``- item`` lines within ``budget`` characters; what does not fit is one note pointing to the full review."""
    lines: list[str] = []
    used = 0
    for index, item in enumerate(items):
        line = f"- {item}"
        if used + len(line) + 1 > budget:
            return [*lines, f"- … {len(items) - index} more not shown here: {FULL_REVIEW}"]
        lines.append(line)
        used += len(line) + 1
    return lines


def _details(summary: str, items: list[str], budget: int) -> list[str]:
    return ["", "<details>", f"<summary>{summary}</summary>", "", *_listed(items, budget), "", "</details>"]


def markdown(reviews: list[StackReview], warnings: list[str] | None = None, *, limit: int = COMMENT_LIMIT) -> str:
    """The review for a pull request: title, counts, destroy/replace warning, warnings of the run, findings, then the
    address lists per action and the emulator-only differences folded in ``<details>``; at most ``limit`` characters."""
    sections = [(title, items) for title, items in _sections(reviews) if items]
    folded = [(summary, items) for summary, items in _folded(reviews) if items]
    warned = any(r.addresses["destroy"] or r.addresses["replace"] for r in reviews)
    budget = _budget(len(sections) + len(folded) + warned, warnings or [], limit)
    lines = _head(reviews, warnings or [], budget)
    lines += [line for title, items in sections for line in _section(title, items, budget)]
    lines += [line for summary, items in folded for line in _details(summary, items, budget)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description=__doc__.splitlines()[0])
    parser.add_argument("plans", nargs="+", type=Path, help="terraform show -json output, one per stack (<stack>.json)")
    parser.add_argument("-o", "--output", type=Path, help="write the Markdown here as well as to stdout")
    parser.add_argument("--emulator", action="store_true", help="the plans are against the local emulator: mark its known gaps")
    parser.add_argument("--system", help="the system module whose declaration explains widenings (without it, every widening blocks)")
    parser.add_argument("--env", help="its environment")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON (kind, stack, address, message) instead")
    args = parser.parse_args(argv)
    gaps = KNOWN_GAPS if args.emulator else frozenset()
    plans = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in args.plans}
    declared = DeclaredReach.of(select(args.system, args.env).one().topology, plans) if args.system else NOTHING_DECLARED
    reviews = [review(stack, data, gaps=gaps, declared=declared) for stack, data in plans.items()]
    add_route_findings(reviews, plans)
    text = json.dumps([f.as_json(JSON_KEYS) for f in findings(reviews)], indent=2) + "\n" if args.json else markdown(reviews)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 1 if any(r.blocking for r in reviews) else 0


if __name__ == "__main__":
    raise SystemExit(command(main))
