"""The team's own resources (``Topology.resources``) in the services stack, their typed handles, and the grants.

Each resource is written at the top-level construct path ``own_<name>`` (so its address is
``OwnResource.address``: ``aws_sqs_queue.own_orders``), in the services stack of each environment, before the
services: a grant's statement names the resource's ARN, and the ECS service depends on its policies. Other
declarations reach a resource through ``ServicesStack.own[<name>]`` (an ``OwnResourceHandle``): its ARN and name
as Terraform expressions, and its construct (``handle.resource.node``) once the tree is materialized
(stacks/tree.py), for an ``add_override`` or a cross-stack reference from a stack of the team's own.

A guarded resource (``Guarded``: a database the team writes itself) gets its security group here (``own_<name>``,
in the environment's VPC, no inline rules, unless the team names an existing one) and, per ``.connect`` grant, one
ingress rule on it from that service's group on its port (``own_<name>_from_<service>``) and the service's egress
rule to it (``<service>_sg/to_own_<name>``); ``ServicesStack.guarded[<name>].group_id`` is what the team puts its
database in.

A secret is written without a value and a parameter with a placeholder it then ignores: the value is the team's,
put outside Terraform, so it never enters the state. Both use their AWS-managed keys (no ``kms_key_id``): the key
policies of ``aws/secretsmanager`` and ``aws/ssm`` let the account's principals decrypt through that service, so a
grant needs no ``kms:Decrypt`` and there is no key policy to prove.

A bucket comes with its ACLs off (owner-enforced), its public access blocked, versioning and a lifecycle rule.
What is not written, and why: DynamoDB's ``server_side_encryption`` (tables are encrypted at rest by default, and
the argument can name a key policy the proof does not read, so it would be a finding for no path); a customer key,
access logging, replication and event notifications for a bucket (each needs infrastructure of its own: a system
that needs them declares the checkov skips it accepts, as examples/ledger.py does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from topology.extras import TERRAFORM_TYPE, Grant, Guarded, OwnResource, on_objects

from .iam import policy_document
from .raw import RawBlocks, RawResource
from .security import ServiceSecurityGroup, tcp_between

PUBLIC_ACCESS_BLOCK = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
BUCKET_LIFECYCLE = {
    "id": "tidy",
    "status": "Enabled",
    "filter": {},
    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
    "noncurrent_version_expiration": {"noncurrent_days": 90},
}
"""Versions replaced or deleted are kept 90 days (a mistaken overwrite can be undone), unfinished uploads 7."""

NAME_ATTRIBUTE = {"queue": "name", "topic": "name", "bucket": "bucket", "table": "name", "secret": "name", "parameter": "name"}
"""The attribute holding each kind's AWS name."""
PARAMETER_PLACEHOLDER = "set-me"
"""A new parameter's value until the team puts its own: SSM requires one, and the project never sets it again."""


@dataclass(frozen=True)
class OwnResourceHandle:
    """A declared own resource as other declarations reference it."""

    declaration: OwnResource
    resource: RawResource

    @property
    def arn(self) -> str:
        """``${<address>.arn}``: what a grant's statement (or a hand-written one) names."""
        return self.resource.ref("arn")

    @property
    def name(self) -> str:
        """Its AWS name as an expression (a bucket's ``bucket``, the others' ``name``)."""
        return self.resource.ref(NAME_ATTRIBUTE[self.declaration.kind])

    def ref(self, attribute: str) -> str:
        """Any other attribute, e.g. a queue's ``url``."""
        return self.resource.ref(attribute)


@dataclass(frozen=True)
class GuardedHandle:
    """A declared guarded resource as the team's own code references it: the group to put its database in."""

    declaration: Guarded
    group: RawResource | None
    """The security group the project writes (``aws_security_group.own_<name>``); None when the team named one."""
    ingress: dict[str, RawResource]
    """The ingress rule admitting each granted service, by service name."""

    @property
    def group_id(self) -> str:
        """The group's ID: ``${aws_security_group.own_<name>.id}``, or the named ``sg-...``."""
        return self.group.ref("id") if self.group is not None else str(self.declaration.group_id)

    @property
    def port(self) -> int:
        return self.declaration.port


def own_resources(raw: RawBlocks, resources: tuple[OwnResource, ...], *, project: str) -> dict[str, OwnResourceHandle]:
    """Write every declared resource but the guarded ones (``guarded_resources``); the handles by declared name."""
    return {
        resource.name: OwnResourceHandle(resource, _write(raw, resource, f"{project}-{resource.name}"))
        for resource in resources
        if not isinstance(resource, Guarded)
    }


