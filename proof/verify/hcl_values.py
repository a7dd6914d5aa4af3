"""Literal HCL expressions Terraform would evaluate to a constant: ``jsonencode(<literal>)`` only.

A ``container_definitions`` or policy written as ``${jsonencode([...])}`` holds the
same document as its JSON string; references inside it stay ``${...}``
strings, so a reader sees exactly which values are computed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .model import Unknown

JSONENCODE = re.compile(r"^\$\{\s*jsonencode\((?P<inner>.*)\)\s*\}$", re.S)


def jsonencode_literal(text: str) -> str | Unknown:
    match = JSONENCODE.match(text)
    if match is None:
        return Unknown(f"{text} is computed")
    try:
        import hcl2

        options = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True, explicit_blocks=False)
        value = hcl2.loads(f"v = {match['inner']}\n", serialization_options=options).get("v")
    except Exception:  # any parser error means: not a literal this checker can read
        return Unknown("jsonencode argument cannot be read")
    return json.dumps(value)  # a value that refers to others stays a "${...}" string: the reader decides


def interpolations(text: str) -> list[tuple[int, int]]:
    """(start, end) of each ``${...}`` in a template, braces inside it balanced."""
    spans, index = [], text.find("${")
    while index != -1:
        depth, position = 0, index + 1
        while position < len(text):
            if text[position] == "{":
                depth += 1
            elif text[position] == "}":
                depth -= 1
                if depth == 0:
                    break
            position += 1
        spans.append((index, position + 1))
        index = text.find("${", position + 1)
    return spans


def json_template(text: str) -> Any:
    """A JSON document that may hold ``${...}`` inside its strings (Terraform interpolates them): parsed, with
    each interpolation kept as a ``${...}`` string value; Unknown when one stands outside a JSON string."""
    whole = jsonencode_literal(text) if text.lstrip().startswith("${") else None
    if isinstance(whole, str):
        text = whole
    spans = interpolations(text)
    pieces, last, saved = [], 0, []
    for number, (start, end) in enumerate(spans):
        pieces.append(text[last:start] + f"@@tf{number}@@")
        saved.append(text[start:end])
        last = end
    pieces.append(text[last:])
    try:
        parsed = json.loads("".join(pieces))
    except ValueError:
        return Unknown("the document is computed (an interpolation stands outside a JSON string)")
    return _restore(parsed, saved)


def _restore(value: Any, saved: list[str]) -> Any:
    if isinstance(value, dict):
        return {_restore(k, saved): _restore(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, saved) for v in value]
    if isinstance(value, str) and "@@tf" in value:
        return re.sub(r"@@tf([0-9]+)@@", lambda m: saved[int(m.group(1))], value)
    return value


def strip_comments(text: str) -> str:
    """A Terraform JSON template string with the HCL comments inside its ``${...}`` expressions removed (Terraform
    reads each expression as HCL: ``${aws_x.y /* c */ .id}`` is ``aws_x.y.id``); literal text is left alone."""
    out: list[str] = []
    stack = ["template"]
    index = 0
    while index < len(text):
        mode, char, two = stack[-1], text[index], text[index : index + 2]
        if mode == "expr" and (char == "#" or two == "//"):
            while index < len(text) and text[index] != "\n":
                index += 1
            continue
        if mode == "expr" and two == "/*":
            end = text.find("*/", index + 2)
            index = len(text) if end == -1 else end + 2
            out.append(" ")
            continue
        step = _step(mode, char, two, text[index - 1] if index else "", stack)
        out.append(text[index : index + step])
        index += step
    return "".join(out)


def _step(mode: str, char: str, two: str, before: str, stack: list[str]) -> int:
    """How many characters to copy at this point, updating the expression/string nesting."""
    if mode == "expr":
        if char == '"':
            stack.append("string")
        elif char == "{":
            stack.append("expr")
        elif char == "}" and len(stack) > 1:
            stack.pop()
        return 1
    if mode == "string" and char == "\\":
        return 2  # the escape and the character it escapes
    if mode == "string" and char == '"':
        stack.pop()
        return 1
    if two in ("${", "%{") and before not in ("$", "%"):
        stack.append("expr")
        return 2  # both characters of the opening ``${`` or ``%{``
    return 1


def without_comments(value: Any) -> Any:
    """Every template string of a JSON configuration with its expressions' comments removed."""
    if isinstance(value, dict):
        return {key: without_comments(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_comments(item) for item in value]
    if isinstance(value, str) and "${" in value and any(mark in value for mark in ("#", "//", "/*")):
        return strip_comments(value)
    return value
