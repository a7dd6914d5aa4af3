"""Resources written as plain Terraform JSON, without a jsii round trip per resource.

A typed cdktf resource costs about 3 ms to build and synthesize (a call to the jsii
Node process to create it, one per attribute read, a stack trace captured per token),
and a service has about 13 of them: 1,000 services took 80 CPU s, almost all of it
there. The per-service resources (security group and rules, log groups, roles and
policies, task definition, ECS service, image variable, outputs) are therefore built
here as Python dicts, in the exact form cdktf writes (the same logical IDs, the same
``//`` metadata), and merged into the stack's ``cdk.tf.json`` after ``app.synth()``
(``RawBlocks.write``). The rest of a stack (provider, backend, network stack values,
the front door) stays in cdktf; a value from there is resolved once into the
Terraform expression it stands for (``RawBlocks.resolve``), which also registers a
cross-stack reference exactly as cdktf does when it meets the token during synth.

The committed snapshots (tests/stacks/__snapshots__) are the proof that both ways
write the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdktf import DefaultTokenResolver, StringConcat, TerraformStack, Tokenization
from constructs import Construct

HASH_LENGTH = 8
MAX_HUMAN_LENGTH = 240
MAX_ID_LENGTH = 255
NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def unique_id(components: list[str]) -> str:
    """cdktf's logical ID of a construct at ``components`` below its stack (cdktf/lib/private/unique.js).

    One component is used as is; more are joined by ``_`` (a component that the previous kept one
    ends with is dropped) and suffixed with the first 8 hex digits of the MD5 of the path.
    """
    components = [c for c in components if c != "Default"]
    if len(components) == 1 and len(NOT_ALLOWED.sub("", components[0])) <= MAX_ID_LENGTH:
        return NOT_ALLOWED.sub("", components[0])
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()[:HASH_LENGTH].upper()
    kept: list[str] = []
    for component in components:
        if not kept or not kept[-1].endswith(component):
            kept.append(component)
    human = "_".join(NOT_ALLOWED.sub("", c) for c in kept if c != "Resource")[:MAX_HUMAN_LENGTH]
    return f"{human}_{digest}"


def without_none(value: Any) -> Any:
    """``value`` without ``None`` entries in its dicts: cdktf leaves an unset property out."""
    if isinstance(value, dict):
        return {key: without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_none(item) for item in value]
    return value


@dataclass
class RawResource:
    """One resource block: its type, logical ID and construct path, and its attributes."""

    type: str
    logical_id: str
    path: str
    body: dict[str, Any]
    import_id: str | None = None
    blocks: RawBlocks | None = field(default=None, repr=False, compare=False)
    """The stack's blocks it belongs to: where its construct is found once they are in the tree."""
    _construct: Any = field(default=None, repr=False, compare=False)

    @property
    def node(self) -> Any:
        """Its construct (a cdktf ``TerraformResource``) once the stack's tree is materialized
        (stacks/tree.py), else ``None``: for ``add_override`` and attribute references."""
        if self._construct is None and self.blocks is not None and self.blocks.materialized:
            scope: Any = self.blocks.stack
            for component in self.path.split("/")[1:]:
                scope = scope.node.find_child(component)
            self._construct = scope
        return self._construct

    @property
    def address(self) -> str:
        """``<type>.<id>``: what ``depends_on`` and an ``import`` block name."""
        return f"{self.type}.{self.logical_id}"

    def ref(self, attribute: str) -> str:
        """The expression of one of its attributes, e.g. ``${aws_iam_role.x.arn}``."""
        return f"${{{self.address}.{attribute}}}"

    def import_from(self, import_id: str) -> None:
        """Adopt what already exists (an ``import`` block), as cdktf's ``import_from``."""
        self.import_id = import_id

    def block(self) -> dict[str, Any]:
        return {"//": {"metadata": {"path": self.path, "uniqueId": self.logical_id}}, **without_none(self.body)}


