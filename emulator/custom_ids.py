"""Chosen IDs in the emulator: moto's ``_custom_id_`` tag, honoured by EC2, ELBv2 and WAFv2 too.

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

An entry names two more things by ARN that the project does not create: another team's
listener (``existing.listener_arn``) and a WAF web ACL (``web_acl_arn``). For these the tag's value
is the whole ARN to give, because the ARN names an account: Terraform calls the emulator as its
default account, and a stand-in must be in the account Terraform looks in, under the declared ARN
(as the certificate stand-ins of ``emulator/serve.py`` are). moto's ELBv2 builds a load balancer's
ARN with ``make_arn_for_load_balancer`` and a listener's from its load balancer's plus
``mock_random.get_random_hex(16)``; WAFv2 builds a web ACL's with ``make_arn_for_wacl`` and its
backend's ``_generate_id()``. The same guard replaces those for one call. The ARN must be the one
that call would build but for the IDs and account (the request's name, region, load balancer), with
16 lowercase hex digits for ELBv2 IDs and a lowercase UUID for a web ACL, as AWS gives them. WAFv2's
``delete_web_acl`` finds a web ACL by name and ID when its ARN names another account.

Loaded by ``emulator/serve.py`` (``install()``), in the emulator's Python.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import security_groups, subnets, vpcs
from moto.elbv2 import models as elbv2
from moto.elbv2.exceptions import ELBClientError
from moto.utilities.id_generator import TAG_KEY_CUSTOM_ID
from moto.wafv2 import models as wafv2
from moto.wafv2.exceptions import WAFv2ClientError

CUSTOM_ID = TAG_KEY_CUSTOM_ID
ELB_ID = re.compile(r"[0-9a-f]{16}")
"""A load balancer's or listener's ID in its ARN, as AWS and moto give it."""
WEB_ACL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A WAFv2 web ACL's ID: a lowercase UUID."""


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


Draw = tuple[Any, str, Any]
"""``(owner, function, value)``: for one call, ``owner.function(...)`` returns ``value``."""


@contextmanager
def drawing(owner: Any, function: str, chosen: Any) -> Iterator[None]:
    """For the duration of the block, ``owner.function(...)`` returns ``chosen`` (one request at a time: serve.py).

    ``owner`` is a module (the ID and ARN functions), moto's shared ``mock_random`` or one backend instance."""
    original = getattr(owner, function) if inspect.ismodule(owner) else owner.__dict__.get(function)
    setattr(owner, function, lambda *args, **kwargs: chosen)
    try:
        yield
    finally:
        if original is None:
            delattr(owner, function)  # it was the class's method: the instance's stand-in goes again
        else:
            setattr(owner, function, original)


def _with_chosen_id(create: Callable[..., Any], draws: Callable[[Any, str, dict[str, Any]], list[Draw]]) -> Callable[..., Any]:
    """``create`` that, given a ``_custom_id_`` tag, makes ``draws(backend, chosen, arguments)`` for that one call."""
    signature = inspect.signature(create)

    def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments  # tags by keyword (EC2, ELBv2) or position (WAFv2)
        chosen = chosen_id(arguments.get("tags"))
        if chosen is None:
            return create(self, *args, **kwargs)
        with ExitStack() as stack:
            for owner, function, value in draws(self, chosen, arguments):
                stack.enter_context(drawing(owner, function, value))
            return create(self, *args, **kwargs)

    return patched


def _ec2(module: Any, function: str, prefix: str, what: str, exists: Callable[[Any, str], bool]) -> Callable[..., list[Draw]]:
    return lambda backend, chosen, _: [(module, function, checked(chosen, prefix, what, exists(backend, chosen)))]


def _arn(chosen: str, wanted: re.Pattern[str], what: str, error: Callable[[str], Exception]) -> re.Match[str]:
    match = wanted.fullmatch(chosen)
    if match is None:
        raise error(f"{CUSTOM_ID} {chosen!r} is not the ARN of this {what} (the shape AWS gives: {wanted.pattern})")
    return match


def _elb_error(message: str) -> Exception:
    error: Exception = ELBClientError("ValidationError", message)  # moto's exceptions are untyped
    return error


