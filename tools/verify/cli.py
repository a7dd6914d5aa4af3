"""``python -m tools.verify [INPUT ...] [--example NAME]``: exit 0 proven, 1 violations, 2 usage, 3 checker failure.

INPUT is a cdktf.out folder (default ``cdktf.out``), a stack folder (``*.tf.json``
/ ``*.tf``), a folder of stack folders (``hcl/``), a ``terraform show -json`` plan
file, or a folder of plan files (``build/plan``); several may be given and are
read as one system. With
``--example`` the declared callers, managed policies and permissions come from
the declaration; without it, callers are derived from the Terraform alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core import checked, verify
from .declaration import Declaration, from_topology, load_topology
from .load import load
from .model import CheckerError

EXIT_PROVEN, EXIT_VIOLATIONS, EXIT_USAGE, EXIT_CHECKER = 0, 1, 2, 3


def declaration(example: str | None) -> Declaration | None:
    """The declaration to compare against; the one place the lead rewires for ``--system``/``--env``."""
    if example is None:
        return None
    try:
        return from_topology(load_topology(example))
    except SystemExit as error:  # examples.load reports an unknown name this way
        raise UsageError(str(error)) from None


class UsageError(Exception):
    """A mistake on the command line: one line, exit 2."""


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(description="Prove that internal services are reachable only by their declared callers.")
    result.add_argument(
        "inputs", nargs="*", type=Path, help="cdktf.out, stack folders, plan JSON files or folders of them (default: cdktf.out)"
    )
    result.add_argument("--example", help="take the declaration from examples/<name>.py (default: derive callers from the Terraform)")
    result.add_argument(
        "--plan", action="append", type=Path, default=[], help="a terraform show -json plan (repeatable; same as giving it as INPUT)"
    )
    result.add_argument("--traceback", action="store_true", help="on a checker failure, raise instead of printing one line (debugging)")
    return result


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    inputs = [*args.inputs, *args.plan] or [Path("cdktf.out")]
    try:
        declared = declaration(args.example)
        config = load(inputs)
        violations = verify(config, declared)
        names = checked(config)
    except UsageError as error:
        print(f"verify: {error}", file=sys.stderr)
        return EXIT_USAGE
    except CheckerError as error:
        print(f"verify: checker failure: {error}", file=sys.stderr)
        return EXIT_CHECKER
    except Exception as error:  # never a traceback: CI must tell the checker's failure from a finding
        if args.traceback:
            raise
        print(f"verify: checker failure: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_CHECKER
    for violation in violations:
        print(violation)
    status = "FAILED" if violations else "ok"
    print(
        f"{status}: {len(violations)} violation(s); services checked: {', '.join(names) or 'none'}; input: {config.source}", file=sys.stderr
    )
    return EXIT_VIOLATIONS if violations else EXIT_PROVEN
