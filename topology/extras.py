"""The team's own resources beside its services, and the access a service is granted to them.

A system declares its queue, topic, bucket, table, secret or parameter in ``Topology.resources`` and a service
says what it may do to one with ``Service.grants``::

    orders = Queue(name="orders")
    receipts = Bucket(name="receipts")
    TOPOLOGY = Topology(
        resources=(orders, receipts),
        services=(Service(name="api", grants=(orders.send, receipts.read)), ...),
    )

The project writes the resource in the services stack (construct path ``own_<name>``; stacks/extras.py), and for
each grant one IAM statement on that service's task role: exactly the grant's actions, on that resource's ARN only
(``ACCESS`` below). The proof (proof/verify/iam.py) treats those statements as declared and reports any task-role
statement that uses a grant's actions on a resource that service was not granted.

A ``Guarded`` resource (a database, a cache: anything behind a security group of its own) is granted the same way,
``grants=(orders_db.connect,)``: not an IAM statement but one ingress rule on its group admitting exactly that
service's group on its port, and the service's egress rule to it (stacks/extras.py). The grant sits on the service,
like every other access it has, so one place says everything a service may reach; the proof
(proof/verify/guarded.py) finds any other rule on that group.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .patterns import SECURITY_GROUP_ID

ResourceKind = Literal["queue", "topic", "bucket", "table", "secret", "parameter", "guarded"]
Access = Literal["send", "receive", "publish", "read", "write", "connect", "allow"]

ACCESS: dict[tuple[ResourceKind, Access], tuple[str, ...]] = {
    ("queue", "send"): ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"),
    ("queue", "receive"): (
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
    ),
    ("topic", "publish"): ("sns:Publish",),
    ("bucket", "read"): ("s3:GetObject", "s3:ListBucket"),
    ("bucket", "write"): ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"),
    ("table", "read"): ("dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"),
    ("table", "write"): ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
    ("secret", "read"): ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"),
    ("parameter", "read"): ("ssm:GetParameter", "ssm:GetParameters"),
}
"""The IAM actions of each grant, by resource kind and access: what the task role's statement allows, and nothing else.
A secret and a SecureString parameter are encrypted with their AWS-managed keys (``aws/secretsmanager``,
``aws/ssm``), whose key policies let the account's principals decrypt through that service: no ``kms:Decrypt``."""

NETWORK_ACCESS: tuple[tuple[ResourceKind, Access], ...] = (("guarded", "connect"),)
"""Grants that are a security group rule, not an IAM statement (``Guarded``: its port, from the service's group)."""

TERRAFORM_TYPE: dict[ResourceKind, str] = {
    "queue": "aws_sqs_queue",
    "topic": "aws_sns_topic",
    "bucket": "aws_s3_bucket",
    "table": "aws_dynamodb_table",
    "secret": "aws_secretsmanager_secret",
    "parameter": "aws_ssm_parameter",
    "guarded": "aws_security_group",
}
"""The Terraform resource each kind is written as (stacks/extras.py)."""

OBJECT_ACTIONS = frozenset({"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"})
"""S3 actions on objects: their statement names the bucket's objects (``<arn>/*``), the others the bucket."""

IAM_SERVICE: dict[ResourceKind, str] = {
    "queue": "sqs",
    "topic": "sns",
    "bucket": "s3",
    "table": "dynamodb",
    "secret": "secretsmanager",
    "parameter": "ssm",
}
"""The IAM service prefix of each kind a statement can name: what ``.allow(...)`` may list."""


def on_objects(action: str) -> bool:
    """Whether an S3 action acts on objects (``<arn>/*``): the grants' own, and any ``s3:...Object...`` or
    ``s3:ListMultipartUploadParts`` a hand-written grant lists; every other S3 action acts on the bucket."""
    name = action.removeprefix("s3:")
    return action in OBJECT_ACTIONS or (action.startswith("s3:") and ("Object" in name or name == "ListMultipartUploadParts"))


NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
NAME_RULE = "1-40 lowercase letters, digits or '-', starting with a letter"


OWN_PREFIX = "own_"
"""How an own resource's logical ID starts (``own_<name>``): the HCL writer keeps such names as they are, since
the grants and the proof name the resource by its address."""