def _waf_error(message: str) -> Exception:
    error: Exception = WAFv2ClientError("WAFInvalidParameterException", message)
    return error


def _balancer_draws(backend: Any, chosen: str, arguments: dict[str, Any]) -> list[Draw]:
    """The load balancer's whole ARN (its account and ID), for the request's name and the backend's region."""
    name, region = re.escape(str(arguments["name"])), re.escape(backend.region_name)
    wanted = re.compile(rf"arn:aws[a-z-]*:elasticloadbalancing:{region}:[0-9]{{12}}:loadbalancer/app/{name}/{ELB_ID.pattern}")
    _arn(chosen, wanted, "load balancer", _elb_error)
    return [(elbv2, "make_arn_for_load_balancer", chosen)]


def _listener_draws(_backend: Any, chosen: str, arguments: dict[str, Any]) -> list[Draw]:
    """The listener's ID: its ARN must be its load balancer's, as a listener, and 16 hex digits."""
    prefix = str(arguments["load_balancer_arn"]).replace(":loadbalancer/", ":listener/")
    match = _arn(chosen, re.compile(rf"{re.escape(prefix)}/(?P<id>{ELB_ID.pattern})"), "listener", _elb_error)
    return [(elbv2.mock_random, "get_random_hex", match["id"])]


def _web_acl_draws(backend: Any, chosen: str, arguments: dict[str, Any]) -> list[Draw]:
    """A regional web ACL's whole ARN (its account and ID), for the request's name and the backend's region."""
    name, region = re.escape(str(arguments["name"])), re.escape(backend.region_name)
    wanted = re.compile(rf"arn:aws[a-z-]*:wafv2:{region}:[0-9]{{12}}:regional/webacl/{name}/(?P<id>{WEB_ACL_ID.pattern})")
    match = _arn(chosen, wanted, "web ACL", _waf_error)
    return [(wafv2, "make_arn_for_wacl", chosen), (backend, "_generate_id", match["id"])]


def _delete_any_account(delete: Callable[..., None]) -> Callable[..., None]:
    """``delete_web_acl`` that also finds a web ACL whose ARN names another account (a stand-in) by its name and ID."""

    def patched(self: Any, name: str, scope: str, _id: str, lock_token: str) -> None:
        for arn, acl in self.wacls.items():
            if acl.name == name and acl.id == _id and f":{self.account_id}:" not in arn:
                with drawing(wafv2, "make_arn_for_wacl", arn):
                    return delete(self, name, scope, _id, lock_token)
        return delete(self, name, scope, _id, lock_token)

    return patched


def _vpc_exists(backend: Any, vpc_id: str) -> bool:
    return vpc_id in backend.vpcs


def _subnet_exists(backend: Any, subnet_id: str) -> bool:
    return any(subnet_id in zone for zone in backend.subnets.values())


def _group_exists(backend: Any, group_id: str) -> bool:
    return any(group_id in groups for groups in backend.groups.values())


def install() -> None:
    """Wrap moto's three EC2 create methods, ELBv2's load balancer and listener, and WAFv2's web ACL (and its delete)."""
    vpcs.VPCBackend.create_vpc = _with_chosen_id(vpcs.VPCBackend.create_vpc, _ec2(vpcs, "random_vpc_id", "vpc", "VPC", _vpc_exists))
    subnets.SubnetBackend.create_subnet = _with_chosen_id(
        subnets.SubnetBackend.create_subnet, _ec2(subnets, "random_subnet_id", "subnet", "subnet", _subnet_exists)
    )
    groups = security_groups.SecurityGroupBackend
    groups.create_security_group = _with_chosen_id(
        groups.create_security_group, _ec2(security_groups, "random_security_group_id", "sg", "security group", _group_exists)
    )
    balancers = elbv2.ELBv2Backend
    balancers.create_load_balancer = _with_chosen_id(balancers.create_load_balancer, _balancer_draws)
    balancers.create_listener = _with_chosen_id(balancers.create_listener, _listener_draws)
    acls = wafv2.WAFV2Backend
    acls.create_web_acl = _with_chosen_id(acls.create_web_acl, _web_acl_draws)
    acls.delete_web_acl = _delete_any_account(acls.delete_web_acl)
