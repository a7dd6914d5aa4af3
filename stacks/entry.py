"""A front door: an Application Load Balancer (or rules on another team's listener) in front of edge services.

What it creates, and nothing more:

- its own security group: ingress only from the declared sources on the listener
  ports; egress only to the routed services' groups on their routed ports;
- the load balancer (public subnets when internet-facing, private otherwise), its
  listeners (HTTPS with a TLS 1.3 policy; HTTP only as a redirect on an
  internet-facing entry) and one rule per route on each forwarding listener;
- one IP target group per routed (service, port), health-checked on the port's
  ``health_path``;
- on each edge service's group, one rule admitting the load balancer's group on
  the routed port (besides its declared callers).

The ECS services attach to the target groups (``attachments``) and wait for
``dependables`` (target groups, listeners, rules): ECS rejects a target group that
no listener uses yet.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from cdktf import ITerraformDependable, TerraformOutput, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionFixedResponse,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionHostHeader,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from topology import Entry, Listener, NetworkSettings, Port, Route, Topology
from topology.entry import REDIRECT_ONLY
from topology.entry_rules import health_check_path, routed_port, rule_priorities
from topology.limits import ELB_NAME_LIMIT

from .security import ServiceSecurityGroup

PROTOCOL_VERSIONS = {"http": "HTTP1", "http2": "HTTP2", "grpc": "GRPC"}
MATCHERS = {"http": "200-399", "http2": "200-399", "grpc": "0-99"}


def elb_name(*parts: str) -> str:
    """``a-b-c``, or when longer than 32 characters its first 25 and a hash of the whole: deterministic and unique.

    ELB names are letters, digits and hyphens only, and neither begin nor end with a hyphen
    (CreateTargetGroup.Name), so a port name's ``_`` becomes ``-`` and hyphens at a part's ends go."""
    name = "-".join(part.replace("_", "-").strip("-") for part in parts)
    if len(name) <= ELB_NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: ELB_NAME_LIMIT - 7].rstrip('-')}-{digest}"


def target_group_name(base: tuple[str, ...], replacing: tuple[str, ...]) -> str:
    """``<base cut to 25>-<6 hex>``: the hash covers what replaces a target group (port, protocol, protocol
    version, target type, VPC), so a replacement gets a new name and ``create_before_destroy`` can create it while
    the old one still serves (a fixed name fails with ``DuplicateTargetGroupName``, or ``ResourceInUse`` on delete).
    When the base is cut, the hash covers the whole base too: a long project and entry name leave no room for the
    service and port in the 25 characters, and two routed services on the same port must still get two names. A
    base that fits keeps the hash of what replaces it alone, so the names of deployed target groups do not change."""
    name = "-".join(part.replace("_", "-").strip("-") for part in base)
    kept = name[: ELB_NAME_LIMIT - 7].rstrip("-")
    hashed = replacing if kept == name else (name, *replacing)
    digest = hashlib.sha256("|".join(hashed).encode()).hexdigest()[:6]
    return f"{kept}-{digest}"


def vpc_identity(net: NetworkSettings) -> str:
    """What names the VPC before it exists: an existing VPC's ID, or the CIDR of the one the network creates (a new CIDR replaces it)."""
    return net.existing.vpc_id if net.existing is not None else f"cidr {net.cidr}"


def routed(entry: Entry, topology: Topology) -> list[tuple[str, Port]]:
    """Every distinct (service, port) the entry routes to, in route order."""
    found: list[tuple[str, Port]] = []
    for route in entry.routes:
        port = routed_port(route, topology.service(route.service))
        if port is not None and (route.service, port) not in found:
            found.append((route.service, port))
    return found


@dataclass(frozen=True)
class Attachment:
    """What an ECS service's ``load_balancer`` block names: a target group and the container port it reaches."""

    target_group_arn: str
    container_port: int


