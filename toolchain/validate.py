"""``make validate``: ``terraform init -backend=false`` and ``terraform validate`` of each selected stack.

The validates share one AWS provider process behind the schema proxy (``stackrun.one_provider``):
a ``terraform validate`` that starts its own provider spends about 5 CPU s on the provider's start and
its schema of every resource type, one through the proxy about half a second. The init leaves the
backend alone (``-backend=false``), so an S3 backend is not asked anything and no credentials are needed.

    python -m toolchain.validate <outdir> <stack> [<stack> ...]

Prints ``<stack>: <what terraform validate says>`` per stack, as the shell loop it replaces did; stops
at the first stack that does not init or validate, with Terraform's own message, and exits 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from topology.errors import CommandLine, command

from .processes import interrupt_on_sigterm, interrupted
from .stackrun import one_provider


def _init(folder: Path, env: dict[str, str]) -> bool:
    """``terraform init -backend=false``; on failure Terraform's output is passed on and ``False`` returned."""
    done = subprocess.run(
        ["terraform", "init", "-input=false", "-backend=false", "-no-color"], cwd=folder, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(f"{folder.name}: terraform init failed\n{done.stdout}{done.stderr}")
    return done.returncode == 0


def validate(outdir: Path, stacks: list[str], env: dict[str, str]) -> int:
    """0 when every stack validates; 1 at the first that does not init or validate."""
    folders = [outdir.absolute() / "stacks" / stack for stack in stacks]
    missing = [folder for folder in folders if not (folder / "cdk.tf.json").is_file()]
    if missing:
        sys.stderr.write(f"error: {missing[0]} has no cdk.tf.json: run make synth first\n")
        return 1
    if not all(_init(folder, env) for folder in folders):
        return 1
    with one_provider(folders[0], env, stacks=folders) as shared:
        for folder in folders:
            sys.stdout.write(f"{folder.name}: ")
            sys.stdout.flush()
            if subprocess.run(["terraform", "validate", "-no-color"], cwd=folder, env=shared).returncode != 0:
                return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(prog="python -m toolchain.validate", description=__doc__.split("\n", 1)[0])
    parser.add_argument("outdir", type=Path, help="the synthesized output (cdktf.out)")
    parser.add_argument("stacks", nargs="+", help="the stacks to validate, in order")
    args = parser.parse_args(argv)
    interrupt_on_sigterm()
    try:
        return validate(args.outdir, args.stacks, dict(os.environ))
    except KeyboardInterrupt as stopped:
        return interrupted("validate", stopped)


if __name__ == "__main__":
    raise SystemExit(command(main))
