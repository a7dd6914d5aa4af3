"""Environment isolation in the Terraform itself (issue 33, item 3): prod's JSON naming staging's places fails.

examples/production.py declares staging (123456789012, ap-northeast-1) and prod (210987654321, us-west-2), each
with its own certificate, secret, key, parameter, queue, bucket, log bucket and database group. The synth output
is edited after the fact, as a script or a hand edit would: one of prod's values swapped for staging's, one kind
at a time. Each swap is a finding in prod's report only; the declaration never changed, so only reading the JSON
can catch it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from examples import production
from proof.verify.cli import main

from .conftest import SystemModule

STAGING, PROD = production.ACCOUNT, production.PROD_ACCOUNT
SWAPS = [
    ("certificate", "services-prod", production.PROD_CERTIFICATE, production.CERTIFICATE, "aws_lb_listener."),
    ("secret", "services-prod", production.PROD_DB_SECRET, production.DB_SECRET, "aws_ecs_task_definition.api_task"),
    ("key", "services-prod", production.PROD_DB_SECRET_KEY, production.DB_SECRET_KEY, "aws_iam_role_policy.api_iam_execution"),
    ("parameter", "services-prod", production.PROD_FLAGS_PARAMETER, production.FLAGS_PARAMETER, "aws_ecs_task_definition.api_task"),
    ("queue", "services-prod", production.PROD_JOBS_QUEUE, production.JOBS_QUEUE, "aws_iam_role_policy."),
    ("bucket", "services-prod", "acme-internal-api-reports-prod/", "acme-internal-api-reports/", "aws_iam_role_policy.api_iam_app"),
    ("log bucket", "services-prod", "acme-internal-api-alb-logs-prod", "acme-internal-api-alb-logs-staging", "aws_lb.entry_public_lb"),
    ("database group", "services-prod", "sg-0f1e2d3c4b5a69788", "sg-0a1b2c3d4e5f60718", "aws_vpc_security_group_egress_rule.api_sg"),
    ("account", "network-prod", f'"{PROD}"', f'"{STAGING}"', "provider.aws"),
    ("region", "network-prod", '"region": "us-west-2"', '"region": "ap-northeast-1"', "provider.aws"),
]


@pytest.fixture
def outdir(production: Path) -> Path:
    return production


def _swap(outdir: Path, stack: str, old: str, new: str) -> None:
    path = outdir / "stacks" / stack / "cdk.tf.json"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old} is not in {stack}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _run(outdir: Path, capsys: pytest.CaptureFixture[str], *args: str, system: str = "examples.production") -> tuple[int, list[str], str]:
    code = main([str(outdir), "--system", system, *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_each_environment_as_synthesized_passes(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(outdir, capsys)[:2] == (0, [])


@pytest.mark.parametrize(("kind", "stack", "old", "new", "where"), SWAPS, ids=[s[0] for s in SWAPS])
def test_a_value_of_staging_in_prods_json_fails(
    outdir: Path, capsys: pytest.CaptureFixture[str], kind: str, stack: str, old: str, new: str, where: str
) -> None:
    _swap(outdir, stack, old, new)
    code, out, err = _run(outdir, capsys)
    assert code == 1
    assert out, kind
    assert all(line.startswith(f"service '*': {stack}:") and ": environment-isolation: " in line for line in out), out
    assert any(f"{stack}:{where}" in line for line in out), out
    assert "network-staging, services-staging: ok" in err


def test_the_findings_say_which_environment_a_value_belongs_to(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _swap(outdir, "services-prod", production.PROD_CERTIFICATE, production.CERTIFICATE)
    (line,) = _run(outdir, capsys, "--env", "prod")[1]
    assert line.endswith(
        f": environment-isolation: names {production.CERTIFICATE}: the value of environment 'staging' "
        "(listeners[0].certificate_arn of entry 'public'); in region ap-northeast-1; environment 'prod' is in us-west-2; "
        f"of account {STAGING}; environment 'prod' is account {PROD}, and trusted_accounts does not name it"
    )


@pytest.fixture
def trusting(system_module: SystemModule) -> str:
    """examples.production whose prod trusts a shared registry account: a system module of its own."""
    return system_module(
        "team_trusting",
        "from dataclasses import replace\n"
        "from examples.production import ENVIRONMENTS as BASE, TOPOLOGY\n"
        'ENVIRONMENTS = (BASE[0], replace(BASE[1], trusted_accounts=("999999999999",)))\n',
    )


@pytest.mark.parametrize(("account", "passes"), [("999999999999", True), ("888888888888", False)])
def test_an_arn_of_a_trusted_account_passes_and_of_another_fails(
    outdir: Path, capsys: pytest.CaptureFixture[str], trusting: str, account: str, passes: bool
) -> None:
    shared = f"arn:aws:ecr:us-west-2:{account}:repository/shared/base"
    _swap(outdir, "services-prod", production.PROD_JOBS_QUEUE, shared)
    code, out, _ = _run(outdir, capsys, "--env", "prod", system=trusting)
    if passes:
        assert (code, out) == (0, [])
    else:
        assert code == 1 and out and all(f"names {shared}: of account {account}; " in line for line in out), out


def test_an_arn_in_another_region_of_its_own_account_fails(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moved = production.PROD_JOBS_QUEUE.replace("us-west-2", "eu-west-1")
    _swap(outdir, "services-prod", production.PROD_JOBS_QUEUE, moved)
    code, out, _ = _run(outdir, capsys, "--env", "prod")
    assert (
        code == 1 and out and all(line.endswith(f"names {moved}: in region eu-west-1; environment 'prod' is in us-west-2") for line in out)
    )
