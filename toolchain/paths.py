"""Where the project's command-line tools are, and the environment every Terraform/cdktf command runs in.

Both the emulator's commands (``emulator.local``) and the AWS commands (``aws.commands``)
run ``main.py``, Terraform and the cdktf CLI; they find them here, once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from . import tf_mirror
from .node import NODE_BIN, use_project_node

ROOT = Path(__file__).resolve().parent.parent
CDKTF = NODE_BIN / "cdktf"
TF_CONFIG = ROOT / "build" / "terraform.rc"


def command_env(base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``base`` plus what every command needs outside make too: no call home, the mirror config, the pinned Node."""
    env = dict(base, CHECKPOINT_DISABLE="1")
    if not Path(env.get("TF_CLI_CONFIG_FILE", "")).is_file():  # outside make: the config make would write
        if not TF_CONFIG.is_file():
            tf_mirror.main([str(TF_CONFIG)])
        env["TF_CLI_CONFIG_FILE"] = str(TF_CONFIG)
    use_project_node(env)
    return env


def lock_flags(env: Mapping[str, str]) -> list[str]:
    """cdktf's ``--skip-provider-lock`` when providers come from the filesystem mirror (no registry to lock against)."""
    config = Path(env.get("TF_CLI_CONFIG_FILE", ""))
    return ["--skip-provider-lock"] if config.is_file() and "filesystem_mirror" in config.read_text(encoding="utf-8") else []


def outdir(env: Mapping[str, str]) -> Path:
    """The synthesized output folder the selection writes to (``CDKTF_OUTDIR``, else ``cdktf.out``)."""
    return Path(env.get("CDKTF_OUTDIR") or ROOT / "cdktf.out").resolve()
