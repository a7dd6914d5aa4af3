"""What runs in the account, read through botocore: every call is a Describe/List/Get (docs/live-policy.json).

Each list call is paginated and each describe call batched to its API's limit, so the
number of requests grows with the number of calls the APIs need, not with one round
trip per resource where a list call exists. Filters the emulator lacks (moto) are
applied here on the client side as well, so the result is the same on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

Client = Any
"""A botocore client (``session.create_client(service)``); typed loosely because botocore ships no stubs."""
ClientFactory = Callable[[str], Client]


class ReadError(RuntimeError):
    """The account could not be read (credentials, permissions, endpoint): one line, exit 3."""


@dataclass
class Account:
    """The deployed state the checks read, keyed by AWS IDs."""

    cluster: str
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    """ECS ``describeServices`` entries by service name (only those whose status is ACTIVE or DRAINING)."""
    task_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``describeTaskDefinition`` by task definition ARN (the services' own)."""
    tasks: list[dict[str, Any]] = field(default_factory=list)
    """Running tasks of the cluster (``describeTasks``)."""
    rules: list[dict[str, Any]] = field(default_factory=list)
    """``describeSecurityGroupRules`` of every group read."""
    interfaces: list[dict[str, Any]] = field(default_factory=list)
    """``describeNetworkInterfaces`` in any group read."""
    route_tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The route table each task subnet uses (its own association, else the VPC's main table), by subnet ID."""
    target_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    load_balancers: dict[str, dict[str, Any]] = field(default_factory=dict)
    listeners: dict[str, dict[str, Any]] = field(default_factory=dict)
    listener_rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rules by listener ARN."""
    targets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """``describeTargetHealth`` descriptions by target group ARN."""
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``getAccountAuthorizationDetails`` role details by role ARN (the task roles only)."""
    instances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Cloud Map instances by discovery service name, in the cluster's Service Connect namespace."""

    def service_groups(self) -> set[str]:
        return {group for service in self.services.values() for group in _awsvpc(service).get("securityGroups", [])}

    def entry_groups(self) -> set[str]:
        return {group for lb in self.load_balancers.values() for group in lb.get("SecurityGroups", [])}


def _awsvpc(service: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return found


def pages(client: Client, operation: str, key: str, **arguments: Any) -> Iterator[Any]:
    """Every item under ``key`` of every page of ``operation``."""
    for page in client.get_paginator(operation).paginate(**arguments):
        yield from page.get(key, [])


def batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read(clients: ClientFactory, cluster: str, namespace: str | None = None) -> Account:
    """The account state of ``cluster``'s services, their groups, subnets, load balancers and task roles."""
    account = Account(cluster=cluster)
    ecs, ec2 = clients("ecs"), clients("ec2")
    _read_services(ecs, account)
    groups = sorted(account.service_groups())
    _read_entries(clients("elbv2"), account)
    groups = sorted({*groups, *account.entry_groups()})
    _read_groups(ec2, account, groups)
    _read_routes(ec2, account)
    _read_roles(clients("iam"), account)
    if namespace:
        _read_instances(clients("servicediscovery"), account, namespace)
    return account


def _read_services(ecs: Client, account: Account) -> None:
    arns = list(pages(ecs, "list_services", "serviceArns", cluster=account.cluster))
    for chunk in batches(arns, 10):  # DescribeServices takes at most 10
        for service in ecs.describe_services(cluster=account.cluster, services=chunk).get("services", []):
            if service.get("status") in ("ACTIVE", "DRAINING"):
                account.services[service["serviceName"]] = service
    for arn in sorted({service["taskDefinition"] for service in account.services.values()}):
        account.task_definitions[arn] = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]  # no batch call exists
    task_arns = list(pages(ecs, "list_tasks", "taskArns", cluster=account.cluster, desiredStatus="RUNNING"))
    for chunk in batches(task_arns, 100):  # DescribeTasks takes at most 100
        account.tasks.extend(ecs.describe_tasks(cluster=account.cluster, tasks=chunk).get("tasks", []))


def _read_groups(ec2: Client, account: Account, groups: list[str]) -> None:
    wanted = set(groups)
    for chunk in batches(groups, 200):  # a filter takes at most 200 values
        filters = [{"Name": "group-id", "Values": chunk}]
        account.rules.extend(
            r for r in pages(ec2, "describe_security_group_rules", "SecurityGroupRules", Filters=filters) if r["GroupId"] in wanted
        )
        for interface in pages(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=filters):
            if {g["GroupId"] for g in interface.get("Groups", [])} & wanted and interface not in account.interfaces:
                account.interfaces.append(interface)


def _read_routes(ec2: Client, account: Account) -> None:
    subnets = sorted({subnet for service in account.services.values() for subnet in _awsvpc(service).get("subnets", [])})
    if not subnets:
        return
    vpcs = sorted({vpc for s in pages(ec2, "describe_subnets", "Subnets", SubnetIds=subnets) for vpc in [s["VpcId"]]})
    tables = list(pages(ec2, "describe_route_tables", "RouteTables", Filters=[{"Name": "vpc-id", "Values": vpcs}]))
    for subnet in subnets:
        own = [t for t in tables if any(a.get("SubnetId") == subnet for a in t.get("Associations", []))]
        main = [t for t in tables if any(a.get("Main") for a in t.get("Associations", []))]
        if own or main:
            account.route_tables[subnet] = (own or main)[0]


def _read_entries(elbv2: Client, account: Account) -> None:
    arns = sorted(
        {lb["targetGroupArn"] for s in account.services.values() for lb in s.get("loadBalancers", []) if lb.get("targetGroupArn")}
    )
    for chunk in batches(arns, 20):
        for group in elbv2.describe_target_groups(TargetGroupArns=chunk).get("TargetGroups", []):
            account.target_groups[group["TargetGroupArn"]] = group
    balancers = sorted({arn for group in account.target_groups.values() for arn in group.get("LoadBalancerArns", [])})
    if any(not group.get("LoadBalancerArns") for group in account.target_groups.values()):
        # moto leaves LoadBalancerArns empty for a group only listener rules forward to: then every balancer of the
        # region is read, and kept when one of its rules forwards to a service's target group
        balancers = [balancer["LoadBalancerArn"] for balancer in pages(elbv2, "describe_load_balancers", "LoadBalancers")]
    for chunk in batches(balancers, 20):  # DescribeLoadBalancers takes at most 20
        for balancer in elbv2.describe_load_balancers(LoadBalancerArns=chunk).get("LoadBalancers", []):
            _read_balancer(elbv2, account, balancer)
    for arn in account.target_groups:
        account.targets[arn] = elbv2.describe_target_health(TargetGroupArn=arn).get("TargetHealthDescriptions", [])


def _read_balancer(elbv2: Client, account: Account, balancer: dict[str, Any]) -> None:
    """A balancer with its listeners and their rules (listed per parent: no batch call exists), if it forwards to a service."""
    listeners = list(pages(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=balancer["LoadBalancerArn"]))
    rules = {li["ListenerArn"]: list(pages(elbv2, "describe_rules", "Rules", ListenerArn=li["ListenerArn"])) for li in listeners}
    if not {arn for found in rules.values() for rule in found for arn in forwarded(rule)} & set(account.target_groups):
        return
    account.load_balancers[balancer["LoadBalancerArn"]] = balancer
    account.listeners.update((listener["ListenerArn"], listener) for listener in listeners)
    account.listener_rules.update(rules)


def forwarded(rule: dict[str, Any]) -> list[str]:
    """The target groups a listener rule forwards to (a plain forward, or a weighted ``ForwardConfig``)."""
    found = []
    for action in rule.get("Actions", []):
        if action.get("TargetGroupArn"):
            found.append(action["TargetGroupArn"])
        found.extend(group["TargetGroupArn"] for group in (action.get("ForwardConfig") or {}).get("TargetGroups", []))
    return found


def _read_roles(iam: Client, account: Account) -> None:
    wanted = {td.get("taskRoleArn") for td in account.task_definitions.values()} - {None}
    if not wanted:
        return
    for role in pages(iam, "get_account_authorization_details", "RoleDetailList", Filter=["Role"]):
        if role["Arn"] in wanted:
            account.roles[role["Arn"]] = role


def _read_instances(discovery: Client, account: Account, namespace: str) -> None:
    found = [n["Id"] for n in pages(discovery, "list_namespaces", "Namespaces") if n.get("Name", "").lower() == namespace.lower()]
    if not found:
        return
    filters = [{"Name": "NAMESPACE_ID", "Values": found[:1], "Condition": "EQ"}]
    for service in pages(discovery, "list_services", "Services", Filters=filters):
        account.instances[service["Name"]] = list(pages(discovery, "list_instances", "Instances", ServiceId=service["Id"]))
