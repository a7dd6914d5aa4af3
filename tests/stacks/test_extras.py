"""The team's own resources (topology/extras.py, stacks/extras.py): where they are written, their typed handles, the
exact statements a grant gives a task role, and the proof's view of them (the grant passes; anything else on the
resource is a finding)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from examples import ledger
from proof.verify import Config, from_topology, load, verify
from topology import Bucket, Parameter, Queue, Service, Settings, StoredSecret, Topic, Topology, validate
from topology.extras import ACCESS

from ..conftest import Synthesizer
from ..tfjson import Synth

SETTINGS = Settings(project="ledger")


@pytest.fixture(scope="module")
def ledger_synth(synthesize: Synthesizer) -> Synth:
    return synthesize(ledger.TOPOLOGY, SETTINGS)


def _policy(synth: Synth, service: str) -> dict[str, Any]:
    name, _ = synth.by_path("services", "aws_iam_role_policy", f"{service}_iam/grants_policy")
    document: dict[str, Any] = json.loads(synth.stack("services")["resource"]["aws_iam_role_policy"][name]["policy"])
    return document


def test_each_resource_is_written_in_the_services_stack_at_own_name(ledger_synth: Synth) -> None:
    resources = ledger_synth.stack("services")["resource"]
    assert resources["aws_sqs_queue"]["own_orders"]["name"] == "ledger-orders"
    assert resources["aws_sqs_queue"]["own_orders"]["sqs_managed_sse_enabled"] is True
    assert resources["aws_s3_bucket"]["own_receipts"]["bucket"] == "ledger-receipts"
    assert resources["aws_s3_bucket_ownership_controls"]["own_receipts_ownership"]["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    assert resources["aws_dynamodb_table"]["own_ledger"]["hash_key"] == "id"
    assert "aws_sqs_queue" not in ledger_synth.stack("network").get("resource", {})


def test_a_grant_gives_exactly_its_actions_on_that_resource_only(ledger_synth: Synth) -> None:
    worker = _policy(ledger_synth, "worker")["Statement"]
    assert worker == [
        {
            "Sid": "GrantQueueOrdersReceive",
            "Effect": "Allow",
            "Action": list(ACCESS[("queue", "receive")]),
            "Resource": "${aws_sqs_queue.own_orders.arn}",
        },
        {"Sid": "GrantBucketReceiptsRead", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "${aws_s3_bucket.own_receipts.arn}"},
        {
            "Sid": "GrantBucketReceiptsReadObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": "${aws_s3_bucket.own_receipts.arn}/*",
        },
        {
            "Sid": "GrantTableLedgerWrite",
            "Effect": "Allow",
            "Action": list(ACCESS[("table", "write")]),
            "Resource": "${aws_dynamodb_table.own_ledger.arn}",
        },
    ]
    api = _policy(ledger_synth, "api")["Statement"]
    assert [s["Sid"] for s in api] == ["GrantQueueOrdersSend", "GrantBucketReceiptsWriteObjects", "GrantSecretPaymentKeyRead"]
    assert api[2] == {
        "Sid": "GrantSecretPaymentKeyRead",
        "Effect": "Allow",
        "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        "Resource": "${aws_secretsmanager_secret.own_payment-key.arn}",
    }
    assert "sqs:ReceiveMessage" not in {a for s in api for a in s["Action"]}


def test_the_ecs_service_waits_for_its_grants(ledger_synth: Synth) -> None:
    policy, _ = ledger_synth.by_path("services", "aws_iam_role_policy", "worker_iam/grants_policy")
    ecs, _ = ledger_synth.by_path("services", "aws_ecs_service", "worker/service")
    assert f"aws_iam_role_policy.{policy}" in ledger_synth.stack("services")["resource"]["aws_ecs_service"][ecs]["depends_on"]


def test_handles_name_the_resources_for_other_declarations(tmp_path: Path) -> None:
    from stacks.app import build_app

    # isort: split
    from cdktf import TerraformOutput, TerraformStack

    app = build_app(ledger.TOPOLOGY, SETTINGS, outdir=str(tmp_path))
    services = app.services[0]
    orders = services.own["orders"]
    assert (orders.arn, orders.name, orders.ref("url")) == (
        "${aws_sqs_queue.own_orders.arn}",
        "${aws_sqs_queue.own_orders.name}",
        "${aws_sqs_queue.own_orders.url}",
    )
    assert services.own["receipts"].name == "${aws_s3_bucket.own_receipts.bucket}"
    app.materialize()  # the construct tree: a stack of the team's own references the queue across stacks
    mine = TerraformStack(app.app, "mine")
    mine.add_dependency(services)
    TerraformOutput(mine, "orders_arn", value=orders.resource.node.get_string_attribute("arn"))
    app.synth()
    value = json.loads((tmp_path / "stacks" / "mine" / "cdk.tf.json").read_text(encoding="utf-8"))["output"]["orders_arn"]["value"]
    assert value.startswith("${data.terraform_remote_state.cross-stack-reference-input-services.outputs."), value


def test_declaration_mistakes_are_one_line_each() -> None:
    orders, stray = Queue(name="orders"), Bucket(name="stray")
    topology = Topology(
        resources=(orders, Queue(name="orders"), Topic(name="Bad_Name")),
        services=(Service(name="api", grants=(orders.read, stray.read, orders.send, orders.send)),),
    )
    assert validate(topology, Settings()) == [
        "resources[1]: name: 'orders' is declared twice (resource names are unique)",
        "resources[2]: name: 'Bad_Name' must be 1-40 lowercase letters, digits or '-', starting with a letter",
        "service 'api': grants[0]: a queue grants send, receive, allow(...), not 'read'",
        "service 'api': grants[1]: 'stray' is not in Topology.resources (declared: orders, orders, Bad_Name)",
        "service 'api': grants: a grant is listed twice",
    ]


def _config(synth: Synth, edit: Any) -> Config:
    stacks = {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}
    edit(stacks["services"])
    return Config(stacks)


def _findings(config: Config) -> list[str]:
    return [str(v) for v in verify(config, from_topology(ledger.TOPOLOGY))]


def test_the_proof_accepts_the_declared_grants(ledger_synth: Synth) -> None:
    assert _findings(load([ledger_synth.outdir])) == []


def test_the_proof_rejects_a_grants_action_on_another_resource(ledger_synth: Synth) -> None:
    """``api`` may send to ``orders``; a hand-written statement letting it send anywhere is beyond its grants."""
    policy, _ = ledger_synth.by_path("services", "aws_iam_role_policy", "api_iam/grants_policy")

    def widen(stack: dict[str, Any]) -> None:
        body = stack["resource"]["aws_iam_role_policy"][policy]
        document = json.loads(body["policy"])
        document["Statement"].append({"Sid": "Wide", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"})
        body["policy"] = json.dumps(document)

    assert _findings(_config(ledger_synth, widen)) == [
        f"service 'api': services:aws_iam_role_policy.{policy}: least-privilege: task role allows sqs:SendMessage on *, beyond its grants"
    ]


def test_the_proof_rejects_an_ungranted_service_on_a_granted_resource(ledger_synth: Synth) -> None:
    """``worker`` writes the table; the same statement on ``api``'s role is not declared."""
    policy, _ = ledger_synth.by_path("services", "aws_iam_role_policy", "api_iam/grants_policy")

    def add(stack: dict[str, Any]) -> None:
        body = stack["resource"]["aws_iam_role_policy"][policy]
        document = json.loads(body["policy"])
        document["Statement"].append({"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": "${aws_sqs_queue.own_orders.arn}"})
        body["policy"] = json.dumps(document)

    found = _findings(_config(ledger_synth, add))
    assert found == [
        f"service 'api': services:aws_iam_role_policy.{policy}: exec-least-privilege: task role allows sqs:ReceiveMessage beyond the "
        "ssmmessages channel actions and its declared permissions"
    ]


