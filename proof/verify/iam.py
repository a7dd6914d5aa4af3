"""Effective permissions of every role a service's tasks can use, by every way a policy reaches a role.

Attachment forms read: ``inline_policy`` blocks and ``managed_policy_arns`` on the
role, ``aws_iam_role_policy``, ``aws_iam_role_policy_attachment``,
``aws_iam_policy_attachment``, ``aws_iam_role_policy_attachments_exclusive``;
a role named by reference, by its literal name or by its ARN. Actions are
compared as IAM does: case-insensitively, with ``*`` and ``?`` wildcards; an
``Allow`` with ``NotAction`` allows nearly everything. An AWS-managed policy, or
a policy document the checker cannot read, fails closed unless declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from proof.findings import Finding
from topology.patterns import ARN_PARTITION, CUSTOMER_POLICY_ARN

from .config import Config
from .model import Address, Unknown, as_list, blocks

EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
# ECS Exec session logging to CloudWatch Logs and the session KMS key (stacks/iam.py, ExecAudit): part of exec.
EXEC_AUDIT_ACTIONS = ("logs:DescribeLogGroups", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "kms:Decrypt")
UNREADABLE = "a managed or unreadable policy is attached; cannot prove its actions"
TRUST = "trusted-by-tasks-only"
TASKS = "ecs-tasks.amazonaws.com"
TRUST_CONDITIONS = ("aws:sourceaccount", "aws:sourcearn")
TRUST_OPERATORS = ("stringequals", "stringlike", "arnequals", "arnlike")


@dataclass(frozen=True)
class Policy:
    where: str
    document: dict[str, Any] | Unknown
    arn: str | None = None
    """The literal ARN of an attached policy that is not in this configuration (AWS-managed or foreign)."""


@lru_cache(maxsize=4096)
def covers(pattern: str, action: str) -> bool:
    """Whether every action that ``action`` (itself possibly a pattern) matches is also matched by ``pattern``."""
    if not pattern:
        return not action
    head = pattern[0]
    if head == "*":
        return covers(pattern[1:], action) or (bool(action) and covers(pattern, action[1:]))
    if not action or action[0] == "*":
        return False
    if head == "?":
        return covers(pattern[1:], action[1:])
    return action[0] != "?" and head == action[0] and covers(pattern[1:], action[1:])


def _covered(action: str, allowed: tuple[str, ...]) -> bool:
    lowered = action.lower()
    return any(covers(pattern.lower(), lowered) for pattern in allowed)


def role_policies(config: Config, role: Address) -> Iterator[Policy]:
    body = config.body(role)
    name = config.value(role.stack, body.get("name"))
    inline = blocks(body.get("inline_policy"))
    if isinstance(inline, Unknown) or "dynamic" in body:
        yield Policy(f"{role}.inline_policy", Unknown("inline policies are computed (dynamic or expression)"))
    else:
        for index, item in enumerate(inline):
            if item.get("policy") in (None, ""):
                continue  # an empty inline_policy block grants nothing (it asks Terraform to remove inline policies)
            yield Policy(f"{role}.inline_policy[{index}]", document(config, role.stack, item.get("policy")))
    for index, arn in enumerate(_items(body.get("managed_policy_arns"))):
        yield attached(config, role.stack, f"{role}.managed_policy_arns[{index}]", arn)
    for _, rtype, address, item in _attachments_of(config, role, name):
        if rtype == "aws_iam_role_policy":
            yield Policy(str(address), document(config, address.stack, item.get("policy")))
            continue
        for arn in _items(item.get(ATTACHMENTS[rtype][1])):
            yield attached(config, address.stack, str(address), arn)


ATTACHMENTS = {
    "aws_iam_role_policy": ("role", "policy"),
    "aws_iam_role_policy_attachment": ("role", "policy_arn"),
    "aws_iam_policy_attachment": ("roles", "policy_arn"),
    "aws_iam_role_policy_attachments_exclusive": ("role_name", "policy_arns"),
}
"""Each resource type that gives a role a policy: (the argument naming the role(s), the one naming the policy)."""

Attachment = tuple[int, str, Address, dict[str, Any]]
"""(position in the configuration, type, address, body) of one policy attachment."""


class AttachmentIndex:
    """Every attachment, by the role it names: a managed role by address, a literal role name or ARN by its last
    path segment (``role/path/name`` -> ``name``), and the roles that cannot be traced. Built once per configuration."""

    def __init__(self, config: Config) -> None:
        self.by_role: dict[Address, list[Attachment]] = {}
        self.by_name: dict[str, list[Attachment]] = {}
        self.literals: list[tuple[str, Attachment]] = []
        self.untraced: list[tuple[str, str]] = []
        position = 0
        for rtype, (role_field, _) in ATTACHMENTS.items():
            for address, item in config.resources(rtype):
                position += 1
                entry = (position, rtype, address, item)
                for value in _roles(config, address.stack, item.get(role_field)):
                    self._add(config, address.stack, value, entry)

    def _add(self, config: Config, stack: str, value: Any, entry: Attachment) -> None:
        target = _role_of(config, stack, value)
        if isinstance(target, Unknown):
            self.untraced.append((str(entry[2]), f"cannot prove: it attaches to role {value}, which cannot be traced"))
        if isinstance(target, Address):
            self.by_role.setdefault(target, []).append(entry)
            return
        literal = config.value(stack, value)
        if isinstance(literal, str):
            self.literals.append((literal, entry))
            self.by_name.setdefault(literal, []).append(entry)
            if "/" in literal:
                self.by_name.setdefault(literal.rsplit("/", 1)[-1], []).append(entry)


def _attachment_index(config: Config) -> AttachmentIndex:
    return config.indexed("iam.attachments", lambda: AttachmentIndex(config))


def _attachments_of(config: Config, role: Address, name: Any) -> list[Attachment]:
    """The attachments naming ``role`` (by reference, or by its literal name or an ARN ending in it), in order."""
    index = _attachment_index(config)
    found = {entry[0]: entry for entry in index.by_role.get(role, [])}
    if isinstance(name, str) and "/" not in name:
        found.update((entry[0], entry) for entry in index.by_name.get(name, []))
    elif isinstance(name, str):  # a name with a slash is not a role name AWS accepts; matched as before, by scanning
        found.update((entry[0], entry) for literal, entry in index.literals if literal == name or literal.endswith(f"/{name}"))
    return [found[position] for position in sorted(found)]


def untraceable_attachments(config: Config) -> list[tuple[str, str]]:
    """Attachments whose role cannot be resolved: they may grant any service's roles anything."""
    return _attachment_index(config).untraced


