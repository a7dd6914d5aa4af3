"""The project runs jsii and the cdktf CLI on its own pinned LTS Node, not on the machine's."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from toolchain.node import NODE, NODE_BIN, use_project_node

# Node's release schedule: even majors become LTS; these are the LTS lines still supported on 2026-12-02
# (22 in maintenance until 2027-04-30, 24 active until 2026-10-20 then maintenance until 2028-04-30).
SUPPORTED_LTS_MAJORS = {22, 24}


def test_package_json_pins_an_exact_supported_lts_node(project_root: Path) -> None:
    pinned = json.loads((project_root / "package.json").read_text(encoding="utf-8"))["devDependencies"]["node"]
    major, _, _ = pinned.split(".")
    assert pinned.count(".") == 2 and pinned.replace(".", "").isdigit(), f"not an exact version: {pinned}"
    assert int(major) in SUPPORTED_LTS_MAJORS
    lock = json.loads((project_root / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/node"]["version"] == pinned


def test_the_installed_node_is_the_pinned_one(project_root: Path) -> None:
    pinned = json.loads((project_root / "package.json").read_text(encoding="utf-8"))["devDependencies"]["node"]
    assert NODE.is_file(), "node_modules/.bin/node is missing: run make setup"
    version = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert version == f"v{pinned}"


def test_use_project_node_points_jsii_and_children_at_it() -> None:
    environ = {"PATH": "/usr/bin:/bin"}
    assert use_project_node(environ) is True
    assert environ["JSII_NODE"] == str(NODE)
    assert environ["PATH"] == f"{NODE_BIN}{os.pathsep}/usr/bin:/bin"
    assert environ["NODE_OPTIONS"] == "--disable-warning=DEP0044"
    use_project_node(environ)  # idempotent: PATH does not grow
    assert environ["PATH"] == f"{NODE_BIN}{os.pathsep}/usr/bin:/bin"
