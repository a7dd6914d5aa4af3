"""The per-service resources as cdktf constructs, built only when something needs the construct tree.

``stacks/raw.py`` writes the per-service resources as plain dicts merged after ``app.synth()``: the fast
path, 1,000 services in about 2 s. That path is invisible to cdktf, so ``add_override``, Aspects,
``Testing`` matchers, construct lookup and cross-stack references would miss those resources. This module
makes them cdktf citizens on demand: ``materialize`` turns every ``RawResource``, variable and output of a
stack into a light node at the same construct path (so cdktf computes the same logical ID), whose
attributes are the precomputed dict. cdktf then writes them itself, overrides and Aspects included, and
``RawBlocks.write`` adds only what is still raw (nothing but the ``import`` blocks, kept in the fast
path's order). With no override, no Aspect and no lookup, both paths write the same bytes
(tests/stacks/test_tree.py compares them on every example).
"""

from __future__ import annotations

from typing import Any

from cdktf import TerraformOutput, TerraformResource, TerraformVariable
from constructs import Construct

from .raw import RawBlocks, RawResource, without_none


class RawNode(TerraformResource):
    """One per-service resource in the construct tree, rendering its precomputed attributes.

    ``raw`` is the dict the fast path writes; cdktf adds the ``//`` metadata and applies overrides.
    """

    def __init__(self, scope: Construct, construct_id: str, raw: RawResource) -> None:
        super().__init__(scope, construct_id, terraform_resource_type=raw.type)
        self.raw = raw

    def to_terraform(self) -> Any:
        """cdktf's block (``//`` metadata, meta-arguments, overrides) laid over the precomputed attributes.

        cdktf's own ``synthesizeAttributes`` is not reachable from Python, so the merge is done here, in the
        order cdktf does it: attributes, then meta-arguments, then overrides, later ones winning.
        """
        rendered: dict[str, Any] = super().to_terraform()
        blocks = rendered["resource"][self.raw.type]
        blocks[self.friendly_unique_id] = deep_merge(without_none(self.raw.body), blocks[self.friendly_unique_id])
        return rendered


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on it: objects merge key by key, anything else is replaced (cdktf's ``deepMerge``)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _scope_at(stack: Construct, components: list[str]) -> Construct:
    """The grouping construct at ``components`` below the stack, made if no cdktf construct is there yet."""
    scope = stack
    for component in components:
        child = scope.node.try_find_child(component)
        scope = child if isinstance(child, Construct) else Construct(scope, component)
    return scope


def materialize(raw: RawBlocks) -> None:
    """Move every raw block of the stack into the construct tree (once; a second call changes nothing)."""
    if raw.materialized:
        return
    for resource in raw.in_tree_order():
        components = resource.path.split("/")[1:]
        resource.node = RawNode(_scope_at(raw.stack, components[:-1]), components[-1], resource)
    for name, variable in raw.variables.items():
        TerraformVariable(raw.stack, name, type=variable["type"], default=variable.get("default"), description=variable.get("description"))
    for name, output in raw.outputs.items():
        TerraformOutput(raw.stack, name, value=output["value"], description=output.get("description"))
    raw.materialized = True