def _items(value: Any) -> list[Any]:
    return as_list(value) if not isinstance(value, dict) else [value]


def _roles(config: Config, stack: str, value: Any) -> list[Any]:
    """Each role an attachment names, a list local (``roles = local.roles``) expanded."""
    return config.items(stack, value) if not isinstance(value, dict) else [value]


def _role_of(config: Config, stack: str, value: Any) -> Address | str | Unknown:
    """A role reference as the managed role (a data lookup of the team's own role is that role), or a literal name."""
    target = config.resolve(stack, value)
    if isinstance(target, Address) and target.type == "aws_iam_role" and target.mode == "data":
        target = config.own(target) or Unknown(f"role looked up by data source {target}")
    if isinstance(target, Address):
        return target if target.type == "aws_iam_role" else Unknown(f"{target} is not an aws_iam_role")
    literal = config.value(stack, value)
    return literal if isinstance(literal, str) else target


def managed_arn(text: str) -> str:
    """An ARN with its partition written generically: ``arn:${data.aws_partition.p.partition}:iam::aws:policy/X``,
    ``arn:aws-cn:...`` and ``arn:aws:...`` all name the same AWS-managed policy."""
    return ARN_PARTITION.sub("arn:aws:", text)


def policy_arn_names(config: Config, address: Address, body: dict[str, Any], arn: str) -> bool:
    """Whether a literal policy ARN is this customer-managed policy's: its account (never ``aws``: an AWS-managed
    policy is not a same-named policy of the team), its path and its name."""
    match = CUSTOMER_POLICY_ARN.match(arn)
    name, path = config.value(address.stack, body.get("name")), config.value(address.stack, body.get("path", "/"))
    return match is not None and match["name"] == name and match["path"] == (path if isinstance(path, str) else None)


