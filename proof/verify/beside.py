"""Stacks beside the network/services pairs: each is read with its environment's pair, excluded, or a finding.

A system's environments each have a pair of stacks (``network-<env>``, ``services-<env>``); the synth output may
hold more (a team's dashboards, a queue, its own rules). The proof must read everything that will be applied, so
each stack beside the pairs is *placed*: with the environment its name ends in (``-<env>``), else with the one
environment whose state it reads (``terraform_remote_state`` of that pair), else, in a system of one environment,
with that one. A stack that reads several environments' state, or another one's than its name says, cannot be
judged with one pair and is a finding. There it is judged with the pair like any of its resources (a group it joins, a rule it adds, a
type the proof does not model). A stack the declaration excludes (``Settings.excluded_stacks``) is not read, and
every report prints its reason. Any other stack cannot be placed, and is a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from proof.findings import Finding

from .config import Config
from .load import stack_of

RULE = "reads-everything"

Environment = str | None
"""An environment's name, or None for a system that declares none."""


@dataclass(frozen=True)
class Placement:
    """Which stacks beside the pairs each environment's proof reads, and what cannot be placed."""

    beside: Mapping[Environment, tuple[str, ...]]
    findings: tuple[Finding, ...]


def place(config: Config, pairs: Mapping[Environment, tuple[str, ...]], excluded: Mapping[str, str]) -> Placement:
    """Each stack of the whole input that is in no pair, placed with one environment (see the module's rule)."""
    owner = {stack: environment for environment, pair in pairs.items() for stack in pair}
    beside: dict[Environment, list[str]] = {environment: [] for environment in pairs}
    findings: list[Finding] = []
    for stack in sorted({stack_of(name) for name in config.stacks}):
        if stack in owner:
            if stack in excluded:
                findings.append(Finding("*", stack, RULE, "cannot exclude it: it is one of the network/services stacks the proof reads"))
            continue
        if stack in excluded:
            continue
        named, read = _by_name(stack, pairs), _by_state(config, stack, owner)
        if len(read) > 1 or (named and read and set(named) != read):
            states = ", ".join(sorted(str(environment) for environment in read))
            detail = f"cannot prove: stack {stack} reads the state of environment(s) {states}; it can be judged with one environment only"
            findings.append(Finding("*", stack, RULE, detail + (f", and its name says {named[0]}" if named else "")))
            continue
        home = named or sorted(read, key=str) or (list(pairs) if len(pairs) == 1 else [])
        if not home:
            findings.append(Finding("*", stack, RULE, _unplaced(stack, pairs)))
            continue
        beside[home[0]].append(stack)
    return Placement({environment: tuple(stacks) for environment, stacks in beside.items()}, tuple(findings))


def _by_name(stack: str, pairs: Mapping[Environment, tuple[str, ...]]) -> list[Environment]:
    """The environment whose name the stack's ends in (``-prod``; the longest when several do), or none."""
    named = [environment for environment in pairs if environment and stack.endswith(f"-{environment}")]
    return [max(named, key=len)] if named else []


def _by_state(config: Config, stack: str, owner: Mapping[str, Environment]) -> set[Environment]:
    """The environments whose pairs' state this stack reads (``terraform_remote_state``)."""
    found: set[Environment] = set()
    for name in config.stacks:
        if stack_of(name) != stack:
            continue
        reads = config.section(name, "data").get("terraform_remote_state")
        for data_name in reads if isinstance(reads, dict) else {}:
            source = config.remote_stack(name, data_name)
            if isinstance(source, str) and stack_of(source) in owner:
                found.add(owner[stack_of(source)])
    return found


def _unplaced(stack: str, pairs: Mapping[Environment, tuple[str, ...]]) -> str:
    names = ", ".join(f"-{environment}" for environment in pairs if environment)
    return (
        f"cannot prove: stack {stack} is beside the network/services stacks and belongs to no environment "
        f"(end its name in {names or 'an environment name'}, read one environment's state, or exclude it with a reason: "
        "Settings.excluded_stacks)"
    )
