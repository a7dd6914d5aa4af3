"""Drift a user can make in the emulator: ``python tests/emulator/live_drift.py CLUSTER KIND:SERVICE[:OTHER] ...``.

Run under ``python -m emulator.exec`` (``make local-exec``): botocore finds the emulator's endpoint and
fake credentials in the environment, as the AWS CLI would. Each kind changes the account as an incident
would, out of band: the console, the CLI, another team's Terraform. Several kinds are made in one run (one
emulator session) when each names its own service or rule, so that one live check finds each by its own line.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import botocore.session

SESSION = botocore.session.get_session()


def client(name: str) -> Any:
    return SESSION.create_client(name)


def service(cluster: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = client("ecs").describe_services(cluster=cluster, services=[name])["services"][0]
    return found


def network(cluster: str, name: str) -> dict[str, Any]:
    config: dict[str, Any] = service(cluster, name)["networkConfiguration"]["awsvpcConfiguration"]
    return config


def drift(kind: str, cluster: str, name: str, other: str | None) -> None:
    ec2 = client("ec2")
    group = network(cluster, name)["securityGroups"][0]
    subnet = network(cluster, name)["subnets"][0]
    if kind == "world":  # someone opened the group from the console
        ec2.authorize_security_group_ingress(
            GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
    elif kind == "group":  # another service's group admitted
        source = network(cluster, other or name)["securityGroups"][0]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": source}]}],
        )
    elif kind == "old-rule":  # what an adopted group kept: a rule made before the project, with the classic API
        ec2.authorize_security_group_ingress(
            GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}]
        )
    elif kind == "eni":  # an interface placed in the service's group
        ec2.create_network_interface(SubnetId=subnet, Groups=[group], Description="debug box")
    elif kind == "igw-route":  # another team's route to the internet gateway in a task subnet's table
        vpc = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
        igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"][0]
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
        ec2.create_route(RouteTableId=tables[0]["RouteTableId"], DestinationCidrBlock="198.51.100.0/24", GatewayId=igw["InternetGatewayId"])
    elif kind == "policy":  # a task role given an extra policy
        iam = client("iam")
        definition = client("ecs").describe_task_definition(taskDefinition=service(cluster, name)["taskDefinition"])["taskDefinition"]
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        arn = iam.create_policy(PolicyName="incident-s3", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=definition["taskRoleArn"].rsplit("/", 1)[1], PolicyArn=arn)
    elif kind == "listener-rule":  # a rule added by hand: a new path to the edge service's target group
        elbv2 = client("elbv2")
        target_group = service(cluster, name)["loadBalancers"][0]["targetGroupArn"]
        balancer = elbv2.describe_target_groups(TargetGroupArns=[target_group])["TargetGroups"][0]["LoadBalancerArns"][0]
        listener = next(li for li in elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"] if li["Protocol"] == "HTTPS")
        elbv2.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=999,
            Conditions=[{"Field": "path-pattern", "Values": ["/admin/*"]}],
            Actions=[{"Type": "forward", "TargetGroupArn": target_group}],
        )
    elif kind == "stopped":  # the service stopped (scaled to zero)
        client("ecs").update_service(cluster=cluster, service=name, desiredCount=0)
    elif kind == "deleted":
        client("ecs").delete_service(cluster=cluster, service=name, force=True)
    else:
        raise SystemExit(f"unknown drift {kind!r}")


if __name__ == "__main__":
    for item in sys.argv[2:]:
        kind, name, *other = item.split(":")
        drift(kind, sys.argv[1], name, other[0] if other else None)
