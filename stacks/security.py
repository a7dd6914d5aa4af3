"""Security groups: one per service; ingress only from declared callers, only on Service Connect ingress ports.

There is no CIDR ingress anywhere. Egress is the service's declared ``egress``
(by default HTTPS anywhere: image pull through NAT, the ECS, CloudWatch Logs, SSM
and Secrets Manager endpoints; narrowed or extended per service to a security
group, a CIDR or a prefix list) plus each called server's security group on that
server's ingress ports, so a service can open connections only to what it declared.
"""

from __future__ import annotations

from topology import AdoptedService, Egress, Service

from .raw import RawBlocks, RawResource, RawScope


class ServiceSecurityGroup:
    """The group a service's tasks run in (construct path ``<service>_sg``). Rules between groups are added by ``allow_call``."""

    group: RawResource

    def __init__(
        self, raw: RawBlocks, construct_id: str, *, service: Service, project: str, vpc_id: str, adopted: AdoptedService | None = None
    ) -> None:
        self.raw, self.construct_id = raw, construct_id
        self.scope = RawScope(raw.stack, construct_id)
        self.service = service
        self.adopted = adopted
        name, description = f"{project}-{service.name}", f"Tasks of {service.name}; ingress only from declared callers"
        if adopted and adopted.security_group_id:
            # Name and description cannot change in place: keep the running group's own, read from the account.
            from cdktf_cdktf_provider_aws.data_aws_security_group import DataAwsSecurityGroup  # only when adopting

            existing = DataAwsSecurityGroup(self.scope.construct, "existing", id=adopted.security_group_id)
            name, description = raw.resolve(existing.name), raw.resolve(existing.description)
        self.group = raw.resource(
            [construct_id, "group"],
            "aws_security_group",
            {
                "name": name,
                "description": description,
                "vpc_id": vpc_id,
                "revoke_rules_on_delete": True,
                "tags": {"Name": f"{project}-{service.name}"},
            },
        )
        if adopted and adopted.security_group_id:
            self.group.import_from(adopted.security_group_id)
        self.group_id = self.group.ref("id")
        for rule in service.egress:
            self._egress(rule)

    def _egress(self, rule: Egress) -> None:
        destination = rule.security_group_id or rule.cidr or rule.prefix_list_id
        self.raw.resource(
            [self.construct_id, f"egress_{rule.name}"],
            "aws_vpc_security_group_egress_rule",
            {
                "security_group_id": self.group_id,
                "description": rule.description or f"{rule.name}: {rule.protocol}/{rule.port} to {destination}",
                "ip_protocol": rule.protocol,
                "from_port": rule.port,
                "to_port": rule.last_port,
                "cidr_ipv4": rule.cidr,
                "referenced_security_group_id": rule.security_group_id,
                "prefix_list_id": rule.prefix_list_id,
            },
        )

    def allow_call(self, caller: ServiceSecurityGroup) -> None:
        """Open this (server) group to ``caller`` on every ingress port, and the caller's egress to it."""
        adopted_rules = dict(self.adopted.ingress_rule_ids) if self.adopted else {}
        for port in self.service.ports:
            rule_id = f"{caller.service.name}_{port.name}"
            description = f"Service Connect {caller.service.name} -> {self.service.name}:{port.name}"
            ingress = tcp_between(
                self.raw,
                self.group_id,
                caller.group_id,
                port.ingress_port,
                description,
                ingress_path=[self.construct_id, f"from_{rule_id}"],
                egress_path=[caller.construct_id, f"to_{self.service.name}_{port.name}"],
            )
            existing_rule = adopted_rules.get(f"{caller.service.name}:{port.name}") or (
                adopted_rules.get(caller.service.name) if len(self.service.ports) == 1 else None
            )
            if existing_rule:
                ingress.import_from(existing_rule)  # the running rule already admits this caller


def tcp_between(
    raw: RawBlocks, server: str, caller: str, port: int, description: str, *, ingress_path: list[str], egress_path: list[str]
) -> RawResource:
    """The ingress rule on the ``server`` group from exactly the ``caller`` group on one TCP port, and the caller's
    egress to it: the one shape of every opening the project writes between two groups (a call, a guarded resource's
    grant). Returns the ingress rule (an adoption imports the running one into it)."""
    rule = {"description": description, "ip_protocol": "tcp", "from_port": port, "to_port": port}
    ingress = raw.resource(
        ingress_path,
        "aws_vpc_security_group_ingress_rule",
        {"security_group_id": server, "referenced_security_group_id": caller, **rule},
    )
    raw.resource(
        egress_path, "aws_vpc_security_group_egress_rule", {"security_group_id": caller, "referenced_security_group_id": server, **rule}
    )
    return ingress