def attached(config: Config, stack: str, where: str, arn: Any) -> Policy:
    target = config.resolve(stack, arn)
    if isinstance(target, Address) and target.type == "aws_iam_policy":
        return Policy(where, document(config, target.stack, config.body(target).get("policy")))
    literal = config.value(stack, arn)
    if isinstance(literal, Unknown) and isinstance(arn, str) and "${" not in managed_arn(arn):
        literal = managed_arn(arn)
    if isinstance(literal, str):
        for address, body in config.resources("aws_iam_policy"):
            if policy_arn_names(config, address, body, literal):
                return Policy(where, document(config, address.stack, body.get("policy")))
        return Policy(where, Unknown(f"policy {literal} is not in this configuration"), arn=literal)
    return Policy(where, Unknown(f"policy ARN {arn} cannot be traced"))


def document(config: Config, stack: str, text: Any) -> dict[str, Any] | Unknown:
    from .hcl_values import json_template

    literal = config.value(stack, text)
    if isinstance(literal, Unknown) and isinstance(text, str):
        literal = text
    parsed = json_template(literal) if isinstance(literal, str) else literal
    if isinstance(parsed, Unknown):
        return parsed
    return parsed if isinstance(parsed, dict) else Unknown("policy document is not an object")


def allowed_actions(policy: dict[str, Any]) -> Iterator[str | Unknown]:
    """Each action an ``Allow`` statement grants; ``NotAction:<x>`` for NotAction; Unknown for what is unclear."""
    statements = policy.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            yield Unknown("a statement is not an object")
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            continue
        if effect != "Allow":
            yield Unknown(f"statement effect {effect!r} is not Allow or Deny")
            continue
        for action in as_list(statement.get("Action")):
            yield action if isinstance(action, str) and "${" not in action else Unknown(f"action {action!r} is computed")
        for action in as_list(statement.get("NotAction")):
            yield f"NotAction:{action}"


