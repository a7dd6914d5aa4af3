"""Composition root: the selected system in, one pair of stacks per environment out, synth.

``python main.py`` (what ``make synth`` and ``cdktf synth`` run) synthesizes the
system named by ``INTERNAL_API_SYSTEM`` (a module name such as ``acme.shop``;
the article, ``examples.article``, if unset). A system with environments gets
``network-<env>`` + ``services-<env>`` for each of them (and the stacks its ``STACKS`` functions make,
``<name>-<env>``); ``INTERNAL_API_ENV``,
when set, must name one of them, and only that pair is written (commands act on it). A bad declaration
prints one line per problem and exits with status 1 (``topology.errors.USER_ERROR``) before anything is written
to ``cdktf.out/``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace

from topology import Settings, Topology, TopologyError, validate, warnings
from topology.env import ENV_VARIABLE, SYSTEM_VARIABLE, for_this_run
from topology.errors import USER_ERROR
from topology.resolved import ResolvedEnvironment
from topology.system import DEFAULT_SYSTEM, SelectionError, System, deployments, environment_problems, load_system


def _fail(lines: list[str]) -> None:
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    raise SystemExit(USER_ERROR)


def problems(selected: list[ResolvedEnvironment], check: Callable[[Topology, Settings], list[str]] = validate) -> list[str]:
    """``check``'s lines for every deployment; a line true of every environment is printed once, unprefixed."""
    per_deployment = [check(d.topology, d.settings) for d in selected]
    everywhere = set.intersection(*(set(lines) for lines in per_deployment)) if per_deployment else set()
    lines = [line for line in per_deployment[0] if line in everywhere] if per_deployment else []
    for deployment, found in zip(selected, per_deployment, strict=True):
        lines += [f"environment {deployment.environment!r}: {line}" for line in found if line not in everywhere]
    return lines


def synth(
    selected: list[ResolvedEnvironment], *, outdir: str | None = None, check_only: bool = False, system: System | None = None
) -> None:
    """Validate, then write ``outdir``; ``check_only`` stops after validating (``make synth`` runs it before clearing cdktf.out/).
    ``system``'s ``STACKS`` functions add the team's own constructs and stacks to every environment."""
    selected = [replace(d, settings=for_this_run(d.settings, os.environ)) for d in selected]
    found = problems(selected)
    if found:
        _fail(found)
    if check_only:
        return
    for line in problems(selected, warnings):
        print(f"warning: {line}", file=sys.stderr)
    from stacks.app import build_deployments_app  # after validation: a bad declaration costs no provider load

    try:
        app = build_deployments_app(selected, outdir=outdir or os.environ.get("CDKTF_OUTDIR", "cdktf.out"), system=system)
    except TopologyError as error:  # a STACKS function failed: one line, nothing written
        _fail(error.lines)
    app.synth()


def run(topology: Topology, settings: Settings | None = None, *, outdir: str | None = None) -> None:
    """Synthesize one topology as stacks ``network`` + ``services`` (what ``python -m examples.<name>`` runs)."""
    try:
        synth([ResolvedEnvironment(environment=None, topology=topology, settings=settings or Settings())], outdir=outdir)
    except TopologyError as error:
        _fail(error.lines)


def main() -> None:
    name = os.environ.get(SYSTEM_VARIABLE) or DEFAULT_SYSTEM
    try:
        system = load_system(name)
        bad = environment_problems(system)
        if bad:
            _fail(bad)
        # ENV selects one environment: only its stacks are written, so what reads cdktf.out (checkov,
        # validate, the checker) acts on that environment alone. Without ENV, every environment.
        selected = deployments(system, os.environ.get(ENV_VARIABLE) or None)
    except SelectionError as error:
        _fail([str(error)])
    synth(selected, check_only="--check" in sys.argv[1:], system=system)


if __name__ == "__main__":
    main()
