"""An existing VPC, its private subnets, and optionally an existing cluster and namespace: read, never created.

Only the account knows whether what the settings name is fit to host internal-only
services, so Terraform checks it at plan time, before anything is changed, with a
message a person can act on (``postcondition`` on each data source, ``precondition``
where the read itself would fail with a provider error):

- each subnet is in the given VPC and does not map public IPs on launch;
- each subnet's route table (its own, or the VPC's main table it falls back to) has no route to an internet gateway;
- the cluster exists and is active;
- a private DNS namespace (named by ID) is this VPC's, under the declared name.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import Postcondition, Precondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_ecs_cluster import DataAwsEcsCluster
from cdktf_cdktf_provider_aws.data_aws_ecs_clusters import DataAwsEcsClusters
from cdktf_cdktf_provider_aws.data_aws_ecs_service import DataAwsEcsService
from cdktf_cdktf_provider_aws.data_aws_ecs_task_definition import DataAwsEcsTaskDefinition
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.data_aws_route_table import DataAwsRouteTable, DataAwsRouteTableFilter
from cdktf_cdktf_provider_aws.data_aws_route_tables import DataAwsRouteTables, DataAwsRouteTablesFilter
from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from constructs import Construct

from topology import ExistingNetwork, Service
from topology.checks import NO_IGW_ROUTE, NO_PUBLIC_IP, in_vpc
from topology.patterns import NAMESPACE_ARN

from .iam import AccountContext


def _lifecycle(*, pre: Sequence[tuple[str, str]] = (), post: Sequence[tuple[str, str]] = ()) -> TerraformResourceLifecycle:
    return TerraformResourceLifecycle(
        precondition=[Precondition(condition=c, error_message=m) for c, m in pre] or None,
        postcondition=[Postcondition(condition=c, error_message=m) for c, m in post] or None,
    )


class ExistingVpc(Construct):
    """The VPC and its private subnets, each checked at plan time."""

    vpc: DataAwsVpc
    subnets: list[DataAwsSubnet]

    def __init__(self, scope: Construct, construct_id: str, *, existing: ExistingNetwork) -> None:
        super().__init__(scope, construct_id)
        vpc_id = existing.vpc_id
        self.vpc = DataAwsVpc(self, "vpc", id=vpc_id)
        main_table = DataAwsRouteTable(
            self,
            "main_route_table",
            vpc_id=vpc_id,
            filter=[DataAwsRouteTableFilter(name="association.main", values=["true"])],
        )
        self.subnets = []
        for index, subnet_id in enumerate(existing.private_subnet_ids):
            subnet = DataAwsSubnet(
                self,
                f"subnet_{index}",
                id=subnet_id,
                lifecycle=_lifecycle(
                    post=[
                        (
                            in_vpc(vpc_id),
                            f"Subnet {subnet_id} is in VPC ${{self.vpc_id}}, not in the VPC the settings name ({vpc_id}): "
                            "name subnets of that VPC in network.existing.private_subnet_ids.",
                        ),
                        (
                            NO_PUBLIC_IP,
                            f"Subnet {subnet_id} gives tasks public IP addresses (map_public_ip_on_launch = true): "
                            "internal-only services need private subnets.",
                        ),
                    ]
                ),
            )
            explicit = DataAwsRouteTables(
                self,
                f"subnet_{index}_own_route_tables",
                vpc_id=vpc_id,
                filter=[DataAwsRouteTablesFilter(name="association.subnet-id", values=[subnet_id])],
            )
            DataAwsRouteTable(
                self,
                f"subnet_{index}_route_table",
                # A subnet without a route table of its own uses the VPC's main route table.
                route_table_id=f"${{length({explicit.fqn}.ids) > 0 ? {explicit.fqn}.ids[0] : {main_table.fqn}.id}}",
                lifecycle=_lifecycle(
                    post=[
                        (
                            NO_IGW_ROUTE,
                            f"Subnet {subnet_id} has a route to an internet gateway (route table ${{self.id}}): it is a public "
                            "subnet, and tasks there could be reached from the internet. Name private subnets (a default route "
                            "through a NAT gateway is fine).",
                        )
                    ]
                ),
            )
            self.subnets.append(subnet)


class ExistingCluster(Construct):
    """An ECS cluster by name: it must exist (checked before it is read) and be active."""

    cluster: DataAwsEcsCluster

    def __init__(self, scope: Construct, construct_id: str, *, name: str, region: str) -> None:
        super().__init__(scope, construct_id)
        clusters = DataAwsEcsClusters(self, "all")
        self.cluster = DataAwsEcsCluster(
            self,
            "cluster",
            cluster_name=name,
            lifecycle=_lifecycle(
                pre=[
                    (
                        f'${{contains([for arn in {clusters.fqn}.cluster_arns : element(split("/", arn), 1)], "{name}")}}',
                        f"ECS cluster {name} does not exist in {region}: create it first, or set "
                        "network.existing.use_existing_cluster = False to let this project create it.",
                    )
                ],
                post=[
                    ('${self.status == "ACTIVE"}', f"ECS cluster {name} is ${{self.status}}, not ACTIVE: services cannot be placed in it.")
                ],
            ),
        )


class ExistingNamespace(Construct):
    """A Cloud Map namespace by ID or ARN; a private DNS one is checked to be ``vpc_id``'s, under the declared name.

    Not looked up by name: the 5.x namespace data sources assert a single result, so a
    plan failed with "too many results" as soon as the account held two namespaces of
    the name (other VPCs, other environments). No data source reads a namespace by ID,
    so its ARN is built from the ID. For a private DNS namespace, Cloud Map's own
    Route 53 private zone is read by name *and VPC* (a VPC cannot hold two private
    zones of one name), and must be the namespace's (its linked service names it).
    """

    arn: str

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        namespace_id: str,
        name: str,
        namespace_type: str,
        vpc_id: str,
        region: str,
        account: AccountContext,
    ) -> None:
        super().__init__(scope, construct_id)
        arn = NAMESPACE_ARN.fullmatch(namespace_id)
        bare_id = arn["id"] if arn else namespace_id
        if arn:
            self.arn = namespace_id
        else:
            self.arn = f"arn:{account.partition_name}:servicediscovery:{region}:{account.account_id}:namespace/{bare_id}"
        if namespace_type == "private_dns":
            DataAwsRoute53Zone(
                self,
                "zone",
                name=name,
                private_zone=True,
                vpc_id=vpc_id,
                lifecycle=_lifecycle(
                    post=[
                        (
                            f'${{self.linked_service_principal == "servicediscovery.amazonaws.com" && strcontains(self.linked_service_description, "{bare_id}")}}',
                            f"The private zone {name} of VPC {vpc_id} (${{self.zone_id}}) is not namespace {bare_id}'s "
                            '(it belongs to ${self.linked_service_description == "" ? "no Cloud Map namespace" : self.linked_service_description}): '
                            "network.existing.namespace_id must name the private DNS namespace of that name in that VPC.",
                        )
                    ]
                ),
            )


class RunningProtocols(Construct):
    """Before adopting a running server: its Service Connect ports keep their ``appProtocol``.

    ECS cannot change a port's ``appProtocol`` in a Service Connect service: updating it
    means deleting and recreating the service. Terraform would see only a new task
    definition revision and an in-place update, and the apply would fail half-way; so
    the running task definition is read at plan time and a difference stops the plan.
    """

    def __init__(self, scope: Construct, construct_id: str, *, service: Service, cluster_arn: str) -> None:
        super().__init__(scope, construct_id)
        running = DataAwsEcsService(self, "running", cluster_arn=cluster_arn, service_name=service.name)
        declared = ", ".join(f'"{port.name}" = "{port.protocol}"' for port in service.ports)
        mappings = "flatten([for c in jsondecode(self.container_definitions) : try(c.portMappings, [])])"
        DataAwsEcsTaskDefinition(
            self,
            "running_task",
            task_definition=running.task_definition,
            lifecycle=_lifecycle(
                post=[
                    (
                        f'${{alltrue([for pm in {mappings} : try(pm.appProtocol, "tcp") == lookup({{{declared}}}, try(pm.name, ""), try(pm.appProtocol, "tcp"))])}}',
                        f"The running service {service.name} serves its ports with another appProtocol than declared "
                        f"({', '.join(f'{port.name}: {port.protocol}' for port in service.ports)}); running: "
                        f'${{jsonencode({{for pm in {mappings} : try(pm.name, "") => try(pm.appProtocol, "tcp")}})}}. '
                        "ECS cannot change appProtocol in a Service Connect service without deleting and recreating it: "
                        "declare the running protocol to adopt it without downtime.",
                    )
                ]
            ),
        )
