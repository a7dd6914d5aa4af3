"""Chosen IDs for VPCs, subnets and security groups in the emulator: moto's ``_custom_id_`` tag, honoured by EC2 too.

A declaration that adopts an existing VPC names it and its subnets by ID, and an egress rule
names a database's security group by ID. For the emulator to stand in for them, it has to
create them *with those IDs*. moto has a convention for chosen IDs, the tag ``_custom_id_``
(``moto/utilities/id_generator.py``; Secrets Manager honours it), but moto 5.2.5's EC2
``create_vpc``, ``create_subnet`` and ``create_security_group`` call ``random_vpc_id()``,
``random_subnet_id()`` and ``random_security_group_id()`` directly and ignore it.

So each of the three backend methods is wrapped: when the request's tag specification
carries ``_custom_id_``, the module-level ID function is replaced for the duration of that
one call by one that returns the chosen ID. That is safe only because ``emulator/serve.py``
handles one request at a time. The tag is part of the recorded request, so replaying the
recording recreates the same ID. A chosen ID must look like one AWS would give (the prefix and
8 to 17 lowercase hex digits, as ``topology/patterns.py`` accepts), and must not be in use in
that account and region: either is refused with an EC2 error whose message says why. Without
the tag nothing changes (moto draws its seeded random ID as before).

Loaded by ``emulator/serve.py`` (``install()``), in the emulator's Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import security_groups, subnets, vpcs
from moto.utilities.id_generator import TAG_KEY_CUSTOM_ID

CUSTOM_ID = TAG_KEY_CUSTOM_ID


def shape(prefix: str) -> re.Pattern[str]:
    """What an ID of that prefix looks like: AWS gives 8 (older) or 17 hex digits; the declaration accepts 8 to 17."""
    return re.compile(rf"{prefix}-[0-9a-f]{{8,17}}")


def chosen_id(tags: Any) -> str | None:
    """The ``_custom_id_`` tag's value in any of the shapes moto's EC2 responses pass tags in, else None.

    ``create_vpc``: a list of ``{"Key", "Value"}``; ``create_security_group``: ``{key: value}``;
    ``create_subnet``: ``{"subnet": {key: value}}``.
    """
    if isinstance(tags, list):
        return next((tag.get("Value") for tag in tags if isinstance(tag, dict) and tag.get("Key") == CUSTOM_ID), None)
    if isinstance(tags, dict):
        if isinstance(tags.get("subnet"), dict):
            tags = tags["subnet"]
        value = tags.get(CUSTOM_ID)
        return value if isinstance(value, str) else None
    return None


def checked(chosen: str, prefix: str, what: str, in_use: bool) -> str:
    """``chosen`` if it is a well-formed, unused ID; else the EC2 error a client reads."""
    if not shape(prefix).fullmatch(chosen):
        raise EC2ClientError(
            "InvalidParameterValue", f"{CUSTOM_ID} {chosen!r} is not a {what} ID ({prefix}- and 8 to 17 lowercase hex digits)"
        )
    if in_use:
        raise EC2ClientError(
            "InvalidParameterValue", f"{CUSTOM_ID} {chosen}: a {what} of that ID exists already in this account and region"
        )
    return chosen


@contextmanager
def drawing(module: ModuleType, function: str, chosen: str) -> Iterator[None]:
    """For the duration of the block, ``module.function()`` returns ``chosen`` (one request at a time: serve.py)."""
    original = getattr(module, function)
    setattr(module, function, lambda: chosen)
    try:
        yield
    finally:
        setattr(module, function, original)


def _with_chosen_id(
    create: Callable[..., Any], module: ModuleType, function: str, prefix: str, what: str, exists: Callable[[Any, str], bool]
) -> Callable[..., Any]:
    def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
        chosen = chosen_id(kwargs.get("tags"))
        if chosen is None:
            return create(self, *args, **kwargs)
        with drawing(module, function, checked(chosen, prefix, what, exists(self, chosen))):
            return create(self, *args, **kwargs)

    return patched


def _vpc_exists(backend: Any, vpc_id: str) -> bool:
    return vpc_id in backend.vpcs


def _subnet_exists(backend: Any, subnet_id: str) -> bool:
    return any(subnet_id in zone for zone in backend.subnets.values())


def _group_exists(backend: Any, group_id: str) -> bool:
    return any(group_id in groups for groups in backend.groups.values())


def install() -> None:
    """Wrap moto's three EC2 create methods (they take ``tags`` as a keyword argument from the responses)."""
    vpcs.VPCBackend.create_vpc = _with_chosen_id(vpcs.VPCBackend.create_vpc, vpcs, "random_vpc_id", "vpc", "VPC", _vpc_exists)
    subnets.SubnetBackend.create_subnet = _with_chosen_id(
        subnets.SubnetBackend.create_subnet, subnets, "random_subnet_id", "subnet", "subnet", _subnet_exists
    )
    groups = security_groups.SecurityGroupBackend
    groups.create_security_group = _with_chosen_id(
        groups.create_security_group, security_groups, "random_security_group_id", "sg", "security group", _group_exists
    )
