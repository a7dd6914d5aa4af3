"""The shapes of AWS identifiers (IDs, account IDs, ARNs, image names) and of the names this project derives resource names from, defined once.

``validate`` (services, egress, existing networks) and ``entry_rules`` (load balancers)
check the same kinds of IDs; one definition keeps their one-line errors in agreement.
"""

from __future__ import annotations

import re

NAME_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
"""Service and entry names: they become container, log group, security group, load balancer and IAM role names,
so they stay short DNS-like labels (IAM role names are limited to 64 characters, ELB names to 32)."""
NAME_LABEL_RULE = "1-32 characters of lowercase letters, digits or '-', not starting or ending with '-'"

SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
PREFIX_LIST_ID = re.compile(r"^pl-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
"""An AWS account ID: exactly 12 digits."""
ACCOUNT_ID_RULE = "must be a 12-digit AWS account ID"

# ARNs: arn:<partition>:<service>:<region>:<account>:<resource>, each shape defined here and imported.
ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-*]*):(?P<account>[0-9]{12}|aws|\*|):(?P<resource>.*)$"
)
"""Any ARN, an IAM resource pattern too (a ``*`` region or account, ``aws`` for AWS-owned resources): where it lives."""
_SECRET = r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+"
SECRETS_MANAGER_ARN = re.compile(f"^{_SECRET}$")
"""ECS ``ContainerDefinition.secrets[].valueFrom`` takes a Secrets Manager secret's ARN ..."""
SECRETS_MANAGER_VALUE = re.compile(f"^(?P<arn>{_SECRET})" + r"(?::(?P<json_key>[^:]*):(?P<version_stage>[^:]*):(?P<version_id>[^:]*))?$")
"""... optionally followed by ``:<json key>:<version stage>:<version id>`` ..."""
SSM_PARAMETER_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+$")
"""... or an SSM parameter's ARN."""
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$")
AWS_MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/[A-Za-z0-9+=,.@_/-]+$")
CUSTOMER_POLICY_ARN = re.compile(r"^arn:[^:]+:iam::(?P<account>[0-9]{12}|\$\{[^}]*\}):policy(?P<path>/(?:[^/]+/)*)(?P<name>[^/]+)$")
"""A customer-managed policy's ARN as a configuration writes it: its account (12 digits or a Terraform expression), path and name."""
ARN_PARTITION = re.compile(r"^arn:(\$\{[^}]*partition[^}]*\}|aws[a-z-]*):")
"""An ARN's partition as a configuration writes it: ``aws``, ``aws-cn``, ... or ``${data.aws_partition.p.partition}``."""
PCA_ARN = re.compile(r"^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:[0-9]{12}:certificate-authority/[0-9a-f-]+$")
"""AWS Private CA, as ServiceConnectTlsCertificateAuthority.awsPcaAuthorityArn requires."""
NAMESPACE_ID = re.compile(r"ns-[a-z0-9]{8,32}")
NAMESPACE_ARN = re.compile(r"arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:namespace/(?P<id>ns-[a-z0-9]{8,32})")
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$")
LISTENER_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+$")
WEB_ACL_ARN = re.compile(r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]+/[0-9a-f-]+$")
PRIVATE_ECR_IMAGE = re.compile(r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)")
"""An image in a private ECR repository: its account, region and repository."""
