"""The project's own Node: an LTS release pinned in package-lock.json (npm's ``node`` package).

jsii (which runs every cdktf construct) and the cdktf CLI need Node. The machine's
own Node may be past end of life (Node 20 since 2026-10-30), so ``npm ci`` installs a
pinned LTS Node into ``node_modules/.bin/node`` and every entry point uses it:
make puts it first on ``PATH`` and sets ``JSII_NODE``; Python entry points that do
not run under make call ``use_project_node()`` before jsii starts.

Node 22, not 24: the cdktf CLI 0.21 loads node-pty, whose prebuilt binaries stop at Node 22's
ABI (127); on 24 every ``cdktf diff``/``deploy``/``destroy`` crashed before running Terraform
(tests/aws/test_cli_e2e.py).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / "node_modules" / ".bin"
NODE = NODE_BIN / "node"
QUIET = "--disable-warning=DEP0044"
"""jsii's bundled kernel still calls ``util.isArray``, which Node 22+ reports as deprecated on every run;
that line is about a dependency, not the user's system, so only that one warning is silenced."""


def use_project_node(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Point jsii (``JSII_NODE``) and child processes (``PATH``) at the pinned Node; False when not installed yet.

    Without ``node_modules`` (before ``make setup``) nothing changes, so the error a
    user then sees is cdktf's own "run npm ci", not a missing-file traceback here.
    """
    if not NODE.is_file():
        return False
    environ["JSII_NODE"] = str(NODE)
    options = environ.get("NODE_OPTIONS", "")
    if QUIET not in options.split():
        environ["NODE_OPTIONS"] = f"{options} {QUIET}".strip()
    path = environ.get("PATH", "")
    if path.split(os.pathsep)[0] != str(NODE_BIN):
        environ["PATH"] = f"{NODE_BIN}{os.pathsep}{path}" if path else str(NODE_BIN)
    return True


def node() -> str:
    """The Node executable child processes should run: the pinned one when installed, else ``node`` on PATH."""
    return str(NODE) if NODE.is_file() else "node"
