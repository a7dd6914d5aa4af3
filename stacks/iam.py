"""IAM for one service: an execution role (image pull, its own logs) and a task role (ECS Exec).

Policies are written as JSON here rather than through ``aws_iam_policy_document``
data sources, so the plan shows the exact document a reviewer approves.
"""

from __future__ import annotations

import json
import re

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from topology import AdoptedService, Service

# The channel actions the ECS Exec agent (SSM) needs in the task role; ssmmessages
# supports no resource-level permissions, so the resource is necessarily "*".
EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)

PRIVATE_ECR_IMAGE = re.compile(r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)")


def policy_document(statements: list[dict[str, object]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=None, sort_keys=True)


class AccountContext(Construct):
    """Account and partition lookups shared by every service's roles."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.identity = DataAwsCallerIdentity(self, "identity")
        self.partition = DataAwsPartition(self, "partition")
        # Tokens read once: every read is a round trip to the jsii runtime.
        self.account_id = self.identity.account_id
        self.partition_name = self.partition.partition
        self._trust: dict[str, str] = {}

    def assume_role_policy(self, service_principal: str) -> str:
        """The service may assume the role only on behalf of this account (confused-deputy guard)."""
        if service_principal not in self._trust:
            self._trust[service_principal] = policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service_principal},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": self.account_id}},
                    }
                ]
            )
        return self._trust[service_principal]


class ServiceRoles(Construct):
    execution_role: IamRole
    task_role: IamRole

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: Service,
        project: str,
        log_group_arns: list[str],
        account: AccountContext,
        adopted: AdoptedService | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        execution_name = adopted.execution_role_name if adopted and adopted.execution_role_name else None
        task_name = adopted.task_role_name if adopted and adopted.task_role_name else None
        self.execution_role = IamRole(
            self,
            "execution",
            name=execution_name or f"{project}-{service.name}-execution",
            description=f"ECS agent for {service.name}: pull its image, write its own log groups",
            assume_role_policy=account.assume_role_policy("ecs-tasks.amazonaws.com"),
        )
        IamRolePolicy(
            self,
            "execution_policy",
            name="pull-and-log",
            role=self.execution_role.id,
            policy=policy_document(self._execution_statements(service, log_group_arns, account)),
        )
        self.task_role = IamRole(
            self,
            "task",
            name=task_name or f"{project}-{service.name}-task",
            description=f"Application role of {service.name}",
            assume_role_policy=account.assume_role_policy("ecs-tasks.amazonaws.com"),
        )
        # An adopted role keeps its name (IAM role names cannot change): it is imported, not created.
        if execution_name:
            self.execution_role.import_from(execution_name)
        if task_name:
            self.task_role.import_from(task_name)
        if service.enable_execute_command:
            IamRolePolicy(
                self,
                "exec_policy",
                name="ecs-exec",
                role=self.task_role.id,
                policy=policy_document([{"Sid": "EcsExec", "Effect": "Allow", "Action": list(EXEC_ACTIONS), "Resource": "*"}]),
            )

    @staticmethod
    def _execution_statements(service: Service, log_group_arns: list[str], account: AccountContext) -> list[dict[str, object]]:
        statements: list[dict[str, object]] = [
            {
                "Sid": "OwnLogGroups",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{arn}:log-stream:*" for arn in log_group_arns],
            }
        ]
        # Public registries (public.ecr.aws, Docker Hub) need no permission to pull.
        # A private ECR image needs a token (account-wide by design) and read access to its repository only.
        match = PRIVATE_ECR_IMAGE.match(service.image)
        if match:
            repo_arn = f"arn:{account.partition_name}:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
            statements += [
                {"Sid": "EcrToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {
                    "Sid": "EcrPull",
                    "Effect": "Allow",
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    "Resource": repo_arn,
                },
            ]
        return statements
