"""``python -m proof.verify [INPUT ...] [--example NAME | --system MODULE [--env NAME]]``.

Exit 0 proven, 1 violations or a user's mistake (bad arguments, unknown example, system or
environment), 3 the checker's own failure (unreadable input, internal error), as ``proof.exits`` says:
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
from pathlib import Path

from proof.exits import concluded

from .config import Config
from .core import checked, verify
from .declaration import Acceptance, Declaration, accepted_of, example_settings, from_topology, load_topology
from .existing import PLANNED
from .load import load
from .model import CheckerError, Violation

Selected = tuple[tuple[str, ...] | None, Declaration | None, Acceptance]


def declarations(args: argparse.Namespace) -> list[Selected]:
    """(stacks to read, declaration, accepted resources) per selected deployment; ``(None, None, ())``: every
    stack, callers from the Terraform, nothing accepted.

    The one place that finds the declaration: an example by name, or each environment of a system module."""
    if args.example:
        return [(None, from_topology(load_topology(args.example)), accepted_of(example_settings(args.example)))]
    if not args.system:
        return [(None, None, ())]
    from topology.selection import select

    chosen = select(args.system, args.env).chosen
    return [(deployment.stacks, from_topology(deployment.topology), accepted_of(deployment.settings)) for deployment in chosen]


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(description="Prove that internal services are reachable only by their declared callers.")
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


def summary(stacks: tuple[str, ...] | None, violations: list[Violation], config: Config, *, verbose: bool) -> str:
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


def main(argv: list[str] | None = None) -> int:
    """Exit codes: ``proof.exits`` (0 proven, 1 violations or a user's mistake, 3 the checker's own failure)."""
    args = parser().parse_args(argv)
    inputs = [*args.inputs, *args.plan] or [Path("cdktf.out")]

    def prove() -> bool:
        failed = False
        for stacks, declared, accepted in declarations(args):
            config = load(inputs, only=stacks)
            violations = verify(config, declared, [address for address, _ in accepted])
            for address, reason in accepted:
                print(f"accepted: {address}: {reason}")
            for violation in (v for v in violations if v.rule == PLANNED):
                print(f"proven when planned: {violation}")
            violations = [v for v in violations if v.rule != PLANNED]
            for violation in violations:
                print(violation)
            print(f"{summary(stacks, violations, config, verbose=args.verbose)}; input: {config.source}", file=sys.stderr)
            failed = failed or bool(violations)
        return failed

    return concluded("verify", prove, {CheckerError: "checker failure"}, traceback=args.traceback)
