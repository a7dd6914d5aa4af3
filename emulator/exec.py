"""``make local-exec CMD='...'``: run any command with the emulator up, and keep what it changed.

    python -m emulator.exec [--home DIR] [--read-only] [--system M] [--env E] -- COMMAND [ARG ...]

The command (the AWS CLI, a boto3/botocore script, a test, ``python -m proof.live``)
runs with the emulator's endpoint and fake credentials in its environment
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_REGION``; every other ``AWS_*``
variable removed, so a real profile is never used). The emulated account is the one
``make deploy-local`` left in ``--home``, replayed as every emulator command replays
it (emulator/server.py); what the command changes is appended to the same recording,
so the next ``deploy-local``, ``plan``, ``verify-live`` or ``local-exec`` sees it: an
incident ("someone opened the group from the console") rehearsed on the laptop.
``--read-only`` appends nothing (``make verify-live`` runs the check so).

Exit status: the command's own; 1 (``topology.errors.USER_ERROR``) when the emulator cannot start or no command is given.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from toolchain.processes import interrupt_on_sigterm, interrupted
from toolchain.stackrun import say
from topology.errors import USER_ERROR, CommandLine, UserError, command
from topology.resolved import ResolvedEnvironment
from topology.selection import add_arguments, select

from .server import Emulator, pointed
from .target import certificates

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_HOME = ROOT / "build" / "emulator"


def run(command: list[str], home: Path, chosen: list[ResolvedEnvironment], *, record: bool = True) -> int:
    """``command`` with the emulator of ``home`` up and pointed at; its exit status. Recorded unless ``record`` is off.

    The emulator is started as ``deploy-local`` starts it for the ``chosen`` deployments (their region, the stand-in
    certificates their listeners name), so that the replay recreates every resource their deploys made."""
    named = tuple(sorted({arn for deployment in chosen for arn in certificates(deployment)}))
    with Emulator(home, region=chosen[0].settings.region, record=record, certificates=named) as aws:
        say(f"emulator: moto listening on {aws['AWS_ENDPOINT_URL']}{'' if record else ' (read-only: nothing is recorded)'}")
        try:
            return subprocess.run(command, env=pointed(dict(os.environ), aws), cwd=Path.cwd()).returncode
        except FileNotFoundError:
            say(f"error: local-exec: no such command: {command[0]}")
            return USER_ERROR
        finally:
            say("emulator: stopped")


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--home", type=Path, default=EMULATOR_HOME, help="the emulator home (as make deploy-local's EMULATOR_HOME)")
    parser.add_argument("--read-only", action="store_true", help="record nothing the command changes")
    add_arguments(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command and its arguments (after --)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        say("error: local-exec: no command given (make local-exec CMD='aws ec2 describe-vpcs')")
        return USER_ERROR
    interrupt_on_sigterm()
    try:
        chosen = select(args.system, args.env).chosen  # without ENV, every environment (they share the emulated account)
        return run(command, args.home.resolve(), chosen, record=not args.read_only)
    except UserError as error:  # the emulator cannot start, or no such system or environment
        say(f"error: local-exec: {error}")
        return USER_ERROR
    except KeyboardInterrupt as stopped:
        return interrupted("local-exec", stopped, then="what the command changed before it stopped is kept")


if __name__ == "__main__":
    raise SystemExit(command(main))
