"""VPC flow logs: every accepted and rejected flow, to an encrypted log group, through a role scoped to it."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from .iam import AccountContext, policy_document


class VpcFlowLogs(Construct):
    log_group: CloudwatchLogGroup
    flow_log: FlowLog

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc_id: str,
        project: str,
        region: str,
        retention_days: int,
        kms_key_arn: str,
        account: AccountContext,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = CloudwatchLogGroup(
            self, "group", name=f"/vpc/{project}/flow-logs", retention_in_days=retention_days, kms_key_id=kms_key_arn
        )
        group_arn = self.log_group.arn
        role = IamRole(
            self,
            "role",
            name=f"{project}-vpc-flow-logs",
            description="VPC flow logs delivery to its own log group",
            assume_role_policy=account.assume_role_policy("vpc-flow-logs.amazonaws.com"),
        )
        # The flow log is created after its policy: one created first can stay in "Access error".
        policy = IamRolePolicy(
            self,
            "policy",
            name="deliver-to-own-group",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "OwnLogGroup",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                        "Resource": [group_arn, f"{group_arn}:log-stream:*"],
                    },
                    {
                        "Sid": "FindLogGroup",
                        "Effect": "Allow",
                        "Action": "logs:DescribeLogGroups",
                        "Resource": f"arn:{account.partition_name}:logs:{region}:{account.account_id}:log-group:*",
                    },
                ]
            ),
        )
        self.flow_log = FlowLog(
            self,
            "flow_log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group_arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            depends_on=[policy],
        )