@dataclass
class RawBlocks:
    """Everything of one stack written as plain JSON, in construct-tree order (which orders ``import`` blocks)."""

    stack: TerraformStack
    stack_id: str
    resources: list[RawResource] = field(default_factory=list)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tree: dict[str, Any] = field(default_factory=dict)
    materialized: bool = False
    """True once ``stacks.tree.materialize`` made cdktf constructs of these blocks: cdktf writes them then."""

    def __post_init__(self) -> None:
        self._resolver = DefaultTokenResolver(StringConcat())

    def resolve(self, value: Any) -> Any:
        """A cdktf token (or a list of them) as the Terraform expression it stands for in this stack."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, str) or "${TfToken[" not in value:
            return value
        Tokenization.resolve(value, scope=self.stack, resolver=self._resolver, preparing=True)  # registers a cross-stack output
        return Tokenization.resolve(value, scope=self.stack, resolver=self._resolver, preparing=False)

    def address_of(self, element: Any) -> str:
        """``depends_on``'s form of a cdktf resource: ``<type>.<id>``."""
        expression: str = self.resolve(element.fqn)
        return expression.removeprefix("${").removesuffix("}")

    def resource(self, components: list[str], resource_type: str, body: dict[str, Any]) -> RawResource:
        """A resource at ``components`` below the stack (the path a cdktf construct would have)."""
        path = "/".join(components)
        node = self._tree
        for component in components[:-1]:
            node = node.setdefault(component, {})
            if isinstance(node, RawResource):
                raise ValueError(f"{self.stack_id}: {path} is below the resource {node.path}")
        if components[-1] in node:
            raise ValueError(f"{self.stack_id}: two resources at {path}")
        created = RawResource(resource_type, unique_id(components), f"{self.stack_id}/{path}", body, blocks=self)
        node[components[-1]] = created
        return created

    def variable(self, name: str, body: dict[str, Any]) -> str:
        self.variables[name] = without_none(body)
        return f"${{var.{name}}}"

    def output(self, name: str, body: dict[str, Any]) -> None:
        self.outputs[name] = without_none(body)

    def in_tree_order(self) -> list[RawResource]:
        return resources_below(self._tree)

    def under(self, component: str) -> list[RawResource]:
        """The resources at or below the top-level construct ``component`` (a service's ``<name>_sg``, say)."""
        node = self._tree.get(component)
        if node is None:
            return []
        return [node] if isinstance(node, RawResource) else resources_below(node)

    def merge_into(self, document: dict[str, Any]) -> dict[str, Any]:
        """``document`` (the stack's synthesized JSON) with these blocks added."""
        resources = self.in_tree_order()
        for resource in [] if self.materialized else resources:
            document.setdefault("resource", {}).setdefault(resource.type, {})[resource.logical_id] = resource.block()
        imported = [r for r in resources if r.import_id is not None]
        if imported:
            document["import"] = [*document.get("import", []), *({"id": r.import_id, "to": r.address} for r in imported)]
            listed = document.setdefault("//", {}).setdefault("metadata", {}).setdefault("imports", {})
            for resource in imported:
                listed.setdefault(resource.type, []).append(resource.logical_id)
        if self.materialized:
            return document
        if self.variables:
            document.setdefault("variable", {}).update(self.variables)
        if self.outputs:
            document.setdefault("output", {}).update(self.outputs)
            listed = document.setdefault("//", {}).setdefault("outputs", {}).setdefault(self.stack_id, {})
            listed.update({name: name for name in self.outputs})
        return document

    def write(self, outdir: Path) -> None:
        """Merge into ``<outdir>/stacks/<stack>/cdk.tf.json``, written as cdktf writes it."""
        path = outdir / "stacks" / self.stack_id / "cdk.tf.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(stable_json(self.merge_into(document)), encoding="utf-8")


def resources_below(tree: dict[str, Any]) -> list[RawResource]:
    """Every resource in a (sub)tree of ``RawBlocks``, in construct-tree order."""
    found: list[RawResource] = []
    for child in tree.values():
        found += [child] if isinstance(child, RawResource) else resources_below(child)
    return found


def stable_json(value: Any, level: int = 0) -> str:
    """JSON as cdktf writes it (json-stable-stringify 1.3, two spaces): sorted keys, and an empty
    list or object still opened on one line and closed on the next."""
    indent = "\n" + "  " * level
    if isinstance(value, dict):
        items = [f"{indent}  {json.dumps(key, ensure_ascii=False)}: {stable_json(value[key], level + 1)}" for key in sorted(value)]
        return "{" + ",".join(items) + indent + "}"
    if isinstance(value, list):
        return "[" + ",".join(f"{indent}  {stable_json(item, level + 1)}" for item in value) + indent + "]"
    return json.dumps(value, ensure_ascii=False)


class RawScope:
    """A cdktf construct at a path that also holds raw resources, made only when a cdktf resource needs it
    (a front door's rule in a service's security group, an adopted group's data source)."""

    def __init__(self, parent: Construct, construct_id: str) -> None:
        self._parent, self._id = parent, construct_id
        self._construct: Construct | None = None

    @property
    def construct(self) -> Construct:
        if self._construct is None:
            self._construct = Construct(self._parent, self._id)
        return self._construct
