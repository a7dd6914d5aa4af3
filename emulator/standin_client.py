"""Create or delete stand-ins in a running emulator with boto3 (run by ``emulator/standins.py`` in the emulator's Python).

    python -m emulator.standin_client create|delete <endpoint>   # the stand-ins as JSON on stdin

Idempotent: what already exists is left as it is (a second ``deploy-local``, a VPC a test
seeded); ``create`` prints, as JSON, ``"created"`` or ``"exists"`` per stand-in, so the caller
records only what it created. What is gone is not an error on delete; a VPC or subnet that
cannot be deleted (something still in it) is. Each stand-in is made in the account its ARN
names: moto treats a 12-digit access key ID as that account; an existing listener and a web ACL
are made in the default account, where Terraform looks for them, under ARNs that name the declared
one. A VPC's, a subnet's and a security group's chosen IDs, and a listener's, its load balancer's and
a web ACL's chosen ARNs, are moto's ``_custom_id_`` tag, which ``emulator/custom_ids.py`` makes EC2,
ELBv2 and WAFv2 honour.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

ALREADY = ("InvalidGroup.Duplicate", "ResourceExistsException", "ParameterAlreadyExists", "BucketAlreadyOwnedByYou", "QueueAlreadyExists")
GONE = ("InvalidVpcID.NotFound", "InvalidSubnetID.NotFound")
"""What deleting a VPC or subnet may meet and ignore; any other error there (DependencyViolation: something is still in it) is reported."""
STAND_IN_TAG = {"Key": "stand-in", "Value": "deploy-local"}


def _client(service: str, item: dict[str, Any], endpoint: str) -> Any:
    account = item.get("account") or "123456789012"
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=item["region"],
        aws_access_key_id=account,
        aws_secret_access_key="emulator",
    )


def _ec2_exists(ec2: Any, item: dict[str, Any]) -> bool:
    """Whether the VPC or subnet of that ID is in the account (then it is not created again)."""
    try:
        if item["kind"] == "vpc":
            ec2.describe_vpcs(VpcIds=[item["name"]])
        else:
            ec2.describe_subnets(SubnetIds=[item["name"]])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code", "") in GONE:
            return False
        raise
    return True


def _create_network(item: dict[str, Any], endpoint: str) -> str:
    """A VPC (DNS support and hostnames on, as a VPC hosting a private DNS namespace has) or a subnet, under its very ID."""
    ec2 = _client("ec2", item, endpoint)
    if _ec2_exists(ec2, item):
        return "exists"
    tags = [{"ResourceType": item["kind"], "Tags": [STAND_IN_TAG, {"Key": "_custom_id_", "Value": item["name"]}]}]
    if item["kind"] == "vpc":
        ec2.create_vpc(CidrBlock=item["cidr"], TagSpecifications=tags)
        ec2.modify_vpc_attribute(VpcId=item["name"], EnableDnsHostnames={"Value": True})
    else:
        ec2.create_subnet(VpcId=item["vpc"], CidrBlock=item["cidr"], AvailabilityZone=item["zone"], TagSpecifications=tags)
    return "created"


def _answers(call: Callable[[], object]) -> bool:
    """Whether a describe/get call finds what it asks for: the emulator answers a missing one with an error."""
    try:
        call()
    except ClientError:
        return False
    return True


def _found(item: dict[str, Any], endpoint: str) -> bool:
    """Whether a group, cluster, queue or key stand-in is there already: creating those again would not be refused as such."""
    kind, name = item["kind"], item["name"]
    if kind == "security_group":
        return _answers(lambda: _client("ec2", item, endpoint).describe_security_groups(GroupIds=[name]))
    if kind == "cluster":
        clusters = _client("ecs", item, endpoint).describe_clusters(clusters=[name])["clusters"]
        return any(cluster["status"] == "ACTIVE" for cluster in clusters)
    if kind == "queue":
        return _answers(lambda: _client("sqs", item, endpoint).get_queue_url(QueueName=name))
    if kind == "kms_key":
        return bool(_stand_in_keys(_client("kms", item, endpoint), item))
    if kind == "listener":
        return _answers(lambda: _client("elbv2", item, endpoint).describe_listeners(ListenerArns=[name]))
    if kind == "web_acl":
        acl_name, acl_id = _web_acl_parts(name)
        return _answers(lambda: _client("wafv2", item, endpoint).get_web_acl(Name=acl_name, Scope="REGIONAL", Id=acl_id))
    return False


def _balancer_arn(listener_arn: str) -> str:
    """``...:listener/app/<name>/<lb-id>/<listener-id>`` -> ``...:loadbalancer/app/<name>/<lb-id>``."""
    return listener_arn.replace(":listener/", ":loadbalancer/", 1).rsplit("/", 1)[0]


def _web_acl_parts(arn: str) -> tuple[str, str]:
    """``...:regional/webacl/<name>/<id>`` -> ``(name, id)``."""
    name, acl_id = arn.rsplit("/", 2)[1:]
    return name, acl_id


def _create_listener(item: dict[str, Any], endpoint: str) -> None:
    """The owner's load balancer (in the default VPC, with its group) and an HTTP listener answering 404, under their ARNs."""
    elb, balancer = _client("elbv2", item, endpoint), _balancer_arn(item["name"])
    try:
        elb.describe_load_balancers(LoadBalancerArns=[balancer])
    except ClientError:  # not there yet (a listener stand-in removed by hand leaves none behind)
        default = [{"Name": "default-for-az", "Values": ["true"]}]
        subnets = [subnet["SubnetId"] for subnet in _client("ec2", item, endpoint).describe_subnets(Filters=default)["Subnets"]]
        elb.create_load_balancer(
            Name=balancer.rsplit("/", 2)[1],
            Subnets=sorted(subnets)[:2],
            SecurityGroups=[item["security_group"]],
            Type="application",
            Tags=[STAND_IN_TAG, {"Key": "_custom_id_", "Value": balancer}],
        )
    taken = {listener["Port"] for listener in elb.describe_listeners(LoadBalancerArn=balancer)["Listeners"]}
    elb.create_listener(
        LoadBalancerArn=balancer,
        Protocol="HTTP",
        Port=min(set(range(80, 80 + len(taken) + 1)) - taken),  # 80, or the next free port: two listeners of one balancer
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}],
        Tags=[STAND_IN_TAG, {"Key": "_custom_id_", "Value": item["name"]}],
    )


