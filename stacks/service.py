"""One ECS service on Fargate: its task definition and the service with its Service Connect block."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from topology import Port, Secret, Service
from topology.patterns import SECRETS_MANAGER_ARN

from .entry import Attachment, EntryPoint
from .iam import ServiceRoles
from .logs import ServiceLogs
from .raw import RawBlocks, RawResource


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where the service runs: values that come from the network stack."""

    cluster_arn: str
    namespace_arn: str
    namespace_name: str
    subnet_ids: list[str]
    region: str


@dataclass(frozen=True, kw_only=True)
class Front:
    """The entries in front of one edge service: its target groups, and what must exist before ECS registers tasks."""

    attachments: tuple[Attachment, ...]
    dependables: tuple[str, ...]
    """Addresses (``<type>.<id>``) for ``depends_on``."""

    @staticmethod
    def of(name: str, entries: list[EntryPoint], raw: RawBlocks) -> Front | None:
        attachments = tuple(a for entry in entries for a in entry.attachments.get(name, []))
        if not attachments:
            return None
        return Front(
            attachments=tuple(replace(a, target_group_arn=raw.resolve(a.target_group_arn)) for a in attachments),
            dependables=tuple(raw.address_of(d) for entry in entries if name in entry.attachments for d in entry.dependables),
        )


def grace_period(service: Service) -> int:
    """Seconds ECS ignores failing load-balancer health checks of a new task: 60, or the container's start period if longer."""
    start = service.health_check.start_period_seconds if service.health_check is not None else 0
    return max(60, start)


def service_connect_fingerprint(service: Service, namespace_name: str) -> str:
    """A short hash of everything about a server that a caller's /etc/hosts and proxy config depend on.

    It goes into each caller's ``triggers``: when it changes, Terraform redeploys
    the caller, which is the article's "redeploy the client" done by the plan.
    """
    # A health path is the load balancer's business, not the callers': it must not redeploy them.
    ports = [{key: value for key, value in asdict(port).items() if key != "health_path"} for port in service.ports]
    material = {"namespace": namespace_name, "ports": ports}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]


def image_variable_name(service_name: str) -> str:
    """``image_<service>`` with dashes as underscores: a valid Terraform and ``TF_VAR_`` name, unique because
    service names are lowercase letters, digits and dashes (never underscores)."""
    return f"image_{service_name.replace('-', '_')}"


def container_definition(
    service: Service, logs: ServiceLogs, region: str, *, image: str | None = None, environment: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """The one container; ``image`` (the image variable's reference) and ``environment`` (endpoints resolved) as given."""
    variables = environment if environment is not None else [(key, str(value)) for key, value in service.environment]
    definition: dict[str, Any] = {
        "name": service.container_name,
        "image": image if image is not None else service.image,
        "essential": True,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": logs.app.ref("name"), "awslogs-region": region, "awslogs-stream-prefix": service.name},
        },
    }
    if service.ports:
        definition["portMappings"] = [_port_mapping(port) for port in service.ports]
    if variables:
        definition["environment"] = [{"name": key, "value": value} for key, value in variables]
    if service.secrets:
        definition["secrets"] = [{"name": secret.name, "valueFrom": secret_value_from(secret)} for secret in service.secrets]
    if service.command is not None:
        definition["command"] = list(service.command)
    if service.health_check is not None:
        check = service.health_check
        definition["healthCheck"] = {
            "command": list(check.command),
            "interval": check.interval_seconds,
            "timeout": check.timeout_seconds,
            "retries": check.retries,
            "startPeriod": check.start_period_seconds,
        }
    if service.enable_execute_command:
        # ECS Exec recommends an init process so the SSM agent's child processes are reaped.
        definition["linuxParameters"] = {"initProcessEnabled": True}
    return definition


def secret_value_from(secret: Secret) -> str:
    """ECS ``valueFrom``: the ARN, or for a Secrets Manager key/version ``<arn>:<json-key>:<version-stage>:<version-id>``."""
    parts = (secret.json_key, secret.version_stage, secret.version_id)
    if not SECRETS_MANAGER_ARN.match(secret.arn) or all(part is None for part in parts):
        return secret.arn
    return ":".join([secret.arn, *(part or "" for part in parts)])


