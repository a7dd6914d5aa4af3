"""Commands against a real AWS account, each after asking AWS who the caller is.

    python -m aws.commands diff    [--system M] [--env E]   # cdktf diff of the selected stacks
    python -m aws.commands deploy  [--system M] [--env E]   # cdktf deploy, network then services
    python -m aws.commands destroy [--system M] [--env E]   # cdktf destroy, services then network

Without credentials, Terraform spends seconds retrying and then prints three
errors; here STS ``GetCallerIdentity`` is asked first, through botocore's default
credential chain (environment, shared config and credentials files with profiles,
SSO, credential_process, web identity, container and instance metadata: the same
sources, in the same order, as the Terraform AWS provider), and a failure is one
line that points to ``make deploy-local``. botocore comes from the emulator's
locked environment (``emulator/``), so nothing new is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from proof.protection import FIX, protected_in_state
from toolchain.errors import UserError, command
from toolchain.paths import CDKTF, command_env, lock_flags, outdir
from toolchain.stackrun import StackError, init, parse_variables, resources_in_state, say, undeclared_release_variables
from topology.resolved import ResolvedEnvironment
from topology.selection import add_arguments, select
from topology.system import SelectionError

ROOT = Path(__file__).resolve().parent.parent
WHOAMI = Path(__file__).resolve().parent / "whoami.py"
"""Run by path in a process of its own, with the environment the command acts on (aws/whoami.py)."""
NO_CREDENTIALS = "no usable AWS credentials ({reason}); set AWS_PROFILE or AWS_ACCESS_KEY_ID, or try it locally with `make deploy-local`"
UNREACHABLE = (
    "the AWS endpoint is unreachable ({reason}): credentials were found, but there is no network route to AWS STS; "
    "check the network (proxy, VPN, firewall, AWS_ENDPOINT_URL), or try it locally with `make deploy-local`"
)


class PreflightError(UserError):
    """The account cannot be used: no credentials, or not the environment's account."""


def whoami(region: str, env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run([sys.executable, str(WHOAMI), region], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise PreflightError(f"asking AWS STS who the caller is failed: {done.stderr.strip().splitlines()[-1:]}")
    answer: dict[str, str] = json.loads(done.stdout)
    return answer


def preflight(deployment: ResolvedEnvironment, env: dict[str, str]) -> str:
    """The caller's account, after checking it is the environment's; ``PreflightError`` (one line) otherwise."""
    answer = whoami(deployment.settings.region, env)
    if "unreachable" in answer:  # botocore found credentials (it signs before it connects) but got no answer
        raise PreflightError(UNREACHABLE.format(reason=answer["unreachable"]))
    if "error" in answer:
        raise PreflightError(NO_CREDENTIALS.format(reason=answer["error"]))
    expected = deployment.settings.account_id
    if expected and answer["account"] != expected:
        where = f"environment {deployment.environment!r}" if deployment.environment else "this system"
        raise PreflightError(
            f"{where} must be deployed to account {expected}, but the credentials are for {answer['account']} ({answer['arn']})"
        )
    say(f"AWS: {answer['arn']} (account {answer['account']})")
    return answer["account"]


def _synth(env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=ROOT)
    if done.returncode != 0:  # main.py printed the problems, one line each
        raise UserError(f"synth stopped (main.py exited {done.returncode}): fix the line(s) above")


def nothing_to_destroy(deployment: ResolvedEnvironment, env: dict[str, str]) -> bool:
    """True when no selected stack has a resource in its state (local file or S3 key)."""
    for stack in deployment.stacks:
        workdir = outdir(env) / "stacks" / stack
        init(workdir, env, ROOT / "build" / f"{stack}.init.log")
        if resources_in_state(workdir, env):
            return False
    return True


def protected_load_balancers(deployment: ResolvedEnvironment, env: dict[str, str]) -> list[str]:
    """The deletion-protected load balancers in the services stack's state (initialized by ``nothing_to_destroy``)."""
    workdir = outdir(env) / "stacks" / deployment.services_stack
    done = subprocess.run(["terraform", "show", "-json"], cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise StackError(f"{workdir.name}: terraform show failed: {done.stderr.strip()[-500:]}")
    return protected_in_state(json.loads(done.stdout or "{}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=["diff", "deploy", "destroy"])
    add_arguments(parser)
    parser.add_argument("--auto-approve", action="store_true", help="deploy/destroy without asking")
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="diff/deploy: a Terraform variable (image_<service>=...)"
    )
    args = parser.parse_args(argv)
    try:
        selection = select(args.system, args.env)
        deployment = selection.one()
        env = command_env({**os.environ, **selection.environ()})
        preflight(deployment, env)
        _synth(env)
        stacks = list(deployment.stacks)
        if args.command == "destroy":
            (ROOT / "build").mkdir(exist_ok=True)
            if nothing_to_destroy(deployment, env):
                say(f"nothing to destroy: the state of {', '.join(stacks)} holds no resources")
                return 0
            protected = protected_load_balancers(deployment, env)
            if protected:
                print(
                    f"error: destroy: load balancer {', '.join(protected)} has deletion protection; {FIX}. Nothing was deleted",
                    file=sys.stderr,
                )
                return 2
            stacks.reverse()
        approve = ["--auto-approve"] if args.auto_approve and args.command != "diff" else []
        parse_variables(args.var, outdir(env), stacks)  # a name no selected stack declares is one line, before cdktf
        for line in undeclared_release_variables(env, outdir(env), stacks):
            say(line)
        variables = [flag for item in args.var for flag in ("--var", item)] if args.command != "destroy" else []
        options = ["--skip-synth", "--output", str(outdir(env)), *approve, *variables, *lock_flags(env)]
        # `cdktf diff` takes one stack (a second one is silently ignored); deploy and destroy take them all, in order.
        runs = [[stack] for stack in stacks] if args.command == "diff" else [stacks]
        for selected in runs:
            code = subprocess.run([str(CDKTF), args.command, *selected, *options], env=env, cwd=ROOT).returncode
            if code != 0:
                return code
        return 0
    except (SelectionError, UserError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(command(main))
