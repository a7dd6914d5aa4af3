"""One customer-managed KMS key for every CloudWatch log group of the system.

The key policy names every action explicitly (no ``kms:*``): the account may
administer the key through IAM, and CloudWatch Logs in this region may use it
only for this project's log groups: the encryption-context condition names the
project's log-group name prefixes (``/ecs/<cluster>/`` and ``/vpc/<project>/``), not
``log-group:*``, so no other log group of the account can be encrypted with it.

``ExecSessionKey`` encrypts ECS Exec session data between the operator and the
container; IAM decides who may use it (task roles get ``kms:Decrypt`` on it, operators
need ``kms:GenerateDataKey``), so its policy delegates use to the account's IAM.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from .iam import AccountContext, policy_document

KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
LOGS_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


def _administered_by_the_account(root: str) -> dict[str, object]:
    """The statement every key of the project starts with: the account administers it through IAM."""
    return {
        "Sid": "AccountAdministersThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": root},
        "Action": list(KEY_ADMIN_ACTIONS),
        "Resource": "*",
    }


def _rotated_key_with_alias(scope: Construct, *, alias: str, description: str, statements: list[dict[str, object]]) -> KmsKey:
    """A rotated key (30-day deletion window) with ``statements`` as its policy, and ``alias/<alias>`` pointing to it."""
    key = KmsKey(
        scope,
        "key",
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy_document(statements),
    )
    KmsAlias(scope, "alias", name=f"alias/{alias}", target_key_id=key.key_id)
    return key


class LogsKey(Construct):
    key: KmsKey

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project: str,
        region: str,
        account: AccountContext,
        log_group_prefixes: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        partition, account_id = account.partition_name, account.account_id
        groups = [f"arn:{partition}:logs:{region}:{account_id}:log-group:{prefix}*" for prefix in log_group_prefixes]
        logs: dict[str, object] = {
            "Sid": "CloudWatchLogsOfThisProject",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": list(LOGS_ACTIONS),
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": groups}},
        }
        self.key = _rotated_key_with_alias(
            self,
            alias=f"{project}-logs",
            description=f"{project}: CloudWatch log groups (apps, Service Connect proxies, VPC flow logs)",
            statements=[_administered_by_the_account(f"arn:{partition}:iam::{account_id}:root"), logs],
        )


EXEC_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey")


class ExecSessionKey(Construct):
    """Encrypts ECS Exec session data (``execute_command_configuration.kms_key_id``)."""

    key: KmsKey

    def __init__(self, scope: Construct, construct_id: str, *, project: str, account: AccountContext) -> None:
        super().__init__(scope, construct_id)
        root = f"arn:{account.partition_name}:iam::{account.account_id}:root"
        use: dict[str, object] = {
            "Sid": "AccountUsesThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(EXEC_USE_ACTIONS),
            "Resource": "*",
        }
        self.key = _rotated_key_with_alias(
            self,
            alias=f"{project}-exec",
            description=f"{project}: ECS Exec session data",
            statements=[_administered_by_the_account(root), use],
        )
