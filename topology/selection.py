"""Which system and environment a command acts on: ``--system``/``--env``, else ``SYSTEM``/``ENV`` from make.

make exports ``INTERNAL_API_SYSTEM`` and ``INTERNAL_API_ENV`` (from ``SYSTEM=`` and
``ENV=``), and ``main.py`` reads the same two variables, so ``make synth``,
``make deploy-local`` and a plain ``cdktf deploy`` all see one selection.

    python -m topology.selection stacks     # the selected stacks in deploy order, e.g. "network-dev services-dev"
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass

from topology.env import ENV_VARIABLE, SYSTEM_VARIABLE
from topology.errors import OK, CommandLine, command
from topology.resolved import ResolvedEnvironment
from topology.system import DEFAULT_SYSTEM, SelectionError, System, deployments, environment_problems, load_system


@dataclass(frozen=True)
class Selection:
    system: System
    environment: str | None
    chosen: list[ResolvedEnvironment]

    @property
    def stacks(self) -> list[str]:
        """Every selected stack, networks before their services."""
        return [stack for deployment in self.chosen for stack in deployment.stacks]

    def one(self) -> ResolvedEnvironment:
        """The single deployment a deploying command acts on; one line if the system needs ENV."""
        if len(self.chosen) != 1:
            names = ", ".join(self.system.environment_names())
            raise SelectionError(f"system {self.system.module!r} declares environments {names}: choose one with ENV=<name>")
        return self.chosen[0]

    def environ(self) -> dict[str, str]:
        """The variables that carry this selection into child processes (main.py, cdktf)."""
        values = {SYSTEM_VARIABLE: self.system.module}
        if self.environment:
            values[ENV_VARIABLE] = self.environment
        return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--system", help=f"module that declares the system (default: ${SYSTEM_VARIABLE} or {DEFAULT_SYSTEM})")
    parser.add_argument("--env", help=f"environment of the system (default: ${ENV_VARIABLE}; all for read-only commands)")


def select(system: str | None = None, env: str | None = None, environ: Mapping[str, str] = os.environ) -> Selection:
    """Load and check the selection; ``SelectionError`` (one line) on an unknown module or environment."""
    module = system or environ.get(SYSTEM_VARIABLE) or DEFAULT_SYSTEM
    environment = env or environ.get(ENV_VARIABLE) or None
    loaded = load_system(module)
    problems = environment_problems(loaded)
    if problems:
        raise SelectionError(problems[0] if len(problems) == 1 else "; ".join(problems))
    return Selection(system=loaded, environment=environment, chosen=deployments(loaded, environment))


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description="Print what the current selection acts on.")
    parser.add_argument("what", choices=["stacks"])
    add_arguments(parser)
    args = parser.parse_args(argv)
    print(" ".join(select(args.system, args.env).stacks))
    return OK


if __name__ == "__main__":
    raise SystemExit(command(main))  # a bad argument or an unknown system: one line, exit 1