def test_the_proof_rejects_a_resource_policy_on_an_own_resource(ledger_synth: Synth) -> None:
    """A queue policy (or a ``policy`` argument) can open the queue to anyone: not declared, so a finding."""

    def open_queue(stack: dict[str, Any]) -> None:
        stack["resource"]["aws_sqs_queue_policy"] = {
            "open": {"queue_url": "${aws_sqs_queue.own_orders.id}", "policy": json.dumps({"Statement": [{"Principal": "*"}]})}
        }
        stack["resource"]["aws_sqs_queue"]["own_orders"]["policy"] = "{}"

    found = _findings(_config(ledger_synth, open_queue))
    assert any("aws_sqs_queue_policy.open: known-types-only" in line and "(policy)" in line for line in found), found
    assert any("aws_sqs_queue.own_orders: known-types-only" in line and "(policy)" in line for line in found), found


def test_a_bucket_block_only_narrows_and_a_public_acl_it_does_not_ignore_is_a_finding(ledger_synth: Synth) -> None:
    """A public access block can only take access away: a flag turned off opens nothing by itself (the proof judges
    what could open the bucket, its ACL and policy). A public ACL passes only while the block makes S3 ignore it."""
    blocks = ledger_synth.stack("services")["resource"]["aws_s3_bucket_public_access_block"]
    assert blocks["own_receipts_public_access"]["restrict_public_buckets"] is True

    def loosen(*flags: str, acl: str | None = None) -> Callable[[dict[str, Any]], None]:
        def edit(stack: dict[str, Any]) -> None:
            for flag in flags:
                stack["resource"]["aws_s3_bucket_public_access_block"]["own_receipts_public_access"][flag] = False
            if acl is not None:
                stack["resource"]["aws_s3_bucket_acl"] = {"open": {"bucket": "${aws_s3_bucket.own_receipts.id}", "acl": acl}}

        return edit

    assert _findings(_config(ledger_synth, loosen("restrict_public_buckets", "block_public_policy"))) == []
    assert _findings(_config(ledger_synth, loosen(acl="public-read"))) == []  # ignored: ignore_public_acls is on
    found = _findings(_config(ledger_synth, loosen("ignore_public_acls", acl="public-read")))
    assert found and all("aws_s3_bucket_acl.open" in line for line in found), found


