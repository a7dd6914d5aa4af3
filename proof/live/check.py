"""The claims of ``make verify``, judged on the deployed account, and the drift from the declaration.

Each line names the service, the resource ID and what it allows. Kinds:
``proven`` / ``violated`` (a claim), and the drift: ``undeclared`` (present, not
declared), ``missing`` (declared, not present), ``different`` (port, protocol, revision).
What may be called is the declaration's (``proof.verify.declaration.from_topology``);
a rule is read the same way however it was made (Terraform, console, CLI).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from proof.findings import Finding
from proof.verify.declaration import Declared, from_topology
from proof.verify.iam import EXEC_ACTIONS, EXEC_AUDIT_ACTIONS, allowed_actions, covers, trust_problem
from topology import Topology
from topology.model import Settings

from .read import Account, _awsvpc, forwarded

CLAIMS = ("proven", "violated")
DRIFT = ("undeclared", "missing", "different")
KINDS = (*CLAIMS, *DRIFT)
OWN_INLINE = ("ecs-exec", "app")
"""The task role's inline policies the project writes (stacks/iam.py)."""


LINE = "{kind}: {subject}: {detail}"
"""The live check's line: the kind first, then the service and what was read (its resource is in the detail)."""
JSON_KEYS = {"kind": "kind", "service": "subject", "text": "detail"}
"""The live report's keys for a finding (``--json``), as before the findings shared one shape."""


def failing(finding: Finding) -> bool:
    """Every kind but ``proven`` fails the check: a violated claim, or drift from the declaration."""
    return finding.kind != "proven"


def _port(rule: dict[str, Any]) -> str:
    protocol = str(rule.get("IpProtocol", "-1"))
    if protocol == "-1":
        return "all traffic"
    low, high = rule.get("FromPort"), rule.get("ToPort")
    return f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"


def _source(rule: dict[str, Any]) -> str:
    for key in ("CidrIpv4", "CidrIpv6", "PrefixListId"):
        if rule.get(key):
            return str(rule[key])
    return str((rule.get("ReferencedGroupInfo") or {}).get("GroupId", "?"))


def _covers_port(rule: dict[str, Any], port: int) -> bool:
    return rule.get("IpProtocol") in ("tcp", "6") and rule.get("FromPort") == port and rule.get("ToPort") == port


