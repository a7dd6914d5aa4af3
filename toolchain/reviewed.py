"""Bind an apply to the plan that was reviewed: a manifest written at plan time, checked before apply.

At plan time (``make ci-plan``) the manifest records each saved plan file's SHA-256, the git tree of
the reviewed head (``git rev-parse HEAD^{tree}``: the base moves on merge, the tree of a merge that
changed nothing else does not), and, for each stack another one reads, the outputs it had when the
reader was planned. Before apply (``make ci-apply``) ``refusal`` compares the files and the tree, so
that nothing at all is applied when either differs; between two stacks, ``outputs_refusal`` stops
the reader's apply when the stack before it changed the outputs its plan read (Terraform would not
call that plan stale). Each refusal is one line.

The verdict a CI reads follows ``terraform plan -detailed-exitcode``: ``NO_CHANGES`` 0, ``CHANGES`` 2,
``BLOCKED`` 1 (a blocking finding or an error). docs/ci.md documents it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from topology.errors import CHANGES as CHANGES  # the verdict of a plan with changes, none blocking
from topology.errors import FAILED, OK, UserError

NO_CHANGES = OK
BLOCKED = FAILED
MANIFEST = "manifest.json"
VERDICT = "verdict.txt"


class ReviewedPlanError(UserError):
    """The plan about to be applied is not the reviewed one (one line, said before anything is applied)."""


@dataclass(frozen=True)
class Manifest:
    """What was reviewed: the tree, each stack's plan file hash, and the outputs each reader's plan read."""

    tree: str
    plans: dict[str, str]
    read_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        body = {"tree": self.tree, "plans": self.plans, "read_outputs": self.read_outputs}
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        body = json.loads(text)
        return cls(tree=body["tree"], plans=dict(body["plans"]), read_outputs=dict(body.get("read_outputs", {})))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_tree(root: Path) -> str:
    """The tree of the checked-out head: the same for the reviewed head and for its merge when nothing else changed."""
    done = subprocess.run(["git", "rev-parse", "HEAD^{tree}"], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise ReviewedPlanError(f"git rev-parse HEAD^{{tree}} failed in {root.name}: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def plan_file(plandir: Path, stack: str) -> Path:
    return plandir / f"{stack}.tfplan"


def record(plandir: Path, stacks: list[str], tree: str, read_outputs: dict[str, dict[str, Any]]) -> Manifest:
    """The manifest of the plan files in ``plandir`` (the stacks that were planned), written beside them."""
    plans = {stack: sha256(plan_file(plandir, stack)) for stack in stacks if plan_file(plandir, stack).is_file()}
    manifest = Manifest(tree=tree, plans=plans, read_outputs=read_outputs)
    (plandir / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def load(plandir: Path) -> Manifest:
    path = plandir / MANIFEST
    if not path.is_file():
        raise ReviewedPlanError(f"no {MANIFEST} in {plandir.name}/: nothing was reviewed there; run `make ci-plan` first")
    return Manifest.from_json(path.read_text(encoding="utf-8"))


def refusal(manifest: Manifest, plandir: Path, tree: str) -> str | None:
    """Why the saved plans must not be applied at all, or None: checked for every stack before the first apply."""
    if tree != manifest.tree:
        return f"refused: the tree to apply ({tree[:12]}) is not the reviewed one ({manifest.tree[:12]}); plan the pull request again"
    for stack, expected in sorted(manifest.plans.items()):
        path = plan_file(plandir, stack)
        if not path.is_file():
            return f"refused: {path.name} was reviewed but is missing; nothing was applied"
        if sha256(path) != expected:
            return f"refused: {path.name} is not the reviewed plan (its SHA-256 changed); nothing was applied"
    return None


def outputs_refusal(manifest: Manifest, stack: str, now: dict[str, Any]) -> str | None:
    """Why ``stack``'s reader must not be applied after ``stack``'s apply changed outputs the reader's plan read."""
    was = manifest.read_outputs.get(stack)
    if was is None or was == now:
        return None
    changed = sorted(name for name in {*was, *now} if was.get(name) != now.get(name))
    return f"refused: the {stack} apply changed {', '.join(changed)}, which the next stack's plan read; plan again"


def write_verdict(plandir: Path, code: int) -> None:
    """The verdict in a file: make turns every failing recipe into exit 2, so a CI reads this instead."""
    (plandir / VERDICT).write_text(f"{code}\n", encoding="utf-8")
