"""Build the article's system in the emulator with plain AWS API calls, as its CDK and ecspresso would have.

Run with the emulator's Python (boto3 lives there, not in the app's environment):

    emulator/.venv/bin/python -m tests.builders.legacy_article --endpoint http://127.0.0.1:PORT [--what network|system]

``network``: a VPC like CDK's ``Vpc(maxAzs: 2)`` (public subnets routed to an internet
gateway, private subnets routed to a NAT gateway), a second VPC with one subnet,
the cluster ``ServiceConnect`` and the private DNS namespace ``ServiceConnectNS``.
``system`` adds what ecspresso deployed on top: security groups (client -> internal
tcp/80), log groups, IAM roles, task definitions and the two ECS services with
their Service Connect blocks. Prints every ID as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import boto3

REGION = "ap-northeast-1"
ZONES = ("ap-northeast-1a", "ap-northeast-1c")
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


def network(session: Any) -> dict[str, Any]:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    public, private = [], []
    for index, zone in enumerate(ZONES):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index * 16}.0/20", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=subnet)
        public.append(subnet)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    for index, zone in enumerate(ZONES):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{128 + index * 16}.0/20", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        private.append(subnet)
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.1.128.0/20", AvailabilityZone=ZONES[0])["Subnet"]["SubnetId"]
    namespace_arn = _namespace(session, vpc)
    cluster = session.client("ecs").create_cluster(clusterName="ServiceConnect", serviceConnectDefaults={"namespace": namespace_arn})[
        "cluster"
    ]["clusterArn"]
    return {
        "vpc_id": vpc,
        "public_subnet_ids": public,
        "private_subnet_ids": private,
        "internet_gateway_id": igw,
        "other_vpc_id": other_vpc,
        "other_subnet_id": other_subnet,
        "namespace_arn": namespace_arn,
        "cluster_arn": cluster,
    }


def _namespace(session: Any, vpc: str) -> str:
    cloudmap = session.client("servicediscovery")
    operation = cloudmap.create_private_dns_namespace(Name="ServiceConnectNS", Vpc=vpc)["OperationId"]
    for _ in range(50):
        done = cloudmap.get_operation(OperationId=operation)["Operation"]
        if done["Status"] == "SUCCESS":
            namespace_id = done["Targets"]["NAMESPACE"]
            arn: str = cloudmap.get_namespace(Id=namespace_id)["Namespace"]["Arn"]
            return arn
        time.sleep(0.1)
    raise SystemExit("namespace creation did not finish")


def system(session: Any, net: dict[str, Any]) -> dict[str, Any]:
    """The rest of CDK's stack and the ecspresso half, with the names CDK and the article chose."""
    ec2, iam, logs, ecs = (session.client(name) for name in ("ec2", "iam", "logs", "ecs"))
    groups = {}
    for role, logical in (("client", "ClientContainerSg"), ("internal", "InternalContainerSg")):
        groups[role] = ec2.create_security_group(
            GroupName=f"ServiceConnectStack-{logical}", Description=f"ServiceConnectStack/{logical}", VpcId=net["vpc_id"]
        )["GroupId"]
    # clientContainerSg.connections.allowTo(internalContainerSg, Port.tcp(80))
    rule = ec2.authorize_security_group_ingress(
        GroupId=groups["internal"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "UserIdGroupPairs": [{"GroupId": groups["client"], "Description": "from client:80"}],
            }
        ],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ids: dict[str, Any] = {"security_group_ids": groups, "ingress_rule_id": rule, "roles": {}, "log_groups": {}, "services": {}}
    for name, role, port in (("internal-nginx", "internal", 80), ("client-nginx", "client", None)):
        roles = {}
        for kind in ("execution", "task"):
            roles[kind] = iam.create_role(RoleName=f"{name}-{kind}", AssumeRolePolicyDocument=TRUST)["Role"]["RoleName"]
        groups_of_service = {"app": f"/ecs/{name}", "proxy": f"/ecs/{name}/service-connect"}
        for group in groups_of_service.values():
            logs.create_log_group(logGroupName=group)
        container: dict[str, Any] = {
            "name": name,
            "image": "public.ecr.aws/nginx/nginx:latest",
            "essential": True,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": groups_of_service["app"], "awslogs-region": REGION, "awslogs-stream-prefix": name},
            },
        }
        if port is not None:
            container["portMappings"] = [{"name": name, "containerPort": port, "hostPort": port, "protocol": "tcp", "appProtocol": "http"}]
        task = ecs.register_task_definition(
            family=name,
            cpu="256",
            memory="512",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            executionRoleArn=f"arn:aws:iam::123456789012:role/{roles['execution']}",
            taskRoleArn=f"arn:aws:iam::123456789012:role/{roles['task']}",
            containerDefinitions=[container],
        )["taskDefinition"]["taskDefinitionArn"]
        connect: dict[str, Any] = {
            "enabled": True,
            "namespace": "ServiceConnectNS",
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": groups_of_service["proxy"],
                    "awslogs-region": REGION,
                    "awslogs-stream-prefix": "service-connect",
                },
            },
        }
        if port is not None:
            connect["services"] = [{"portName": name, "clientAliases": [{"port": port}]}]
        service = ecs.create_service(
            cluster="ServiceConnect",
            serviceName=name,
            taskDefinition=task,
            desiredCount=1,
            launchType="FARGATE",
            enableExecuteCommand=True,
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": net["private_subnet_ids"],
                    "securityGroups": [groups[role]],
                    "assignPublicIp": "DISABLED",
                }
            },
            serviceConnectConfiguration=connect,
        )["service"]["serviceArn"]
        ids["roles"][name], ids["log_groups"][name], ids["services"][name] = roles, groups_of_service, service
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--what", choices=["network", "system"], default="network")
    args = parser.parse_args(argv)
    session = boto3.session.Session(aws_access_key_id="emulator", aws_secret_access_key="emulator", region_name=REGION)
    original = session.client

    def client(name: str) -> Any:
        return original(name, endpoint_url=args.endpoint)

    session.client = client
    ids = network(session)
    if args.what == "system":
        ids |= system(session, ids)
    print(json.dumps(ids, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
