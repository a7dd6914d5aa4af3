"""Write a declaration as a Python module: ``TOPOLOGY = Topology(...)`` and ``SETTINGS = Settings(...)``.

The text is generated from the dataclasses themselves (a field is written when it
differs from its default, or is one a reader expects to see), so a field added to
the language later is written without touching this file. The result is passed
through ``ruff format`` with the project's configuration when ruff is installed,
and is already in ruff's style when it is not (a test checks both).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from topology import NetworkSettings, Service, Settings, Topology

ROOT = Path(__file__).resolve().parents[2]
INDENT = "    "
ALWAYS = {"Service": ("name", "image", "cpu", "memory", "desired_count"), "Port": ("name", "container_port", "protocol")}


def literal(value: str) -> str:
    """A Python string literal in ruff's preferred quotes (double, unless that needs more escapes)."""
    if '"' in value and "'" not in value:
        return repr(value) if repr(value).startswith("'") else "'" + value.replace("\\", "\\\\") + "'"
    return json.dumps(value, ensure_ascii=False)


def _value(value: Any, depth: int) -> str:
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, (bool, int)) or value is None:
        return repr(value)
    if isinstance(value, tuple):
        if not value:
            return "()"
        items = [_value(item, depth + 1) for item in value]
        if len(items) == 1 and "\n" not in items[0]:
            return f"({items[0]},)"
        if not any(dataclasses.is_dataclass(item) or isinstance(item, tuple) for item in value):
            return f"({', '.join(items)})"  # scalars on one line; ruff wraps it if it is too long
        inner = INDENT * (depth + 1)
        return "(\n" + "".join(f"{inner}{item},\n" for item in items) + INDENT * depth + ")"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _call(value, depth, comments={})
    raise TypeError(f"cannot write {type(value).__name__}")


def _fields(value: Any) -> list[tuple[str, Any]]:
    kind = type(value).__name__
    out = []
    for item in dataclasses.fields(value):
        current = getattr(value, item.name)
        default = item.default if item.default is not dataclasses.MISSING else dataclasses.MISSING
        if item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        if item.name in ALWAYS.get(kind, ()) or current != default:
            out.append((item.name, current))
    return out


def _call(value: Any, depth: int, *, comments: dict[str, list[str]]) -> str:
    """``Kind(field=value, ...)`` exploded one field per line (ruff keeps it so: trailing comma)."""
    kind = type(value).__name__
    fields = _fields(value)
    notes = comments.get(getattr(value, "name", ""), []) if isinstance(value, Service) else []
    if not fields and not notes:
        return f"{kind}()"
    inner = INDENT * (depth + 1)
    lines = [f"{inner}{name}={_value(current, depth + 1)},\n" for name, current in fields]
    lines += [f"{inner}# {note}\n" for note in notes]
    return f"{kind}(\n" + "".join(lines) + INDENT * depth + ")"


def module_text(topology: Topology, settings: Settings, *, header: list[str], service_notes: dict[str, list[str]]) -> str:
    """The whole module; ``header`` lines become the docstring, ``service_notes`` comments inside a service."""
    services = [_call(service, 2, comments=service_notes) for service in topology.services]
    names = {"Service", "Settings", "Topology"}
    names |= _kinds_used(topology.services) | _kinds_used((settings,))
    if settings.network != NetworkSettings():
        names.add("NetworkSettings")
    body = [
        '"""' + "\n".join(line.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') for line in header).rstrip() + '\n"""',
        "",
        "from __future__ import annotations",
        "",
        f"from topology import {', '.join(sorted(names))}",
        "",
        "TOPOLOGY = Topology(",
        f"{INDENT}services=(",
        *(f"{INDENT * 2}{service}," for service in services),
        f"{INDENT}),",
        ")",
        "",
        f"SETTINGS = {_call(settings, 0, comments={})}",
        "",
        'if __name__ == "__main__":',
        f"{INDENT}from main import run",
        "",
        f"{INDENT}run(TOPOLOGY, SETTINGS)",
        "",
    ]
    return "\n".join(body)


def _kinds_used(values: Any) -> set[str]:
    found: set[str] = set()
    for value in values:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for name, current in _fields(value):
                del name
                found |= _kinds_used(current if isinstance(current, tuple) else (current,))
                if dataclasses.is_dataclass(current) and not isinstance(current, type):
                    found.add(type(current).__name__)
                if isinstance(current, tuple):
                    found |= {type(item).__name__ for item in current if dataclasses.is_dataclass(item)}
    return found


def formatted(text: str) -> str:
    """``ruff format`` with the project's settings, if ruff is installed; the text unchanged if not."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--stdin-filename", "imported_system.py", "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return text
    return done.stdout if done.returncode == 0 and done.stdout else text
