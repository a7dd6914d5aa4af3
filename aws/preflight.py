"""Who the caller is, asked of AWS STS before any command against an account.

Without credentials, Terraform spends seconds retrying and then prints three errors; here STS
``GetCallerIdentity`` is asked first, through botocore's default credential chain (environment, shared
config and credentials files with profiles, SSO, credential_process, web identity, container and instance
metadata: the same sources, in the same order, as the Terraform AWS provider), and a failure is one line
that points to ``make deploy-local``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from toolchain.processes import last_line
from toolchain.stackrun import say
from topology.errors import UserError
from topology.resolved import ResolvedEnvironment

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
        raise PreflightError(f"asking AWS STS who the caller is failed: {last_line(done.stderr)}")
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
