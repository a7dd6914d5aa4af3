"""Prove "internal only" from the Terraform JSON that will actually run.

Reads every ``cdktf.out/stacks/*/cdk.tf.json``, follows references across stacks
(``terraform_remote_state`` outputs back to the resources that produce them), and
for every ECS service that serves a Service Connect port checks:

- ``private-subnets``: its subnets are traceable, do not map public IPs, and have no route to an internet gateway;
- ``no-public-ip``: ``assign_public_ip`` is false;
- ``no-load-balancer``: no load balancer block, and no IP target group / API Gateway VPC link that could front it;
- ``ingress-callers-only``: every ingress rule of its security groups comes from the security group of a declared
  caller (the topology's, or without one, a Service Connect client in the same namespace), on a Service Connect
  ingress port, over TCP; nothing from CIDR ranges, prefix lists or ``self``;
- ``exec-least-privilege``: with ECS Exec on, its task role's policies allow only the ``ssmmessages`` channel actions,
  the session audit-log and session-key actions (``EXEC_AUDIT_ACTIONS``), and (with ``--example``) the actions the
  declaration grants the application (``Service.permissions``);
- ``no-wildcard-action``: no IAM policy it uses allows an action containing ``*``.

Each violation is one line: ``service '<name>': <resource address>: <rule>: <detail>``.
Usage: ``python -m tools.verify [cdktf.out] [--example article]`` (exit 1 when anything is violated).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topology import Topology, callers_of

EXEC_ACTIONS = frozenset(
    {
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    }
)
# ECS Exec session logging to CloudWatch Logs and the session KMS key (stacks/iam.py, ExecAudit).
EXEC_AUDIT_ACTIONS = frozenset(
    {"logs:DescribeLogGroups", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "kms:Decrypt"}
)
REF = re.compile(r"^\$\{(?P<kind>data\.)?(?P<type>[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)\.(?P<rest>[A-Za-z0-9_.-]+)\}$")
CIDR_FIELDS = ("cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_id", "prefix_list_ids")
FRONT_DOORS = ("aws_apigatewayv2_vpc_link", "aws_api_gateway_vpc_link")


@dataclass(frozen=True, order=True)
class Address:
    stack: str
    type: str
    name: str

    def __str__(self) -> str:
        return f"{self.stack}:{self.type}.{self.name}"


@dataclass(frozen=True, order=True)
class Violation:
    service: str
    resource: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"service '{self.service}': {self.resource}: {self.rule}: {self.detail}"


class Config:
    """All stacks of one synthesized app, with references resolved to resource addresses."""

    def __init__(self, stacks: dict[str, dict[str, Any]]) -> None:
        self.stacks = stacks

    @classmethod
    def load(cls, outdir: Path, only: tuple[str, ...] | None = None) -> Config:
        files = sorted((outdir / "stacks").glob("*/cdk.tf.json"))
        if only is not None:
            files = [path for path in files if path.parent.name in only]
        if not files:
            raise SystemExit(f"{outdir}: no stacks/*/cdk.tf.json (run make synth first)")
        return cls({path.parent.name: json.loads(path.read_text(encoding="utf-8")) for path in files})

    def resources(self, rtype: str) -> Iterator[tuple[Address, dict[str, Any]]]:
        for stack, body in sorted(self.stacks.items()):
            for name, resource in sorted(body.get("resource", {}).get(rtype, {}).items()):
                yield Address(stack, rtype, name), resource

    def body(self, address: Address) -> dict[str, Any]:
        result: dict[str, Any] = self.stacks[address.stack]["resource"][address.type][address.name]
        return result

    def resolve(self, stack: str, value: Any, depth: int = 0) -> Address | None:
        """The resource a plain ``${type.name.attr}`` expression points at, following cross-stack outputs."""
        if not isinstance(value, str) or depth > 5:
            return None
        match = REF.match(value)
        if not match:
            return None
        if match["kind"] and match["type"] == "terraform_remote_state":
            output = match["rest"].removeprefix("outputs.")
            source = self._remote_stack(stack, match["name"])
            if source is None or "." in output:
                return None
            produced = self.stacks[source].get("output", {}).get(output, {}).get("value")
            return self.resolve(source, produced, depth + 1)
        if match["kind"]:
            return None
        address = Address(stack, match["type"], match["name"])
        return address if match["name"] in self.stacks[stack].get("resource", {}).get(match["type"], {}) else None

    def _remote_stack(self, stack: str, data_name: str) -> str | None:
        remote = self.stacks[stack].get("data", {}).get("terraform_remote_state", {}).get(data_name)
        if remote is None:
            return None
        for candidate, body in self.stacks.items():
            backend = body.get("terraform", {}).get("backend", {}).get(remote["backend"])
            if backend is None:
                continue
            config = remote.get("config", {})
            if remote["backend"] == "local" and backend.get("path") == config.get("path"):
                return candidate
            if remote["backend"] == "s3" and (backend.get("bucket"), backend.get("key")) == (config.get("bucket"), config.get("key")):
                return candidate
        return None

    def refers_to(self, stack: str, value: Any, target: Address) -> bool:
        return self.resolve(stack, value) == target


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Server:
    name: str
    address: Address
    body: dict[str, Any]
    namespace: str | None


def servers(config: Config) -> list[Server]:
    found = []
    for address, body in config.resources("aws_ecs_service"):
        connect = body.get("service_connect_configuration") or {}
        if connect.get("enabled") and _as_list(connect.get("service")):
            found.append(Server(body.get("name", address.name), address, body, connect.get("namespace")))
    return found


def _service_groups(config: Config, address: Address, body: dict[str, Any]) -> list[Address | None]:
    network = body.get("network_configuration") or {}
    return [config.resolve(address.stack, group) for group in _as_list(network.get("security_groups"))]


def ingress_ports(config: Config, server: Server) -> set[int]:
    """Ports the Service Connect proxy receives callers on: the override, or the named container port."""
    task = config.resolve(server.address.stack, server.body.get("task_definition"))
    mappings: dict[str, int] = {}
    if task is not None:
        for container in json.loads(config.body(task).get("container_definitions", "[]")):
            for mapping in container.get("portMappings", []):
                if "name" in mapping:
                    mappings[mapping["name"]] = mapping["containerPort"]
    ports = set()
    for service in _as_list(server.body["service_connect_configuration"]["service"]):
        override = service.get("ingress_port_override")
        port = override if override is not None else mappings.get(service["port_name"])
        if port is not None:
            ports.add(int(port))
    return ports


def allowed_callers(config: Config, server: Server, declared: list[str] | None) -> dict[Address, str]:
    """Security groups that may reach ``server``: those of its declared callers (or, with no topology, SC clients)."""
    allowed: dict[Address, str] = {}
    for address, body in config.resources("aws_ecs_service"):
        name = body.get("name", address.name)
        if name == server.name:
            continue
        connect = body.get("service_connect_configuration") or {}
        if declared is not None:
            eligible = name in declared
        else:
            eligible = bool(connect.get("enabled")) and connect.get("namespace") == server.namespace
        if eligible:
            for group in _service_groups(config, address, body):
                if group is not None:
                    allowed[group] = name
    return allowed


def _ingress_rules(config: Config, group: Address) -> Iterator[tuple[str, dict[str, Any]]]:
    for address, body in config.resources("aws_vpc_security_group_ingress_rule"):
        if config.refers_to(address.stack, body.get("security_group_id"), group):
            yield str(address), {**body, "_source": body.get("referenced_security_group_id")}
    for address, body in config.resources("aws_security_group_rule"):
        if body.get("type") == "ingress" and config.refers_to(address.stack, body.get("security_group_id"), group):
            yield str(address), {**body, "_source": body.get("source_security_group_id"), "_self": body.get("self")}
    for index, block in enumerate(_as_list(config.body(group).get("ingress"))):
        groups = _as_list(block.get("security_groups"))
        yield f"{group}.ingress[{index}]", {**block, "_source": groups[0] if len(groups) == 1 else None, "_groups": groups}


def check_ingress(config: Config, server: Server, declared: list[str] | None) -> Iterator[Violation]:
    ports = ingress_ports(config, server)
    allowed = allowed_callers(config, server, declared)
    for group in _service_groups(config, server.address, server.body):
        if group is None:
            yield Violation(
                server.name, str(server.address), "ingress-callers-only", "a security group cannot be traced to an aws_security_group"
            )
            continue
        for where, rule in _ingress_rules(config, group):
            yield from _check_rule(config, server, group, where, rule, ports, allowed)


def _check_rule(
    config: Config, server: Server, group: Address, where: str, rule: dict[str, Any], ports: set[int], allowed: dict[Address, str]
) -> Iterator[Violation]:
    for field in CIDR_FIELDS:
        for value in _as_list(rule.get(field)):
            yield Violation(
                server.name, where, "ingress-callers-only", f"ingress from {field} {value} (only callers' security groups may reach it)"
            )
    if rule.get("_self"):
        yield Violation(server.name, where, "ingress-callers-only", "ingress from its own security group (self)")
    if len(_as_list(rule.get("_groups"))) > 1:
        yield Violation(server.name, where, "ingress-callers-only", "one inline rule lists several security groups; cannot attribute them")
    source = rule.get("_source")
    if source is not None:
        source_group = config.resolve(group.stack, source)
        if source_group not in allowed:
            yield Violation(
                server.name,
                where,
                "ingress-callers-only",
                f"ingress from {source_group or source}, which is not the security group of a declared caller",
            )
    protocol = str(rule.get("ip_protocol", rule.get("protocol", ""))).lower()
    span = (rule.get("from_port"), rule.get("to_port"))
    if protocol not in ("tcp", "6") or span[0] != span[1] or span[0] not in ports:
        yield Violation(
            server.name,
            where,
            "ingress-callers-only",
            f"opens {protocol or '?'} {span[0]}-{span[1]}; only tcp on {sorted(ports)} (its Service Connect ingress ports)",
        )


def check_placement(config: Config, server: Server) -> Iterator[Violation]:
    network = server.body.get("network_configuration") or {}
    where = str(server.address)
    if network.get("assign_public_ip") not in (None, False, "false"):
        yield Violation(server.name, where, "no-public-ip", "assign_public_ip is true")
    for subnet_ref in _as_list(network.get("subnets")):
        subnet = config.resolve(server.address.stack, subnet_ref)
        if subnet is None or subnet.type != "aws_subnet":
            yield Violation(server.name, where, "private-subnets", f"subnet {subnet_ref} cannot be traced to an aws_subnet")
            continue
        yield from _check_subnet(config, server, subnet)


def _check_subnet(config: Config, server: Server, subnet: Address) -> Iterator[Violation]:
    if config.body(subnet).get("map_public_ip_on_launch") in (True, "true"):
        yield Violation(server.name, str(subnet), "private-subnets", "map_public_ip_on_launch is true")
    tables = [
        config.resolve(address.stack, body.get("route_table_id"))
        for address, body in config.resources("aws_route_table_association")
        if config.refers_to(address.stack, body.get("subnet_id"), subnet)
    ]
    if not tables:
        yield Violation(
            server.name, str(subnet), "private-subnets", "no route table association (the VPC's main route table is not checked)"
        )
    for table in tables:
        if table is None:
            yield Violation(server.name, str(subnet), "private-subnets", "route table cannot be traced")
            continue
        routes = [(str(table), r) for r in _as_list(config.body(table).get("route"))]
        routes += [(str(a), b) for a, b in config.resources("aws_route") if config.refers_to(a.stack, b.get("route_table_id"), table)]
        for where, route in routes:
            target = config.resolve(table.stack, route.get("gateway_id"))
            if (target is not None and target.type == "aws_internet_gateway") or str(route.get("gateway_id", "")).startswith("igw-"):
                yield Violation(
                    server.name,
                    where,
                    "private-subnets",
                    f"{subnet} routes {route.get('destination_cidr_block', '?')} to an internet gateway",
                )


def check_front_doors(config: Config, server: Server) -> Iterator[Violation]:
    if _as_list(server.body.get("load_balancer")):
        yield Violation(server.name, str(server.address), "no-load-balancer", "has a load_balancer block")
    for address, body in config.resources("aws_lb_target_group"):
        if body.get("target_type") == "ip":
            yield Violation(server.name, str(address), "no-load-balancer", "an IP target group could register its tasks")
    groups = set(_service_groups(config, server.address, server.body))
    for rtype in FRONT_DOORS:
        for address, body in config.resources(rtype):
            linked = {config.resolve(address.stack, g) for g in _as_list(body.get("security_group_ids"))}
            if linked & groups:
                yield Violation(server.name, str(address), "no-load-balancer", "an API Gateway VPC link uses its security group")


def _role_policies(config: Config, role: Address) -> Iterator[tuple[str, dict[str, Any] | None]]:
    for index, inline in enumerate(_as_list(config.body(role).get("inline_policy"))):
        yield f"{role}.inline_policy[{index}]", _parse_policy(inline.get("policy"))
    for address, body in config.resources("aws_iam_role_policy"):
        if config.refers_to(address.stack, body.get("role"), role):
            yield str(address), _parse_policy(body.get("policy"))
    for address, body in config.resources("aws_iam_role_policy_attachment"):
        if config.refers_to(address.stack, body.get("role"), role):
            yield str(address), None


def _parse_policy(text: Any) -> dict[str, Any] | None:
    try:
        policy = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return policy if isinstance(policy, dict) else None


def _allowed_actions(policy: dict[str, Any]) -> list[str]:
    return [
        action
        for statement in _as_list(policy.get("Statement"))
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement.get("Action")) + [f"NotAction:{a}" for a in _as_list(statement.get("NotAction"))]
    ]


def check_iam(config: Config, server: Server, granted: frozenset[str] = frozenset()) -> Iterator[Violation]:
    task = config.resolve(server.address.stack, server.body.get("task_definition"))
    if task is None:
        yield Violation(server.name, str(server.address), "exec-least-privilege", "task definition cannot be traced")
        return
    task_body = config.body(task)
    exec_on = server.body.get("enable_execute_command") in (True, "true")
    for field in ("task_role_arn", "execution_role_arn"):
        if task_body.get(field) is None:
            continue
        role = config.resolve(task.stack, task_body[field])
        if role is None:
            yield Violation(server.name, str(task), "exec-least-privilege", f"{field} cannot be traced to an aws_iam_role")
            continue
        for where, policy in _role_policies(config, role):
            if policy is None:
                yield Violation(
                    server.name, where, "exec-least-privilege", "a managed or unreadable policy is attached; cannot prove its actions"
                )
                continue
            actions = _allowed_actions(policy)
            for action in actions:
                if "*" in action or action.startswith("NotAction:"):
                    yield Violation(server.name, where, "no-wildcard-action", f"allows {action!r}")
            if field == "task_role_arn" and exec_on:
                extra = sorted(set(actions) - EXEC_ACTIONS - EXEC_AUDIT_ACTIONS - granted)
                if extra:
                    yield Violation(
                        server.name,
                        where,
                        "exec-least-privilege",
                        f"task role allows {', '.join(extra)} beyond the ssmmessages channel actions",
                    )


def verify(
    config: Config, callers: dict[str, list[str]] | None = None, permissions: dict[str, frozenset[str]] | None = None
) -> list[Violation]:
    """Every violation, sorted; ``callers`` maps a server to its declared callers (None: derive from the JSON);
    ``permissions`` maps a service to the application actions its declaration grants (None: none are proven)."""
    found: list[Violation] = []
    for server in servers(config):
        declared = None if callers is None else callers.get(server.name, [])
        for check in (
            check_placement(config, server),
            check_front_doors(config, server),
            check_ingress(config, server, declared),
            check_iam(config, server, (permissions or {}).get(server.name, frozenset())),
        ):
            found.extend(check)
    return sorted(set(found))


def declared_callers(topology: Topology | str) -> dict[str, list[str]]:
    """Server -> its declared callers; a ``str`` names an example (``examples/<name>.py``)."""
    if isinstance(topology, str):
        from examples import load

        topology = load(topology)
    return {service.name: callers_of(topology, service.name) for service in topology.services if service.is_server}


def declared_permissions(topology: Topology | str) -> dict[str, frozenset[str]]:
    """The application actions each service declares for its task role; a ``str`` names an example."""
    if isinstance(topology, str):
        from examples import load

        topology = load(topology)
    return {
        service.name: frozenset(action for permission in service.permissions for action in permission.actions)
        for service in topology.services
    }


def declarations(args: argparse.Namespace) -> list[tuple[tuple[str, ...] | None, Topology | None]]:
    """(stacks to read, declaration) per selected deployment; ``(None, None)``: every stack, callers from the JSON."""
    if args.example:
        from examples import load

        return [(None, load(args.example))]
    if not args.system:
        return [(None, None)]
    from topology.system import SelectionError

    from .selection import select

    try:
        chosen = select(args.system, args.env).chosen
    except SelectionError as error:
        raise SystemExit(f"error: {error}") from None
    return [(deployment.stacks, deployment.topology) for deployment in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prove that internal services are reachable only by their declared callers.")
    parser.add_argument("outdir", nargs="?", default="cdktf.out", type=Path)
    parser.add_argument("--example", help="take declared callers from examples/<name>.py (default: derive from the JSON)")
    parser.add_argument("--system", help="take declared callers from this system module, per environment (e.g. acme.shop)")
    parser.add_argument("--env", help="with --system: only this environment's stacks")
    args = parser.parse_args(argv)
    failed = False
    for stacks, topology in declarations(args):
        config = Config.load(args.outdir, stacks)
        violations = verify(config, declared_callers(topology), declared_permissions(topology)) if topology else verify(config)
        for violation in violations:
            print(violation)
        checked = ", ".join(server.name for server in servers(config)) or "none"
        where = f"{', '.join(stacks)}: " if stacks else ""
        print(f"{where}{'FAILED' if violations else 'ok'}: {len(violations)} violation(s); servers checked: {checked}", file=sys.stderr)
        failed = failed or bool(violations)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
