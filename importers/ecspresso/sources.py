"""Read an ecspresso project the way ecspresso does, offline: config, service and task definition.

Order (ecspresso's): a ``.jsonnet`` file is evaluated by Jsonnet first (external
variables from ``--ext-str`` / ``--ext-code``); the result, or a ``.json`` file, is
then a Go template (see ``gotemplate``). Template calls inside JSON strings are
rendered string by string, so each one is known by its path in the file; a file
whose templates sit outside strings is rendered as a whole.

Every value keeps the path it came from (``Source``), so whatever the importer
does not carry over can be listed with its path, and an unresolved template
value is an ``Unresolved`` marker, never a made-up string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _gojsonnet
import yaml

from topology.errors import UserError

from .gotemplate import Rendered, TemplateSyntaxError, Use, Values, has_template, render

PathKey = tuple[str | int, ...]


class _Missing:
    """An absent field: falsy, so ``source.get(...) or []`` reads as empty."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class InputError(UserError):
    """Bad or unreadable input: one line for the user, exit 1, nothing written."""


@dataclass(frozen=True)
class Unresolved:
    """A string whose template calls could not all be resolved."""

    text: str
    uses: tuple[Use, ...]


@dataclass(frozen=True)
class Options:
    values: Values = field(default_factory=Values)
    ext_str: dict[str, str] = field(default_factory=dict)
    ext_code: dict[str, str] = field(default_factory=dict)


def show_path(path: PathKey) -> str:
    """``("containerDefinitions", 0, "image")`` -> ``containerDefinitions[0].image``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_@/-]+", part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "(whole file)"


@dataclass
class Source:
    """One parsed file: its data (strings rendered), which template calls sat where, what was used."""

    name: str
    data: Any
    uses: dict[PathKey, tuple[Use, ...]] = field(default_factory=dict)
    consumed: set[PathKey] = field(default_factory=set)

    def where(self, *path: str | int) -> str:
        return f"{self.name}: {show_path(path)}"

    def get(self, *path: str | int) -> Any:
        node = self.data
        for part in path:
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    return MISSING
            elif not isinstance(node, dict) or part not in node:
                return MISSING
            node = node[part]
        return node

    def consume(self, *path: str | int) -> Any:
        self.consumed.add(tuple(path))
        return self.get(*path)

    def covered(self, path: PathKey) -> bool:
        return any(path[: len(done)] == done for done in self.consumed)

    def leftovers(self) -> Iterator[tuple[PathKey, Any]]:
        """The largest parts of the file nothing consumed, in file order."""
        yield from self._left((), self.data)

    def _left(self, path: PathKey, node: Any) -> Iterator[tuple[PathKey, Any]]:
        if self.covered(path):
            return
        inside = any(done[: len(path)] == path and len(done) > len(path) for done in self.consumed)
        if not inside:
            yield path, node
            return
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, child in children:
            yield from self._left((*path, key), child)


def _render_strings(node: Any, path: PathKey, values: Values, uses: dict[PathKey, tuple[Use, ...]]) -> Any:
    if isinstance(node, dict):
        return {key: _render_strings(value, (*path, key), values, uses) for key, value in node.items()}
    if isinstance(node, list):
        return [_render_strings(value, (*path, index), values, uses) for index, value in enumerate(node)]
    if isinstance(node, str) and has_template(node):
        try:
            rendered = render(node, values)
        except TemplateSyntaxError as error:
            raise InputError(f"{show_path(path)}: template: {error}") from None
        uses[path] = rendered.uses
        return rendered.text if rendered.text is not None else Unresolved(node, rendered.uses)
    return node


def _whole_text(name: str, text: str, values: Values) -> str:
    """Render a file whose template calls are not all inside strings; unresolved is then an error."""
    try:
        rendered: Rendered = render(text, values)
    except TemplateSyntaxError as error:
        raise InputError(f"{name}: template: {error}") from None
    if rendered.text is None:
        missing = "; ".join(f"{use.call} ({use.note})" for use in rendered.uses if not use.resolved)
        raise InputError(f"{name}: template calls outside JSON strings are unresolved: {missing}")
    return rendered.text


def _jsonnet(path: Path, options: Options, *, snippet: str | None = None) -> str:
    natives = {
        "env": (("name", "default"), lambda name, default: options.values.env.get(name, default)),
        "must_env": (("name",), lambda name: _must_env(options.values, name)),
    }
    try:
        if snippet is not None:
            result: str = _gojsonnet.evaluate_snippet(path.name, snippet, native_callbacks=natives)
        else:
            result = _gojsonnet.evaluate_file(str(path), ext_vars=options.ext_str, ext_codes=options.ext_code, native_callbacks=natives)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "evaluation failed"
        hint = ""
        variable = re.search(r"[Uu]ndefined external variable: (\S+)", first)
        if variable:
            hint = f" (pass --ext-str {variable[1]}=VALUE)"
        raise InputError(f"{path.name}: jsonnet: {first}{hint}") from None
    return result


def _must_env(values: Values, name: str) -> str:
    if name not in values.env:
        raise RuntimeError(f"must_env {name}: not supplied (pass --env {name}=VALUE)")
    return values.env[name]


def read_definition(path: Path, name: str, options: Options) -> Source:
    """A service or task definition (``.json`` or ``.jsonnet``) as ecspresso reads it."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{name}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    data = json.loads(_jsonnet(path, options)) if path.suffix == ".jsonnet" else _json_with_templates(path, name, raw, options)
    if not isinstance(data, dict):
        raise InputError(f"{name}: must hold a JSON object, not {type(data).__name__}")
    uses: dict[PathKey, tuple[Use, ...]] = {}
    return Source(name, _render_strings(data, (), options.values, uses), uses)


def _json_with_templates(path: Path, name: str, raw: str, options: Options) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        first_error = error
    if has_template(raw):
        text = _whole_text(name, raw, options.values)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raw = text
    # JSON with comments (as the article shows its files) is valid Jsonnet.
    try:
        return json.loads(_jsonnet(path, options, snippet=raw))
    except InputError:
        raise InputError(f"{name}: not valid JSON: {first_error.msg} at line {first_error.lineno} column {first_error.colno}") from None


def read_config(path: Path, options: Options) -> tuple[Source, list[tuple[int, Use]]]:
    """The ecspresso config (YAML, or JSON/Jsonnet): a Go template as a whole, then parsed.

    Returns the config and every template call with its line number. An unresolved
    call in the config leaves the config unreadable: that is an error listing them all.
    """
    name = path.name
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{name}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    lined: list[tuple[int, Use]] = []
    text = raw
    if path.suffix == ".jsonnet":
        text = _jsonnet(path, options)
    if has_template(text):
        try:
            whole = render(text, options.values)
        except TemplateSyntaxError as error:
            raise InputError(f"{name}: template: {error}") from None
        lined = [(text.count("\n", 0, max(use.position, 0)) + 1, use) for use in whole.uses]
        if whole.text is None:
            missing = "; ".join(f"line {line}: {use.call} ({use.note})" for line, use in lined if not use.resolved)
            raise InputError(f"{name}: unresolved template calls: {missing}")
        text = whole.text
    try:
        data = json.loads(text) if path.suffix in (".json", ".jsonnet") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{name}: not valid {'JSON' if path.suffix.startswith('.json') else 'YAML'}{at}") from None
    if not isinstance(data, dict):
        raise InputError(f"{name}: must be a mapping of ecspresso settings (region, cluster, service, ...)")
    return Source(name, data), lined