class Judge:
    """One deployment's declaration against one account snapshot."""

    def __init__(self, topology: Topology, settings: Settings, account: Account) -> None:
        self.topology, self.settings, self.account = topology, settings, account
        self.declared: dict[str, Declared] = from_topology(topology)
        self.groups = {name: set(_awsvpc(s).get("securityGroups", [])) for name, s in account.services.items()}
        self.owner = {group: name for name, groups in self.groups.items() for group in groups}
        self.entry_groups = {  # entry group -> services it routes to
            group: {self._service_of_tg(tg) for tg in self._lb_target_groups(arn)} - {None}
            for arn, lb in account.load_balancers.items()
            for group in lb.get("SecurityGroups", [])
        }

    def _service_of_tg(self, arn: str) -> str | None:
        return next(
            (n for n, s in self.account.services.items() for lb in s.get("loadBalancers", []) if lb.get("targetGroupArn") == arn), None
        )

    def _lb_target_groups(self, lb: str) -> list[str]:
        return [arn for arn, tg in self.account.target_groups.items() if lb in tg.get("LoadBalancerArns", [])]

    def _name(self, group: str) -> str:
        if group in self.owner:
            return f"{self.owner[group]}'s group {group}"
        if group in self.entry_groups:
            return f"the entry group {group}"
        return f"group {group}"

    def findings(self) -> list[Finding]:
        found = [
            *self.services(),
            *self.ingress(),
            *self.egress(),
            *self.interfaces(),
            *self.routes(),
            *self.entries(),
            *self.roles(),
            *self.discovery(),
        ]
        return sorted(set(found), key=lambda f: (f.subject, KINDS.index(f.kind), f.detail))

    def services(self) -> Iterator[Finding]:
        cluster = self.account.cluster
        for service in self.topology.services:
            live = self.account.services.get(service.name)
            if live is None:
                yield Finding(service.name, "", "missing", f"declared, but no active ECS service of that name in cluster {cluster}")
                continue
            if live.get("desiredCount", 0) == 0 or live.get("status") != "ACTIVE":
                yield Finding(
                    service.name,
                    "",
                    "missing",
                    f"{live['serviceArn']} is {live.get('status')} with desired count {live.get('desiredCount')} (stopped)",
                )
            if _awsvpc(live).get("assignPublicIp") == "ENABLED":
                yield Finding(service.name, "", "violated", f"{live['serviceArn']} assigns its tasks public IPs (assignPublicIp ENABLED)")
            for task in self.account.tasks:
                if task.get("group") == f"service:{service.name}" and task.get("taskDefinitionArn") != live.get("taskDefinition"):
                    yield Finding(
                        service.name,
                        "",
                        "different",
                        f"task {task['taskArn']} runs {task.get('taskDefinitionArn')}, the service {live.get('taskDefinition')}",
                    )
        declared = {s.name for s in self.topology.services}
        for name in sorted(set(self.account.services) - declared):
            yield Finding(
                name, "", "undeclared", f"{self.account.services[name]['serviceArn']} runs in cluster {cluster} but is not declared"
            )

    def _allowed_sources(self, name: str) -> dict[str, set[int]]:
        """Group ID -> ports the declaration lets that group reach ``name`` on."""
        ports = {p.ingress_port for p in self.topology.service(name).ports}  # the port the project's rules open (stacks/security.py)
        allowed: dict[str, set[int]] = {}
        for caller in self.declared[name].callers:
            for group in self.groups.get(caller, ()):
                allowed.setdefault(group, set()).update(ports)
        for entry in self.declared[name].entries:
            for group, routed in self.entry_groups.items():
                if name in routed:
                    allowed.setdefault(group, set()).update(entry.reaches(name))
        return allowed

    def ingress(self) -> Iterator[Finding]:
        for name in sorted(set(self.groups) & set(self.declared)):
            allowed, bad = self._allowed_sources(name), False
            matched: set[tuple[str, int]] = set()
            for rule in (r for r in self.account.rules if r["GroupId"] in self.groups[name] and not r.get("IsEgress")):
                where, source = f"{rule['GroupId']} rule {rule.get('SecurityGroupRuleId', '?')}", _source(rule)
                ports = allowed.get(source)
                if ports is None:
                    bad = True
                    what = source if not source.startswith("sg-") else self._name(source)
                    yield Finding(name, "", "violated", f"{where} admits {what} on {_port(rule)}: not a declared caller or entry")
                    yield Finding(name, "", "undeclared", f"{where}: ingress from {source} on {_port(rule)}")
                elif not any(_covers_port(rule, p) for p in ports):
                    bad = True
                    yield Finding(
                        name,
                        "",
                        "different",
                        f"{where} admits {self._name(source)} on {_port(rule)}, declared tcp/{','.join(map(str, sorted(ports)))}",
                    )
                else:
                    matched |= {(source, p) for p in ports if _covers_port(rule, p)}
            for source, ports in sorted(allowed.items()):
                for port in sorted(ports - {p for s, p in matched if s == source}):
                    if not any(s == source for s, _ in matched) or port not in {p for s, p in matched if s == source}:
                        yield Finding(
                            name,
                            "",
                            "missing",
                            f"no rule on {', '.join(sorted(self.groups[name]))} admits {self._name(source)} on tcp/{port}",
                        )
            if not bad:
                callers = ", ".join(self.declared[name].callers) or "none"
                yield Finding(
                    name, "", "proven", f"{', '.join(sorted(self.groups[name]))} admits only its declared callers ({callers}) and entries"
                )

    def egress(self) -> Iterator[Finding]:
        for name in sorted(set(self.groups) & set(self.declared)):
            service = self.topology.service(name)
            called = {g for c in service.calls for g in self.groups.get(c, ())}
            declared_egress = {(e.cidr or e.security_group_id or e.prefix_list_id, e.protocol, e.port, e.last_port) for e in service.egress}
            for rule in (r for r in self.account.rules if r["GroupId"] in self.groups[name] and r.get("IsEgress")):
                target = _source(rule)
                key = (target, rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"))
                if target in called or key in declared_egress:
                    continue
                yield Finding(
                    name,
                    "",
                    "undeclared",
                    f"{rule['GroupId']} rule {rule.get('SecurityGroupRuleId', '?')}: egress to {self._name(target) if target.startswith('sg-') else target} on {_port(rule)}",
                )

    def interfaces(self) -> Iterator[Finding]:
        task_enis = {
            d["value"]
            for t in self.account.tasks
            for a in t.get("attachments", [])
            for d in a.get("details", [])
            if d.get("name") == "networkInterfaceId"
        }
        for eni in self.account.interfaces:
            groups = {g["GroupId"] for g in eni.get("Groups", [])}
            for group in sorted(groups & set(self.owner)):
                name = self.owner[group]
                if eni["NetworkInterfaceId"] not in task_enis:
                    what = eni.get("Description") or eni.get("InterfaceType") or "no description"
                    yield Finding(
                        name, "", "undeclared", f"{eni['NetworkInterfaceId']} ({what}) is in {group}: it is admitted wherever {name} is"
                    )
                    for server in sorted(s for s, d in self.declared.items() if name in d.callers):
                        yield Finding(
                            server,
                            "",
                            "violated",
                            f"{eni['NetworkInterfaceId']} ({what}) in caller {name}'s group {group} reaches {server}",
                        )
                public = (eni.get("Association") or {}).get("PublicIp")  # the filter association.public-ip is not in moto: read here
                if public:
                    yield Finding(
                        name, "", "violated", f"{eni['NetworkInterfaceId']} in {group} has public IP {public}: reachable from the internet"
                    )

    def routes(self) -> Iterator[Finding]:
        for name, live in sorted(self.account.services.items()):
            for subnet in sorted(_awsvpc(live).get("subnets", [])):
                table = self.account.route_tables.get(subnet)
                if table is None:
                    continue
                for route in table.get("Routes", []):
                    gateway = str(route.get("GatewayId", ""))
                    if gateway.startswith("igw-"):
                        destination = (
                            route.get("DestinationCidrBlock")
                            or route.get("DestinationIpv6CidrBlock")
                            or route.get("DestinationPrefixListId")
                        )
                        yield Finding(
                            name,
                            "",
                            "violated",
                            f"subnet {subnet}'s route table {table['RouteTableId']} routes {destination} to {gateway}: its tasks face the internet",
                        )

    def entries(self) -> Iterator[Finding]:
        routes = {(r[0], r[2], r[3]) for d in self.declared.values() for e in d.entries for r in e.routes}
        for listener, rules in sorted(self.account.listener_rules.items()):
            for rule in rules:
                if rule.get("IsDefault"):
                    continue
                for arn in sorted(set(forwarded(rule))):
                    service = self._service_of_tg(arn) or "?"
                    host, path = _condition(rule, "host-header"), _condition(rule, "path-pattern")
                    if (service, host, path) not in routes:
                        yield Finding(
                            service,
                            "",
                            "undeclared",
                            f"listener {listener} rule {rule['RuleArn']} forwards host {host or '*'} path {path or '*'} to {arn}: not a declared route",
                        )

    def discovery(self) -> Iterator[Finding]:
        """A Cloud Map service of the namespace that no declared port names: something else answers under its name."""
        names = {port.effective_discovery_name for service in self.topology.services for port in service.ports}
        for name, instances in sorted(self.account.instances.items()):
            if name not in names:
                ids = ", ".join(sorted(i.get("Id", "?") for i in instances)) or "no instances"
                yield Finding(
                    name,
                    "",
                    "undeclared",
                    f"Cloud Map service {name} in namespace {self.settings.network.namespace} ({ids}): no declared port has that name",
                )

    def roles(self) -> Iterator[Finding]:
        for name in sorted(set(self.account.services) & set(self.declared)):
            definition = self.account.task_definitions.get(self.account.services[name]["taskDefinition"], {})
            arn = definition.get("taskRoleArn")
            role = self.account.roles.get(arn or "")
            if role is None:
                continue
            yield from self._trust(name, role)
            managed = set(self.declared[name].managed_policies)
            for policy in role.get("AttachedManagedPolicies", []):
                if policy["PolicyArn"] not in managed:
                    yield Finding(name, "", "undeclared", f"task role {arn} has policy {policy['PolicyArn']} attached: not declared")
            allowed = (*EXEC_ACTIONS, *EXEC_AUDIT_ACTIONS, *self.declared[name].actions, *self.declared[name].granted_actions)
            for inline in role.get("RolePolicyList", []):
                if inline["PolicyName"] not in OWN_INLINE:
                    yield Finding(
                        name, "", "undeclared", f"task role {arn} has inline policy {inline['PolicyName']}: not written by the project"
                    )
                document = _document(inline.get("PolicyDocument"))
                extra = sorted({a for a in allowed_actions(document) if isinstance(a, str) and not any(covers(p, a) for p in allowed)})
                if extra:
                    yield Finding(
                        name,
                        "",
                        "violated",
                        f"task role {arn} inline policy {inline['PolicyName']} allows {', '.join(extra)} beyond its declared permissions",
                    )

    def _trust(self, name: str, role: dict[str, Any]) -> Iterator[Finding]:
        statements = _document(role.get("AssumeRolePolicyDocument")).get("Statement")
        for statement in statements if isinstance(statements, list) else [statements]:
            problem = trust_problem(statement)
            if problem:
                yield Finding(name, "", "violated", f"task role {role['Arn']} {problem}")


def _document(raw: Any) -> dict[str, Any]:
    """A policy document as IAM returns it: a dict (botocore decodes it) or URL-encoded JSON text."""
    if isinstance(raw, dict):
        return raw
    try:
        loaded = json.loads(unquote(str(raw or "{}")))
    except ValueError:
        return {"Statement": [None]}
    return loaded if isinstance(loaded, dict) else {"Statement": [None]}


def _condition(rule: dict[str, Any], field: str) -> str | None:
    for condition in rule.get("Conditions", []):
        if condition.get("Field") == field:
            values = (
                condition.get("Values")
                or (condition.get("HostHeaderConfig") or condition.get("PathPatternConfig") or {}).get("Values")
                or []
            )
            return str(values[0]) if values else None
    return None


def judge(topology: Topology, settings: Settings, account: Account) -> list[Finding]:
    return Judge(topology, settings, account).findings()
