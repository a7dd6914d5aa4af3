"""Stack ``services``: every declared service, its security group, roles, logs and ordering.

This stack only composes: one construct per concept per service, built in
deploy order (servers before callers) so each caller can depend on its servers.
"""

from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from topology import Entry, Port, Settings, Topology, call_edges, deploy_order, endpoint_host
from topology.endpoints import endpoint, resolved_environment

from .autoscaling import ServiceAutoscaling
from .common import configure_stack
from .entry import EntryPoint, vpc_identity
from .extras import GuardedHandle, OwnResourceHandle, grant_policy, guarded_resources, own_resources
from .iam import AccountContext, ExecAudit, ServiceRoles
from .logs import ServiceLogs
from .network import NetworkStack
from .raw import RawBlocks
from .security import ServiceSecurityGroup
from .service import EcsServiceUnit, Front, Placement, image_variable_name
from .tags import tag_resources


def endpoint_urls(topology: Topology, namespace: str) -> dict[str, list[str]]:
    """``{server: [endpoint, ...]}`` for every server, declaration order."""
    return {service.name: [endpoint(port, namespace) for port in service.ports] for service in topology.services if service.is_server}


def probe_command(port: Port, namespace: str) -> str:
    """What the ECS Exec check runs in the caller: curl for HTTP ports (HTTP/2 without upgrade for http2 and
    grpc, which is what their proxies expect), a TCP connect (bash's /dev/tcp) for TCP ports."""
    if port.protocol == "tcp":
        host, number = endpoint_host(port, namespace), port.effective_client_port
        return f"bash -c 'exec 3<>/dev/tcp/{host}/{number} && echo connected to {host}:{number}'"
    http2 = "--http2-prior-knowledge " if port.protocol in ("http2", "grpc") else ""
    return f"curl -sS {http2}http://{endpoint_host(port, namespace)}:{port.effective_client_port}"  # curl speaks no dns:/// URI