def guarded_resources(
    raw: RawBlocks, resources: tuple[OwnResource, ...], *, project: str, vpc_id: str, groups: dict[str, ServiceSecurityGroup]
) -> dict[str, GuardedHandle]:
    """Each guarded resource's group (unless named) and, per service granted ``.connect``, its two rules."""
    handles: dict[str, GuardedHandle] = {}
    for resource in resources:
        if not isinstance(resource, Guarded):
            continue
        group = None
        if resource.group_id is None:
            name = f"{project}-{resource.name}"
            body = {
                "name": name,
                "description": f"{resource.name}: ingress only from the services granted {resource.name}.connect",
                "vpc_id": vpc_id,
                "revoke_rules_on_delete": True,
                "tags": {"Name": name},
            }
            group = raw.resource([resource.construct_id], "aws_security_group", body)
        handle = handles[resource.name] = GuardedHandle(resource, group, {})
        for service, service_group in groups.items():
            if resource.connect in service_group.service.grants:
                handle.ingress[service] = _admit(raw, handle, service_group)
    return handles


def _admit(raw: RawBlocks, guarded: GuardedHandle, service: ServiceSecurityGroup) -> RawResource:
    """The ingress rule on the guarded group from exactly ``service``'s group on its port, and the service's egress to it."""
    name, port, own = guarded.declaration.name, guarded.port, guarded.declaration.construct_id
    return tcp_between(
        raw,
        guarded.group_id,
        service.group_id,
        port,
        f"{service.service.name} -> {name}:{port}",
        ingress_path=[f"{own}_from_{service.service.name}"],
        egress_path=[service.construct_id, f"to_{own}"],
    )


def _write(raw: RawBlocks, resource: OwnResource, name: str) -> RawResource:
    component = resource.construct_id
    kind = TERRAFORM_TYPE[resource.kind]
    if resource.kind == "queue":
        return raw.resource([component], kind, {"name": name, "sqs_managed_sse_enabled": True})
    if resource.kind == "topic":
        return raw.resource([component], kind, {"name": name, "kms_master_key_id": "alias/aws/sns"})
    if resource.kind == "table":
        body: dict[str, Any] = {
            "name": name,
            "billing_mode": "PAY_PER_REQUEST",
            "hash_key": "id",
            "attribute": [{"name": "id", "type": "S"}],
            "point_in_time_recovery": {"enabled": True},
        }
        return raw.resource([component], kind, body)
    if resource.kind == "secret":
        description = "Written by hand (put-secret-value); read by the services granted it"
        return raw.resource([component], kind, {"name": name, "description": description})
    if resource.kind == "parameter":
        body = {
            "name": name,
            "type": "SecureString",
            "value": PARAMETER_PLACEHOLDER,
            "description": "Written by hand (put-parameter --overwrite); read by the services granted it",
            "lifecycle": {"ignore_changes": ["value"]},
        }
        return raw.resource([component], kind, body)
    bucket = raw.resource([component], kind, {"bucket": name})
    of_bucket = {"bucket": bucket.ref("id")}
    raw.resource(
        [f"{component}_ownership"], "aws_s3_bucket_ownership_controls", {**of_bucket, "rule": {"object_ownership": "BucketOwnerEnforced"}}
    )
    raw.resource(
        [f"{component}_public_access"], "aws_s3_bucket_public_access_block", {**of_bucket, **dict.fromkeys(PUBLIC_ACCESS_BLOCK, True)}
    )
    raw.resource([f"{component}_versioning"], "aws_s3_bucket_versioning", {**of_bucket, "versioning_configuration": {"status": "Enabled"}})
    raw.resource([f"{component}_lifecycle"], "aws_s3_bucket_lifecycle_configuration", {**of_bucket, "rule": [BUCKET_LIFECYCLE]})
    return bucket


def grant_statements(grants: tuple[Grant, ...], own: dict[str, OwnResourceHandle]) -> list[dict[str, object]]:
    """One statement per grant, on that resource only; a bucket's object actions name its objects (``<arn>/*``)
    in a statement of their own, its bucket actions (``s3:ListBucket``) the bucket."""
    statements: list[dict[str, object]] = []
    for grant in grants:
        if not grant.actions:
            continue  # a guarded resource's connect: a security group rule (guarded_resources), no statement
        arn, sid = own[grant.resource.name].arn, grant.sid
        objects = [action for action in grant.actions if grant.resource.kind == "bucket" and on_objects(action)]
        on_resource = [action for action in grant.actions if action not in objects]
        if on_resource:
            statements.append({"Sid": sid, "Effect": "Allow", "Action": on_resource, "Resource": arn})
        if objects:
            statements.append({"Sid": f"{sid}Objects", "Effect": "Allow", "Action": objects, "Resource": f"{arn}/*"})
    return statements


def grant_policy(
    raw: RawBlocks, service: str, task_role: RawResource, grants: tuple[Grant, ...], own: dict[str, OwnResourceHandle]
) -> RawResource:
    """The task role's inline policy ``grants`` (construct path ``<service>_iam/grants_policy``)."""
    body = {"name": "grants", "role": task_role.ref("id"), "policy": policy_document(grant_statements(grants, own))}
    return raw.resource([f"{service}_iam", "grants_policy"], "aws_iam_role_policy", body)
