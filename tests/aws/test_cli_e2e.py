"""``make diff`` as it runs against AWS (aws/commands.py, then the pinned cdktf CLI), pointed at the emulator.

The pinned cdktf CLI loads a native module (node-pty) that has prebuilt binaries only up
to Node 22's ABI: on Node 24 every ``cdktf diff``/``deploy``/``destroy`` crashed before
running Terraform, and no test ran the CLI. Here it runs end to end: the STS preflight,
the synth, then ``cdktf diff`` of both stacks, a Terraform plan each, against the
article's shared emulated deployment, which must show no change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.server import Emulator, pointed
from toolchain.node import NODE
from toolchain.paths import command_env

from ..deployments import Deploy

pytestmark = [pytest.mark.slow, pytest.mark.deploys]

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def test_the_cli_loads_its_native_terminal_module_on_the_pinned_node(project_root: Path) -> None:
    done = subprocess.run(
        [str(NODE), "-e", "require('@cdktf/node-pty-prebuilt-multiarch'); console.log('loaded')"],
        cwd=project_root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "loaded", done.stderr[-1500:]


def test_diff_runs_the_cdktf_cli_to_a_plan_of_each_stack(deployed: Deploy, tmp_path: Path, project_root: Path) -> None:
    home = deployed("examples.article").copy(tmp_path / "home")
    with Emulator(home, region="ap-northeast-1", record=False) as aws:
        env = pointed(command_env(os.environ), aws)
        env.update(CDKTF_OUTDIR=str(home / "cdktf.out"), INTERNAL_API_SYSTEM="examples.article", INTERNAL_API_ENV="")
        done = subprocess.run(
            [sys.executable, "-m", "aws.commands", "diff"], cwd=project_root, env=env, capture_output=True, text=True, timeout=900
        )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "innerError" not in output and "ERR_DLOPEN_FAILED" not in output
    lines = [ANSI.sub("", line).strip() for line in output.splitlines()]
    # A plan of each stack (`cdktf diff` takes one stack: aws/commands.py runs it per stack). Network has no
    # change; services adds and destroys nothing (its in-place updates are the emulator's known gaps,
    # which tests/emulator/test_local_e2e.py reads exactly).
    assert any(line.startswith("network") and "No changes." in line for line in lines), output[-4000:]
    services = "\n".join(lines[next(i for i, line in enumerate(lines) if line.startswith("services")) :])
    assert re.search(r"No changes\.|Plan: 0 to add, \d+ to change, 0 to destroy\.", services), services[-4000:]