@dataclass(frozen=True, kw_only=True)
class OwnResource:
    """A resource of the team's own, declared beside the services; ``kind`` says which (use the classes below)."""

    name: str
    """Its name in the declaration, unique among the resources; the AWS name is ``<project>-<name>``."""
    kind: ResourceKind
    """``queue`` (SQS), ``topic`` (SNS), ``bucket`` (S3), ``table`` (DynamoDB), ``secret`` (Secrets Manager),
    ``parameter`` (SSM) or ``guarded`` (a security group); ``Queue(name=...)`` and the others set it."""

    @property
    def construct_id(self) -> str:
        """Its construct below the services stack, ``own_<name>``: also its Terraform logical ID."""
        return f"{OWN_PREFIX}{self.name}"

    @property
    def address(self) -> str:
        """``<type>.own_<name>``, as the services stack writes it and the proof finds it."""
        return f"{TERRAFORM_TYPE[self.kind]}.{self.construct_id}"

    def grant(self, access: Access) -> Grant:
        return Grant(resource=self, access=access)

    def allow(self, *actions: str) -> Grant:
        """A statement by hand: exactly these IAM actions (of this kind's service, no wildcards) on this resource's
        ARN only, for an access the table lacks, like ``orders.allow("sqs:PurgeQueue")``."""
        return Grant(resource=self, access="allow", allowed=actions)

    @property
    def send(self) -> Grant:
        """Send messages to a queue."""
        return self.grant("send")

    @property
    def receive(self) -> Grant:
        """Receive and delete messages of a queue."""
        return self.grant("receive")

    @property
    def publish(self) -> Grant:
        """Publish to a topic."""
        return self.grant("publish")

    @property
    def read(self) -> Grant:
        """Read a bucket's objects (and list them), a table's items, a secret's or a parameter's value."""
        return self.grant("read")

    @property
    def write(self) -> Grant:
        """Write and delete a bucket's objects, or a table's items."""
        return self.grant("write")

    @property
    def connect(self) -> Grant:
        """Open TCP connections to a guarded resource on its port."""
        return self.grant("connect")


@dataclass(frozen=True, kw_only=True)
class Guarded(OwnResource):
    """A resource behind a security group of its own (an RDS database, an ElastiCache cluster ...), which the team
    writes itself and puts in that group; grant ``.connect``.

    The project writes the group (``own_<name>``, in the environment's VPC, no inline rules) and, per grant, one
    ingress rule admitting that service's group on ``port``. With ``group_id``, the group exists already: the
    project writes only the rules, on it."""

    name: str
    """Its name in the declaration, unique among the resources; the group's name is ``<project>-<name>``."""
    port: int
    """The TCP port the resource listens on (5432 for PostgreSQL, 6379 for Redis ...), 1-65535."""
    group_id: str | None = None
    """An existing security group to write the rules on, like ``sg-0123456789abcdef0``; unset: the project writes one."""
    kind: ResourceKind = "guarded"
    """Always ``guarded``."""

    @property
    def address(self) -> str:
        """``aws_security_group.own_<name>``, or the named group's ID: where the proof finds its rules."""
        return self.group_id if self.group_id is not None else super().address


@dataclass(frozen=True, kw_only=True)
class Grant:
    """What one service may do to one own resource (``orders.send``); the task role gets exactly ``actions``."""

    resource: OwnResource
    """The resource, one of ``Topology.resources``."""
    access: Access
    """``send``, ``receive`` (a queue), ``publish`` (a topic), ``read``, ``write`` (a bucket or a table), ``connect``
    (a guarded resource), ``allow`` (the actions listed by hand: ``orders.allow(...)``)."""
    allowed: tuple[str, ...] = ()
    """An ``allow`` grant's actions, as listed."""

    @property
    def actions(self) -> tuple[str, ...]:
        """The IAM actions on the task role; none for a ``connect`` (a security group rule)."""
        return self.allowed if self.access == "allow" else ACCESS.get((self.resource.kind, self.access), ())

    @property
    def exists(self) -> bool:
        """Whether the resource's kind has this access (``orders.publish`` on a queue has not)."""
        if self.access == "allow":
            return self.resource.kind in IAM_SERVICE
        return (self.resource.kind, self.access) in (*ACCESS, *NETWORK_ACCESS)

    @property
    def sid(self) -> str:
        """Its statement ID, like ``GrantQueueOrdersSend`` (IAM allows letters and digits only)."""
        words = [self.resource.kind, *re.split(r"[^A-Za-z0-9]+", self.resource.name), "byHand" if self.access == "allow" else self.access]
        return "Grant" + "".join(word[:1].upper() + word[1:] for word in words if word)


def Queue(*, name: str) -> OwnResource:  # a function named as the type it makes: it reads as one in a declaration
    """An SQS queue (encrypted with SQS-managed keys); grants ``.send``, ``.receive``."""
    return OwnResource(name=name, kind="queue")


def Topic(*, name: str) -> OwnResource:
    """An SNS topic (encrypted with the AWS-managed SNS key); grant ``.publish``."""
    return OwnResource(name=name, kind="topic")


def Bucket(*, name: str) -> OwnResource:
    """An S3 bucket (ACLs off: owner-enforced; AWS blocks public access of new buckets); grants ``.read``, ``.write``."""
    return OwnResource(name=name, kind="bucket")


def Table(*, name: str) -> OwnResource:
    """A DynamoDB table with a string partition key ``id``, on demand; grants ``.read``, ``.write``."""
    return OwnResource(name=name, kind="table")


