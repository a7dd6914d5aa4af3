"""The one registry of resource types the checker models: everything else is judged by its schema (``kinds``).

A type listed here is read by a check (``reach``, ``exposure``, ``iam``, ``config``).
Its value lists the arguments the checker does *not* follow: each, when set to
something other than the allowed literal values (``None``: any value), is a
finding ``cannot prove: <type> can change who reaches <service> (<argument>)``.
To model a new type (e.g. a load balancer), add its check and list it here.
"""

from __future__ import annotations

from collections.abc import Mapping

Unfollowed = Mapping[str, tuple[str, ...] | None]
"""Argument -> the literal values that are safe (compared lower-case), or None when any value is a finding."""

ECS: dict[str, Unfollowed] = {
    "aws_ecs_service": {"iam_role": None, "vpc_lattice_configurations": None},
    "aws_ecs_task_definition": {"network_mode": ("awsvpc",)},
    "aws_ecs_cluster": {},
    "aws_ecs_cluster_capacity_providers": {},
    "aws_service_discovery_http_namespace": {},
    "aws_service_discovery_private_dns_namespace": {},
    "aws_appautoscaling_target": {},
    "aws_appautoscaling_policy": {},
    "aws_appautoscaling_scheduled_action": {},
}
"""Services, tasks (only ``awsvpc`` tasks have their own security groups), clusters, namespaces, scaling; a VPC
Lattice target of a service is a front door the checker does not follow."""

GROUPS: dict[str, Unfollowed] = {
    "aws_security_group": {},
    "aws_default_security_group": {},
    "aws_vpc_security_group_ingress_rule": {},
    "aws_vpc_security_group_egress_rule": {},
    "aws_security_group_rule": {},
}

NETWORK: dict[str, Unfollowed] = {
    "aws_vpc": {},
    "aws_subnet": {"map_customer_owned_ip_on_launch": ("false",)},
    "aws_route_table": {},
    "aws_route": {},
    "aws_route_table_association": {"gateway_id": None},
    "aws_internet_gateway": {},
    "aws_nat_gateway": {},
    "aws_eip": {"instance": None, "network_interface": None, "associate_with_private_ip": None},
    "aws_flow_log": {},
    "aws_main_route_table_association": {},
}
"""The VPC layer; an edge association, an EIP on an instance or interface, or customer-owned (Outposts) addresses
are paths the checker does not follow. A main route-table association matters only to a task subnet without an
explicit association (``exposure`` then checks that table's routes)."""

IAM: dict[str, Unfollowed] = {
    "aws_iam_role": {},
    "aws_iam_role_policy": {},
    "aws_iam_policy": {},
    "aws_iam_role_policy_attachment": {},
    "aws_iam_policy_attachment": {},
    "aws_iam_role_policy_attachments_exclusive": {},
    "aws_kms_key": {},
    "aws_kms_alias": {},
}
"""Roles and every way a policy reaches one; a KMS key (its policy governs the key, not a network path) and its alias."""

FRONT_DOORS: dict[str, Unfollowed] = {
    "aws_lb": {},
    "aws_alb": {},
    "aws_lb_listener": {},
    "aws_alb_listener": {},
    "aws_lb_listener_rule": {},
    "aws_alb_listener_rule": {},
    "aws_lb_target_group": {},
    "aws_alb_target_group": {},
    "aws_lb_target_group_attachment": {},
    "aws_alb_target_group_attachment": {},
    "aws_wafv2_web_acl_association": {},
    "aws_lb_listener_certificate": {},
    "aws_vpc_endpoint_service": {},
    "aws_apigatewayv2_vpc_link": {},
    "aws_api_gateway_vpc_link": {},
}
"""Load balancing and private links, as ``exposure`` checks them (``FRONT_DOOR_TYPES``: a declared entry's resources
are compared with the declaration; any other is itself a finding when it can reach a task)."""

NARROW_ONLY: dict[str, Unfollowed] = {
    "aws_network_acl": {},
    "aws_default_network_acl": {},
    "aws_network_acl_rule": {},
    "aws_network_acl_association": {},
    "aws_s3_bucket_public_access_block": {},
    "aws_s3_account_public_access_block": {},
}
"""Filters that apply on top of what is already allowed: a network ACL is checked in addition to the security
groups (a packet must pass both), so even an ``allow 0.0.0.0/0`` rule admits nothing the groups do not; a public
access block can only take access away. Nothing to follow: they can deny, never widen."""

