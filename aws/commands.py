"""Commands against a real AWS account, each after asking AWS who the caller is (``aws.preflight``).

    python -m aws.commands diff    [--system M] [--env E]   # cdktf diff of the selected stacks
    python -m aws.commands deploy  [--system M] [--env E]   # apply network, services, your own stacks, in order (asks first, unless --auto-approve)
    python -m aws.commands destroy [--system M] [--env E]   # destroy them, the last first (asks first, unless --auto-approve)
    python -m aws.commands plan    [--system M] [--env E]   # saved plans + review.md + manifest (make plan/ci-plan TARGET=aws)
    python -m aws.commands apply   [--system M] [--env E]   # apply exactly the reviewed saved plans (make ci-apply)

Deploy, destroy, plan and apply run through the stack runner (``runner.run``) on ``aws.target.AwsTarget``,
the same sequence as the emulator's commands; ``diff`` is the pinned cdktf CLI's view of each stack's plan.
"""

from __future__ import annotations

import argparse
import subprocess

from runner import cli, run
from toolchain.paths import CDKTF, ROOT, lock_flags
from topology.errors import CommandLine, command
from topology.selection import add_arguments, select

from .preflight import preflight
from .target import AwsTarget


def diff(args: argparse.Namespace, target: AwsTarget) -> int:
    """``cdktf diff`` of each selected stack (it takes one stack: a second one is silently ignored)."""
    selection = select(args.system, args.env)
    preflight(selection.one(), target.environment(selection))  # before the synth: no credentials stops at once
    ready = run.prepare(selection, target, None, args.var)  # a bad VARS is one line, before cdktf
    variables = [flag for item in args.var for flag in ("--var", item)]
    for stack in ready.stacks:
        options = ["--skip-synth", "--output", str(target.outdir), *variables, *lock_flags(ready.env)]
        code = subprocess.run([str(CDKTF), "diff", stack, *options], env=ready.env, cwd=ROOT).returncode
        if code != 0:
            return code
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=["diff", "deploy", "destroy", "plan", "apply"])
    add_arguments(parser)
    parser.add_argument("--auto-approve", action="store_true", help="deploy/destroy without asking")
    cli.add_arguments(parser)
    args = parser.parse_args(argv)
    target = AwsTarget()
    if args.command == "diff":
        return diff(args, target)
    return cli.execute(args, target, approve=args.auto_approve)


if __name__ == "__main__":
    raise SystemExit(command(main))
