"""``terraform validate`` of many stacks in one Terraform run: each stack a child module of one root.

Every Terraform command starts the AWS provider and loads its schema (seconds of CPU);
validating twelve stacks one by one paid that 24 times (init and validate each). Here the
stacks become modules of one throw-away root, so there is one ``init`` and one ``validate
-json``, and each diagnostic is handed back to the stack its file belongs to. The validate talks
to the provider through ``one_provider``'s schema proxy, told the stacks' folders, so Terraform
decodes the schemas of the types they use only (a type it missed would be an error, not a pass).

A module is validated exactly as a root module is, with two differences, both handled:
Terraform warns "Backend configuration ignored" for each child module's backend block (an
artefact of this wrapping, dropped here, and only that warning, only at the backend); and
a variable without a default would be a missing argument (an error, so never a silent pass).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolchain.stackrun import one_provider

BACKEND_IGNORED = "Backend configuration ignored"


@dataclass(frozen=True)
class Validated:
    """What one ``terraform validate`` of the wrapped stacks said, per stack."""

    diagnostics: dict[str, list[dict[str, Any]]]
    """Per stack name: the errors and warnings in its files (the wrapping's backend warning left out)."""
    unplaced: list[dict[str, Any]]
    """Diagnostics in no stack's files (none are expected: each is reported against every stack)."""
    lock: str
    """The root's ``.terraform.lock.hcl``: the provider versions every stack was validated with."""

    def problems(self, stack: str) -> list[str]:
        """``severity: summary (file:line)`` lines for ``stack``; empty when it validates cleanly."""
        return [_line(d) for d in [*self.diagnostics[stack], *self.unplaced]]


def validate_together(stacks: Mapping[str, Path], workdir: Path, env: dict[str, str]) -> Validated:
    """Init and validate ``stacks`` (name -> stack directory) as modules of a root written in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    modules = {_module_name(name): {"source": _local_source(path, workdir)} for name, path in stacks.items()}
    (workdir / "main.tf.json").write_text(json.dumps({"module": modules}, indent=2, sort_keys=True), encoding="utf-8")
    _terraform(["init", "-input=false", "-backend=false"], workdir, env)
    with one_provider(workdir, env, stacks=list(stacks.values())) as shared:  # the schema of only the stacks' types
        done = subprocess.run(
            ["terraform", "validate", "-json", "-no-color"], cwd=workdir, env=shared, capture_output=True, text=True, timeout=900
        )
    report: dict[str, Any] = json.loads(done.stdout)
    per_stack: dict[str, list[dict[str, Any]]] = {name: [] for name in stacks}
    unplaced: list[dict[str, Any]] = []
    for diagnostic in report.get("diagnostics", []):
        owner = _owner(diagnostic, stacks, workdir)
        if owner is None:
            unplaced.append(diagnostic)
        elif not _is_wrapping_artefact(diagnostic):
            per_stack[owner].append(diagnostic)
    lock = (workdir / ".terraform.lock.hcl").read_text(encoding="utf-8")
    return Validated(diagnostics=per_stack, unplaced=unplaced, lock=lock)


def _module_name(stack: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in stack)


def _terraform(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"terraform {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


def _local_source(path: Path, workdir: Path) -> str:
    """``../x/stacks/network``: Terraform reads a module in place only from a path starting ``./`` or ``../``."""
    relative = os.path.relpath(path.resolve(), workdir.resolve())
    return relative if relative.startswith("../") else f"./{relative}"


def _owner(diagnostic: dict[str, Any], stacks: Mapping[str, Path], workdir: Path) -> str | None:
    filename = diagnostic.get("range", {}).get("filename")
    if not filename:
        return None
    for name, path in stacks.items():
        if (workdir / filename).resolve().parent == path.resolve():
            return name
    return None


def _is_wrapping_artefact(diagnostic: dict[str, Any]) -> bool:
    """The warning every child module's ``backend`` block gets, which the stack as a root never sees."""
    return diagnostic.get("severity") == "warning" and diagnostic.get("summary") == BACKEND_IGNORED


def _line(diagnostic: dict[str, Any]) -> str:
    where = diagnostic.get("range", {})
    place = f" ({where.get('filename')}:{where.get('start', {}).get('line')})" if where else ""
    detail = " ".join(str(diagnostic.get("detail", "")).split())
    return f"{diagnostic.get('severity')}: {diagnostic.get('summary')}{place} {detail}".rstrip()
