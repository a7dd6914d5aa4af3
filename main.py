"""Composition root: settings and topology in, stacks out, synth.

``python main.py`` (what ``make synth`` and ``cdktf synth`` run) synthesizes the
article's topology; ``python -m examples.<name>`` synthesizes another. A bad
declaration prints one line per problem and exits with status 2 before anything
is written to ``cdktf.out/``.
"""

from __future__ import annotations

import os
import sys

from topology import Settings, Topology, TopologyError, check, warnings
from topology.env import with_env_overrides

# jsii's own switch for its Node end-of-life banner; set before jsii starts its Node process.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def run(topology: Topology, settings: Settings | None = None, *, outdir: str | None = None) -> None:
    settings = with_env_overrides(settings or Settings(), os.environ)
    try:
        check(topology, settings)
    except TopologyError as error:
        for line in error.lines:
            print(f"error: {line}", file=sys.stderr)
        raise SystemExit(2) from None
    for line in warnings(topology, settings):
        print(f"warning: {line}", file=sys.stderr)
    from stacks.app import build_app  # after validation: a bad declaration costs no provider load

    build_app(topology, settings, outdir=outdir or os.environ.get("CDKTF_OUTDIR", "cdktf.out")).synth()


if __name__ == "__main__":
    from examples.article import TOPOLOGY

    run(TOPOLOGY)
