"""An AWS account as a target of the stack runner (``runner.target``): the caller checked first, protections kept.

The synthesized JSON is the project's own (``CDKTF_OUTDIR``, else ``cdktf.out``) with the selection's state
backend; before any Terraform command, STS says who the caller is (``aws.preflight``), and a
destroy refuses, before anything is deleted, while a load balancer in the state has deletion protection.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from proof.protection import FIX, protected_in_state
from runner.target import Target
from toolchain.paths import ROOT, command_env, outdir
from toolchain.stackrun import StackError
from topology.errors import UserError
from topology.resolved import ResolvedEnvironment
from topology.selection import Selection

from .preflight import preflight


class AwsTarget(Target):
    """The account the caller's credentials reach, which must be the environment's (``Settings.account_id``)."""

    name = "aws"

    def __init__(self) -> None:
        super().__init__(outdir(os.environ), ROOT / "build")

    def environment(self, selection: Selection) -> dict[str, str]:
        return command_env({**os.environ, **selection.environ(), "CDKTF_OUTDIR": str(self.outdir)})

    @contextmanager
    def session(self, deployment: ResolvedEnvironment, env: dict[str, str], *, record: bool) -> Iterator[dict[str, str]]:
        preflight(deployment, env)
        yield env

    def before_destroy(self, deployment: ResolvedEnvironment, env: dict[str, str]) -> None:
        protected = protected_load_balancers(self.outdir / "stacks" / deployment.services_stack, env)
        if protected:
            raise UserError(f"destroy: load balancer {', '.join(protected)} has deletion protection; {FIX}. Nothing was deleted")


def protected_load_balancers(workdir: Path, env: dict[str, str]) -> list[str]:
    """The deletion-protected load balancers in the state of the stack in ``workdir`` (after ``terraform init``)."""
    done = subprocess.run(["terraform", "show", "-json"], cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise StackError(f"{workdir.name}: terraform show failed: {done.stderr.strip()[-500:]}")
    return protected_in_state(json.loads(done.stdout or "{}"))
