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

from .entry import Entry
from .extras import Grant, OwnResource

AppProtocol = Literal["http", "http2", "grpc", "tcp"]
"""What the Service Connect proxy speaks on a port. ``tcp`` means no appProtocol:
ECS then treats the port as opaque TCP (no per-request metrics or timeouts)."""

NatMode = Literal["per_az", "single"]
NamespaceType = Literal["private_dns", "http"]
Architecture = Literal["X86_64", "ARM64"]
EgressProtocol = Literal["tcp", "udp"]

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
    """ECS port-mapping name, and the host label callers use unless ``discovery_name``/``dns_name`` say otherwise; 1-64 lowercase letters, digits, '-' or '_'."""
    container_port: int
    """The port the application listens on in its container, 1-65535."""
    protocol: AppProtocol = "http"
    """What the Service Connect proxy speaks on this port: ``http``, ``http2``, ``grpc`` or ``tcp`` (see Value types)."""
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
    """Proxy-to-proxy TLS through an AWS Private CA; plain traffic inside the VPC if unset."""
    health_path: str = "/"
    """HTTP path a load balancer's target group probes when an ``Entry`` routes to this port (a 2xx/3xx answer is healthy)."""

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
    """Seconds between checks, 5-300."""
    timeout_seconds: int = 5
    """Seconds one check may take before it counts as failed, 2-120."""
    retries: int = 3
    """Consecutive failures before the container is unhealthy, 1-10."""
    start_period_seconds: int = 0
    """Grace period after start during which failures do not count, 0-300."""


@dataclass(frozen=True, kw_only=True)
class Secret:
    """One container environment variable read from Secrets Manager or SSM Parameter Store at task start.

    The execution role may read exactly ``arn`` (and decrypt with ``kms_key_arn`` when given); the
    value never appears in the task definition or the Terraform state.
    """

    name: str
    """Environment variable name in the container."""
    arn: str
    """``arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>`` (the complete ARN) or
    ``arn:aws:ssm:<region>:<account>:parameter/<name>``."""
    json_key: str | None = None
    """Secrets Manager only: one key of a JSON secret instead of the whole string."""
    version_stage: str | None = None
    """Secrets Manager only: like ``AWSPREVIOUS``; ``AWSCURRENT`` if unset."""
    version_id: str | None = None
    """Secrets Manager only: a version id; the current version if unset."""
    kms_key_arn: str | None = None
    """Customer-managed KMS key the secret is encrypted with; the execution role may ``kms:Decrypt`` with it."""


@dataclass(frozen=True, kw_only=True)
class Permission:
    """One IAM statement (Allow) for the task role: what the application may do.

    Every action is named (no ``*``) and checked against AWS's service authorization data; an
    action that supports resource-level permissions must name its resources (no ``"*"``).
    """

    actions: tuple[str, ...]
    """Like ``("s3:GetObject",)``."""
    resources: tuple[str, ...]
    """ARNs; ``("*",)`` only for actions that support no resource-level permissions."""
    sid: str | None = None
    """Statement id (letters and digits); ``App<index>`` if unset."""


@dataclass(frozen=True, kw_only=True)
class Egress:
    """One outbound destination beyond Service Connect: exactly one of a security group, a CIDR or a prefix list."""

    name: str
    """Names the rule (its Terraform id and description)."""
    port: int
    """First (or only) destination port, 1-65535."""
    to_port: int | None = None
    """End of a port range; just ``port`` if unset."""
    protocol: EgressProtocol = "tcp"
    """``tcp`` or ``udp``."""
    security_group_id: str | None = None
    """Like ``sg-0123456789abcdef0`` (a database's)."""
    cidr: str | None = None
    """IPv4 network like ``10.0.0.0/16`` or ``0.0.0.0/0``."""
    prefix_list_id: str | None = None
    """Like ``pl-0123456789abcdef0`` (an S3 gateway endpoint's or a managed prefix list)."""
    description: str | None = None
    """Rule description in AWS; derived from ``name`` if unset."""

    @property
    def last_port(self) -> int:
        return self.to_port if self.to_port is not None else self.port


