"""Stack ``network``: the VPC, its subnets and NAT, the ECS cluster and its Cloud Map namespace.

Everything the services layer needs is an attribute of ``NetworkStack``; when
``ServicesStack`` reads one, cdktf turns it into an output here and a
``terraform_remote_state`` lookup there.
"""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
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

from topology import Settings

from .common import configure_stack
from .flow_logs import VpcFlowLogs
from .iam import AccountContext
from .kms import ExecSessionKey, LogsKey


class NetworkStack(TerraformStack):
    """VPC across ``az_count`` AZs, public subnets for NAT only, private subnets for tasks."""

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

    def __init__(self, scope: Construct, stack_id: str, *, settings: Settings, fargate_spot: bool = False) -> None:
        """``fargate_spot``: some service runs a share on Fargate Spot, so the cluster gets both capacity providers."""
        super().__init__(scope, stack_id)
        configure_stack(self, stack_id, settings)
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
        self.logs_key = LogsKey(
            self,
            "logs_key",
            project=settings.project,
            region=settings.region,
            account=account,
            log_group_prefixes=[f"/ecs/{net.cluster_name}/", f"/vpc/{settings.project}/"],
        )
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
        if fargate_spot:
            EcsClusterCapacityProviders(
                self,
                "capacity_providers",
                cluster_name=self.cluster.name,
                capacity_providers=["FARGATE", "FARGATE_SPOT"],
                default_capacity_provider_strategy=[
                    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(capacity_provider="FARGATE", weight=1, base=0)
                ],
            )

    @property
    def private_subnet_ids(self) -> list[str]:
        return [subnet.id for subnet in self.private_subnets]

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
        """No subnet maps public IPs: the public tier exists only for the NAT gateways."""
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
        net = settings.network
        if net.namespace_type == "http":
            self.namespace = ServiceDiscoveryHttpNamespace(self, "namespace", name=net.namespace, description="Service Connect namespace")
        else:
            self.namespace = ServiceDiscoveryPrivateDnsNamespace(
                self, "namespace", name=net.namespace, vpc=self.vpc.id, description="Service Connect namespace"
            )
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=net.cluster_name,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled" if net.container_insights else "disabled")],
            service_connect_defaults=EcsClusterServiceConnectDefaults(namespace=self.namespace.arn),
            configuration=self._exec_configuration(settings, account),
        )
        TerraformOutput(self, "vpc_id", value=self.vpc.id)
        TerraformOutput(self, "private_subnet_ids", value=self.private_subnet_ids)
        TerraformOutput(self, "cluster_name", value=self.cluster.name)
        TerraformOutput(self, "namespace_arn", value=self.namespace.arn)
