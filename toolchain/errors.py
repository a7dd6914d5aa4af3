"""Each command line's one wrapper: a ``UserError`` becomes one line on stderr and the exit code ``USER_ERROR``.

Library code raises ``UserError`` (``topology.errors``; or a subclass: ``StackError``, ``ReviewedPlanError``,
``TopologyError``, ``SelectionError``, ...) with one line that says what to do; only a command's ``main`` turns it
into that line and an exit code (``topology.errors``: 0 done, 1 an error or a blocking finding, 2 a plan's
changes). No module below an entry point raises ``SystemExit`` (tests/test_errors.py checks).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from topology.errors import CHANGES, FAILED, OK, USER_ERROR, UserError

__all__ = ["CHANGES", "FAILED", "OK", "USER_ERROR", "UserError", "command"]

ARGPARSE_USAGE = 2
"""argparse's exit status for a bad command line (it has printed its usage line): a user's mistake here."""


def command(main: Callable[[], int]) -> int:
    """Run ``main``: a ``UserError`` becomes ``error: <line>`` on stderr, it and a usage error ``USER_ERROR``."""
    try:
        return main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
    except SystemExit as stopped:
        if stopped.code == ARGPARSE_USAGE:
            return USER_ERROR
        raise
