"""The one error type for a mistake the user can fix, and the exit codes every command of the project uses.

Defined here, at the bottom of the arrows, so that the declaration's own errors (``TopologyError``,
``SelectionError``) are ``UserError`` s and every other folder can import it (``toolchain.errors`` adds the
one wrapper a command line uses). The codes are ``terraform plan -detailed-exitcode``'s (docs/ci.md):

- ``OK`` 0: done; a plan with no changes; proven.
- ``FAILED`` 1: a user's mistake (one line, ``error: ...``), a blocking finding, a violation, a refusal, any error.
- ``CHANGES`` 2: a plan with changes, none blocking; only where a plan's verdict is asked for (``--verdict``).

A proof has one more, ``proof.exits.EXIT_CHECKER`` 3: the proof's own failure, never a finding.
"""

from __future__ import annotations

OK = 0
FAILED = 1
CHANGES = 2
USER_ERROR = FAILED
"""A command stopped by a ``UserError``: 1, as Terraform exits on an error (2 means "changes")."""


class UserError(Exception):
    """A mistake or missing piece the user can fix: one line, never a traceback."""
