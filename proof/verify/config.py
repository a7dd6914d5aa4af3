"""All stacks of one system, and the resolution of Terraform expressions to the resources they name.

Each stack is held in Terraform JSON's shape (``resource``/``data``/``output``/
``locals``/``variable``/``terraform``), whatever it was read from. What an
expression names is resolved here and nowhere else: plain references (spaces
inside ``${ }`` allowed, ``[0]`` indexes ignored), locals, cross-stack
``terraform_remote_state`` outputs, and, for plan input, literal IDs Terraform
already knows. Anything else (variables, functions, data lookups, conditionals)
resolves to ``Unknown`` with the reason.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .model import Address, Unknown, as_list, block

WHOLE = re.compile(r"^\$\{\s*(?P<expr>.*?)\s*\}$", re.S)
STEP = re.compile(r"\s*(?:\.\s*(?P<attr>[A-Za-z_][A-Za-z0-9_-]*|\*)|\[\s*(?P<index>[0-9]+|\"[^\"]*\"|\*)\s*\])")
ROOT = re.compile(r"^(?P<root>[A-Za-z_][A-Za-z0-9_-]*)")
TOKEN = re.compile(r"(?<![A-Za-z0-9_.\"-])(?:data\.)?[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*|\[[^\]\[]*\])+")
GROUP_TYPES = ("aws_security_group", "aws_default_security_group")
MAX_DEPTH = 8
IDENTITY = ("id", "arn", "name", "arn_without_revision")
"""Attributes that stand for the resource itself; any other is a value of it (a tag, a range)."""
T = TypeVar("T")
INSTANCE_KEY = re.compile(r"^\s*\[\s*(?P<key>[0-9]+|\"[^\"]*\")\s*\]")


def unwrapped(expr: str) -> str:
    """An expression without the parentheses around all of it (``(a.b)`` is ``a.b``)."""
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for index, char in enumerate(expr):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and index < len(expr) - 1:
                return expr
        expr = expr[1:-1].strip()
    return expr


def traversal(expr: str) -> list[str] | None:
    """``a.b[0].c`` -> ``["a", "b", "c"]`` (indexes dropped); None if ``expr`` is not a plain traversal."""
    expr = unwrapped(expr)
    root = ROOT.match(expr)
    if root is None:
        return None
    parts, position = [root["root"]], root.end()
    while position < len(expr):
        step = STEP.match(expr, position)
        if step is None:
            return None
        if step["attr"] is not None and step["attr"] != "*":
            parts.append(step["attr"])
        position = step.end()
    return parts


ROOT_MODULE_PATH = re.compile(r"\$\{\s*path\.(?:module|root)\s*\}")
"""``${path.module}`` and ``${path.root}``: in a stack (a root module) both are the stack's own folder, ``.``."""


def _local_state(stack: str, path: Any) -> str | None:
    """A local backend's state file as one path: relative paths resolved from the stack's folder
    (``stacks/<stack>``), ``${path.module}``/``${path.root}`` read as that folder, ``./`` and ``a/../`` folded;
    Terraform's default when unset."""
    text = path if isinstance(path, str) else "terraform.tfstate" if path is None else None
    if text is not None:
        text = ROOT_MODULE_PATH.sub(".", text)
    if text is None or "${" in text:
        return None
    return posixpath.normpath(text if text.startswith("/") else posixpath.join("/stacks", stack, text))


def _s3_state(settings: dict[str, Any]) -> tuple[Any, ...] | None:
    """An S3 backend's state object: bucket and key with its ``//`` and leading ``/`` folded (S3 keys are literal,
    but Terraform strips a leading slash), plus workspace prefix."""
    key, bucket = settings.get("key"), settings.get("bucket")
    if not isinstance(key, str) or not isinstance(bucket, str) or "${" in key + bucket:
        return None
    return bucket, key.lstrip("/"), settings.get("workspace_key_prefix", "env:")