def _create_web_acl(item: dict[str, Any], endpoint: str) -> None:
    name, _ = _web_acl_parts(item["name"])
    _client("wafv2", item, endpoint).create_web_acl(
        Name=name,
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": name},
        Description=f"emulator stand-in for {item['reference']}",
        Tags=[STAND_IN_TAG, {"Key": "_custom_id_", "Value": item["name"]}],
    )


def _stand_in_keys(kms: Any, item: dict[str, Any]) -> list[str]:
    """The enabled keys whose description names the reference (moto cannot give the stand-in the referenced ID)."""
    described = [kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"] for key in kms.list_keys()["Keys"]]
    wanted = f"emulator stand-in for {item['reference']}"
    return [key["KeyId"] for key in described if key.get("Description") == wanted and key.get("KeyState") == "Enabled"]


def create(item: dict[str, Any], endpoint: str) -> str:
    """Create the stand-in: ``"created"``, or ``"exists"`` when it is there already."""
    if item["kind"] in ("vpc", "subnet"):
        return _create_network(item, endpoint)
    if _found(item, endpoint):
        return "exists"
    try:
        _create_other(item, endpoint)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code", "") in ALREADY:
            return "exists"
        raise
    return "created"


def _create_other(item: dict[str, Any], endpoint: str) -> None:
    kind, name = item["kind"], item["name"]
    if kind == "security_group":
        tags = [{"ResourceType": "security-group", "Tags": [STAND_IN_TAG, {"Key": "_custom_id_", "Value": name}]}]
        _client("ec2", item, endpoint).create_security_group(
            GroupName=f"emulator-stand-in-{name}", Description=f"emulator stand-in for {item['reference']}", TagSpecifications=tags
        )
    elif kind == "secret":
        _client("secretsmanager", item, endpoint).create_secret(
            Name=name, SecretString="{}", Tags=[STAND_IN_TAG, {"Key": "_custom_id_", "Value": item["suffix"]}]
        )
    elif kind == "parameter":
        _client("ssm", item, endpoint).put_parameter(Name=name, Value="stand-in", Type="String")
    elif kind == "kms_key":
        _client("kms", item, endpoint).create_key(
            Description=f"emulator stand-in for {item['reference']}", Tags=[{"TagKey": "stand-in", "TagValue": "deploy-local"}]
        )
    elif kind == "bucket":
        s3 = _client("s3", item, endpoint)
        location = {} if item["region"] == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": item["region"]}}
        s3.create_bucket(Bucket=name, **location)
    elif kind == "queue":
        _client("sqs", item, endpoint).create_queue(QueueName=name)
    elif kind == "cluster":
        _client("ecs", item, endpoint).create_cluster(clusterName=name)
    elif kind == "listener":
        _create_listener(item, endpoint)
    elif kind == "web_acl":
        _create_web_acl(item, endpoint)
    else:
        raise ValueError(f"unknown stand-in kind {kind!r} (emulator/standins.py writes only known kinds)")


def delete(item: dict[str, Any], endpoint: str) -> None:
    kind, name = item["kind"], item["name"]
    if kind == "vpc":
        _client("ec2", item, endpoint).delete_vpc(VpcId=name)
    elif kind == "subnet":
        _client("ec2", item, endpoint).delete_subnet(SubnetId=name)
    elif kind == "security_group":
        _client("ec2", item, endpoint).delete_security_group(GroupId=name)
    elif kind == "secret":
        _client("secretsmanager", item, endpoint).delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    elif kind == "parameter":
        _client("ssm", item, endpoint).delete_parameter(Name=name)
    elif kind == "kms_key":
        kms = _client("kms", item, endpoint)
        for key_id in _stand_in_keys(kms, item):
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    elif kind == "bucket":
        _client("s3", item, endpoint).delete_bucket(Bucket=name)
    elif kind == "queue":
        sqs = _client("sqs", item, endpoint)
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    elif kind == "cluster":
        _client("ecs", item, endpoint).delete_cluster(cluster=name)
    elif kind == "listener":
        _client("elbv2", item, endpoint).delete_load_balancer(LoadBalancerArn=_balancer_arn(name))  # its listener goes with it
    elif kind == "web_acl":
        waf, (acl_name, acl_id) = _client("wafv2", item, endpoint), _web_acl_parts(name)
        token = waf.get_web_acl(Name=acl_name, Scope="REGIONAL", Id=acl_id)["LockToken"]
        waf.delete_web_acl(Name=acl_name, Scope="REGIONAL", Id=acl_id, LockToken=token)


def main() -> int:
    action, endpoint = sys.argv[1], sys.argv[2]
    statuses = []
    for item in json.load(sys.stdin):
        try:
            if action == "create":
                statuses.append(create(item, endpoint))
            else:
                delete(item, endpoint)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if action == "delete" and (item["kind"] not in ("vpc", "subnet") or code in GONE):
                continue  # already gone (a forgotten account, a manual clean-up)
            print(f"{item['kind']} {item['reference']}: {code}: {error}", file=sys.stderr)
            return 1
    print(json.dumps(statuses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
