"""The declaration language: what services exist, what they serve, whom they call.

Plain frozen dataclasses, no cdktf inside, so a topology can be built, compared,
hashed and validated in milliseconds. Defaults follow the article in
``shared/seed`` and, for Service Connect options, AWS's own defaults: a field left
as ``None`` is not written to Terraform at all, so ECS applies its default.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

AppProtocol = Literal["http", "http2", "grpc", "tcp"]
"""What the Service Connect proxy speaks on a port. ``tcp`` means no appProtocol:
ECS then treats the port as opaque TCP (no per-request metrics or timeouts)."""

NatMode = Literal["per_az", "single"]
NamespaceType = Literal["private_dns", "http"]

DEFAULT_IMAGE = "public.ecr.aws/nginx/nginx:latest"


@dataclass(frozen=True, kw_only=True)
class Tls:
    """Service Connect TLS between proxies, issued by an ACM Private CA."""

    ca_arn: str
    """ARN of the AWS Private CA that issues the proxies' certificates (required)."""
    kms_key: str | None = None
    """KMS key ARN or alias that ECS uses to encrypt the private key; AWS-owned key if unset."""
    role_arn: str | None = None
    """Infrastructure role ECS assumes to reach the Private CA; ECS's service-linked role if unset."""


@dataclass(frozen=True, kw_only=True)
class Port:
    """One container port that the service serves through Service Connect.

    The port's ``name`` is the ECS port-mapping name and, unless ``discovery_name``
    / ``dns_name`` say otherwise, also the host name callers use:
    ``http://<name>.<namespace>:<client_port>``.
    """

    name: str
    container_port: int
    protocol: AppProtocol = "http"
    discovery_name: str | None = None
    """Cloud Map service name; ECS uses the port name if unset."""
    dns_name: str | None = None
    """Host label callers resolve; ``<discovery_name>.<namespace>`` if unset."""
    client_port: int | None = None
    """Port callers connect to; the container port if unset."""
    ingress_port_override: int | None = None
    """Port the server-side proxy listens on; in awsvpc mode ECS uses the container port if unset."""
    idle_timeout_seconds: int | None = None
    """Idle connection timeout; ECS default (300 s for http/http2/grpc, 1 h for tcp) if unset. 0 disables it."""
    per_request_timeout_seconds: int | None = None
    """Upstream response timeout (http/http2/grpc only); ECS default 15 s if unset. 0 disables it."""
    tls: Tls | None = None

    @property
    def effective_discovery_name(self) -> str:
        return self.discovery_name or self.name

    @property
    def effective_client_port(self) -> int:
        return self.client_port if self.client_port is not None else self.container_port

    @property
    def ingress_port(self) -> int:
        """The port callers' traffic arrives on at the server task: what its security group must open."""
        if self.ingress_port_override is not None:
            return self.ingress_port_override
        return self.container_port


@dataclass(frozen=True, kw_only=True)
class HealthCheck:
    """A container health check (ECS ``healthCheck``); values within ECS's limits."""

    command: tuple[str, ...]
    """Like ``("CMD-SHELL", "curl -f http://localhost/ || exit 1")``."""
    interval_seconds: int = 30
    timeout_seconds: int = 5
    retries: int = 3
    start_period_seconds: int = 0


@dataclass(frozen=True, kw_only=True)
class Service:
    """An ECS service on Fargate: a server (has ports), a client (has calls), or both."""

    name: str
    image: str = DEFAULT_IMAGE
    ports: tuple[Port, ...] = ()
    calls: tuple[str, ...] = ()
    """Names of the services this one calls; it may reach each of their ports."""
    cpu: int = 256
    memory: int = 512
    desired_count: int = 1
    environment: tuple[tuple[str, str], ...] = ()
    """Pairs rather than a dict so the declaration stays hashable and ordered."""
    command: tuple[str, ...] | None = None
    health_check: HealthCheck | None = None
    enable_execute_command: bool = True
    proxy_logs: bool = True
    """Send the Service Connect proxy's logs to a log group of their own."""

    @property
    def is_server(self) -> bool:
        return bool(self.ports)

    @property
    def container_name(self) -> str:
        return self.name


@dataclass(frozen=True, kw_only=True)
class Topology:
    """Every service of the system, in declaration order (the order is kept in the output)."""

    services: tuple[Service, ...]

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """The network/cluster layer. Defaults are the article's (CDK ``Vpc`` with 2 AZs)."""

    cidr: str = "10.0.0.0/16"
    availability_zones: tuple[str, ...] = ("ap-northeast-1a", "ap-northeast-1c")
    """Named, not "the first N": the set cannot silently change when AWS adds a zone (the article's CDK
    ``maxAzs: 2`` picks these two in ap-northeast-1). They must belong to ``Settings.region``."""
    nat: NatMode = "per_az"
    """``per_az``: one NAT gateway per AZ (survives an AZ outage); ``single``: one for all (cheaper)."""
    cluster_name: str = "ServiceConnect"
    namespace: str = "ServiceConnectNS"
    """Cloud Map namespace; endpoints read ``<alias>.serviceconnectns`` (DNS names are case-insensitive)."""
    namespace_type: NamespaceType = "private_dns"
    """``private_dns`` as the article's CDK default; ``http`` skips the Route 53 private zone."""
    container_insights: bool = True
    flow_logs: bool = True
    """VPC flow logs (all traffic) to a KMS-encrypted CloudWatch log group."""

    @property
    def az_count(self) -> int:
        return len(self.availability_zones)

    def subnet_cidrs(self) -> tuple[list[str], list[str]]:
        """Public then private subnets, each 1/16 of the VPC (a /20 of a /16), like terraform-aws-vpc's
        ``cidrsubnet(cidr, 4, i)``: public take the first blocks, private start half-way."""
        blocks = list(ipaddress.IPv4Network(self.cidr).subnets(prefixlen_diff=4))
        public = [str(block) for block in blocks[: self.az_count]]
        private = [str(block) for block in blocks[8 : 8 + self.az_count]]
        return public, private


@dataclass(frozen=True, kw_only=True)
class S3State:
    """Remote state in S3 with Terraform's S3-native lock file (no DynamoDB table)."""

    bucket: str
    region: str
    key_prefix: str = "internal-api"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything that is not a service: where, what names, where state lives."""

    region: str = "ap-northeast-1"
    account_id: str | None = None
    """The only AWS account these stacks may be applied to (the provider's ``allowed_account_ids``); any if unset."""
    project: str = "internal-api"
    """Tag value and name prefix of the IAM roles."""
    network: NetworkSettings = field(default_factory=NetworkSettings)
    log_retention_days: int = 365
    """Applies to every log group (app, proxy, flow logs); all are encrypted with one KMS key."""
    state: S3State | None = None
    """``None``: local state files under ``local_state_dir`` in the project (relative paths)."""
    local_state_dir: str = "state"
    """Project-relative folder of local state; emulator runs use their own (``build/emulator/state``)."""
