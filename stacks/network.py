"""Stack ``network``: the VPC, its subnets and NAT, the ECS cluster and its Cloud Map namespace.

Everything the services layer needs is an attribute of ``NetworkStack``; when
``ServicesStack`` reads one, cdktf turns it into an output here and a
``terraform_remote_state`` lookup there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdktf import TerraformOutput, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.ecs_cluster import (
    EcsCluster,
    EcsClusterConfiguration,
    EcsClusterConfigurationExecuteCommandConfiguration,
    EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration,
    EcsClusterServiceConnectDefaults,
    EcsClusterSetting,
)
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.service_discovery_http_namespace import ServiceDiscoveryHttpNamespace
from cdktf_cdktf_provider_aws.service_discovery_private_dns_namespace import ServiceDiscoveryPrivateDnsNamespace
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct

from topology import ExistingNetwork, Settings

from .common import configure_stack
from .flow_logs import VpcFlowLogs
from .iam import AccountContext
from .kms import ExecSessionKey, LogsKey

if TYPE_CHECKING:
    from .existing import ExistingCluster, ExistingNamespace, ExistingVpc


class NetworkStack(TerraformStack):
    """VPC across ``az_count`` AZs, public subnets for NAT and internet-facing load balancers, private subnets for tasks."""

    settings: Settings
    vpc: Vpc
    public_subnets: list[Subnet]
    private_subnets: list[Subnet]
    nat_gateways: list[NatGateway]
    cluster: EcsCluster
    namespace: ServiceDiscoveryPrivateDnsNamespace | ServiceDiscoveryHttpNamespace
    logs_key: LogsKey
    flow_logs: VpcFlowLogs | None
    exec_audit_group: CloudwatchLogGroup | None
    exec_key: ExecSessionKey | None
    existing_vpc: ExistingVpc | None = None
    existing_cluster: ExistingCluster | None = None
    existing_namespace: ExistingNamespace | None = None
    # What stack ``services`` reads, whether created here or looked up.
    vpc_id: str
    cluster_arn: str
    namespace_arn: str

    def __init__(self, scope: Construct, stack_id: str, *, settings: Settings) -> None:
        super().__init__(scope, stack_id)
        self.settings = settings
        configure_stack(self, stack_id, settings)
        if settings.network.existing is not None:
            self._adopt(settings, settings.network.existing)
            return
        net = settings.network
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=net.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{settings.project}-vpc"},
        )
        # The default SG allows all traffic between its members; nothing should use it, so empty it.
        DefaultSecurityGroup(self, "default_sg", vpc_id=self.vpc.id, tags={"Name": f"{settings.project}-default-unused"})
        account = AccountContext(self, "account")
        self.logs_key = self._logs_key(settings, account, [f"/vpc/{settings.project}/"])
        self.flow_logs = None
        if net.flow_logs:
            self.flow_logs = VpcFlowLogs(
                self,
                "flow_logs",
                vpc_id=self.vpc.id,
                project=settings.project,
                region=settings.region,
                retention_days=settings.log_retention_days,
                kms_key_arn=self.logs_key.key.arn,
                account=account,
            )
        self._build_subnets(settings)
        self._build_cluster(settings, account)
        self._capacity_providers()

    def _capacity_providers(self) -> None:
        """Both Fargate capacity providers on a cluster this project manages (an existing one's owner decides its own).

        Always both: every service names a capacity provider (so that Spot turns on and off in
        place), and a strategy may only name providers associated with the cluster.
        """
        EcsClusterCapacityProviders(
            self,
            "capacity_providers",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategy=[
                EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(capacity_provider="FARGATE", weight=1, base=0)
            ],
        )

    def _logs_key(self, settings: Settings, account: AccountContext, more_prefixes: list[str]) -> LogsKey:
        """The one key of every log group of the system: the cluster's groups, and ``more_prefixes`` (flow logs, adopted groups)."""
        return LogsKey(
            self,
            "logs_key",
            project=settings.project,
            region=settings.region,
            account=account,
            log_group_prefixes=[f"/ecs/{settings.network.cluster_name}/", *more_prefixes],
        )

    @property
    def public_subnet_ids(self) -> list[str]:
        """Where an internet-facing entry's load balancer goes: the public tier, or the existing VPC's named public subnets."""
        existing = self.settings.network.existing
        if existing is not None:
            return list(existing.public_subnet_ids)
        return [subnet.id for subnet in self.public_subnets]

    @property
    def private_subnet_ids(self) -> list[str]:
        if self.existing_vpc is not None:
            return [subnet.id for subnet in self.existing_vpc.subnets]
        return [subnet.id for subnet in self.private_subnets]

    def _adopt(self, settings: Settings, existing: ExistingNetwork) -> None:
        """Existing VPC mode: read the VPC and subnets (checked at plan time), create only what does not exist."""
        # Imported here, not at the top: a default synth then loads none of the data sources' provider modules.
        from .existing import ExistingCluster, ExistingNamespace, ExistingVpc

        net = settings.network
        self.existing_vpc = ExistingVpc(self, "existing", existing=existing)
        self.vpc_id = existing.vpc_id
        account = AccountContext(self, "account")
        self.logs_key = self._logs_key(settings, account, self._adopted_log_groups(existing, f"/ecs/{net.cluster_name}/"))
        self.flow_logs = None  # the VPC's owner decides its flow logs
        # A cluster that is only read keeps its owner's ECS Exec configuration.
        self.exec_audit_group, self.exec_key = None, None
        adopt = existing.adopt
        if existing.namespace_id is not None:
            self.existing_namespace = ExistingNamespace(
                self,
                "existing_namespace",
                namespace_id=existing.namespace_id,
                name=net.namespace,
                namespace_type=net.namespace_type,
                vpc_id=existing.vpc_id,
                region=settings.region,
                account=account,
            )
            self.namespace_arn = self.existing_namespace.arn
        else:
            namespace_id = adopt.namespace_id if adopt else None
            self._build_namespace(settings, vpc_id=existing.vpc_id, adopting=namespace_id is not None)
            if namespace_id is not None:
                self.namespace.import_from(namespace_id if net.namespace_type == "http" else f"{namespace_id}:{existing.vpc_id}")
        if existing.use_existing_cluster:
            self.existing_cluster = ExistingCluster(self, "existing_cluster", name=net.cluster_name, region=settings.region)
            self.cluster_arn = self.existing_cluster.cluster.arn
            cluster_name: str = self.existing_cluster.cluster.cluster_name
        else:
            self._build_ecs_cluster(settings, account)
            cluster_name = self.cluster.name
            if adopt and adopt.cluster:
                self.cluster.import_from(net.cluster_name)
            self._capacity_providers()
        self._outputs(cluster_name)

    @staticmethod
    def _adopted_log_groups(existing: ExistingNetwork, prefix: str) -> list[str]:
        """Adopted log groups named outside ``prefix``: the logs key must let CloudWatch Logs use it for them too."""
        adopted = existing.adopt.services if existing.adopt else ()
        names = {name for a in adopted for name in (a.log_group_name, a.proxy_log_group_name) if name}
        return sorted(name for name in names if not name.startswith(prefix))

    def _build_subnets(self, settings: Settings) -> None:
        net = settings.network
        public_cidrs, private_cidrs = net.subnet_cidrs()
        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": f"{settings.project}-igw"})
        public_rt = RouteTable(self, "public_rt", vpc_id=self.vpc.id, tags={"Name": f"{settings.project}-public"})
        Route(self, "public_default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id)
        self.public_subnets, self.private_subnets, self.nat_gateways = [], [], []
        for index in range(net.az_count):
            az = net.availability_zones[index]
            public = self._subnet("public", index, public_cidrs[index], az, settings.project)
            RouteTableAssociation(self, f"public_{index}_rt", subnet_id=public.id, route_table_id=public_rt.id)
            self.public_subnets.append(public)
            if net.nat == "per_az" or index == 0:
                eip = Eip(self, f"nat_{index}_eip", domain="vpc", tags={"Name": f"{settings.project}-nat-{index}"})
                nat = NatGateway(
                    self,
                    f"nat_{index}",
                    allocation_id=eip.id,
                    subnet_id=public.id,
                    depends_on=[igw],
                    tags={"Name": f"{settings.project}-nat-{index}"},
                )
                self.nat_gateways.append(nat)
            private = self._subnet("private", index, private_cidrs[index], az, settings.project)
            private_rt = RouteTable(self, f"private_{index}_rt", vpc_id=self.vpc.id, tags={"Name": f"{settings.project}-private-{index}"})
            Route(
                self,
                f"private_{index}_default",
                route_table_id=private_rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=self.nat_gateways[-1].id,
            )
            RouteTableAssociation(self, f"private_{index}_rta", subnet_id=private.id, route_table_id=private_rt.id)
            self.private_subnets.append(private)

    def _subnet(self, tier: str, index: int, cidr: str, zone: str, project: str) -> Subnet:
        """No subnet maps public IPs: the public tier holds only NAT gateways and internet-facing load balancers."""
        return Subnet(
            self,
            f"{tier}_{index}",
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags={"Name": f"{project}-{tier}-{index}", "Tier": tier},
        )

    def _exec_configuration(self, settings: Settings, account: AccountContext) -> EcsClusterConfiguration:
        """ECS Exec sessions: logged to an encrypted group of their own and encrypted with a CMK, or explicitly not logged."""
        net = settings.network
        self.exec_audit_group, self.exec_key = None, None
        if not net.exec_audit_logs:
            return EcsClusterConfiguration(execute_command_configuration=EcsClusterConfigurationExecuteCommandConfiguration(logging="NONE"))
        self.exec_audit_group = CloudwatchLogGroup(
            self,
            "exec_audit",
            name=f"/ecs/{net.cluster_name}/exec-audit",
            retention_in_days=settings.log_retention_days,
            kms_key_id=self.logs_key.key.arn,
        )
        self.exec_key = ExecSessionKey(self, "exec_key", project=settings.project, account=account)
        return EcsClusterConfiguration(
            execute_command_configuration=EcsClusterConfigurationExecuteCommandConfiguration(
                kms_key_id=self.exec_key.key.arn,
                logging="OVERRIDE",
                log_configuration=EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration(
                    cloud_watch_log_group_name=self.exec_audit_group.name,
                    cloud_watch_encryption_enabled=True,
                ),
            )
        )

    def _build_cluster(self, settings: Settings, account: AccountContext) -> None:
        self.vpc_id = self.vpc.id
        self._build_namespace(settings, vpc_id=self.vpc_id)
        self._build_ecs_cluster(settings, account)
        self._outputs(self.cluster.name)

    def _build_namespace(self, settings: Settings, *, vpc_id: str, adopting: bool = False) -> None:
        net = settings.network
        description = "Service Connect namespace"
        # An adopted namespace keeps the description it has in the account: provider 5.x replaces an
        # HTTP namespace when it changes (ForceNew) and clears a private DNS one's if unset. No data
        # source reads a namespace by ID, so Terraform leaves the attribute to the account instead.
        lifecycle = TerraformResourceLifecycle(ignore_changes=["description"]) if adopting else None
        if net.namespace_type == "http":
            self.namespace = ServiceDiscoveryHttpNamespace(
                self, "namespace", name=net.namespace, description=description, lifecycle=lifecycle
            )
        else:
            self.namespace = ServiceDiscoveryPrivateDnsNamespace(
                self, "namespace", name=net.namespace, vpc=vpc_id, description=description, lifecycle=lifecycle
            )
        self.namespace_arn = self.namespace.arn

    def _build_ecs_cluster(self, settings: Settings, account: AccountContext) -> None:
        net = settings.network
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=net.cluster_name,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled" if net.container_insights else "disabled")],
            service_connect_defaults=EcsClusterServiceConnectDefaults(namespace=self.namespace_arn),
            configuration=self._exec_configuration(settings, account),
        )
        self.cluster_arn = self.cluster.arn

    def _outputs(self, cluster_name: str) -> None:
        TerraformOutput(self, "vpc_id", value=self.vpc_id)
        TerraformOutput(self, "private_subnet_ids", value=self.private_subnet_ids)
        if self.public_subnet_ids:
            TerraformOutput(self, "public_subnet_ids", value=self.public_subnet_ids)
        TerraformOutput(self, "cluster_name", value=cluster_name)
        TerraformOutput(self, "namespace_arn", value=self.namespace_arn)
