"""Deploy, plan and destroy the selected system against the local AWS emulator (or AWS, for ``plan --target aws``).

    python -m emulator.local deploy  [--system M] [--env E] [--var N=V]  # synth; apply network, services, your own stacks in order; outputs once
    python -m emulator.local plan    [--system M] [--env E] [--var N=V]  # saved plan + JSON per stack, build/plan/review.md (exit 1 if blocking)
    python -m emulator.local destroy [--system M] [--env E]   # destroy in reverse order; forget the account once empty

The selection defaults to make's ``SYSTEM=``/``ENV=`` (``INTERNAL_API_SYSTEM``/``INTERNAL_API_ENV``), else the
article. Every action runs through the stack runner (``runner.run``) on ``emulator.target.EmulatorTarget``
(what the emulator home holds is said there). Terraform runs at its default parallelism: the emulator handles
requests one at a time and records them in that order (emulator/serve.py), so the account is replayed
identically next time. ``--target aws`` (plan, apply) is the older spelling of ``python -m aws.commands``.
"""

from __future__ import annotations

from pathlib import Path

from aws.target import AwsTarget
from runner import cli
from topology.errors import CommandLine, command
from topology.selection import add_arguments

from .target import EmulatorTarget

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_HOME = ROOT / "build" / "emulator"


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=["deploy", "plan", "destroy", "apply"])
    parser.add_argument("--target", choices=["emulator", "aws"], default="emulator", help="plan/apply: where to plan or apply")
    parser.add_argument("--home", type=Path, default=EMULATOR_HOME, help="emulator runs: cdktf.out/, state/, recording")
    cli.add_arguments(parser)
    add_arguments(parser)
    args = parser.parse_args(argv)
    aws = args.command in ("plan", "apply") and args.target == "aws"
    return cli.execute(args, AwsTarget() if aws else EmulatorTarget(args.home.resolve()))


if __name__ == "__main__":
    raise SystemExit(command(main))
