"""The one error type for a mistake the user can fix, and the exit codes every command of the project uses.

Defined here, at the bottom of the arrows, so that the declaration's own errors (``TopologyError``,
``SelectionError``) are ``UserError`` s and every folder, this one included, can import it, with the two pieces of
every command line: its parser (``CommandLine``: a bad argument is a ``UserError`` too) and its one wrapper
(``command``: a ``UserError`` becomes one line and ``USER_ERROR``). No module below an entry point raises
``SystemExit`` (tests/test_errors.py checks). The codes are ``terraform plan -detailed-exitcode``'s (docs/ci.md):

- ``OK`` 0: done; a plan with no changes; proven.
- ``FAILED`` 1: a user's mistake (one line, ``error: ...``), a blocking finding, a violation, a refusal, any error.
- ``CHANGES`` 2: a plan with changes, none blocking; only where a plan's verdict is asked for (``--verdict``).

A proof has one more, ``proof.exits.EXIT_CHECKER`` 3: the proof's own failure, never a finding.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

OK = 0
FAILED = 1
CHANGES = 2
USER_ERROR = FAILED
"""A command stopped by a ``UserError``: 1, as Terraform exits on an error (2 means "changes")."""


class UserError(Exception):
    """A mistake or missing piece the user can fix: one line, never a traceback."""


class CommandLine(argparse.ArgumentParser):
    """Every command's argument parser: a bad argument is a ``UserError``, so ``command`` makes it one line and exit
    1, where argparse's own would print its usage block and exit 2 (Terraform's "changes")."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see --help)")


def command(main: Callable[[], int]) -> int:
    """Run a command's ``main``: a ``UserError`` (a bad argument included) becomes ``error: <line>`` on stderr and
    ``USER_ERROR``."""
    try:
        return main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
