"""Read what Terraform reads: every configuration file of each stack directory, or a saved plan's JSON.

- A stack directory: every ``*.tf.json`` and ``*.tf`` file (HCL through HashiCorp's own parser, ``hcl.py``;
  JSON with repeated keys merged as Terraform merges repeated blocks),
  then the override files (``override.tf[.json]``, ``*_override.tf[.json]``) in
  lexical order, merged as Terraform merges them: an argument replaces the
  original's, a nested block type replaces all of the original's blocks of that type.
- A plan (``terraform show -json`` of a saved plan): the planned values Terraform
  evaluated, with each value known only after apply replaced by the reference its
  configuration names, and every ID Terraform already knows mapped to its resource.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .config import GROUP_TYPES, Config
from .hcl import parse_hcl
from .hcl_values import without_comments
from .model import Address, CheckerError, as_list

OVERRIDE_SUFFIXES = ("_override.tf", "_override.tf.json")
LABELS = {"resource": 2, "data": 2, "module": 1, "output": 1, "variable": 1, "provider": 1, "check": 1, "locals": 0, "terraform": 0}
REPEATED = ("import", "moved", "removed")
"""Unlabelled blocks that may appear many times: kept as a list of blocks."""
UNKNOWN_AFTER_APPLY = "${(known after apply)}"


def is_override(path: Path) -> bool:
    return path.name in ("override.tf", "override.tf.json") or path.name.endswith(OVERRIDE_SUFFIXES)


def config_files(stack_dir: Path) -> list[Path]:
    return sorted([*stack_dir.glob("*.tf.json"), *stack_dir.glob("*.tf")], key=lambda p: p.name)


def load(paths: list[Path], only: tuple[str, ...] | None = None) -> Config:
    """One system from cdktf.out-like folders, stack folders, folders of stack folders (``hcl/``), plan JSON
    files, or folders of plan JSON files; ``only``: just these stacks."""
    stacks: dict[str, dict[str, Any]] = {}
    ids: dict[str, Address] = {}
    plans = False
    found = [(kind, item) for path in paths for kind, item in _inputs(path)]
    parse_hcl([f for kind, item in found if kind == "stack" for f in config_files(item) if not f.name.endswith(".json")])
    for path in paths:
        for kind, item in _inputs(path):
            if kind == "plan":
                plans = True
                _, body, known = read_plan(item)
                stacks.update(body)
                ids.update(known)
            else:
                stacks[item.name] = read_stack(item)
    if not stacks:
        raise CheckerError(f"{', '.join(str(p) for p in paths)}: no Terraform configuration or plan JSON found (run make synth first)")
    config = Config(stacks, ids, source="plan" if plans else "configuration")
    return config if only is None else subset(config, only, where=", ".join(str(p) for p in paths))


def stack_of(name: str) -> str:
    """The stack a loaded stack belongs to: a plan's module call (``services/module.x``) is part of its root."""
    return name.split("/", 1)[0]


def subset(config: Config, only: tuple[str, ...], where: str = "the input") -> Config:
    """Just these stacks (and, in a plan, their module calls): one environment's, read from the whole input."""
    stacks = {name: body for name, body in config.stacks.items() if stack_of(name) in only}
    if not stacks:
        raise CheckerError(f"{where}: no Terraform configuration or plan JSON found for {', '.join(only)} (run make synth first)")
    return Config(stacks, config.ids, source=config.source)


def _inputs(path: Path) -> list[tuple[str, Path]]:
    if path.is_file() and path.name.endswith(".json") and not path.name.endswith(".tf.json"):
        return [("plan", path)]
    if not path.is_dir():
        raise CheckerError(f"{path}: not a folder or a plan JSON file")
    if (path / "stacks").is_dir():
        return [("stack", d) for d in sorted((path / "stacks").iterdir()) if d.is_dir() and config_files(d)]
    if config_files(path):
        return [("stack", path)]
    plans = sorted(p for p in path.glob("*.json") if _looks_like_plan(p))
    if plans:
        return [("plan", p) for p in plans]
    return [("stack", d) for d in sorted(path.iterdir()) if d.is_dir() and config_files(d)]  # e.g. hcl/<stack>/


