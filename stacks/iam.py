"""IAM for one service: an execution role (image pull, its own logs, its secrets) and a task role (ECS Exec, the app's permissions).

Policies are written as JSON here rather than through ``aws_iam_policy_document``
data sources, so the plan shows the exact document a reviewer approves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from constructs import Construct

from topology import AdoptedService, Service
from topology.patterns import PRIVATE_ECR_IMAGE, SECRETS_MANAGER_ARN

from .raw import RawBlocks, RawResource

# The channel actions the ECS Exec agent (SSM) needs in the task role; ssmmessages
# supports no resource-level permissions, so the resource is necessarily "*".
EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)

# What the ECS Exec agent needs to write session logs to a CloudWatch log group (ECS developer guide,
# "IAM permissions required for Amazon CloudWatch Logs"): find the group, then write streams in it.
EXEC_AUDIT_FIND = "logs:DescribeLogGroups"
EXEC_AUDIT_WRITE = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


def policy_document(statements: list[dict[str, object]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=None, sort_keys=True)


class AccountContext(Construct):
    """Account and partition lookups shared by every service's roles."""

    def __init__(self, scope: Construct, construct_id: str, *, raw: RawBlocks | None = None) -> None:
        super().__init__(scope, construct_id)
        self.identity = DataAwsCallerIdentity(self, "identity")
        self.partition = DataAwsPartition(self, "partition")
        # Read once: every read of a token is a round trip to the jsii runtime. For raw resources
        # (stacks/raw.py), as the Terraform expressions the tokens stand for.
        self.account_id: str = self.identity.account_id
        self.partition_name: str = self.partition.partition
        if raw is not None:
            self.account_id, self.partition_name = raw.resolve(self.account_id), raw.resolve(self.partition_name)
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


@dataclass(frozen=True, kw_only=True)
class ExecAudit:
    """Where ECS Exec sessions are logged and the key that encrypts them (from the network stack)."""

    log_group_arn: str
    key_arn: str
    region: str


class ServiceRoles:
    """The two roles of one service and their policies (construct path ``<service>_iam``)."""

    execution_role: RawResource
    task_role: RawResource
    policies: list[RawResource]
    """Everything granted to the two roles: the ECS service depends on all of it (first tasks must not hit AccessDenied)."""

    def __init__(
        self,
        raw: RawBlocks,
        construct_id: str,
        *,
        service: Service,
        project: str,
        log_group_arns: list[str],
        account: AccountContext,
        exec_audit: ExecAudit | None = None,
        adopted: AdoptedService | None = None,
    ) -> None:
        execution_name = adopted.execution_role_name if adopted and adopted.execution_role_name else None
        task_name = adopted.task_role_name if adopted and adopted.task_role_name else None
        trust = account.assume_role_policy("ecs-tasks.amazonaws.com")
        self.execution_role = raw.resource(
            [construct_id, "execution"],
            "aws_iam_role",
            {
                "name": execution_name or f"{project}-{service.name}-execution",
                "description": f"ECS agent for {service.name}: pull its image, write its own log groups",
                "assume_role_policy": trust,
            },
        )
        self.policies = [
            self._inline(
                raw,
                [construct_id, "execution_policy"],
                "pull-and-log",
                self.execution_role,
                self._execution_statements(service, log_group_arns, account),
            )
        ]
        self.task_role = raw.resource(
            [construct_id, "task"],
            "aws_iam_role",
            {
                "name": task_name or f"{project}-{service.name}-task",
                "description": f"Application role of {service.name}",
                "assume_role_policy": trust,
            },
        )
        # An adopted role keeps its name (IAM role names cannot change): it is imported, not created.
        if execution_name:
            self.execution_role.import_from(execution_name)
        if task_name:
            self.task_role.import_from(task_name)
        if service.enable_execute_command:
            statements = self._exec_statements(exec_audit, account)
            self.policies.append(self._inline(raw, [construct_id, "exec_policy"], "ecs-exec", self.task_role, statements))
        if service.permissions:
            statements = self._app_statements(service)
            self.policies.append(self._inline(raw, [construct_id, "app_policy"], "app", self.task_role, statements))
        for index, arn in enumerate(service.managed_policies):
            # An explicit opt-in: proof/verify.py reports every attachment, since it cannot read what it grants.
            attachment = {"role": self.task_role.ref("name"), "policy_arn": arn}
            self.policies.append(raw.resource([construct_id, f"managed_{index}"], "aws_iam_role_policy_attachment", attachment))

    @staticmethod
    def _inline(raw: RawBlocks, components: list[str], name: str, role: RawResource, statements: list[dict[str, object]]) -> RawResource:
        body = {"name": name, "role": role.ref("id"), "policy": policy_document(statements)}
        return raw.resource(components, "aws_iam_role_policy", body)

    @staticmethod
    def _exec_statements(exec_audit: ExecAudit | None, account: AccountContext) -> list[dict[str, object]]:
        statements: list[dict[str, object]] = [{"Sid": "EcsExec", "Effect": "Allow", "Action": list(EXEC_ACTIONS), "Resource": "*"}]
        if exec_audit is None:
            return statements
        group = exec_audit.log_group_arn
        return [
            *statements,
            {
                "Sid": "ExecAuditFindGroup",
                "Effect": "Allow",
                "Action": EXEC_AUDIT_FIND,
                "Resource": f"arn:{account.partition_name}:logs:{exec_audit.region}:{account.account_id}:log-group:*",
            },
            {"Sid": "ExecAuditWrite", "Effect": "Allow", "Action": list(EXEC_AUDIT_WRITE), "Resource": [group, f"{group}:log-stream:*"]},
            {"Sid": "ExecSessionKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": exec_audit.key_arn},
        ]

    @staticmethod
    def _app_statements(service: Service) -> list[dict[str, object]]:
        return [
            {
                "Sid": permission.sid or f"App{index}",
                "Effect": "Allow",
                "Action": list(permission.actions),
                "Resource": list(permission.resources),
            }
            for index, permission in enumerate(service.permissions)
        ]

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
        statements += ServiceRoles._secret_statements(service)
        return statements

    @staticmethod
    def _secret_statements(service: Service) -> list[dict[str, object]]:
        """Exactly the declared secrets and parameters, and decrypt with exactly the named keys."""
        managed = sorted({s.arn for s in service.secrets if SECRETS_MANAGER_ARN.match(s.arn)})
        parameters = sorted({s.arn for s in service.secrets if not SECRETS_MANAGER_ARN.match(s.arn)})
        keys = sorted({s.kms_key_arn for s in service.secrets if s.kms_key_arn is not None})
        statements: list[dict[str, object]] = []
        if managed:
            statements.append({"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": managed})
        if parameters:
            statements.append({"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameters})
        if keys:
            statements.append({"Sid": "DecryptSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": keys})
        return statements