HTTPS_ANYWHERE = Egress(
    name="https",
    port=443,
    cidr="0.0.0.0/0",
    description="HTTPS to AWS APIs and the image registry (through NAT)",
)
"""The default egress: image pulls, the ECS, CloudWatch Logs, SSM and Secrets Manager endpoints."""


@dataclass(frozen=True, kw_only=True)
class ScheduledCapacity:
    """A scheduled step: at ``schedule``, set the scaler's min and max (target tracking works within them)."""

    name: str
    """Names the scheduled action (1-64 lowercase letters, digits, '-' or '_')."""
    schedule: str
    """``cron(0 9 ? * MON-FRI *)``, ``rate(1 day)`` or ``at(2026-12-24T18:00:00)`` (Application Auto Scaling syntax)."""
    min_count: int
    """Minimum task count from ``schedule`` on, 0-``max_count``."""
    max_count: int
    """Maximum task count from ``schedule`` on."""
    timezone: str | None = None
    """IANA time zone of a cron or at schedule, like ``Asia/Tokyo``; UTC if unset."""


@dataclass(frozen=True, kw_only=True)
class Autoscaling:
    """Application Auto Scaling of the desired count, target tracking on CPU and/or memory.

    Once this exists, Terraform ignores later changes of ``desired_count`` (the scaler owns it).
    """

    min_count: int
    """Fewest tasks the scaler keeps, 0-``max_count``; ``desired_count`` must lie within min and max."""
    max_count: int
    """Most tasks the scaler may run, 1 or more."""
    cpu_target_percent: int | None = None
    """Average CPU utilization to keep, 1-100."""
    memory_target_percent: int | None = None
    """Average memory utilization to keep, 1-100."""
    scale_in_cooldown_seconds: int = 300
    """Seconds after a scale-in before the next one, 0-3600."""
    scale_out_cooldown_seconds: int = 60
    """Seconds after a scale-out before the next one, 0-3600."""
    schedule: tuple[ScheduledCapacity, ...] = ()
    """Scheduled steps of min/max (business hours, nights). With steps, ``min_count``/``max_count`` are only the
    starting values: the steps own min/max afterwards, and Terraform no longer sets them back (or changes them)."""


@dataclass(frozen=True, kw_only=True)
class Capacity:
    """Where and on what the tasks run."""

    architecture: Architecture = "X86_64"
    """``ARM64`` runs on Graviton (the image must have an arm64 variant)."""
    spot_percent: int = 0
    """Share of tasks, 0-100, on Fargate Spot through capacity providers (the rest on Fargate, which keeps one task)."""
    ephemeral_storage_gib: int | None = None
    """Task ephemeral storage, 21-200 GiB; Fargate's 20 GiB if unset."""


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """How a deployment rolls; the circuit breaker with rollback is always on."""

    wait_for_steady_state: bool = True
    """``apply`` waits until the service runs its desired count of healthy tasks. A deployment the circuit breaker
    rolls back also ends steady (on the old revision); a postcondition on the service then fails the apply."""
    minimum_healthy_percent: int | None = None
    """ECS default (100) if unset."""
    maximum_percent: int | None = None
    """ECS default (200) if unset."""


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """The endpoint of a server this service calls, as an environment variable's value, resolved at synth.

    ``("ORDERS_URL", Endpoint(server="orders"))`` becomes ``http://orders.serviceconnectns:8080``
    (no scheme for a ``tcp`` port: ``db.serviceconnectns:5432``), so a changed port, alias or
    namespace (per environment) changes every caller's value with it.
    """

    server: str
    """A service this one calls (listed in its ``calls``)."""
    port: str | None = None
    """The server's port by name; required when the server has several ports."""


