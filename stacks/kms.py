"""One customer-managed KMS key for every CloudWatch log group of the system.

The key policy names every action explicitly (no ``kms:*``): the account may
administer the key through IAM, and CloudWatch Logs in this region may use it
only for this account's log groups (encryption-context condition).
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


class LogsKey(Construct):
    key: KmsKey

    def __init__(self, scope: Construct, construct_id: str, *, project: str, region: str, account: AccountContext) -> None:
        super().__init__(scope, construct_id)
        partition, account_id = account.partition_name, account.account_id
        policy = policy_document(
            [
                {
                    "Sid": "AccountAdministersThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": list(KEY_ADMIN_ACTIONS),
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsOfThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": list(LOGS_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"}
                    },
                },
            ]
        )
        self.key = KmsKey(
            self,
            "key",
            description=f"{project}: CloudWatch log groups (apps, Service Connect proxies, VPC flow logs)",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy,
        )
        KmsAlias(self, "alias", name=f"alias/{project}-logs", target_key_id=self.key.key_id)