OWN_GROUP: dict[str, Unfollowed] = {
    "aws_vpc_endpoint": {"vpc_endpoint_type": ("interface", "gateway"), "resource_configuration_arn": None, "service_network_arn": None},
    "aws_vpc_endpoint_route_table_association": {},
    "aws_vpc_endpoint_subnet_association": {},
    "aws_vpc_endpoint_security_group_association": {},
    "aws_vpc_endpoint_policy": {},
    "aws_network_interface": {},
    "aws_instance": {
        "iam_instance_profile": None,
        "launch_template": None,
        "network_interface": None,
        "security_groups": None,
        "user_data": None,
        "user_data_base64": None,
    },
}
"""What reaches a task only through a security group: an interface or gateway endpoint to a service (its
connections are made *to* it, never from it into the VPC) with its subnets, route tables (a gateway endpoint's
routes go to an AWS prefix list), groups and policy (it governs the AWS API behind it), a plain interface, and an
instance without a role
or a boot script (nothing on it holds AWS credentials to change anything). They are judged by their groups like
any member (``ingress.check_group_members`` and the rules that admit them). A Lattice resource or
service-network endpoint, another endpoint type, an instance with a role (``iam_instance_profile``) or a script
(``user_data``, which may carry credentials and call AWS), one whose groups or interfaces come from elsewhere
(``launch_template``, ``network_interface``) or are named (``security_groups``, which the checker does not
follow) is a finding."""

PRIVATE_ACLS = ("private", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write", "aws-exec-read")
"""Canned S3 ACLs that grant nobody outside the account (a public one passes only where the configuration makes
S3 ignore public ACLs: ``kinds.public_acls_ignored``)."""

DATA: dict[str, Unfollowed] = {
    "aws_ssm_parameter": {},
    "aws_s3_bucket": {"acl": PRIVATE_ACLS, "grant": None, "policy": None, "website": None, "replication_configuration": None},
    "aws_s3_bucket_acl": {"acl": PRIVATE_ACLS, "access_control_policy": None},
    "aws_cloudwatch_metric_alarm": {},
    "aws_cloudwatch_composite_alarm": {},
    "aws_cloudwatch_dashboard": {},
}
"""Data, not membership: a parameter holds a value (its ``allowed_pattern`` is a regular expression, not an
address range), a bucket holds objects, an alarm or a dashboard reads metrics. None is a network path; a bucket's
grants and policy (which could let someone else write what the tasks read) are findings unless its ACL is private or
ignored. An alarm's actions are ARNs: of a topic or a scaling policy, each judged as itself where it is declared, or
EC2's stop, terminate, reboot and recover, which take capacity away and open nothing."""

OWN_RESOURCES: dict[str, Unfollowed] = {
    "aws_sqs_queue": dict.fromkeys(
        ("content_based_deduplication", "kms_data_key_reuse_period_seconds", "policy", "redrive_allow_policy", "redrive_policy")
    ),
    "aws_sns_topic": dict.fromkeys(("archive_policy", "delivery_policy", "policy")),
    "aws_dynamodb_table": dict.fromkeys(
        ("import_table", "replica", "restore_source_name", "restore_source_table_arn", "server_side_encryption")
    ),
    "aws_secretsmanager_secret": dict.fromkeys(("policy", "replica")),
}
"""The team's own resources (topology/extras.py), which ``iam`` reads through the grants on task roles; any
argument that could open them (a resource policy, an ACL, a replica) is unfollowed, as is a separate policy
resource (``aws_sqs_queue_policy``, ...), which is not modelled at all. The SNS feedback-role arguments name
roles SNS assumes, not a path to a task, and stay unset in what the project writes. An own bucket is judged as
any bucket (``DATA``), and its public access block as any (``NARROW_ONLY``); an own parameter as any parameter
(``DATA``: the pinned provider has no resource policy for one, so IAM alone decides who reads it). A secret's
``policy`` (or an ``aws_secretsmanager_secret_policy``, not modelled) can open it to anyone, and a ``replica`` puts
it in another region: both unfollowed. Its ``kms_key_id`` is not: a key's policy can only narrow who decrypts what
IAM already lets read (the project writes none: the AWS-managed key)."""

MODELLED: dict[str, Unfollowed] = {**ECS, **GROUPS, **NETWORK, **IAM, **FRONT_DOORS, **NARROW_ONLY, **OWN_GROUP, **DATA, **OWN_RESOURCES}

REQUIRED: dict[str, dict[str, str]] = {"aws_ecs_task_definition": {"network_mode": "awsvpc"}}
"""Arguments a modelled type must set to this value: unset, a task definition runs in ``bridge`` mode on EC2,
on the host's network and groups, which the checker does not follow."""

BUILTIN_NEUTRAL = ("terraform_data", "null_resource")
"""Terraform's own resources: hold values only (a provisioner on them is a finding like on any other)."""

BUILTIN_DATA = ("terraform_remote_state",)
"""Data sources outside the AWS provider the checker reads (``config.remote_stack``)."""
