"""How a proof command ends (``make verify``, ``make verify-live``): its exit code and, on failure, one line.

A proof is not a plan, so it has no "changes" code; its codes, documented in docs/ci.md:
0 proven (and no drift), 1 a violation or drift, or a user's mistake (``UserError``, one line, as every command of
the project), 3 the proof's own failure (an input it cannot read, an internal error): a CI can tell a broken
check from a finding. 2 is never a proof's: it is a plan's "changes" (``toolchain.reviewed``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from topology.errors import USER_ERROR, UserError

EXIT_PROVEN = 0
EXIT_VIOLATIONS = 1
EXIT_CHECKER = 3


def concluded(name: str, prove: Callable[[], bool], own_failures: dict[type[Exception], str], *, traceback: bool = False) -> int:
    """Run ``prove`` (True when something failed) and turn its outcome into the proof's exit code.

    ``own_failures``: the proof's own failures, each with the words before its message (``checker failure``);
    any other exception is one too, unless ``traceback`` (debugging the checker) lets it through."""
    try:
        failed = prove()
    except UserError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return USER_ERROR
    except Exception as error:  # never a traceback: CI must tell the checker's failure from a finding
        words = next((text for kind, text in own_failures.items() if isinstance(error, kind)), None)
        if words is None and traceback:
            raise
        shown = str(error) if words is not None else f"{type(error).__name__}: {error}"
        print(f"{name}: {words or 'checker failure'}: {shown}", file=sys.stderr)
        return EXIT_CHECKER
    return EXIT_VIOLATIONS if failed else EXIT_PROVEN