class Config:
    """The stacks of one system; ``ids`` maps IDs Terraform already knows (plan input) to their resources."""

    def __init__(self, stacks: dict[str, dict[str, Any]], ids: dict[str, Address] | None = None, *, source: str = "configuration") -> None:
        self.stacks = stacks
        self.ids = ids or {}
        self.source = source
        self._indexes: dict[str, Any] = {}
        self._resolved: dict[tuple[str, str], Address | Unknown] = {}

    def indexed(self, name: str, build: Callable[[], T]) -> T:
        """``build()`` once per configuration: an index over every stack (attachments by role, rules by group ...),
        so each service's checks look up instead of scanning all stacks again, and the proof stays linear in the
        number of services. The stacks are not changed while they are judged."""
        if name not in self._indexes:
            self._indexes[name] = build()
        found: T = self._indexes[name]
        return found

    # -- enumeration -------------------------------------------------------------------------------------------

    def _section(self, stack: str, section: str) -> dict[str, Any]:
        content = (self.stacks.get(stack) or {}).get(section)
        return content if isinstance(content, dict) else {}

    def _named(self, stack: str, section: str, rtype: str) -> dict[str, Any]:
        named = self._section(stack, section).get(rtype)
        return named if isinstance(named, dict) else {}

    def resources(self, rtype: str) -> Iterator[tuple[Address, dict[str, Any]]]:
        for stack in sorted(self.stacks):
            for name, resource in sorted(self._named(stack, "resource", rtype).items()):
                if isinstance(resource, dict):
                    yield Address(stack, rtype, name), resource

    def all_resources(self) -> Iterator[tuple[Address, dict[str, Any]]]:
        for stack in sorted(self.stacks):
            for rtype in sorted(self._section(stack, "resource")):
                yield from ((a, b) for a, b in self.resources(rtype) if a.stack == stack)

    def body(self, address: Address) -> dict[str, Any]:
        """The configuration of a resource; of an instance (``name["key"]``), its resource's."""
        found = self._named(address.stack, "data" if address.mode == "data" else "resource", address.type).get(address.name.split("[")[0])
        return found if isinstance(found, dict) else {}

    def exists(self, address: Address) -> bool:
        return address.name.split("[")[0] in self._named(address.stack, "data" if address.mode == "data" else "resource", address.type)

    def section(self, stack: str, section: str) -> dict[str, Any]:
        """A top-level section (``locals``, ``output``, ``module`` ...) of a stack; {} when absent or malformed."""
        return self._section(stack, section)

    # -- resolution --------------------------------------------------------------------------------------------

    def resolve(self, stack: str, value: Any, depth: int = 0) -> Address | Unknown:
        """The resource ``value`` names: a whole-string reference, or (plan input) a literal ID."""
        if depth == 0 and isinstance(value, str):
            key = (stack, value)
            if key not in self._resolved:
                self._resolved[key] = self._resolve(stack, value, depth)
            return self._resolved[key]
        return self._resolve(stack, value, depth)

    def _resolve(self, stack: str, value: Any, depth: int) -> Address | Unknown:
        if depth > MAX_DEPTH:
            return Unknown(f"{value!r}: references nest too deeply")
        if not isinstance(value, str):
            return Unknown(f"{value!r} is not a reference" if value is not None else "no value")
        whole = WHOLE.match(value)
        if whole is None or "${" in whole["expr"]:
            if value in self.ids:
                return self.ids[value]
            if "${" in value:
                return Unknown(f"{value} is not a plain reference")
            return Unknown(f"literal {value!r} names no resource of this configuration")
        return self._resolve_expr(stack, whole["expr"], depth)

    def _resolve_expr(self, stack: str, expr: str, depth: int) -> Address | Unknown:
        expr = unwrapped(expr)
        parts = traversal(expr)
        if parts is None:
            return Unknown(f"${{{expr}}} is an expression (function, operator or conditional)")
        root = parts[0]
        if root == "local" and len(parts) >= 2:
            target = self._local(stack, parts[1:], depth)
            return target if isinstance(target, Unknown) else self.resolve(stack, target, depth + 1)
        if root in ("var", "module", "each", "count", "self", "path", "terraform"):
            return Unknown(f"${{{expr}}} is a {'variable' if root == 'var' else root + ' value'}")
        if root == "data":
            return self._resolve_data(stack, parts, expr, depth)
        if len(parts) < 2:
            return Unknown(f"${{{expr}}}")
        address = Address(stack, root, parts[1])
        if not self.exists(address):
            return Unknown(f"{root}.{parts[1]} is not a resource of stack {stack}")
        if root == "aws_vpc" and parts[2:3] == ["default_security_group_id"]:
            return Address(stack, root, parts[1], attr="default_security_group_id")
        return self._instance(address, expr, parts)

    def _instance(self, address: Address, expr: str, parts: list[str]) -> Address | Unknown:
        """The resource an identifying attribute (``.id``, ``.arn``, ``.name``) names; with ``count``/``for_each``,
        the instance its literal key names (distinct keys are distinct resources). Any other attribute
        (``.tags.y``, ``.cidr_block``) is that attribute's value, not the resource."""
        if parts[2:] and parts[2] not in IDENTITY:
            return Unknown(f"${{{expr}}} is the {'.'.join(parts[2:])} attribute of {address.type}.{address.name}, not the resource")
        body = self.body(address)
        if "for_each" not in body and "count" not in body:
            return address
        key = INSTANCE_KEY.match(expr[expr.index(address.name) + len(address.name) :])
        if key is None:
            return Unknown(f"${{{expr}}} names no single instance of {address.type}.{address.name} (count or for_each)")
        return Address(address.stack, address.type, f"{address.name}[{key['key']}]", address.mode)

    def _local(self, stack: str, parts: list[str], depth: int) -> Any:
        """``local.a.b`` -> the value it stands for: into an object, or as a longer reference (``local.net.x``)."""
        locals_ = self.section(stack, "locals")
        if parts[0] not in locals_:
            return Unknown(f"local.{parts[0]} is not defined")
        value = locals_[parts[0]]
        for index, part in enumerate(parts[1:], start=1):
            if isinstance(value, dict) and part in value:
                value = value[part]
                continue
            whole = WHOLE.match(value) if isinstance(value, str) else None
            if whole is None or traversal(whole["expr"]) is None or depth > MAX_DEPTH:
                return Unknown(f"local.{'.'.join(parts)} cannot be followed")
            return "${" + whole["expr"] + "".join(f".{p}" for p in parts[index:]) + "}"
        return value

    def items(self, stack: str, value: Any, depth: int = 0) -> list[Any]:
        """A list-valued argument, with a whole-string reference to a list local expanded (``subnets = local.ids``)."""
        if isinstance(value, str) and depth <= MAX_DEPTH:
            whole = WHOLE.match(value)
            parts = traversal(whole["expr"]) if whole is not None else None
            if parts is not None and parts[0] == "local" and len(parts) >= 2:
                target = self._local(stack, parts[1:], depth)
                if isinstance(target, list):
                    return [item for entry in target for item in self.items(stack, entry, depth + 1)]
                if isinstance(target, str) and target != value:
                    return self.items(stack, target, depth + 1)
        return as_list(value)

    def _resolve_data(self, stack: str, parts: list[str], expr: str, depth: int) -> Address | Unknown:
        if len(parts) < 3:
            return Unknown(f"${{{expr}}}")
        address = Address(stack, parts[1], parts[2], mode="data")
        if not self.exists(address):
            return Unknown(f"data.{parts[1]}.{parts[2]} is not defined in stack {stack}")
        if parts[1] == "terraform_remote_state" and len(parts) == 5 and parts[3] == "outputs":
            source = self.remote_stack(stack, parts[2])
            if isinstance(source, Unknown):
                return source
            output = self.section(source, "output").get(parts[4])
            if not isinstance(output, dict):
                return Unknown(f"stack {source} has no output {parts[4]}")
            return self.resolve(source, output.get("value"), depth + 1)
        return address

    def remote_stack(self, stack: str, data_name: str) -> str | Unknown:
        """The stack whose state a ``terraform_remote_state`` data source reads (same backend location)."""
        remote = self.body(Address(stack, "terraform_remote_state", data_name, mode="data"))
        workspace = remote.get("workspace")
        if workspace not in (None, "default") and WHOLE.sub(r"\g<expr>", str(workspace)) != "terraform.workspace":
            # another workspace's state is not the configuration read here; cdktf reads its own (terraform.workspace)
            return Unknown(f"remote state {data_name} reads workspace {remote.get('workspace')!r}")
        kind, config = remote.get("backend"), remote.get("config")
        config = config if isinstance(config, dict) else {}
        for candidate in sorted(self.stacks):
            backend = block(self.section(candidate, "terraform").get("backend") or {})
            if not isinstance(backend, dict) or not isinstance(kind, str) or kind not in backend:
                continue
            settings = block(backend[kind])
            if not isinstance(settings, dict):
                continue
            if kind == "local" and _local_state(candidate, settings.get("path")) == _local_state(stack, config.get("path")):
                return candidate
            if kind == "s3" and _s3_state(settings) == _s3_state(config):
                return candidate
        return Unknown(f"remote state {data_name} matches no stack's backend")

    def value(self, stack: str, value: Any, depth: int = 0) -> Any:
        """A literal value, following locals; an ``Unknown`` for anything Terraform would compute."""
        if not isinstance(value, str) or "${" not in value:
            return value
        whole = WHOLE.match(value)
        if whole is None or "${" in whole["expr"] or depth > MAX_DEPTH:
            return Unknown(f"{value} is computed")
        parts = traversal(whole["expr"])
        if parts is not None and len(parts) >= 2 and parts[0] == "local":
            target = self._local(stack, parts[1:], depth)
            return target if isinstance(target, Unknown) else self.value(stack, target, depth + 1)
        return Unknown(f"{value} is {'a variable' if parts and parts[0] == 'var' else 'computed'}")

    def references_in(self, stack: str, value: Any) -> Iterator[Address | Unknown]:
        """Every resource a value mentions anywhere (lists, maps, inside function calls)."""
        if isinstance(value, dict):
            for item in value.values():
                yield from self.references_in(stack, item)
        elif isinstance(value, list):
            for item in value:
                yield from self.references_in(stack, item)
        elif isinstance(value, str):
            if "${" not in value:
                if value in self.ids:
                    yield self.ids[value]
                return
            whole = WHOLE.match(value)
            if whole is not None and "${" not in whole["expr"] and traversal(whole["expr"]) is not None:
                yield self.resolve(stack, value)
                return
            for token in TOKEN.findall(value):
                yield self._resolve_expr(stack, token, 0)

    # -- security groups ---------------------------------------------------------------------------------------

    def group(self, stack: str, value: Any) -> Address | Unknown:
        """The security group ``value`` names; a VPC's default group is one group however it is written."""
        return self.canonical_group(self.resolve(stack, value))

    def canonical_group(self, target: Address | Unknown) -> Address | Unknown:
        if isinstance(target, Unknown):
            return target
        if target.type == "aws_security_group" and target.mode == "managed":
            return target
        if target.type == "aws_vpc" and target.attr == "default_security_group_id":
            return target
        if target.type == "aws_default_security_group" and target.mode == "managed":
            vpc = self.resolve(target.stack, self.body(target).get("vpc_id"))
            if isinstance(vpc, Address) and vpc.type == "aws_vpc":
                return Address(vpc.stack, "aws_vpc", vpc.name, attr="default_security_group_id")
            return target
        if target.type == "aws_security_group" and target.mode == "data":
            own = self.own(target)
            return own if own is not None else self._data_group(target)
        return Unknown(f"{target} is not a security group")

    def own(self, lookup: Address) -> Address | None:
        """The project's own resource a data source looks up by its literal name (or ID, in a plan): the same
        resource, so its rules and members are the resource's (the lookup never stands for it)."""
        body = self.body(lookup)
        wanted = self.value(lookup.stack, body.get("name"))
        for item in as_list(body.get("filter")):
            if isinstance(item, dict) and item.get("name") in ("group-name", "role-name") and len(as_list(item.get("values"))) == 1:
                wanted = as_list(item.get("values"))[0]
        if isinstance(body.get("id"), str) and body["id"] in self.ids and self.ids[body["id"]].mode == "managed":
            return self.ids[body["id"]]
        if not isinstance(wanted, str) or not wanted:
            return None
        matches = [a for a, b in self.resources(lookup.type) if self.value(a.stack, b.get("name")) == wanted]
        return matches[0] if len(matches) == 1 else None

    def _data_group(self, target: Address) -> Address | Unknown:
        """``data.aws_security_group`` looked up as the VPC's ``default`` group is that group; others are unknown."""
        body = self.body(target)
        names = [body.get("name")] + [
            value
            for f in as_list(body.get("filter"))
            if isinstance(f, dict) and f.get("name") == "group-name"
            for value in as_list(f.get("values"))
        ]
        vpc = self.resolve(target.stack, body.get("vpc_id"))
        if "default" in names and isinstance(vpc, Address) and vpc.type == "aws_vpc":
            return Address(vpc.stack, "aws_vpc", vpc.name, attr="default_security_group_id")
        return Unknown(f"security group looked up by data source {target}")
