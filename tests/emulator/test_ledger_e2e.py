"""examples/ledger.py end to end against the local AWS emulator: the team's own queue, bucket and table are created
beside the services, and each task role gets exactly its grants (one deployment, the shared ``deployed`` fixture,
through the same command as ``make deploy-local SYSTEM=examples.ledger``). Fails (never skips) when moto,
terraform or the provider mirror is missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from examples import ledger
from topology.extras import on_objects

from ..deployments import Deploy, Deployed

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deployment(deployed: Deploy) -> Deployed:
    return deployed("examples.ledger")


def _applied(home: Path) -> dict[str, dict[str, Any]]:
    """``<type>.<name>`` -> its attributes, as the services state holds them after the apply (read back from the emulator)."""
    state = json.loads((home / "state" / "services.tfstate").read_text(encoding="utf-8"))
    return {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in state["resources"] if r.get("mode") == "managed"}


def test_the_own_resources_are_created(deployment: Deployed) -> None:
    applied = _applied(deployment.home)
    assert applied["aws_sqs_queue.own_orders"]["arn"] == "arn:aws:sqs:ap-northeast-1:123456789012:ledger-orders"
    assert applied["aws_s3_bucket.own_receipts"]["arn"] == "arn:aws:s3:::ledger-receipts"
    assert applied["aws_dynamodb_table.own_ledger"]["arn"] == "arn:aws:dynamodb:ap-northeast-1:123456789012:table/ledger-ledger"
    block = applied["aws_s3_bucket_public_access_block.own_receipts_public_access"]
    assert [block[flag] for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")] == [
        True
    ] * 4


def test_each_task_role_gets_exactly_its_grants_on_the_deployed_arns(deployment: Deployed) -> None:
    applied = _applied(deployment.home)
    for service in ledger.TOPOLOGY.services:
        policy = next(a for address, a in applied.items() if address.startswith(f"aws_iam_role_policy.{service.name}_iam_grants_policy"))
        statements = json.loads(policy["policy"])["Statement"]
        got = sorted((tuple(sorted(s["Action"])), s["Resource"]) for s in statements)
        expected = []
        for grant in service.grants:
            arn = applied[grant.resource.address]["arn"]
            actions = grant.actions
            objects = tuple(a for a in actions if grant.resource.kind == "bucket" and on_objects(a))
            rest = tuple(a for a in actions if a not in objects)
            expected += [(tuple(sorted(part)), where) for part, where in ((rest, arn), (objects, f"{arn}/*")) if part]
        assert got == sorted(expected), service.name
        assert policy["role"] == applied[f"aws_iam_role.{_role(applied, service.name)}"]["id"]


def _role(applied: dict[str, dict[str, Any]], service: str) -> str:
    """The logical name of ``service``'s task role in the state."""
    return next(a.split(".", 1)[1] for a, v in applied.items() if a.startswith("aws_iam_role.") and v["name"].endswith(f"-{service}-task"))


def test_the_database_group_admits_exactly_worker_on_its_port(deployment: Deployed) -> None:
    applied = _applied(deployment.home)
    group = applied["aws_security_group.own_orders-db"]
    worker = next(v for a, v in applied.items() if a.startswith("aws_security_group.worker_sg_group"))
    assert (group["name"], group["vpc_id"], group["ingress"], group["egress"]) == ("ledger-orders-db", worker["vpc_id"], [], [])
    on_db = {
        a: v for a, v in applied.items() if a.startswith("aws_vpc_security_group_ingress_rule.") and v["security_group_id"] == group["id"]
    }
    assert list(on_db) == ["aws_vpc_security_group_ingress_rule.own_orders-db_from_worker"]
    rule = on_db["aws_vpc_security_group_ingress_rule.own_orders-db_from_worker"]
    assert (rule["referenced_security_group_id"], rule["ip_protocol"], rule["from_port"], rule["to_port"]) == (
        worker["id"],
        "tcp",
        5432,
        5432,
    )
    egress = [
        v
        for a, v in applied.items()
        if a.startswith("aws_vpc_security_group_egress_rule.") and v["referenced_security_group_id"] == group["id"]
    ]
    assert [(e["security_group_id"], e["from_port"]) for e in egress] == [(worker["id"], 5432)]


def test_the_secret_is_created_without_a_value(deployment: Deployed) -> None:
    applied = _applied(deployment.home)
    secret = applied["aws_secretsmanager_secret.own_payment-key"]
    assert secret["arn"].startswith("arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ledger-payment-key-"), secret["arn"]
    assert not [a for a in applied if a.startswith("aws_secretsmanager_secret_version.")]