def check_role(
    config: Config,
    service: str,
    role: Address,
    *,
    task_role: bool,
    exec_on: bool,
    declared_actions: tuple[str, ...] | None,
    managed: tuple[str, ...],
    grants: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> Iterator[Finding]:
    """Every policy of ``role``: wildcards and NotAction, and for the task role, nothing beyond what is declared:
    its permissions' actions anywhere, its grants' actions on the granted resources only."""
    granted = tuple(action for _, actions in grants for action in actions)
    for policy in role_policies(config, role):
        if isinstance(policy.document, Unknown):
            if policy.arn is not None and managed_arn(policy.arn) in {managed_arn(m) for m in managed}:
                continue
            yield Finding(service, policy.where, "exec-least-privilege", UNREADABLE)
            continue
        actions = list(allowed_actions(policy.document))
        for action in actions:
            if isinstance(action, Unknown):
                yield Finding(service, policy.where, "exec-least-privilege", f"cannot prove: {action}")
            elif action.startswith("NotAction:") or (("*" in action or "?" in action) and not _covered(action, declared_actions or ())):
                yield Finding(service, policy.where, "no-wildcard-action", f"allows {action!r}")
        if task_role:
            allowed = (*(declared_actions or ()), *granted) if declared_actions is not None or granted else None
            yield from _beyond(service, policy.where, [a for a in actions if isinstance(a, str)], exec_on, allowed)
            yield from _outside_grants(service, policy.where, policy.document, exec_on, declared_actions or (), grants)


GRANTED_ARN = re.compile(r"^\$\{(?P<address>aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)\.arn\}(?:/\*)?$")
"""A statement resource naming one resource of the configuration by its ARN (a bucket's objects: ``<arn>/*``)."""


def _outside_grants(
    service: str,
    where: str,
    policy: dict[str, Any],
    exec_on: bool,
    permitted: tuple[str, ...],
    grants: tuple[tuple[str, tuple[str, ...]], ...],
) -> Iterator[Finding]:
    """An action only a grant allows (not the exec channel, not a declared permission), on any resource but one
    granted that action: a statement by hand naming another resource, or ``*``."""
    granted = tuple(action for _, actions in grants for action in actions)
    if not granted:
        return
    elsewhere = (EXEC_ACTIONS + EXEC_AUDIT_ACTIONS if exec_on else ()) + permitted
    statements = policy.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue  # a non-object or odd effect is already reported by allowed_actions
        for action in as_list(statement.get("Action")):
            if not isinstance(action, str) or _covered(action, elsewhere) or not _covered(action, granted):
                continue
            on = {address for address, actions in grants if _covered(action, actions)}
            for resource in as_list(statement.get("Resource")) or ["(no Resource)"]:
                match = GRANTED_ARN.match(resource) if isinstance(resource, str) else None
                if match is None or match["address"] not in on:
                    yield Finding(service, where, "least-privilege", f"task role allows {action} on {resource}, beyond its grants")


def _beyond(service: str, where: str, actions: list[str], exec_on: bool, declared: tuple[str, ...] | None) -> Iterator[Finding]:
    """Task-role actions outside the exec channel (when exec is on) and the declared permissions."""
    if declared is None and not exec_on:
        return  # no declaration and no exec: only wildcards are checked (callers-only mode, as before)
    allowed = (EXEC_ACTIONS + EXEC_AUDIT_ACTIONS if exec_on else ()) + (declared or ())
    extra = sorted({a for a in actions if not a.startswith("NotAction:") and not _covered(a, allowed)})
    if not extra:
        return
    if declared:
        scope = "the ssmmessages channel actions and its declared permissions" if exec_on else "its declared permissions"
    else:
        scope = "the ssmmessages channel actions" if exec_on else "its declared permissions (none)"
    rule = "exec-least-privilege" if exec_on else "least-privilege"
    yield Finding(service, where, rule, f"task role allows {', '.join(extra)} beyond {scope}")


def check_trust(config: Config, service: str, role: Address) -> Iterator[Finding]:
    """Who may assume a role the tasks use: only ECS tasks (``ecs-tasks.amazonaws.com``, ``sts:AssumeRole``), narrowed
    at most by ``aws:SourceAccount``/``aws:SourceArn``; anyone else who may assume it acts with the tasks' permissions."""
    where = f"{role}.assume_role_policy"
    policy = document(config, role.stack, config.body(role).get("assume_role_policy"))
    if isinstance(policy, Unknown):
        yield Finding(service, where, TRUST, f"cannot prove who may assume it: {policy}")
        return
    statements = policy.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        problem = _trust_problem(statement)
        if problem is not None:
            yield Finding(service, where, TRUST, f"{problem} (only {TASKS} may assume a task's role)")


def _trust_problem(statement: Any) -> str | None:
    if not isinstance(statement, dict):
        return "cannot prove: a statement is not an object"
    if statement.get("Effect") == "Deny":
        return None
    if statement.get("Effect") != "Allow" or "NotPrincipal" in statement or "NotAction" in statement:
        return f"cannot prove: statement {json.dumps(statement, sort_keys=True)} is not a plain Allow"
    principal = statement.get("Principal")
    services = as_list(principal.get("Service")) if isinstance(principal, dict) and set(principal) == {"Service"} else None
    if services is None or not services or any(s != TASKS for s in services):
        return f"may be assumed by {json.dumps(principal, sort_keys=True)}"
    actions = [a.lower() if isinstance(a, str) else a for a in as_list(statement.get("Action"))]
    if not actions or any(a != "sts:assumerole" for a in actions):
        return f"trust allows {json.dumps(statement.get('Action'))}, not sts:AssumeRole alone"
    condition = statement.get("Condition") or {}
    if not isinstance(condition, dict):
        return "cannot prove: its Condition is computed"
    for operator, keys in condition.items():
        names = [k.lower() for k in keys] if isinstance(keys, dict) else ["?"]
        if operator.lower() not in TRUST_OPERATORS or any(k not in TRUST_CONDITIONS for k in names):
            return f"cannot prove: condition {operator} {json.dumps(keys, sort_keys=True)} is not aws:SourceAccount/aws:SourceArn"
    return None


trust_problem = _trust_problem
"""What is wrong with one trust statement (``None``: only ECS tasks may assume it); the live check (proof/live) judges deployed roles with it."""