def capacity_strategy(service: Service) -> list[dict[str, Any]]:
    """Fargate Spot for ``spot_percent`` of the tasks; on-demand Fargate keeps the first task (base 1) unless all are Spot.

    Never empty, even without Spot: provider 5.x replaces the service when its strategy
    changes unless ``force_new_deployment`` is set *and* neither the old nor the new
    strategy is empty (``capacityProviderStrategyCustomizeDiff``). A service with a
    strategy of plain ``FARGATE`` therefore turns Spot on and off in place.
    """
    spot = service.capacity.spot_percent
    if spot == 0:
        return [{"capacity_provider": "FARGATE", "weight": 1}]
    if spot == 100:
        return [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
    return [
        {"capacity_provider": "FARGATE", "base": 1, "weight": 100 - spot},
        {"capacity_provider": "FARGATE_SPOT", "weight": spot},
    ]


def launch(service: Service, *, adopting: bool) -> tuple[str | None, list[dict[str, Any]] | None]:
    """``(launch_type, capacity_provider_strategy)``: always a strategy, except for an adopted service without Spot.

    An adopted service may run with ``launchType FARGATE``; importing it gives an empty
    strategy, and a non-empty one would replace it at adoption. It keeps its launch type
    (changing its Spot share later replaces it: docs/audit.md, finding 5).
    """
    if adopting and service.capacity.spot_percent == 0:
        return "FARGATE", None
    return None, capacity_strategy(service)


def _port_mapping(port: Port) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        "name": port.name,
        "containerPort": port.container_port,
        "hostPort": port.container_port,
        "protocol": "tcp",
    }
    if port.protocol != "tcp":
        # Without appProtocol, Service Connect treats the port as plain TCP (the article's "needed for HTTP").
        mapping["appProtocol"] = port.protocol
    return mapping


def _served_port(port: Port) -> dict[str, Any]:
    timeout = None
    if port.idle_timeout_seconds is not None or port.per_request_timeout_seconds is not None:
        timeout = {"idle_timeout_seconds": port.idle_timeout_seconds, "per_request_timeout_seconds": port.per_request_timeout_seconds}
    tls = None
    if port.tls is not None:
        tls = {
            "issuer_cert_authority": {"aws_pca_authority_arn": port.tls.ca_arn},
            "kms_key": port.tls.kms_key,
            "role_arn": port.tls.role_arn,
        }
    return {
        "port_name": port.name,
        "discovery_name": port.discovery_name,
        "client_alias": {"port": port.effective_client_port, "dns_name": port.dns_name},
        "ingress_port_override": port.ingress_port_override,
        "timeout": timeout,
        "tls": tls,
    }