@dataclass(frozen=True, kw_only=True)
class Service:
    """An ECS service on Fargate: a server (has ports), a client (has calls), or both."""

    name: str
    """ECS service, container and log names; 1-32 lowercase letters, digits or '-', unique in the topology."""
    image: str = DEFAULT_IMAGE
    """Container image reference, like ``123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/orders:v1.42.0``."""
    ports: tuple[Port, ...] = ()
    """What the service serves through Service Connect; empty for a client-only service."""
    calls: tuple[str, ...] = ()
    """Names of the services this one calls; it may reach each of their ports."""
    cpu: int = 256
    """Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384), for the app and its Service Connect proxy together."""
    memory: int = 512
    """Fargate task memory in MiB; must fit ``cpu`` (e.g. 512-2048 for 256 units)."""
    desired_count: int = 1
    """Tasks to run, 0 or more; with ``autoscaling`` only the first deployment's count."""
    environment: tuple[tuple[str, str | Endpoint], ...] = ()
    """Pairs rather than a dict so the declaration stays hashable and ordered; a value may be
    ``Endpoint(server=...)`` (resolved at synth), and a literal naming ``<alias>.<namespace>`` is checked."""
    command: tuple[str, ...] | None = None
    """Container command overriding the image's; the image's own if unset."""
    health_check: HealthCheck | None = None
    """Container health check; none if unset, which a server is warned about (Service Connect would send traffic to tasks before the app answers)."""
    enable_execute_command: bool = True
    """Allow ECS Exec (``aws ecs execute-command``) into the tasks; sessions are audit-logged."""
    proxy_logs: bool = True
    """Send the Service Connect proxy's logs to a log group of their own."""
    secrets: tuple[Secret, ...] = ()
    """Environment variables read from Secrets Manager or SSM Parameter Store at task start."""
    permissions: tuple[Permission, ...] = ()
    """IAM statements of the task role (the application's AWS access)."""
    managed_policies: tuple[str, ...] = ()
    """AWS-managed policy ARNs attached to the task role: an explicit opt-in, flagged by the checker."""
    egress: tuple[Egress, ...] = (HTTPS_ANYWHERE,)
    """Outbound rules besides the called servers (always allowed); narrow or extend the HTTPS default."""
    autoscaling: Autoscaling | None = None
    """Target-tracking and scheduled scaling of the desired count; a fixed ``desired_count`` if unset."""
    capacity: Capacity = field(default_factory=Capacity)
    """CPU architecture, Fargate Spot share, ephemeral storage."""
    deployment: Deployment = field(default_factory=Deployment)
    """How deployments roll and whether ``apply`` waits for them."""
    tags: tuple[tuple[str, str], ...] = ()
    """``(key, value)`` tags of this service's own resources (group and rules, roles, log groups, task definition,
    ECS service, scaler), beside the system's; its tasks get them through ``propagate_tags``."""
    grants: tuple[Grant, ...] = ()
    """Access to the team's own resources (``Topology.resources``), like ``(orders.send, receipts.read)``: one
    least-privilege statement each on the task role; a guarded resource's ``.connect``, one rule on its security
    group (topology/extras.py)."""

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
    """Every service of the system; each name once. Order is kept in the output."""
    entries: tuple[Entry, ...] = ()
    """Front doors (load balancers) that route to edge services; none: nothing is reachable from outside."""
    resources: tuple[OwnResource, ...] = ()
    """The team's own queues, topics, buckets, tables, secrets, parameters and guarded resources
    (``Queue(name=...)``, ``Guarded(name=..., port=...)``, ...; topology/extras.py), written in the services stack;
    services reach them through ``Service.grants``."""

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)


@dataclass(frozen=True, kw_only=True)
class AdoptedService:
    """A running ECS service (of the declared name) that this project takes over instead of recreating.

    The ECS service itself is always imported (``<cluster>/<name>``). Every other
    resource named here is imported too and keeps its existing name, so nothing
    that other systems point at changes; what is not named is created anew.
    """

    name: str
    """The declared service; the running ECS service must have the same name."""
    security_group_id: str | None = None
    """Its tasks' security group; name and description are read from the account (both are immutable)."""
    ingress_rule_ids: tuple[tuple[str, str], ...] = ()
    """``(caller, rule ID)`` (``caller:port_name`` for a server with several ports): the existing rules that
    already admit a declared caller; imported, so they are not created twice."""
    execution_role_name: str | None = None
    """Existing execution role to import and keep; a new role is created if unset."""
    task_role_name: str | None = None
    """Existing task role to import and keep; a new role is created if unset."""
    log_group_name: str | None = None
    """Existing application log group to import and keep; a new one is created if unset."""
    proxy_log_group_name: str | None = None
    """Existing Service Connect proxy log group to import and keep; a new one is created if unset."""


