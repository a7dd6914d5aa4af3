"""What the stack runner asks of a target: where it synthesizes, how a session starts, and its hooks.

A target is the local emulator (``emulator.target``) or an AWS account (``aws.target``). The runner
(``runner.run``) does the same steps for both; a target adds only what is about it: the emulator starts
moto and makes its stand-ins, an account is asked who the caller is and refuses to destroy what is protected.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from topology.resolved import ResolvedEnvironment
from topology.selection import Selection


class Target(ABC):
    """The defaults: a target with no session of its own and nothing to add before or after an action."""

    name = "target"
    """How the announcements name it: ``planning (emulator)``, ``applying the reviewed plans (aws)``."""
    gaps: frozenset[tuple[str, str]] = frozenset()
    """Plan differences the target itself causes, collapsed in the review (the emulator's known gaps)."""
    share_provider = False
    """Whether one provider process serves every Terraform command of an action (``toolchain.stackrun.one_provider``)."""
    entry_note = ""
    """Said after each entry's curl line: what the target does not do with it."""

    def __init__(self, outdir: Path, logs: Path) -> None:
        self.outdir = outdir
        self.logs = logs

    @abstractmethod
    def environment(self, selection: Selection) -> dict[str, str]:
        """The environment main.py and Terraform run in for ``selection`` on this target."""

    @contextmanager
    def session(self, deployment: ResolvedEnvironment, env: dict[str, str], *, record: bool) -> Iterator[dict[str, str]]:
        """The environment Terraform's commands run in while the target is up; ``record`` off for read-only work."""
        yield env

    def nothing_to_destroy(self, deployment: ResolvedEnvironment, stacks: tuple[str, ...]) -> str | None:
        """A line saying there is nothing to destroy in ``stacks`` (the environment's, synthesized), when the target
        can tell before its session starts."""
        return None

    def before_deploy(self, deployment: ResolvedEnvironment, env: dict[str, str]) -> None:
        """Inside the session, before the first apply."""
        return None  # nothing, unless the target adds something

    def after_deploy(self, deployment: ResolvedEnvironment, result: dict[str, dict[str, object]]) -> None:
        """After the session, with every stack's outputs."""
        return None  # nothing, unless the target adds something

    def before_destroy(self, deployment: ResolvedEnvironment, env: dict[str, str]) -> None:
        """Inside the session, after init and before the first destroy: a refusal raises a ``UserError``."""
        return None  # nothing, unless the target adds something

    def after_destroy(self, deployment: ResolvedEnvironment, env: dict[str, str]) -> None:
        """Inside the session, after the last destroy."""
        return None  # nothing, unless the target adds something

    def destroyed(self, deployment: ResolvedEnvironment, stacks: tuple[str, ...]) -> None:
        """After the session of a destroy of ``stacks`` that finished."""
        return None  # nothing, unless the target adds something
