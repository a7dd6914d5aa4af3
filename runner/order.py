"""The order the runner applies one environment's stacks in: what cdktf wrote in ``manifest.json``.

An environment has its pair (``network``, ``services``) and the stacks a system's ``STACKS`` functions make
(``stacks.app.Built.stack``). Their order is not the runner's to guess: cdktf records each stack's
``dependencies`` (an ``add_dependency``, a cross-stack reference) in ``cdktf.out/manifest.json``, and the runner
applies a stack only after everything it depends on. Among stacks that are free to go, the pair's order comes first
(``network``, then ``services``), then the others by name, so the order is the same on every run; destroy is the
same order reversed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolchain.stackrun import StackError

MANIFEST = "manifest.json"


def dependencies(outdir: Path) -> dict[str, tuple[str, ...]]:
    """Each synthesized stack and the stacks it depends on, as ``outdir/manifest.json`` says."""
    path = outdir / MANIFEST
    try:
        stacks = json.loads(path.read_text(encoding="utf-8"))["stacks"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StackError(
            f"{path.name} in {outdir.name}/: cannot read the synthesized stacks ({type(error).__name__}); synthesize again"
        ) from None
    return {name: tuple(stack.get("dependencies") or ()) for name, stack in sorted(stacks.items())}


def ordered(depends_on: Mapping[str, Sequence[str]], first: Sequence[str]) -> tuple[str, ...]:
    """Every stack of ``depends_on`` after the stacks it depends on; ties: ``first``'s order, then by name."""
    missing = [stack for stack in first if stack not in depends_on]
    if missing:
        raise StackError(f"the synthesized stacks lack {', '.join(missing)}: synthesize again")
    rank = {stack: index for index, stack in enumerate(first)}
    done: list[str] = []
    waiting = set(depends_on)
    while waiting:
        ready = [stack for stack in waiting if all(needed in done or needed not in depends_on for needed in depends_on[stack])]
        if not ready:
            raise StackError(f"stacks {', '.join(sorted(waiting))} depend on each other in a circle: none can be applied first")
        chosen = min(ready, key=lambda stack: (rank.get(stack, len(rank)), stack))
        done.append(chosen)
        waiting.remove(chosen)
    return tuple(done)


def deploy_order(outdir: Path, pair: Sequence[str]) -> tuple[str, ...]:
    """The synthesized stacks in ``outdir``, in the order to apply them (the pair's order where they are free)."""
    return ordered(dependencies(outdir), pair)
