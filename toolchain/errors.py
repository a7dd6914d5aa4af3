"""The one error type for a mistake the user can fix (a missing tool, a bad input, a refused apply).

Library code raises ``UserError`` (or a subclass: ``StackError``, ``ReviewedPlanError``, ...) with one line that
says what to do; only a command's ``main`` turns it into that line on stderr and an exit code. No module below
an entry point raises ``SystemExit`` (tests/test_errors.py checks).
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class UserError(Exception):
    """A mistake or missing piece the user can fix: one line, never a traceback."""


USER_ERROR = 2
"""The exit status of a command stopped by a ``UserError`` (as main.py's for a bad declaration); docs/ci.md."""


def command(main: Callable[[], int]) -> int:
    """Each command line's one wrapper: a ``UserError`` becomes ``error: <line>`` on stderr and ``USER_ERROR``."""
    try:
        return main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