@dataclass(frozen=True, kw_only=True)
class Adoption:
    """What of a running system to import, so that the first apply updates in place and replaces nothing."""

    services: tuple[AdoptedService, ...] = ()
    """The running ECS services to take over, one per declared service to adopt."""
    cluster: bool = False
    """Import the cluster ``NetworkSettings.cluster_name`` (when this project is to manage it, not just read it)."""
    namespace_id: str | None = None
    """Import this Cloud Map namespace (``ns-...``) when this project is to manage it."""

    def service(self, name: str) -> AdoptedService | None:
        return next((adopted for adopted in self.services if adopted.name == name), None)


@dataclass(frozen=True, kw_only=True)
class ExistingNetwork:
    """A VPC (often shared, owned by another team) and optionally a cluster and namespace that already exist.

    With it, stack ``network`` creates none of these: it reads them through data
    sources, and Terraform checks at plan time, before anything changes, what only
    the account knows (each subnet is in this VPC, maps no public IPs and has no
    route to an internet gateway; the cluster and namespace exist and are usable).
    """

    vpc_id: str
    """The existing VPC, like ``vpc-0123456789abcdef0``."""
    private_subnet_ids: tuple[str, ...]
    """Where the tasks run; at least one, all in ``vpc_id``."""
    public_subnet_ids: tuple[str, ...] = ()
    """Where an internet-facing ``Entry``'s load balancer goes (subnets routed to an internet gateway, in two or more AZs)."""
    use_existing_cluster: bool = False
    """Look up ``NetworkSettings.cluster_name`` instead of creating it."""
    namespace_id: str | None = None
    """Use this existing Cloud Map namespace instead of creating one: its ID (``ns-...``) or ARN. Named by ID, not
    looked up by name (two namespaces of one name, in other VPCs or environments, make the lookup fail). Its name must
    be ``NetworkSettings.namespace``; a private DNS namespace must be this VPC's (both checked at plan time)."""
    use_existing_namespace: bool = False
    """Replaced by ``namespace_id``: ``True`` is refused with a message that says so."""
    adopt: Adoption | None = None
    """Import the running system's resources (``import`` blocks) instead of creating them."""


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """The network/cluster layer. Defaults are the article's (CDK ``Vpc`` with 2 AZs)."""

    cidr: str = "10.0.0.0/16"
    """IPv4 block of the VPC this project creates, /16 to /24; each subnet gets 1/16 of it."""
    availability_zones: tuple[str, ...] = ("ap-northeast-1a", "ap-northeast-1c")
    """Named, not "the first N": the set cannot silently change when AWS adds a zone (the article's CDK
    ``maxAzs: 2`` picks these two in ap-northeast-1). They must belong to ``Settings.region``."""
    nat: NatMode = "per_az"
    """``per_az``: one NAT gateway per AZ (survives an AZ outage); ``single``: one for all (cheaper)."""
    cluster_name: str = "ServiceConnect"
    """ECS cluster name, 1-255 letters, digits, '-' or '_'."""
    namespace: str = "ServiceConnectNS"
    """Cloud Map namespace; endpoints read ``<alias>.serviceconnectns`` (DNS names are case-insensitive)."""
    namespace_type: NamespaceType = "private_dns"
    """``private_dns`` as the article's CDK default; ``http`` skips the Route 53 private zone."""
    container_insights: bool = True
    """CloudWatch Container Insights on the cluster."""
    flow_logs: bool = True
    """VPC flow logs (all traffic) to a KMS-encrypted CloudWatch log group."""
    exec_audit_logs: bool = True
    """ECS Exec sessions logged to ``/ecs/<cluster>/exec-audit`` (KMS-encrypted); ``False``: not logged (explicitly none)."""
    existing: ExistingNetwork | None = None
    """Use an existing VPC (and cluster, namespace) instead of creating one; ``cidr``, ``availability_zones``,
    ``nat`` and ``flow_logs`` then do not apply (the VPC's owner decides them)."""

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
    """Existing S3 bucket that holds the state files."""
    region: str
    """Region of the bucket."""
    key_prefix: str = "internal-api"
    """Folder of the state keys: ``<key_prefix>/<stack>.tfstate``."""


