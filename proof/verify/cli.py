"""``python -m proof.verify [INPUT ...] [--example NAME | --system MODULE [--env NAME]]``.

Exit codes are ``proof.exits``': 0 proven, 1 violations or a user's mistake (bad arguments, unknown
example, system or environment), 3 the checker's own failure (unreadable input, internal error):
always one line on stderr, never a traceback (``--traceback`` to debug the checker).

INPUT is a cdktf.out folder (default ``cdktf.out``), a stack folder (``*.tf.json``
/ ``*.tf``), a folder of stack folders (``hcl/``), a ``terraform show -json`` plan
file, or a folder of plan files (``build/plan``); several may be given and are
read as one system. The declaration (declared callers, managed policies,
permissions) comes from ``--example`` or from each selected environment of
``--system`` (its stacks only); without either, callers are derived from the
Terraform alone.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from proof.exits import concluded
from proof.findings import Finding
from topology.errors import CommandLine

from .beside import Placement, place
from .config import Config
from .core import checked, verify
from .declaration import Acceptance, Declaration, accepted_of, example_settings, from_topology, load_topology
from .existing import PLANNED
from .isolation import Home, check_isolation, homes
from .load import load, subset
from .model import CheckerError


@dataclass(frozen=True)
class Selected:
    """One report: the environment's pair (None: every stack), its declaration and what it accepts."""

    environment: str | None
    stacks: tuple[str, ...] | None
    declared: Declaration | None
    accepted: Acceptance


@dataclass(frozen=True)
class Selection:
    """The reports to make, every environment's pair (to place the stacks beside them), and the excluded stacks."""

    reports: list[Selected]
    pairs: dict[str | None, tuple[str, ...]]
    excluded: dict[str, str]
    homes: dict[str | None, Home]
    """Where each environment's stacks apply (``isolation``); empty without ``--system``."""


def declarations(args: argparse.Namespace) -> Selection:
    """The reports to make: one per selected environment of ``--system`` (its pair of stacks), or one over every
    stack (an example's declaration, or callers from the Terraform, nothing accepted).

    The one place that finds the declaration: an example by name, or each environment of a system module."""
    if args.example:
        declared = from_topology(load_topology(args.example))
        return Selection([Selected(None, None, declared, accepted_of(example_settings(args.example)))], {}, {}, {})
    if not args.system:
        return Selection([Selected(None, None, None, ())], {}, {}, {})
    from topology.selection import select
    from topology.system import deployments

    selection = select(args.system, args.env)
    every = deployments(selection.system, None)
    reports = [Selected(d.environment, d.stacks, from_topology(d.topology), accepted_of(d.settings)) for d in selection.chosen]
    excluded = {e.stack: e.reason for e in selection.system.settings.excluded_stacks}
    return Selection(reports, {d.environment: d.stacks for d in every}, excluded, homes(every))


def parser() -> argparse.ArgumentParser:
    result = CommandLine(description="Prove that internal services are reachable only by their declared callers.")
    result.add_argument(
        "inputs", nargs="*", type=Path, help="cdktf.out, stack folders, plan JSON files or folders of them (default: cdktf.out)"
    )
    result.add_argument("--example", help="take the declaration from examples/<name>.py (default: derive callers from the Terraform)")
    result.add_argument("--system", help="take the declaration from this system module, per environment (e.g. acme.shop)")
    result.add_argument("--env", help="with --system: only this environment's stacks")
    result.add_argument(
        "--plan", action="append", type=Path, default=[], help="a terraform show -json plan (repeatable; same as giving it as INPUT)"
    )
    result.add_argument(
        "--accept-plan-time-checks",
        action="store_true",
        help="kept for old scripts, changes nothing: existing subnets with their plan-time checks are proven when planned",
    )
    result.add_argument("-v", "--verbose", action="store_true", help="list the services checked by name (default: counts)")
    result.add_argument("--traceback", action="store_true", help="on a checker failure, raise instead of printing one line (debugging)")
    return result


def summary(stacks: tuple[str, ...] | None, violations: list[Finding], config: Config, *, verbose: bool) -> str:
    """The closing line: status and counts; the services by name only with ``-v`` (10 KB at 1,000 services otherwise)."""
    servers, services = checked(config)
    where = f"{', '.join(stacks)}: " if stacks else ""
    status = "FAILED" if violations else "ok"
    if verbose:
        return (
            f"{where}{status}: {len(violations)} violation(s); servers checked: {', '.join(servers) or 'none'}; "
            f"services checked: {', '.join(services) or 'none'}"
        )
    return f"{where}{status}: {len(violations)} violation(s); {len(servers)} server(s), {len(services)} service(s) checked"


def judged(
    selection: Selection, report: Selected, whole: Config, placement: Placement | None, *, where: str
) -> tuple[tuple[str, ...] | None, Config, list[Finding]]:
    """One report's stacks (its pair and the stacks placed with it), their configuration, and every finding: the
    proof's checks, the stacks that cannot be placed, and the environment's isolation."""
    stacks = report.stacks
    if stacks is not None and placement is not None:
        stacks = (*stacks, *placement.beside.get(report.environment, ()))
    config = whole if stacks is None else subset(whole, stacks, where=where)
    violations = verify(config, report.declared, [address for address, _ in report.accepted])
    home = selection.homes.get(report.environment)
    isolated = check_isolation(config, home) if home is not None else []
    return stacks, config, sorted({*violations, *(placement.findings if placement is not None else ()), *isolated})


def main(argv: list[str] | None = None) -> int:
    """Exit codes: ``proof.exits`` (0 proven, 1 violations or a user's mistake, 3 the checker's own failure)."""
    args = parser().parse_args(argv)
    inputs = [*args.inputs, *args.plan] or [Path("cdktf.out")]

    def prove() -> bool:
        failed = False
        selection = declarations(args)
        whole = load(inputs)
        placement = place(whole, selection.pairs, selection.excluded) if selection.pairs else None
        for report in selection.reports:
            stacks, config, violations = judged(selection, report, whole, placement, where=", ".join(str(p) for p in inputs))
            for address, reason in report.accepted:
                print(f"accepted: {address}: {reason}")
            for stack, reason in sorted(selection.excluded.items()):
                print(f"excluded: stack {stack}: {reason}")
            for violation in (v for v in violations if v.kind == PLANNED):
                print(f"proven when planned: {violation}")
            violations = [v for v in violations if v.kind != PLANNED]
            for violation in violations:
                print(violation)
            print(f"{summary(stacks, violations, config, verbose=args.verbose)}; input: {config.source}", file=sys.stderr)
            failed = failed or bool(violations)
        return failed

    return concluded("verify", prove, {CheckerError: "checker failure"}, traceback=args.traceback)