def test_a_secret_and_a_parameter_are_written_without_their_values(synthesize: Synthesizer) -> None:
    secret, parameter = StoredSecret(name="token"), Parameter(name="config")
    topology = Topology(resources=(secret, parameter), services=(Service(name="reader", grants=(secret.read, parameter.read)),))
    synth = synthesize(topology, SETTINGS)
    resources = synth.stack("services")["resource"]
    assert {k: v for k, v in resources["aws_secretsmanager_secret"]["own_token"].items() if k != "//"} == {
        "name": "ledger-token",
        "description": "Written by hand (put-secret-value); read by the services granted it",
    }
    written = {k: v for k, v in resources["aws_ssm_parameter"]["own_config"].items() if k != "//"}
    assert written == {
        "name": "ledger-config",
        "type": "SecureString",
        "value": "set-me",
        "description": "Written by hand (put-parameter --overwrite); read by the services granted it",
        "lifecycle": {"ignore_changes": ["value"]},
    }
    statements = _policy(synth, "reader")["Statement"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        (["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], "${aws_secretsmanager_secret.own_token.arn}"),
        (["ssm:GetParameter", "ssm:GetParameters"], "${aws_ssm_parameter.own_config.arn}"),
    ]
    assert not [a for s in statements for a in s["Action"] if a.startswith("kms:")]  # the AWS-managed keys


def test_the_proof_rejects_a_policy_on_the_secret(ledger_synth: Synth) -> None:
    def open_secret(stack: dict[str, Any]) -> None:
        stack["resource"]["aws_secretsmanager_secret_policy"] = {
            "open": {"secret_arn": "${aws_secretsmanager_secret.own_payment-key.arn}", "policy": "{}"}
        }
        stack["resource"]["aws_secretsmanager_secret"]["own_payment-key"]["policy"] = "{}"

    found = _findings(_config(ledger_synth, open_secret))
    assert any("aws_secretsmanager_secret_policy.open: known-types-only" in line for line in found), found
    assert any("aws_secretsmanager_secret.own_payment-key: known-types-only" in line and "(policy)" in line for line in found), found


def test_the_proof_rejects_a_secret_read_on_another_secret(ledger_synth: Synth) -> None:
    policy, _ = ledger_synth.by_path("services", "aws_iam_role_policy", "api_iam/grants_policy")

    def widen(stack: dict[str, Any]) -> None:
        body = stack["resource"]["aws_iam_role_policy"][policy]
        document = json.loads(body["policy"])
        other = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:other-AbCdEf"
        document["Statement"].append({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": other})
        body["policy"] = json.dumps(document)

    assert _findings(_config(ledger_synth, widen)) == [
        f"service 'api': services:aws_iam_role_policy.{policy}: least-privilege: task role allows secretsmanager:GetSecretValue on "
        "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:other-AbCdEf, beyond its grants"
    ]


BY_HAND = Queue(name="orders")
JANITOR = Topology(resources=(BY_HAND,), services=(Service(name="janitor", grants=(BY_HAND.allow("sqs:PurgeQueue"),)),))


def test_a_statement_by_hand_is_exactly_its_actions_on_its_resource(synthesize: Synthesizer) -> None:
    synth = synthesize(JANITOR, SETTINGS)
    assert _policy(synth, "janitor")["Statement"] == [
        {"Sid": "GrantQueueOrdersByHand", "Effect": "Allow", "Action": ["sqs:PurgeQueue"], "Resource": "${aws_sqs_queue.own_orders.arn}"}
    ]
    assert [str(v) for v in verify(load([synth.outdir]), from_topology(JANITOR))] == []


def test_the_proof_holds_a_statement_by_hand_to_its_resource(synthesize: Synthesizer) -> None:
    synth = synthesize(JANITOR, SETTINGS)
    policy, _ = synth.by_path("services", "aws_iam_role_policy", "janitor_iam/grants_policy")
    stacks = {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}
    body = stacks["services"]["resource"]["aws_iam_role_policy"][policy]
    document = json.loads(body["policy"])
    document["Statement"][0]["Resource"] = "*"
    body["policy"] = json.dumps(document)
    assert [str(v) for v in verify(Config(stacks), from_topology(JANITOR))] == [
        f"service 'janitor': services:aws_iam_role_policy.{policy}: least-privilege: task role allows sqs:PurgeQueue on *, beyond its grants"
    ]


def test_a_statement_by_hand_names_its_own_services_actions_only() -> None:
    orders = Queue(name="orders")
    topology = Topology(
        resources=(orders,),
        services=(Service(name="api", grants=(orders.allow("s3:GetObject", "sqs:*"), orders.allow())),),
    )
    assert validate(topology, Settings()) == [
        "service 'api': grants[0]: orders.allow: 's3:GetObject' must be one sqs: action, like 'sqs:PurgeQueue' (no wildcard)",
        "service 'api': grants[0]: orders.allow: 'sqs:*' must be one sqs: action, like 'sqs:PurgeQueue' (no wildcard)",
        "service 'api': grants[1]: orders.allow() lists no action",
        "service 'api': grants: orders.allow(...) is listed more than once (list its actions in one)",
    ]