class EntryPoint(Construct):
    """One declared ``Entry``; see the module docstring."""

    load_balancer: Lb | None
    group: SecurityGroup | None

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        entry: Entry,
        topology: Topology,
        project: str,
        vpc_id: str,
        vpc_identity: str,
        subnet_ids: list[str],
        groups: dict[str, ServiceSecurityGroup],
    ) -> None:
        super().__init__(scope, construct_id)
        self.entry, self.topology, self.vpc_identity = entry, topology, vpc_identity
        self.attachments: dict[str, list[Attachment]] = {}
        self.dependables: list[ITerraformDependable] = []
        self.target_groups: dict[tuple[str, str], LbTargetGroup] = {}
        for service, port in routed(entry, topology):
            self._target_group(project, vpc_id, service, port)
        self.load_balancer, self.group = None, None
        if entry.existing is not None:
            listener_arns = [entry.existing.listener_arn]
            source_group = entry.existing.security_group_id
        else:
            self.group = self._security_group(project, vpc_id, topology, groups)
            self.load_balancer = self._load_balancer(project, subnet_ids, self.group.id)
            listener_arns = [self._listener(listener).arn for listener in entry.listeners]
            listener_arns = [arn for arn, listener in zip(listener_arns, entry.listeners, strict=True) if listener.forwards]
        for index, arn in enumerate(listener_arns):
            self._rules(index, arn)
        for service, port in routed(entry, topology):
            VpcSecurityGroupIngressRule(
                groups[service].scope.construct,  # beside the group's own rules: <service>_sg/from_entry_...
                f"from_entry_{entry.name}_{port.name}",
                security_group_id=groups[service].group_id,
                referenced_security_group_id=source_group if self.group is None else self.group.id,
                description=f"Entry {entry.name} -> {service}:{port.name}",
                ip_protocol="tcp",
                from_port=port.container_port,
                to_port=port.container_port,
            )

    def _target_group(self, project: str, vpc_id: str, service: str, port: Port) -> None:
        replacing = (str(port.container_port), "HTTP", PROTOCOL_VERSIONS[port.protocol], "ip", self.vpc_identity)
        name = target_group_name((project, self.entry.name, service, port.name), replacing)
        group = LbTargetGroup(
            self,
            f"tg_{service}_{port.name}",
            name=name,
            port=port.container_port,
            protocol="HTTP",
            protocol_version=PROTOCOL_VERSIONS[port.protocol],
            target_type="ip",
            vpc_id=vpc_id,
            deregistration_delay="30",
            health_check=LbTargetGroupHealthCheck(
                enabled=True, path=health_check_path(port), protocol="HTTP", port="traffic-port", matcher=MATCHERS[port.protocol]
            ),
            tags={"Name": name, "Entry": self.entry.name, "Service": service},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        self.target_groups[(service, port.name)] = group
        self.attachments.setdefault(service, []).append(Attachment(target_group_arn=group.arn, container_port=port.container_port))
        self.dependables.append(group)

    def _security_group(self, project: str, vpc_id: str, topology: Topology, groups: dict[str, ServiceSecurityGroup]) -> SecurityGroup:
        entry = self.entry
        group = SecurityGroup(
            self,
            "group",
            name=f"{project}-entry-{entry.name}",
            description=f"Load balancer of entry {entry.name}; ingress only from its declared sources",
            vpc_id=vpc_id,
            revoke_rules_on_delete=True,
            tags={"Name": f"{project}-entry-{entry.name}", "Entry": entry.name},
        )
        for listener in entry.listeners:
            for index, source in enumerate(entry.sources):
                network = None if source.startswith("pl-") else ipaddress.ip_network(source)
                VpcSecurityGroupIngressRule(
                    self,
                    f"from_{index}_{listener.effective_port}",
                    security_group_id=group.id,
                    description=f"Entry {entry.name}: {listener.protocol} {listener.effective_port} from {source}"
                    + (f" ({REDIRECT_ONLY})" if listener.redirect_to_https else ""),
                    ip_protocol="tcp",
                    from_port=listener.effective_port,
                    to_port=listener.effective_port,
                    cidr_ipv4=source if network is not None and network.version == 4 else None,
                    cidr_ipv6=source if network is not None and network.version == 6 else None,
                    prefix_list_id=source if network is None else None,
                )
        for service, port in routed(entry, topology):
            VpcSecurityGroupEgressRule(
                self,
                f"to_{service}_{port.name}",
                security_group_id=group.id,
                referenced_security_group_id=groups[service].group_id,
                description=f"Entry {entry.name} -> {service}:{port.name}",
                ip_protocol="tcp",
                from_port=port.container_port,
                to_port=port.container_port,
            )
        return group

    def _load_balancer(self, project: str, subnet_ids: list[str], group_id: str) -> Lb:
        entry = self.entry
        logs = None
        if entry.access_logs_bucket is not None:
            logs = LbAccessLogs(bucket=entry.access_logs_bucket, prefix=entry.access_logs_prefix, enabled=True)
        balancer = Lb(
            self,
            "lb",
            name=elb_name(entry.name, project),  # "<entry>-<project>": a name may not begin with "internal-" (the default project's)
            load_balancer_type="application",
            internal=not entry.internet_facing,
            security_groups=[group_id],
            subnets=subnet_ids,
            idle_timeout=entry.idle_timeout_seconds,
            enable_deletion_protection=entry.deletion_protection,
            drop_invalid_header_fields=entry.drop_invalid_header_fields,
            access_logs=logs,
            tags={"Name": elb_name(entry.name, project), "Entry": entry.name},
        )
        if entry.web_acl_arn is not None:
            from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation  # only with a WAF

            Wafv2WebAclAssociation(self, "waf", resource_arn=balancer.arn, web_acl_arn=entry.web_acl_arn)
        return balancer

    def _listener(self, listener: Listener) -> LbListener:
        assert self.load_balancer is not None
        https = listener.protocol == "HTTPS"
        created = LbListener(
            self,
            f"listener_{listener.effective_port}",
            load_balancer_arn=self.load_balancer.arn,
            port=listener.effective_port,
            protocol=listener.protocol,
            certificate_arn=listener.certificate_arn if https else None,
            ssl_policy=listener.tls_policy if https else None,
            default_action=[self._default_action(listener)],
            tags={"Entry": self.entry.name},
        )
        self.dependables.append(created)
        return created

    def _default_action(self, listener: Listener) -> LbListenerDefaultAction:
        if listener.redirect_to_https:
            redirect = LbListenerDefaultActionRedirect(protocol="HTTPS", port=str(self.entry.https_port), status_code="HTTP_301")
            return LbListenerDefaultAction(type="redirect", redirect=redirect)
        default = next((route for route in self.entry.routes if route.host is None and route.path is None), None)
        if default is not None:
            return LbListenerDefaultAction(type="forward", target_group_arn=self._group_of(default).arn)
        not_found = LbListenerDefaultActionFixedResponse(content_type="text/plain", status_code="404", message_body="Not Found")
        return LbListenerDefaultAction(type="fixed-response", fixed_response=not_found)

    def _group_of(self, route: Route) -> LbTargetGroup:
        port = routed_port(route, self.topology.service(route.service))
        assert port is not None  # validated: every route names a port of its service
        return self.target_groups[(route.service, port.name)]

    def _rules(self, listener_index: int, listener_arn: str) -> None:
        for index, priority in rule_priorities(self.entry).items():  # stable: no rule moves when a route is added
            route = self.entry.routes[index]
            conditions = []
            if route.host is not None:
                conditions.append(LbListenerRuleCondition(host_header=LbListenerRuleConditionHostHeader(values=[route.host])))
            if route.path is not None:
                conditions.append(LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=[route.path])))
            rule = LbListenerRule(
                self,
                f"rule_{listener_index}_p{priority}",  # by priority, not position: an inserted route renames no rule
                listener_arn=listener_arn,
                priority=priority,
                action=[LbListenerRuleAction(type="forward", target_group_arn=self._group_of(route).arn)],
                condition=conditions,
                tags={"Entry": self.entry.name, "Service": route.service},
            )
            self.dependables.append(rule)

    def outputs(self, scope: Construct) -> None:
        """The DNS name and a curl that reaches the first route (with its host name, through the load balancer)."""
        if self.load_balancer is None:
            return
        name, dns = self.entry.name, self.load_balancer.dns_name
        TerraformOutput(scope, f"entry_{name}_dns_name", value=dns)
        route = self.entry.routes[0]
        https = self.entry.https_port
        scheme, port = ("https", https) if https is not None else ("http", self.entry.listeners[0].effective_port)
        path = (route.path or "/").replace("*", "")
        if route.host is not None and "*" not in route.host and "?" not in route.host:
            command = f"curl --connect-to {route.host}:{port}:{dns}:{port} {scheme}://{route.host}:{port}{path}"
        else:
            command = f"curl {scheme}://{dns}:{port}{path}"
        TerraformOutput(scope, f"entry_{name}_curl", value=command, description=f"Reach {route.service} through entry {name}")