def _looks_like_plan(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "planned_values" in data


# -- configuration files ---------------------------------------------------------------------------------------


def read_stack(stack_dir: Path) -> dict[str, Any]:
    files = config_files(stack_dir)
    merged: dict[str, Any] = {}
    for path in [p for p in files if not is_override(p)]:
        for section, content in read_file(path).items():
            _merge_primary(merged, section, content, path)
    for path in [p for p in files if is_override(p)]:
        for section, content in read_file(path).items():
            _merge_override(merged, section, content)
    return merged


def read_file(path: Path) -> dict[str, Any]:
    """One file as Terraform JSON's shape: ``{"resource": {type: {name: body}}, "locals": {...}, ...}``."""
    where = f"{path.parent.name}/{path.name}"
    if path.name.endswith(".json"):
        try:
            raw = without_comments(json.loads(path.read_text(encoding="utf-8-sig"), object_pairs_hook=merge_repeated))
        except (OSError, ValueError) as error:
            raise CheckerError(f"{where}: cannot parse ({type(error).__name__})") from error
    else:
        raw = parse_hcl([path])[path]
        if isinstance(raw, str):
            raise CheckerError(f"{where}: cannot parse: {raw}")
    if not isinstance(raw, dict):
        raise CheckerError(f"{where}: not a Terraform configuration object")
    return {section: _section(section, content) for section, content in raw.items() if section != "//"}


def _section(section: str, content: Any) -> Any:
    if section in REPEATED:
        return [item for item in as_list(content) if isinstance(item, dict)]
    return _labelled(content, LABELS.get(section, 0))


def merge_repeated(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys repeat: Terraform reads each repetition as one more block (``"resource"`` twice is
    every resource of both), so the values are kept together as a list of blocks instead of the last one winning."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        result[key] = [*as_list(result[key]), *as_list(value)] if key in result else value
    return result


def _labelled(content: Any, depth: int) -> Any:
    """Label levels written as objects or lists of objects (both are valid) folded into nested objects."""
    items = content if isinstance(content, list) else [content]
    if depth == 0:
        merged: dict[str, Any] = {}
        for item in items:
            if isinstance(item, dict):
                merged.update(item)
        return merged if isinstance(content, list) else content
    result: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        for label, inner in item.items():
            folded = _labelled(inner, depth - 1)
            if isinstance(result.get(label), dict) and isinstance(folded, dict) and depth > 1:
                result[label].update(folded)
            else:
                result[label] = folded
    return result


def _merge_primary(merged: dict[str, Any], section: str, content: Any, path: Path) -> None:
    depth = LABELS.get(section, 0)
    if section in REPEATED:
        merged.setdefault(section, []).extend(content)
    elif depth == 2:
        for rtype, named in content.items():
            target = merged.setdefault(section, {}).setdefault(rtype, {})
            for name, body in named.items():
                if name in target:
                    raise CheckerError(f"{path.name}: {section} {rtype}.{name} is defined twice (Terraform rejects this)")
                target[name] = body
    elif depth == 1 or isinstance(content, dict):
        merged.setdefault(section, {}).update(content)


def _merge_override(merged: dict[str, Any], section: str, content: Any) -> None:
    """Terraform's override rules: per block, each argument or nested block type replaces the original's."""
    depth = LABELS.get(section, 0)
    if section in REPEATED:
        merged.setdefault(section, []).extend(content)
    elif depth == 2:
        for rtype, named in content.items():
            for name, body in named.items():
                original = merged.setdefault(section, {}).setdefault(rtype, {}).get(name)
                if isinstance(original, dict) and isinstance(body, dict):
                    original.update(body)
                else:  # Terraform rejects an override of nothing; keep it visible rather than drop it
                    merged[section][rtype][name] = body
    elif depth == 1:
        for name, body in content.items():
            original = merged.setdefault(section, {}).get(name)
            if isinstance(original, dict) and isinstance(body, dict):
                original.update(body)
            else:
                merged[section][name] = body
    elif section == "terraform" and isinstance(content, dict):
        target = merged.setdefault(section, {})
        for key, value in content.items():
            if key == "required_providers" and isinstance(value, dict) and isinstance(target.get(key), dict):
                target[key].update(value)
            else:
                target[key] = value
    elif isinstance(content, dict):
        merged.setdefault(section, {}).update(content)


# -- plan JSON -------------------------------------------------------------------------------------------------


def read_plan(path: Path) -> tuple[str, dict[str, dict[str, Any]], dict[str, Address]]:
    """A plan as stacks (the root module is stack ``<file stem>``, each module call a stack of its own) and IDs."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckerError(f"{path.name}: not readable JSON ({type(error).__name__})") from error
    if not isinstance(data, dict) or "planned_values" not in data:
        raise CheckerError(f"{path.name}: not the JSON of a saved plan (terraform show -json PLAN)")
    stack = path.name.removesuffix(".json")
    stacks, ids = stacks_from_plan(stack, data)
    return stack, stacks, ids


def stacks_from_plan(stack: str, data: dict[str, Any], *, prior: bool = False) -> tuple[dict[str, dict[str, Any]], dict[str, Address]]:
    """The system a plan will leave (``prior``: the one it starts from), and every ID known to map to a resource."""
    unknown: dict[str, Any] = {
        str(change.get("address")): (change.get("change") or {}).get("after_unknown") or {}
        for change in data.get("resource_changes") or []
        if isinstance(change, dict)
    }
    expressions: dict[str, dict[str, Any]] = {}
    _collect_expressions((data.get("configuration") or {}).get("root_module") or {}, "", expressions)
    stacks: dict[str, dict[str, Any]] = {}
    ids: dict[str, Address] = {}
    forgotten = [  # removed with destroy = false: it keeps running, outside what the plan leaves
        {"from": str(change.get("address")), "lifecycle": {"destroy": False}}
        for change in data.get("resource_changes") or []
        if isinstance(change, dict) and "forget" in ((change.get("change") or {}).get("actions") or [])
    ]
    if forgotten and not prior:
        stacks.setdefault(stack, {})["removed"] = forgotten
    prior_values = (data.get("prior_state") or {}).get("values") or {}
    sources = [(prior_values, prior)] + ([] if prior else [(data.get("planned_values") or {}, True)])
    for source, keep in sources:
        for resource in _walk(source.get("root_module") or {}):
            _add_planned(stack, resource, unknown, expressions, stacks, ids, keep=keep, planned=not prior)
    return stacks, ids


def _walk(module: dict[str, Any]) -> list[dict[str, Any]]:
    found = [r for r in module.get("resources") or [] if isinstance(r, dict)]
    for child in module.get("child_modules") or []:
        found += _walk(child)
    return found


def _collect_expressions(module: dict[str, Any], prefix: str, out: dict[str, dict[str, Any]]) -> None:
    """Each configured resource's expressions; its provisioners (not in planned values) kept under ``provisioner``."""
    for resource in module.get("resources") or []:
        expressions = dict(resource.get("expressions") or {})
        kinds = [p.get("type") for p in resource.get("provisioners") or [] if isinstance(p, dict)]
        if kinds:
            expressions["provisioner"] = [{str(kind): {}} for kind in kinds]
        out[f"{prefix}{resource.get('address')}"] = expressions
    for name, call in (module.get("module_calls") or {}).items():
        _collect_expressions(call.get("module") or {}, f"{prefix}module.{name}.", out)


def _split(address: str) -> tuple[str, str]:
    """``module.a.aws_x.y[0]`` -> (``module.a``, ``aws_x.y[0]``)."""
    parts = address.split(".")
    module = []
    while len(parts) > 2 and parts[0] == "module":
        module += parts[:2]
        parts = parts[2:]
    return ".".join(module), ".".join(parts)


def _add_planned(
    stack: str,
    resource: dict[str, Any],
    unknown: dict[str, Any],
    expressions: dict[str, dict[str, Any]],
    stacks: dict[str, dict[str, Any]],
    ids: dict[str, Address],
    *,
    keep: bool,
    planned: bool,
) -> None:
    address = str(resource.get("address", ""))
    module, local = _split(address)
    mode, rtype = str(resource.get("mode", "managed")), str(resource.get("type", ""))
    name = local.removeprefix("data.").removeprefix(f"{rtype}.")
    owner = f"{stack}/{module}" if module else stack
    values = resource.get("values") or {}
    config_address = address.split("[")[0] if resource.get("index") is not None else address
    body = _merge_known(values, unknown.get(address), expressions.get(config_address)) if planned and keep else values
    configured = expressions.get(config_address)
    if rtype in GROUP_TYPES and isinstance(configured, dict):
        # Unconfigured inline rules in a plan mirror the standalone rule resources (stale until apply): drop them.
        body = {k: v for k, v in body.items() if k not in ("ingress", "egress") or k in configured}
    if isinstance(configured, dict) and isinstance(body, dict):  # what the configuration sets, apart from what AWS computed
        body = {**body, "//": {"configured": sorted(configured)}}
        if "provisioner" in configured:
            body["provisioner"] = configured["provisioner"]
    section = "data" if mode == "data" else "resource"
    if keep or mode == "data":
        stacks.setdefault(owner, {}).setdefault(section, {}).setdefault(rtype, {})[name] = body
    target = Address(owner, rtype, name, mode="data" if mode == "data" else "managed")
    for key in ("id", "arn"):  # a data source that reads a managed resource never takes over its ID
        if isinstance(values.get(key), str) and values[key] and (target.mode == "managed" or values[key] not in ids):
            if target.mode == "managed" and ids.get(values[key], target).mode == "managed":
                ids.setdefault(values[key], target)
            else:
                ids[values[key]] = target


def _merge_known(values: Any, unknown: Any, expression: Any) -> Any:
    """Planned values, with each value known only after apply replaced by the reference(s) its expression names."""
    if unknown is True:
        return _from_expression(expression)
    if isinstance(values, dict) or isinstance(unknown, dict):
        values = values if isinstance(values, dict) else {}
        unknown = unknown if isinstance(unknown, dict) else {}
        expression = expression if isinstance(expression, dict) else {}
        return {key: _merge_known(values.get(key), unknown.get(key), expression.get(key)) for key in sorted(set(values) | set(unknown))}
    if isinstance(values, list) or isinstance(unknown, list):
        values = values if isinstance(values, list) else []
        unknown = unknown if isinstance(unknown, list) else []
        length = max(len(values), len(unknown))
        return [
            _merge_known(
                values[i] if i < len(values) else None,
                unknown[i] if i < len(unknown) else None,
                expression[i] if isinstance(expression, list) and i < len(expression) else expression,
            )
            for i in range(length)
        ]
    return values


def _from_expression(expression: Any) -> Any:
    if isinstance(expression, list) and len(expression) == 1:
        expression = expression[0]
    if not isinstance(expression, dict):
        return UNKNOWN_AFTER_APPLY
    if "constant_value" in expression:
        return expression["constant_value"]
    references = [r for r in expression.get("references") or [] if isinstance(r, str)]
    full = [r for r in references if not any(other.startswith(f"{r}.") for other in references)]
    if not full:
        return UNKNOWN_AFTER_APPLY
    values = [f"${{{r}}}" for r in full]
    return values[0] if len(values) == 1 else values