def StoredSecret(*, name: str) -> OwnResource:
    """A Secrets Manager secret (the AWS-managed key), written without a value: the team puts one
    (``aws secretsmanager put-secret-value``); grant ``.read``."""
    return OwnResource(name=name, kind="secret")


def Parameter(*, name: str) -> OwnResource:
    """An SSM SecureString parameter (the AWS-managed key ``aws/ssm``), written with a placeholder the project then
    leaves alone: the team puts the value (``aws ssm put-parameter --overwrite``); grant ``.read``."""
    return OwnResource(name=name, kind="parameter")


def accesses(kind: ResourceKind) -> tuple[Access, ...]:
    """What a kind can grant, in the order the grants table lists them."""
    return tuple(access for of, access in (*ACCESS, *NETWORK_ACCESS) if of == kind)


def resource_problems(resources: tuple[OwnResource, ...]) -> Iterator[str]:
    """One line per bad resource declaration: its name, its kind, a name used twice, a guarded one's port and group."""
    seen: set[str] = set()
    for index, resource in enumerate(resources):
        where = f"resources[{index}]"
        if not isinstance(resource, OwnResource):
            yield f"{where}: must be Queue(...), Topic(...), Bucket(...), Table(...), StoredSecret(...), Parameter(...) or Guarded(...), got {type(resource).__name__}"
            continue
        if not isinstance(resource.name, str) or not NAME.match(resource.name):
            yield f"{where}: name: {resource.name!r} must be {NAME_RULE}"
        elif resource.name in seen:
            yield f"{where}: name: {resource.name!r} is declared twice (resource names are unique)"
        seen.add(resource.name)
        if resource.kind not in TERRAFORM_TYPE:
            yield f"{where}: kind: {resource.kind!r} is not one of {', '.join(TERRAFORM_TYPE)}"
        elif (resource.kind == "guarded") != isinstance(resource, Guarded):
            yield f"{where}: kind: a guarded resource is declared as Guarded(name=..., port=...), not with kind {resource.kind!r}"
        if isinstance(resource, Guarded):
            yield from _guarded_problems(f"{where} ({resource.name!r})", resource)


def _guarded_problems(where: str, resource: Guarded) -> Iterator[str]:
    if isinstance(resource.port, bool) or not isinstance(resource.port, int) or not 1 <= resource.port <= 65535:
        yield f"{where}: port: {resource.port!r} must be a TCP port, 1-65535"
    if resource.group_id is not None and (not isinstance(resource.group_id, str) or not SECURITY_GROUP_ID.match(resource.group_id)):
        yield f"{where}: group_id: {resource.group_id!r} must be a security group ID like 'sg-0123456789abcdef0'"


def grant_problems(service: str, grants: tuple[Grant, ...], resources: tuple[OwnResource, ...]) -> Iterator[str]:
    """One line per bad grant of ``service``: a resource not declared in ``Topology.resources``, an access its kind lacks."""
    for index, grant in enumerate(grants):
        where = f"service {service!r}: grants[{index}]"
        if not isinstance(grant, Grant):
            yield f"{where}: must be a grant such as orders.send, got {type(grant).__name__}"
            continue
        if grant.resource not in resources:
            declared = ", ".join(r.name for r in resources if isinstance(r, OwnResource)) or "none"
            yield f"{where}: {grant.resource.name!r} is not in Topology.resources (declared: {declared})"
        elif not grant.exists:
            allowed = ", ".join(accesses(grant.resource.kind)) + (", allow(...)" if grant.resource.kind in IAM_SERVICE else "")
            yield f"{where}: a {grant.resource.kind} grants {allowed}, not {grant.access!r}"
        elif grant.access == "allow":
            yield from _allow_problems(where, grant)
    if len(set(grants)) != len(grants):
        yield f"service {service!r}: grants: a grant is listed twice"
    allows = [grant.resource.name for grant in grants if isinstance(grant, Grant) and grant.access == "allow"]
    for name in sorted({name for name in allows if allows.count(name) > 1}):
        yield f"service {service!r}: grants: {name}.allow(...) is listed more than once (list its actions in one)"


def _allow_problems(where: str, grant: Grant) -> Iterator[str]:
    prefix = IAM_SERVICE[grant.resource.kind]
    if not grant.allowed:
        yield f"{where}: {grant.resource.name}.allow() lists no action"
    for action in grant.allowed:
        if not isinstance(action, str) or not re.fullmatch(rf"{prefix}:[A-Za-z0-9]+", action):
            yield f"{where}: {grant.resource.name}.allow: {action!r} must be one {prefix}: action, like '{prefix}:{EXAMPLE_ACTION[prefix]}' (no wildcard)"


EXAMPLE_ACTION = {
    "sqs": "PurgeQueue",
    "sns": "GetTopicAttributes",
    "s3": "GetObjectTagging",
    "dynamodb": "ConditionCheckItem",
    "secretsmanager": "ListSecretVersionIds",
    "ssm": "GetParameterHistory",
}
"""An action of each service, for the one-line error."""
