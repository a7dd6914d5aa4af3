"""Reading synthesized Terraform JSON in tests: resources by type, references back to names."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REF = re.compile(r"^\$\{(?P<type>[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)\.(?P<attr>[a-z0-9_]+)\}$")


@dataclass(frozen=True)
class Synth:
    """One synthesized app directory (``cdktf.out``-like)."""

    outdir: Path

    def text(self, stack: str) -> str:
        return (self.outdir / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8")

    def stack(self, stack: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.text(stack))
        return result

    def manifest(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.outdir / "manifest.json").read_text(encoding="utf-8"))
        return result

    def resources(self, stack: str, rtype: str) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = self.stack(stack).get("resource", {}).get(rtype, {})
        return result

    def by_path(self, stack: str, rtype: str, path: str) -> tuple[str, dict[str, Any]]:
        """The one resource of ``rtype`` whose construct path is ``<stack>/<path>``."""
        matches = [
            (name, body) for name, body in self.resources(stack, rtype).items() if body["//"]["metadata"]["path"] == f"{stack}/{path}"
        ]
        assert len(matches) == 1, f"{rtype} at {path}: {len(matches)} matches"
        return matches[0]


def ref(value: str) -> tuple[str, str, str]:
    """``"${aws_x.name.attr}"`` -> ``("aws_x", "name", "attr")``."""
    match = REF.match(value)
    assert match, f"not a plain reference: {value!r}"
    return match["type"], match["name"], match["attr"]
