"""A deletion-protected load balancer stops a destroy before the first resource goes, not half-way.

AWS refuses to delete a load balancer with ``deletion_protection.enabled``; Terraform finds out only when it
reaches it, after the rules, listeners, target groups and edge services are gone. So both the destroy command
(from the state) and the plan review (from the plan) look first, and refuse or block with one line each.
``prevent_destroy`` would also block every replacement of the load balancer and the removal of an entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from proof.findings import Finding

FIX = "set the entry's deletion_protection=False and apply first"


def protected_deletions(stack: str, changes: list[dict[str, Any]]) -> list[Finding]:
    """A blocking finding for each of a plan's ``resource_changes`` that deletes (or replaces) a protected load balancer."""
    return [
        Finding(
            stack,
            change["address"],
            "blocking",
            f"`{change['address']}`: load balancer {(change['change'].get('before') or {}).get('name', '?')} has deletion protection, "
            f"and this plan deletes it; AWS refuses once everything before it is deleted ({FIX})",
        )
        for change in changes
        if change.get("type") == "aws_lb"
        and "delete" in change.get("change", {}).get("actions", [])
        and (change["change"].get("before") or {}).get("enable_deletion_protection") is True
    ]


def protected_in_state(state: dict[str, Any]) -> list[str]:
    """The names of the protected load balancers in ``terraform show -json``'s state."""
    return [
        str(resource.get("values", {}).get("name", resource.get("address")))
        for resource in _resources(state.get("values", {}).get("root_module", {}))
        if resource.get("type") == "aws_lb" and resource.get("values", {}).get("enable_deletion_protection") is True
    ]


def _resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)
