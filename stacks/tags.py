"""A service's own tags (``Service.tags``) on every resource of that service that takes tags.

The system's and the environment's tags are the provider's ``default_tags`` (stacks/common.py), which reach every
taggable resource by themselves. A service's tags are written on its resources; its tasks get them from the ECS
service through ``propagate_tags = "SERVICE"``. tests/stacks/test_tags.py checks this set against the provider's
schema for every type the project writes.
"""

from __future__ import annotations

from typing import Any

from .raw import RawResource

TAGGABLE_TYPES = frozenset(
    {
        "aws_cloudwatch_log_group",
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_iam_role",
        "aws_security_group",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_ingress_rule",
    }
)
"""The per-service types (stacks/raw.py) whose provider schema has ``tags``."""


def tag_resources(resources: list[RawResource], tags: tuple[tuple[str, str], ...]) -> None:
    """Add ``tags`` to each taggable resource; a tag the project set itself (a group's ``Name``) stays."""
    if not tags:
        return
    for resource in resources:
        if resource.type in TAGGABLE_TYPES:
            own: dict[str, Any] = resource.body.get("tags") or {}
            resource.body["tags"] = {**dict(tags), **own}
