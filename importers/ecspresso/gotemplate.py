"""The part of Go's text/template that ecspresso files use, evaluated offline.

ecspresso renders its config file and every definition file as a Go template
(after Jsonnet, for ``.jsonnet`` files) with functions such as ``env``,
``must_env``, ``ssm``, ``secretsmanager_arn`` and ``tfstate``. Only ``env`` can
be answered without AWS or the user's shell: every other function takes its value
from what the user supplies (``Values``) or stays **unresolved**. An unresolved
call is recorded with the text it came from; nothing is ever guessed.

Supported: ``{{ f arg ... }}`` calls with backquoted or double-quoted string
arguments, nested ``( ... )`` calls, ``{{ if }}`` / ``{{ else }}`` / ``{{ end }}``,
``{{-``/``-}}`` whitespace trimming. Anything else (pipelines, ``range``,
variables) is reported as an unsupported template action, never evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)

Outcome = Literal["supplied", "default", "unresolved", "unsupported"]

# Functions whose value only AWS (or a Terraform state) knows, and the flag that supplies it.
LOOKUP_FLAGS = {
    "ssm": "--ssm",
    "secretsmanager_arn": "--secretsmanager-arn",
    "tfstate": "--tfstate",
    "tfstatef": "--tfstate",
}


@dataclass(frozen=True)
class Values:
    """What the user supplied: ``env`` / ``must_env`` variables and looked-up values by their key."""

    env: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, dict[str, str]] = field(default_factory=dict)
    """Function name -> first argument -> value (``{"ssm": {"/app/foo": "bar"}}``)."""


@dataclass(frozen=True)
class Use:
    """One template function call met while rendering, and what became of it."""

    call: str
    """As written, like ``must_env `AWS_ACCOUNT_ID```."""
    outcome: Outcome
    note: str = ""
    position: int = -1
    """Offset of its ``{{`` in the rendered text (for line numbers); -1 when unknown."""

    @property
    def resolved(self) -> bool:
        return self.outcome in ("supplied", "default")


@dataclass(frozen=True)
class Rendered:
    text: str | None
    """``None`` when any call it depends on is unresolved."""
    uses: tuple[Use, ...]


class _Unresolved(Exception):
    pass


@dataclass
class _Node:
    kind: Literal["text", "action", "if"]
    text: str = ""
    position: int = -1
    branches: list[tuple[str | None, list[_Node]]] = field(default_factory=list)


class TemplateSyntaxError(ValueError):
    pass


def has_template(text: str) -> bool:
    return "{{" in text


def render(text: str, values: Values) -> Rendered:
    """Render ``text``; every function call met is in ``uses`` whether or not it resolved."""
    if not has_template(text):
        return Rendered(text, ())
    uses: list[Use] = []
    nodes = _parse(list(_tokens(text)))
    try:
        out: str | None = _evaluate(nodes, values, uses)
    except _Unresolved:
        out = None
    return Rendered(out, tuple(uses))


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    position = 0
    pending_trim = False
    for match in ACTION.finditer(text):
        literal = text[position : match.start()]
        if pending_trim:
            literal = literal.lstrip()
        if match.group(1):
            literal = literal.rstrip()
        if literal:
            yield ("text", literal, -1)
        yield ("action", match.group(2).strip(), match.start())
        pending_trim = bool(match.group(3))
        position = match.end()
    rest = text[position:]
    if pending_trim:
        rest = rest.lstrip()
    if "{{" in rest:
        raise TemplateSyntaxError("unclosed '{{'")
    if rest:
        yield ("text", rest, -1)


def _parse(tokens: list[tuple[str, str, int]]) -> list[_Node]:
    root: list[_Node] = []
    stack: list[tuple[_Node | None, list[_Node]]] = [(None, root)]
    for kind, value, position in tokens:
        current = stack[-1][1]
        if kind == "text":
            current.append(_Node("text", value))
        elif value.startswith("if ") or value.startswith("if("):
            node = _Node("if", branches=[(value[2:].strip(), [])], position=position)
            current.append(node)
            stack.append((node, node.branches[0][1]))
        elif value == "else" or value.startswith("else if "):
            owner = stack[-1][0]
            if owner is None:
                raise TemplateSyntaxError("'else' without 'if'")
            condition = value[len("else if ") :].strip() if value.startswith("else if ") else None
            owner.branches.append((condition, []))
            stack[-1] = (owner, owner.branches[-1][1])
        elif value == "end":
            if len(stack) == 1:
                raise TemplateSyntaxError("'end' without 'if'")
            stack.pop()
        elif value.startswith("/*"):
            continue  # a template comment
        else:
            current.append(_Node("action", value, position=position))
    if len(stack) != 1:
        raise TemplateSyntaxError("'if' without 'end'")
    return root


def _calls_in(nodes: list[_Node]) -> Iterator[str]:
    for node in nodes:
        if node.kind == "action":
            yield node.text
        for condition, body in node.branches:
            if condition is not None:
                yield condition
            yield from _calls_in(body)


def _evaluate(nodes: list[_Node], values: Values, uses: list[Use]) -> str:
    """Every action is evaluated even after an unresolved one, so each call is listed with its own outcome."""
    out: list[str] = []
    unresolved = False
    for node in nodes:
        try:
            out.append(_node(node, values, uses))
        except _Unresolved:
            unresolved = True
    if unresolved:
        raise _Unresolved
    return "".join(out)


def _node(node: _Node, values: Values, uses: list[Use]) -> str:
    start = len(uses)
    try:
        return _node_value(node, values, uses)
    finally:
        uses[start:] = [use if use.position >= 0 else replace(use, position=node.position) for use in uses[start:]]


def _node_value(node: _Node, values: Values, uses: list[Use]) -> str:
    if node.kind == "text":
        return node.text
    if node.kind == "action":
        return _expression(node.text, values, uses)
    for index, (condition, body) in enumerate(node.branches):
        try:
            chosen = condition is None or bool(_expression(condition, values, uses))
        except _Unresolved:
            for _, rest in node.branches[index:]:
                uses.extend(Use(call, "unresolved", "inside an {{ if }} whose condition is unresolved") for call in _calls_in(rest))
            raise
        if chosen:
            return _evaluate(body, values, uses)
    return ""


TOKEN = re.compile(r"\s*(?:(`[^`]*`)|(\"(?:[^\"\\]|\\.)*\")|(\()|(\))|(-?[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(\S))")


def _lex(expression: str) -> list[str]:
    tokens = []
    for match in TOKEN.finditer(expression):
        raw, quoted, opening, closing, number, name, other = match.groups()
        if other is not None:
            raise _Unsupported(other)
        tokens.append(next(t for t in (raw, quoted, opening, closing, number, name) if t is not None))
    return tokens


class _Unsupported(Exception):
    pass


def _expression(expression: str, values: Values, uses: list[Use]) -> str:
    try:
        tokens = _lex(expression)
        value, rest = _call(tokens, values, uses, expression)
        if rest:
            raise _Unsupported(rest[0])
        return value
    except _Unsupported:
        uses.append(Use(expression, "unsupported", "a template construct this importer does not evaluate"))
        raise _Unresolved from None


def _argument(tokens: list[str], values: Values, uses: list[Use], whole: str) -> tuple[str, list[str]]:
    head = tokens[0]
    if head == "(":
        value, rest = _call(tokens[1:], values, uses, whole)
        if not rest or rest[0] != ")":
            raise _Unsupported("(")
        return value, rest[1:]
    if head.startswith("`"):
        return head[1:-1], tokens[1:]
    if head.startswith('"'):
        decoded: str = json.loads(head)
        return decoded, tokens[1:]
    if re.fullmatch(r"-?[0-9]+", head):
        return head, tokens[1:]
    raise _Unsupported(head)


def _call(tokens: list[str], values: Values, uses: list[Use], whole: str) -> tuple[str, list[str]]:
    if not tokens:
        raise _Unsupported("")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tokens[0]):
        return _argument(tokens, values, uses, whole)
    name, rest = tokens[0], tokens[1:]
    args: list[str] = []
    while rest and rest[0] != ")":
        value, rest = _argument(rest, values, uses, whole)
        args.append(value)
    return _apply(name, args, values, uses, _written(name, args)), rest


def _written(name: str, args: list[str]) -> str:
    return " ".join([name, *(f"`{arg}`" for arg in args)])


def _apply(name: str, args: list[str], values: Values, uses: list[Use], call: str) -> str:
    if name == "env" and 1 <= len(args) <= 2:
        if args[0] in values.env:
            uses.append(Use(call, "supplied"))
            return values.env[args[0]]
        default = args[1] if len(args) == 2 else ""
        uses.append(Use(call, "default", f"{args[0]} not supplied: the file's default {default!r} is used"))
        return default
    if name == "must_env" and len(args) == 1:
        if args[0] in values.env:
            uses.append(Use(call, "supplied"))
            return values.env[args[0]]
        uses.append(Use(call, "unresolved", f"supply it with --env {args[0]}=VALUE"))
        raise _Unresolved
    if name in LOOKUP_FLAGS and args:
        # tfstatef formats its address like Go's printf: only %s is supported.
        key = args[0].replace("%s", "{}").format(*args[1:]) if name == "tfstatef" else args[0]
        kind = "tfstate" if name == "tfstatef" else name
        if key in values.lookups.get(kind, {}):
            uses.append(Use(call, "supplied"))
            return values.lookups[kind][key]
        uses.append(Use(call, "unresolved", f"needs AWS to resolve: supply it with {LOOKUP_FLAGS[name]} '{key}=VALUE'"))
        raise _Unresolved
    uses.append(Use(call, "unsupported", f"function {name!r} with {len(args)} argument(s) is not evaluated offline"))
    raise _Unresolved
