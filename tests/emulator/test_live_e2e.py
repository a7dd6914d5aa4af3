"""The live check on the emulator: two systems deployed for real (the article, and production's prod with its entry),
then drift made the way a user would make it (``make local-exec`` running tests/emulator/live_drift.py), one kind at a
time, each on a private copy of the shared deployment, found by ``make verify-live``'s command with its own line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ..deployments import Deploy, Deployed

ROOT = Path(__file__).resolve().parents[2]
DRIFT = ROOT / "tests" / "emulator" / "live_drift.py"
ARTICLE = ("--system", "examples.article")
PRODUCTION = ("--system", "examples.production", "--env", "prod")


def _exec(home: Path, selection: tuple[str, ...], *command: str, read_only: bool = False) -> subprocess.CompletedProcess[str]:
    """``make local-exec`` (``--read-only``: as ``make verify-live`` runs the check) on ``home``."""
    flags = ["--read-only"] if read_only else []
    argv = [sys.executable, "-m", "emulator.exec", *flags, "--home", str(home), *selection, "--", *command]
    return subprocess.run(argv, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=600)


def _live(home: Path, selection: tuple[str, ...], *extra: str) -> subprocess.CompletedProcess[str]:
    return _exec(home, selection, sys.executable, "-m", "proof.live", *selection, *extra, read_only=True)


def _drifted(deployment: Deployed, tmp_path: Path, selection: tuple[str, ...], *drift: str) -> list[str]:
    """The live check's lines after one drift made on a private copy (the shared deployment stays as deployed)."""
    home = deployment.copy(tmp_path / "home")
    made = _exec(home, selection, sys.executable, str(DRIFT), *drift)
    assert made.returncode == 0, made.stderr[-2000:]
    checked = _live(home, selection)
    assert checked.returncode == 1, checked.stdout + checked.stderr[-2000:]
    lines = checked.stdout.splitlines()
    assert lines[0].startswith("live check of ") and ": FAILED: " in lines[0]
    return lines[1:]


def _one(lines: list[str], pattern: str) -> str:
    found = [line for line in lines if re.fullmatch(pattern, line)]
    assert len(found) == 1, f"{pattern!r} not once in:\n" + "\n".join(lines)
    return found[0]


@pytest.fixture(scope="module")
def article(deployed: Deploy) -> Deployed:
    return deployed("examples.article")


@pytest.fixture(scope="module")
def production(deployed: Deploy) -> Deployed:
    return deployed("examples.production", "prod")


@pytest.mark.parametrize(("which", "selection"), [("article", ARTICLE), ("production", PRODUCTION)])
def test_a_clean_deployment_passes(which: str, selection: tuple[str, ...], request: pytest.FixtureRequest) -> None:
    deployment: Deployed = request.getfixturevalue(which)
    done = _live(deployment.home, selection)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    first, *rest = done.stdout.splitlines()
    assert (
        first.startswith(f"live check of {selection[1]}")
        and ": ok: " in first
        and " 0 violated, 0 undeclared, 0 missing, 0 different" in first
    )
    assert rest and all(line.startswith("proven: ") for line in rest)


CASES = [
    (
        "world",
        "internal-nginx",
        r"violated: internal-nginx: sg-\w+ rule sgr-\w+ admits 0\.0\.0\.0/0 on tcp/80: not a declared caller or entry",
    ),
    (
        "group",
        "client-nginx",
        r"violated: client-nginx: sg-\w+ rule sgr-\w+ admits internal-nginx's group sg-\w+ on tcp/8080: not a declared caller or entry",
    ),
    (
        "old-rule",
        "internal-nginx",
        r"violated: internal-nginx: sg-\w+ rule sgr-\w+ admits 10\.20\.0\.0/16 on tcp/22: not a declared caller or entry",
    ),
    (
        "eni",
        "client-nginx",
        r"violated: internal-nginx: eni-\w+ \(debug box\) in caller client-nginx's group sg-\w+ reaches internal-nginx",
    ),
    (
        "igw-route",
        "internal-nginx",
        r"violated: internal-nginx: subnet subnet-\w+'s route table rtb-\w+ routes 198\.51\.100\.0/24 to igw-\w+: its tasks face the internet",
    ),
    (
        "policy",
        "internal-nginx",
        r"undeclared: internal-nginx: task role arn:aws:iam::\d+:role/internal-api-internal-nginx-task has policy arn:aws:iam::\d+:policy/incident-s3 attached: not declared",
    ),
    (
        "stopped",
        "internal-nginx",
        r"missing: internal-nginx: arn:aws:ecs:[\w-]+:\d+:service/ServiceConnect/internal-nginx is ACTIVE with desired count 0 \(stopped\)",
    ),
]


@pytest.mark.parametrize(("kind", "service", "line"), CASES, ids=[case[0] for case in CASES])
def test_article_drift_is_found(kind: str, service: str, line: str, article: Deployed, tmp_path: Path) -> None:
    _one(_drifted(article, tmp_path, ARTICLE, kind, "ServiceConnect", service, "internal-nginx"), line)


def test_a_hand_made_listener_rule_to_the_edge_is_found(production: Deployed, tmp_path: Path) -> None:
    lines = _drifted(production, tmp_path, PRODUCTION, "listener-rule", "ServiceConnect-prod", "web")
    _one(
        lines,
        r"undeclared: web: listener arn:\S+ rule arn:\S+ forwards host \* path /admin/\* to arn:\S+targetgroup/\S+: not a declared route",
    )


def test_a_deleted_service_is_missing(production: Deployed, tmp_path: Path) -> None:
    _one(
        _drifted(production, tmp_path, PRODUCTION, "deleted", "ServiceConnect-prod", "worker"),
        r"missing: worker: declared, but no active ECS service of that name in cluster ServiceConnect-prod",
    )


def test_json_report(article: Deployed, tmp_path: Path) -> None:
    home = article.copy(tmp_path / "home")
    assert _exec(home, ARTICLE, sys.executable, str(DRIFT), "world", "ServiceConnect", "internal-nginx").returncode == 0
    done = _live(home, ARTICLE, "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["counts"]["violated"] == 1 and report["counts"]["undeclared"] == 1
    assert {f["kind"] for f in report["findings"]} == {"proven", "violated", "undeclared"}


def test_local_exec_points_the_command_at_the_emulator_only(article: Deployed, tmp_path: Path) -> None:
    """The command sees the emulator's endpoint and fake credentials, never the caller's own AWS profile."""
    home = article.copy(tmp_path / "home")
    show = "import os, json; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('AWS_')}))"
    argv = [sys.executable, "-m", "emulator.exec", "--home", str(home), *ARTICLE, "--", sys.executable, "-c", show]
    done = subprocess.run(argv, cwd=ROOT, env={**os.environ, "AWS_PROFILE": "production"}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["AWS_ACCESS_KEY_ID"] == "emulator" and seen["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert "AWS_PROFILE" not in seen and seen["AWS_REGION"] == "ap-northeast-1"


def test_local_exec_without_a_command_is_one_line() -> None:
    done = subprocess.run([sys.executable, "-m", "emulator.exec"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, "error: local-exec: no command given (make local-exec CMD='aws ec2 describe-vpcs')\n")