class EcsServiceUnit:
    """Task definition + ECS service for one declared service (construct path ``<service>``).

    ``servers`` are the already-built units this one calls: the service depends on
    them (created first, as Service Connect requires) and carries their
    fingerprints in ``triggers`` so it is redeployed when they change.
    """

    task_definition: RawResource
    service: RawResource

    def __init__(
        self,
        raw: RawBlocks,
        construct_id: str,
        *,
        service: Service,
        placement: Placement,
        security_group_id: str,
        logs: ServiceLogs,
        roles: ServiceRoles,
        family_prefix: str,
        servers: list[EcsServiceUnit],
        front: Front | None = None,
        image: str,
        environment: list[tuple[str, str]],
        import_id: str | None = None,
    ) -> None:
        self.declaration = service
        self.task_definition = raw.resource(
            [construct_id, "task"],
            "aws_ecs_task_definition",
            {
                "family": f"{family_prefix}-{service.name}",
                "requires_compatibilities": ["FARGATE"],
                "network_mode": "awsvpc",
                "cpu": str(service.cpu),
                "memory": str(service.memory),
                "execution_role_arn": roles.execution_role.ref("arn"),
                "task_role_arn": roles.task_role.ref("arn"),
                "container_definitions": json.dumps(
                    [container_definition(service, logs, placement.region, image=image, environment=environment)], sort_keys=True
                ),
                "runtime_platform": (
                    {"cpu_architecture": "ARM64", "operating_system_family": "LINUX"} if service.capacity.architecture == "ARM64" else None
                ),
                "ephemeral_storage": (
                    {"size_in_gib": service.capacity.ephemeral_storage_gib} if service.capacity.ephemeral_storage_gib is not None else None
                ),
            },
        )
        triggers = {
            f"service_connect_{unit.declaration.name}": service_connect_fingerprint(unit.declaration, placement.namespace_name)
            for unit in servers
        }
        depends_on = [unit.service.address for unit in servers]
        depends_on += [group.address for group in logs.groups]
        depends_on += [policy.address for policy in roles.policies]  # a first task must not hit AccessDenied on its logs, image or secrets
        if front is not None:
            depends_on += front.dependables  # ECS rejects a target group that no listener uses yet
        launch_type, strategy = launch(service, adopting=import_id is not None)
        deployment = service.deployment
        self.service = raw.resource(
            [construct_id, "service"],
            "aws_ecs_service",
            {
                "name": service.name,
                "cluster": placement.cluster_arn,
                "task_definition": self.task_definition.ref("arn"),
                "desired_count": service.desired_count,
                "launch_type": launch_type,
                "capacity_provider_strategy": strategy,
                "platform_version": "LATEST",
                "enable_execute_command": service.enable_execute_command,
                "propagate_tags": "SERVICE",
                "enable_ecs_managed_tags": True,
                "deployment_circuit_breaker": {"enable": True, "rollback": True},
                "deployment_minimum_healthy_percent": deployment.minimum_healthy_percent,
                "deployment_maximum_percent": deployment.maximum_percent,
                "wait_for_steady_state": deployment.wait_for_steady_state,
                "network_configuration": {
                    "subnets": placement.subnet_ids,
                    "security_groups": [security_group_id],
                    "assign_public_ip": False,
                },
                "service_connect_configuration": self._service_connect(service, placement, logs),
                "load_balancer": [
                    {"target_group_arn": a.target_group_arn, "container_name": service.container_name, "container_port": a.container_port}
                    for a in front.attachments
                ]
                if front is not None
                else None,
                "health_check_grace_period_seconds": grace_period(service) if front is not None else None,
                "triggers": triggers or None,
                # Needed for ``triggers`` to redeploy, and for a capacity-provider change to be made in place.
                "force_new_deployment": True,
                "depends_on": depends_on,
                "lifecycle": {
                    # Once Application Auto Scaling owns the count, a plan must not set it back.
                    "ignore_changes": ["desired_count"] if service.autoscaling is not None else None,
                    # Only a waited-for deployment has a result to check: without the wait, the read follows the update at once.
                    "postcondition": [self._runs_new_revision(service.name)] if deployment.wait_for_steady_state else None,
                },
            },
        )
        if import_id is not None:
            self.service.import_from(import_id)  # adopt the running service: updated in place, never recreated

    def _runs_new_revision(self, name: str) -> dict[str, str]:
        """Apply fails when the service does not run the revision this apply registered.

        With the circuit breaker's rollback, ``wait_for_steady_state`` returns once the
        *old* revision is steady again, and provider 5.x reports success
        (hashicorp/terraform-provider-aws#20858). The service read after the update then
        names the old task definition, which this postcondition catches.
        """
        registered = f"{self.task_definition.address}.arn"
        return {
            "condition": f"${{self.task_definition == {registered}}}",
            "error_message": f"ECS service {name} runs ${{self.task_definition}}, not the revision this apply registered "
            f"(${{{registered}}}): the deployment failed and the circuit breaker rolled it back. Read the service's events "
            f"(aws ecs describe-services --cluster ${{self.cluster}} --services {name}) and its stopped tasks' reasons, fix, "
            "and apply again.",
        }

    @staticmethod
    def _service_connect(service: Service, placement: Placement, logs: ServiceLogs) -> dict[str, Any]:
        log_configuration = None
        if logs.proxy is not None:
            log_configuration = {
                "log_driver": "awslogs",
                "options": {
                    "awslogs-group": logs.proxy.ref("name"),
                    "awslogs-region": placement.region,
                    "awslogs-stream-prefix": "service-connect",
                },
            }
        return {
            "enabled": True,
            "namespace": placement.namespace_arn,
            "service": [_served_port(port) for port in service.ports] or None,
            "log_configuration": log_configuration,
        }
