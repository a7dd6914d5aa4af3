"""Create or delete stand-ins in a running emulator with boto3 (run by ``emulator/standins.py`` in the emulator's Python).

    python -m emulator.standin_client create|delete <endpoint>   # the stand-ins as JSON on stdin

Idempotent: what already exists is left as it is (a second ``deploy-local``), what is gone is
not an error on delete. Each stand-in is made in the account its ARN names: moto treats a
12-digit access key ID as that account.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
from botocore.exceptions import ClientError

ALREADY = ("InvalidGroup.Duplicate", "ResourceExistsException", "ParameterAlreadyExists", "BucketAlreadyOwnedByYou", "QueueAlreadyExists")


def _client(service: str, item: dict[str, Any], endpoint: str) -> Any:
    account = item.get("account") or "123456789012"
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=item["region"],
        aws_access_key_id=account,
        aws_secret_access_key="emulator",
    )


def create(item: dict[str, Any], endpoint: str) -> None:
    kind, name = item["kind"], item["name"]
    tag = [{"Key": "stand-in", "Value": "deploy-local"}]
    if kind == "security_group":
        ec2 = _client("ec2", item, endpoint)
        ec2.create_security_group(GroupName=name, Description=f"emulator stand-in for {item['reference']}")
    elif kind == "secret":
        _client("secretsmanager", item, endpoint).create_secret(
            Name=name, SecretString="{}", Tags=[*tag, {"Key": "_custom_id_", "Value": item["suffix"]}]
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
    else:
        raise SystemExit(f"unknown stand-in kind {kind!r}")


def delete(item: dict[str, Any], endpoint: str) -> None:
    kind, name = item["kind"], item["name"]
    if kind == "security_group":
        _client("ec2", item, endpoint).delete_security_group(GroupName=name)
    elif kind == "secret":
        _client("secretsmanager", item, endpoint).delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    elif kind == "parameter":
        _client("ssm", item, endpoint).delete_parameter(Name=name)
    elif kind == "kms_key":
        kms = _client("kms", item, endpoint)
        for key in kms.list_keys()["Keys"]:
            if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"].get("Description") == f"emulator stand-in for {item['reference']}":
                kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    elif kind == "bucket":
        _client("s3", item, endpoint).delete_bucket(Bucket=name)
    elif kind == "queue":
        sqs = _client("sqs", item, endpoint)
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    elif kind == "cluster":
        _client("ecs", item, endpoint).delete_cluster(cluster=name)


def main() -> int:
    action, endpoint = sys.argv[1], sys.argv[2]
    for item in json.load(sys.stdin):
        try:
            (create if action == "create" else delete)(item, endpoint)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if action == "create" and code in ALREADY:
                continue
            if action == "delete":
                continue  # already gone (a forgotten account, a manual clean-up)
            print(f"{item['kind']} {item['reference']}: {code}: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