class ServicesStack(TerraformStack):
    security_groups: dict[str, ServiceSecurityGroup]
    units: dict[str, EcsServiceUnit]
    logs: dict[str, ServiceLogs]
    roles: dict[str, ServiceRoles]
    entries: list[EntryPoint]
    own: dict[str, OwnResourceHandle]
    """The team's own resources (``Topology.resources``) by name: typed handles for other declarations (stacks/extras.py)."""
    guarded: dict[str, GuardedHandle]
    """The guarded resources by name: each one's security group (``.group_id``), for the database the team writes."""

    def __init__(self, scope: Construct, stack_id: str, *, topology: Topology, settings: Settings, network: NetworkStack) -> None:
        super().__init__(scope, stack_id)
        configure_stack(self, stack_id, settings)
        self.add_dependency(network)
        # Per-service resources are plain JSON (stacks/raw.py), merged into cdk.tf.json after synth.
        self.raw = raw = RawBlocks(self, stack_id)
        net = settings.network
        placement = Placement(
            cluster_arn=raw.resolve(network.cluster_arn),
            namespace_arn=raw.resolve(network.namespace_arn),
            namespace_name=net.namespace,
            subnet_ids=raw.resolve(network.private_subnet_ids),
            region=settings.region,
        )
        account = AccountContext(self, "account", raw=raw)
        exec_audit = None
        executes = any(service.enable_execute_command for service in topology.services)
        if executes and network.exec_audit_group is not None and network.exec_key is not None:  # resolving registers outputs
            exec_audit = ExecAudit(
                log_group_arn=raw.resolve(network.exec_audit_group.arn),
                key_arn=raw.resolve(network.exec_key.key.arn),
                region=settings.region,
            )
        vpc_id = raw.resolve(network.vpc_id)
        raw.resolve(network.public_subnet_ids)  # exported always: a first entry added later then plans before a network apply
        logs_key_arn = raw.resolve(network.logs_key.key.arn)
        self.security_groups, self.units, self.logs, self.roles = {}, {}, {}, {}
        existing = net.existing
        adoption = existing.adopt if existing is not None else None
        adopted = {service.name: adoption.service(service.name) if adoption else None for service in topology.services}
        for service in topology.services:
            self.security_groups[service.name] = ServiceSecurityGroup(
                raw, f"{service.name}_sg", service=service, project=settings.project, vpc_id=vpc_id, adopted=adopted[service.name]
            )
        for caller, server in call_edges(topology):
            self.security_groups[server].allow_call(self.security_groups[caller])
        self.entries = [self._entry(entry, topology, settings, network) for entry in topology.entries]
        self.own = own_resources(raw, topology.resources, project=settings.project)
        self.guarded = guarded_resources(raw, topology.resources, project=settings.project, vpc_id=vpc_id, groups=self.security_groups)
        for name in deploy_order(topology):
            service = topology.service(name)
            logs = ServiceLogs(
                raw,
                f"{name}_logs",
                service=service,
                cluster_name=net.cluster_name,
                retention_days=settings.log_retention_days,
                kms_key_arn=logs_key_arn,
                adopted=adopted[name],
            )
            roles = ServiceRoles(
                raw,
                f"{name}_iam",
                service=service,
                project=settings.project,
                log_group_arns=[group.ref("arn") for group in logs.groups],
                account=account,
                adopted=adopted[name],
                exec_audit=exec_audit if service.enable_execute_command else None,
            )
            if any(grant.actions for grant in service.grants):
                roles.policies.append(grant_policy(raw, name, roles.task_role, service.grants, self.own))
            self.logs[name], self.roles[name] = logs, roles
            image = raw.variable(
                image_variable_name(name),
                {
                    "type": "string",
                    "default": service.image,
                    "description": f"Container image of {name} (a release: -var {image_variable_name(name)}=<repository>:<tag>)",
                },
            )
            self.units[name] = EcsServiceUnit(
                raw,
                name,
                service=service,
                placement=placement,
                security_group_id=self.security_groups[name].group_id,
                logs=logs,
                roles=roles,
                family_prefix=settings.project,
                servers=[self.units[server] for server in service.calls],
                front=Front.of(name, self.entries, raw),
                image=image,
                environment=resolved_environment(service, topology, net.namespace),
                import_id=f"{net.cluster_name}/{name}" if adopted[name] else None,
            )
            if adopted[name] and service.ports:
                from .existing import RunningProtocols  # only when adopting: a default synth loads no data source modules

                RunningProtocols(self, f"{name}_running", service=service, cluster_arn=network.cluster_arn)
            if service.autoscaling is not None:
                scaling = ServiceAutoscaling(
                    self, f"{name}_scaling", scaling=service.autoscaling, cluster_name=net.cluster_name, service=self.units[name].service
                )
                if service.tags:
                    scaling.target.tags = dict(service.tags)
        for service in topology.services:
            components = (f"{service.name}_sg", f"{service.name}_logs", f"{service.name}_iam", service.name)
            tag_resources([r for component in components for r in raw.under(component)], service.tags)
        self._outputs(topology, settings)
        for entry_point in self.entries:
            entry_point.outputs(self)

    def _entry(self, entry: Entry, topology: Topology, settings: Settings, network: NetworkStack) -> EntryPoint:
        """An internet-facing load balancer goes in the public subnets, an internal one beside the tasks."""
        subnets = network.public_subnet_ids if entry.internet_facing else network.private_subnet_ids
        return EntryPoint(
            self,
            f"entry_{entry.name}",
            entry=entry,
            topology=topology,
            project=settings.project,
            vpc_id=network.vpc_id,
            vpc_identity=vpc_identity(settings.network),
            subnet_ids=subnets,
            groups=self.security_groups,
        )

    def _outputs(self, topology: Topology, settings: Settings) -> None:
        net = settings.network
        endpoints = endpoint_urls(topology, net.namespace)
        for server, urls in endpoints.items():
            self.raw.output(f"endpoint_{server}", {"value": urls[0] if len(urls) == 1 else urls})
        self.raw.output("cluster_name", {"value": net.cluster_name})
        for caller, server in call_edges(topology):
            if not topology.service(caller).enable_execute_command:
                continue
            port = topology.service(server).ports[0]
            probe, verb = probe_command(port, net.namespace), "TCP connect" if port.protocol == "tcp" else "curl"
            self.raw.output(
                f"check_{caller}_to_{server}",
                {
                    "description": f"Run in a shell with AWS credentials: {verb} from a {caller} task to {server} (ECS Exec)",
                    "value": (
                        f"aws ecs execute-command --region {settings.region} --cluster {net.cluster_name} "
                        f"--task $(aws ecs list-tasks --region {settings.region} --cluster {net.cluster_name} "
                        f"--service-name {caller} --query 'taskArns[0]' --output text) "
                        f'--container {caller} --interactive --command "{probe}"'
                    ),
                },
            )
