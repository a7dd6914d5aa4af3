"""The per-service resources as cdktf constructs, built only when something needs the construct tree.

``stacks/raw.py`` writes the per-service resources as plain dicts merged after ``app.synth()``: the fast
path, 1,000 services in about 2 s. That path is invisible to cdktf, so ``add_override``, Aspects,
``Testing`` matchers, construct lookup and cross-stack references would miss those resources. This module
makes them cdktf citizens on demand: ``materialize`` sends every ``RawResource``, variable and output of a
stack to the jsii Node process in one call, where ``tree.js`` makes a plain cdktf ``TerraformResource`` at
the same construct path (so cdktf computes the same logical ID), a ``TerraformVariable`` and a
``TerraformOutput``. cdktf then writes them itself, overrides and Aspects included, and ``RawBlocks.write``
adds only what is still raw (nothing but the ``import`` blocks, kept in the fast path's order). With no
override, no Aspect and no lookup, both paths write the same bytes (tests/stacks/test_tree.py compares them
on every example).

Why one call: a node made from Python costs a jsii round trip, and rendering it from Python two callbacks,
about 15 ms in all; 1,000 services took 100 CPU s that way (docs/notes/construct-tree.md). ``tree.js`` is a
tiny jsii assembly of its own (one class, one static method), written here as a tarball and loaded into the
kernel the way every jsii package loads its own.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import jsii

from .raw import RawBlocks, without_none

ASSEMBLY = "stacks-precomputed-tree"
VERSION = "0.0.0"
CLASS = f"{ASSEMBLY}.PrecomputedTree"
SOURCE = Path(__file__).with_name("tree.js")
PINNED = {"cdktf": "0.21.0", "constructs": "10.4.2"}
"""The packages ``tree.js`` requires, at the versions the Python packages bundle (Pipfile.lock)."""


def _manifest() -> dict[str, Any]:
    """The assembly's ``.jsii``: one class with the one static method Python calls. jsii version 1.0.0 makes the
    kernel tag the class itself (newer compilers weave that into the JavaScript)."""
    build = {
        "name": "build",
        "static": True,
        "parameters": [{"name": "stack", "type": {"fqn": "constructs.Construct"}}, {"name": "document", "type": {"primitive": "string"}}],
    }
    return {
        "schema": "jsii/0.10.0",
        "name": ASSEMBLY,
        "version": VERSION,
        "license": "UNLICENSED",
        "homepage": "https://example.invalid/stacks/tree.js",
        "repository": {"type": "git", "url": "https://example.invalid/stacks/tree.js"},
        "author": {"name": "stacks/tree.py", "roles": ["author"]},
        "fingerprint": "stacks/tree.js",
        "jsiiVersion": "1.0.0",
        "description": "The construct tree of precomputed blocks (stacks/tree.js)",
        "dependencies": PINNED,
        "types": {CLASS: {"assembly": ASSEMBLY, "fqn": CLASS, "kind": "class", "name": "PrecomputedTree", "methods": [build]}},
    }


def _tarball() -> bytes:
    """The npm package the jsii kernel loads: package.json, .jsii and tree.js."""
    files = {
        "package.json": json.dumps({"name": ASSEMBLY, "version": VERSION, "main": "tree.js", "dependencies": PINNED}).encode(),
        ".jsii": json.dumps(_manifest()).encode(),
        "tree.js": SOURCE.read_bytes(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


_loaded = False


def _load() -> None:
    """Load the assembly into the jsii kernel once per process (the kernel extracts it into its own folder)."""
    global _loaded
    if _loaded:
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{ASSEMBLY}@{VERSION}.jsii.tgz"
        path.write_bytes(_tarball())
        jsii.kernel.load(ASSEMBLY, VERSION, str(path))
    _loaded = True


class PrecomputedTree(metaclass=jsii.JSIIMeta, jsii_type=CLASS):
    """The Python face of ``tree.js``'s class: only its static ``build`` is called."""


def blocks_document(raw: RawBlocks) -> dict[str, Any]:
    """What ``tree.js`` builds: each resource's construct path below the stack, type and attributes (in tree
    order, which is also the order cdktf then writes), the variables and the outputs."""
    return {
        "resources": [[r.path.split("/")[1:], r.type, without_none(r.body)] for r in raw.in_tree_order()],
        "variables": raw.variables,
        "outputs": raw.outputs,
    }


def materialize(raw: RawBlocks) -> None:
    """Move every raw block of the stack into the construct tree (once; a second call changes nothing)."""
    if raw.materialized:
        return
    _load()
    jsii.sinvoke(PrecomputedTree, "build", [raw.stack, json.dumps(blocks_document(raw))])
    raw.materialized = True
