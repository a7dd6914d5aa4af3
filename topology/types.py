"""Check that a declaration's values have the declared types, one line per wrong field.

Python does not enforce dataclass annotations, so ``calls="api"`` (or the common typo
``calls=("api")``, which is the same string) would otherwise be read as the tuple
``("a", "p", "i")``. This walks every dataclass of the declaration against its own
type hints, generically, so every tuple field of every class has the same guard.
Values are only checked for *type* here; what a value may be (ranges, names, one of a
``Literal``) is the rules' job in ``validate.py``, which runs only once types are right.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Iterator
from typing import Any

# How a tuple field's element is called in a message; the element's type name otherwise.
ELEMENT_NOUNS: dict[tuple[str, str], str] = {
    ("Service", "calls"): "service names",
    ("Service", "ports"): "Port(...)",
    ("Service", "environment"): "(name, value) pairs",
    ("Service", "command"): "strings",
    ("Service", "secrets"): "Secret(...)",
    ("Service", "permissions"): "Permission(...)",
    ("Service", "managed_policies"): "policy ARNs",
    ("Service", "egress"): "Egress(...)",
    ("HealthCheck", "command"): "strings",
    ("Permission", "actions"): "action names",
    ("Autoscaling", "schedule"): "ScheduledCapacity(...)",
    ("Permission", "resources"): "resource ARNs",
    ("Topology", "services"): "Service(...)",
    ("NetworkSettings", "availability_zones"): "zone names",
    ("ExistingNetwork", "public_subnet_ids"): "subnet IDs",
    ("Topology", "entries"): "Entry(...)",
    ("Entry", "routes"): "Route(...)",
    ("Entry", "listeners"): "Listener(...)",
    ("Entry", "allowed_sources"): "CIDRs or prefix list IDs",
    ("EntryOverride", "listeners"): "Listener(...)",
    ("EntryOverride", "allowed_sources"): "CIDRs or prefix list IDs",
}


def type_problems(value: Any, where: str) -> Iterator[str]:
    """Every field of dataclass ``value`` (recursively) whose value does not have its annotated type."""
    cls: type = type(value)
    for name, hint in _field_hints(cls):
        yield from _check(getattr(value, name), hint, f"{where}{name}", (cls.__name__, name))


@functools.cache
def _field_hints(cls: type) -> tuple[tuple[str, Any], ...]:
    """``(field name, resolved hint)`` of a dataclass, once per class: resolving hints evaluates annotation strings,
    which costs more than checking a value (it was 90 % of validating 1,000 services)."""
    hints = typing.get_type_hints(cls)
    return tuple((field.name, hints[field.name]) for field in dataclasses.fields(cls))


def _check(value: Any, hint: Any, where: str, owner: tuple[str, str]) -> Iterator[str]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:
            yield from _check(value, options[0], where, owner)
            return
    if origin is tuple:
        yield from _check_tuple(value, args, where, owner)
        return
    if origin is typing.Literal:
        if not isinstance(value, str):
            yield f"{where}: must be one of {', '.join(map(repr, args))}, got {_describe(value)}"
        return
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, hint):
            yield f"{where}: must be {hint.__name__}(...), got {_describe(value)}"
            return
        yield from type_problems(value, f"{where}.")
        return
    if isinstance(hint, type) and not _instance(value, hint):
        yield f"{where}: must be {_noun(hint)}, got {_describe(value)}"


def _check_tuple(value: Any, args: tuple[Any, ...], where: str, owner: tuple[str, str]) -> Iterator[str]:
    variadic = len(args) == 2 and args[1] is Ellipsis
    if not variadic and (not isinstance(value, tuple) or len(value) != len(args)):
        got = f"{len(value)} values" if isinstance(value, tuple) else _describe(value)
        yield f"{where}: must be a tuple of {len(args)} values, got {got}"
        return
    if not isinstance(value, tuple):
        noun = ELEMENT_NOUNS.get(owner) or _noun(args[0])
        yield f"{where}: must be a tuple of {noun}, got {_describe(value)}{_rewrite(value)}"
        return
    element_types = [args[0]] * len(value) if variadic else list(args)
    for index, (item, hint) in enumerate(zip(value, element_types, strict=True)):
        problems = list(_check(item, hint, f"{where}[{index}]", owner))
        if problems:
            yield problems[0]  # one line per field: the first wrong element
            return


def _instance(value: Any, hint: type) -> bool:
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _noun(hint: Any) -> str:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return f"{hint.__name__}(...)"
    if typing.get_origin(hint) is tuple:
        return "tuples"
    return {str: "a string", int: "an integer", bool: "True or False"}.get(hint, getattr(hint, "__name__", str(hint)))


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (list, set, dict)):
        if all(isinstance(item, (str, int)) for item in value):
            return f"a {type(value).__name__} {value!r}"
        return f"a {type(value).__name__} of {len(value)} items"
    if dataclasses.is_dataclass(value):
        return f"{type(value).__name__}(...)"
    return f"{type(value).__name__} {value!r}"


def _rewrite(value: Any) -> str:
    """A copy-pasteable fix for the common mistakes: a lone string, or a list."""
    if isinstance(value, str):
        return f" (write ({json.dumps(value)},))"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = ", ".join(json.dumps(item) for item in value)
        return f" (write ({items}{',' if len(value) == 1 else ''}))"
    return ""