@dataclass(frozen=True, kw_only=True)
class Skip:
    """A checkov check this system does not meet on purpose, and why: ``make verify`` prints both.

    Recorded next to the declaration it excuses (``Settings`` or one ``Environment``), not in the
    project's own list (proof/checkov/skips.toml), and only for that system's (environment's) stacks.
    """

    check: str
    """checkov check ID, like ``CKV_AWS_338`` (log groups keep logs for at least a year)."""
    reason: str
    """Why the finding is accepted here, like "staging keeps logs for 30 days: nothing there is evidence"; required."""


@dataclass(frozen=True, kw_only=True)
class Accepted:
    """A resource the proof does not model, accepted by name: the checker skips its type finding and prints the reason."""

    address: str
    """``<type>.<name>`` as written in the Terraform (``data.<type>.<name>`` for a data source), optionally
    ``<stack>:`` first to accept it in one stack only, e.g. ``"aws_sns_topic.alerts"``."""
    reason: str
    """Why it cannot change who reaches a service; every report of ``make verify`` prints it."""


@dataclass(frozen=True, kw_only=True)
class ExcludedStack:
    """A stack beside the system's network/services pairs that the proof does not read, and why: every report of
    ``make verify`` prints both. Any other stack beside the pairs is read with its environment's pair, or is a finding."""

    stack: str
    """The stack's name as in the synth output (``cdktf.out/stacks/<stack>``), e.g. ``"dashboards"``."""
    reason: str
    """Why nothing in it can change who reaches a service, e.g. "CloudWatch dashboards only"."""


LOCAL_STATE_DIR = "state"
"""Where local state files live in the project (``state/<stack>.tfstate``), unless ``Settings.local_state_dir`` says otherwise."""


PROJECT_TAG_KEYS = ("ManagedBy", "Project", "Stack")
"""The provider ``default_tags`` the project writes itself; a team's tags may not redefine them."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything that is not a service: where, what names, where state lives."""

    region: str = "ap-northeast-1"
    """AWS region of every resource, like ``ap-northeast-1`` (checked against botocore's list)."""
    tags: tuple[tuple[str, str], ...] = ()
    """``(key, value)`` tags of every resource of the system (a cost centre, an owner, a data class): the provider's
    ``default_tags``, beside ``Project``, ``ManagedBy`` and ``Stack``, which they may not redefine."""
    account_id: str | None = None
    """The only AWS account these stacks may be applied to (the provider's ``allowed_account_ids``); any if unset."""
    project: str = "internal-api"
    """Tag value and name prefix of the IAM roles."""
    network: NetworkSettings = field(default_factory=NetworkSettings)
    """The VPC, subnets, NAT, cluster and namespace layer."""
    log_retention_days: int = 365
    """Applies to every log group (app, proxy, flow logs); all are encrypted with one KMS key."""
    state: S3State | None = None
    """``None``: local state files under ``local_state_dir`` in the project (relative paths)."""
    trusted_accounts: tuple[str, ...] = ()
    """Accounts besides ``account_id`` whose ARNs the services may name (a shared-services account's secret or key);
    an ARN of any other account is an error once ``account_id`` is set."""
    local_state_dir: str = LOCAL_STATE_DIR
    """Project-relative folder of local state; emulator runs use their own (``build/emulator/state``)."""
    checkov_skips: tuple[Skip, ...] = ()
    """checkov checks this system's stacks may fail, each with its reason (printed by ``make verify``); a skip
    that no finding needs is reported, so the list cannot outlive its reasons."""
    accepted: tuple[Accepted, ...] = ()
    """Resources of types the checker does not model (nor finds neutral by schema), accepted by name with a
    reason; see docs/proof.md. Default: none (every such resource is a finding)."""
    excluded_stacks: tuple[ExcludedStack, ...] = ()
    """Stacks beside the network/services pairs that the proof does not read, each with its reason (printed by
    ``make verify``); see docs/proof.md. Default: none (every such stack is read, or is a finding)."""
