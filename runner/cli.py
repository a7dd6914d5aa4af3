"""The stack runner's command line, shared by ``python -m emulator.local`` and ``python -m aws.commands``.

Both parse the same options (``add_arguments``) and run one action through ``runner.run`` on the target
they build; only how the target is chosen differs (``--target`` for the emulator's command line, always an
account for the AWS one).

Exit codes (``topology.errors``, docs/ci.md), those of ``terraform plan``: 0 done, 1 an error, a refusal or a
blocking finding. A plan's "changes" (2) only where it is asked for: ``--detailed-exitcode`` exits with the
verdict (0 no changes, 2 changes, 1 blocking), ``--verdict`` writes it to ``<plandir>/verdict.txt`` and exits 0
once the review is written (make turns every failing recipe into 2, so ``make ci-plan`` reads the file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolchain import reviewed
from toolchain.processes import interrupt_on_sigterm, interrupted
from toolchain.stackrun import format_outputs
from topology.errors import OK, USER_ERROR, UserError
from topology.selection import Selection, select

from . import run
from .target import Target

ROOT = Path(__file__).resolve().parent.parent
PLANDIR = ROOT / "build" / "plan"
AFTER_INTERRUPT = {
    "deploy": "the state keeps what was applied; deploy again to finish",
    "destroy": "the state keeps what is left; destroy again to finish",
    "plan": "nothing was changed",
    "apply": "the state keeps what was applied; plan again, review, and apply that plan",
    "diff": "nothing was changed",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of every action: where plans go, the verdict file, a release's variables."""
    verdict = parser.add_mutually_exclusive_group()
    verdict.add_argument("--verdict", action="store_true", help="plan: exit 0 and write the verdict to <plandir>/verdict.txt (for make)")
    verdict.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="plan: exit with the verdict, as terraform plan: 0 no changes, 2 changes, 1 blocking",
    )
    parser.add_argument("--plandir", type=Path, default=PLANDIR)
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="deploy/plan: a Terraform variable (image_<service>=...)"
    )


def execute(args: argparse.Namespace, target: Target, *, approve: bool = True) -> int:
    """Run ``args.command`` on ``target``: its output, then its exit code; errors are one line (``UserError``)."""
    interrupt_on_sigterm()
    try:
        selection = select(args.system, args.env)
        if args.command == "deploy":
            _print_outputs(selection, target, run.deploy(selection, target, args.var, approve=approve))
            return OK
        if args.command == "destroy":
            run.destroy(selection, target, approve=approve)
            return OK
        if args.command == "apply":
            run.apply_reviewed(selection, target, args.plandir.resolve())
            return OK
        code = run.plan(selection, target, args.plandir.resolve(), args.var)
    except reviewed.ReviewedPlanError as refused:
        print(str(refused), file=sys.stderr)
        return reviewed.BLOCKED
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return _failed(args, USER_ERROR)
    except KeyboardInterrupt as stopped:
        return interrupted(args.command, stopped, then=AFTER_INTERRUPT[args.command])
    return exit_code(args, code)


def exit_code(args: argparse.Namespace, verdict: int) -> int:
    """A finished plan's exit code: the verdict itself (``--detailed-exitcode``), 0 with the verdict in its file
    (``--verdict``), else as ``terraform plan``: 1 when blocking, 0 otherwise (changes are not a failure)."""
    if args.detailed_exitcode:
        return verdict
    if args.verdict:
        reviewed.write_verdict(args.plandir.resolve(), verdict)
        return OK
    return reviewed.BLOCKED if verdict == reviewed.BLOCKED else OK


def _print_outputs(selection: Selection, target: Target, result: run.Outputs) -> None:
    """Every output once: the entries' DNS names and curls as lines of their own, the rest as ``stack.name = value``."""
    deployment = selection.one()
    entries = run.entry_lines(deployment, result.get(deployment.services_stack, {}), target.entry_note)
    sys.stdout.write(format_outputs(run.without_entries(result, deployment) if entries else result))
    sys.stdout.write("".join(f"{line}\n" for line in entries))


def _failed(args: argparse.Namespace, code: int) -> int:
    """A failed ``plan --verdict`` still leaves its verdict (1) for the CI, and fails (1) so that make stops."""
    if args.command == "plan" and args.verdict:
        args.plandir.mkdir(parents=True, exist_ok=True)
        reviewed.write_verdict(args.plandir.resolve(), reviewed.BLOCKED)
    return code
