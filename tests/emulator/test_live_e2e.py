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


def _drifted(deployment: Deployed, tmp_path: Path, selection: tuple[str, ...], cluster: str, drifts: list[str]) -> Path:
    """A private copy of ``deployment`` (the shared one stays as deployed) with the ``drifts`` (``KIND:SERVICE[:OTHER]``)
    made in it, in one emulator session."""
    home = deployment.copy(tmp_path / "home")
    made = _exec(home, selection, sys.executable, str(DRIFT), cluster, *drifts)
    assert made.returncode == 0, made.stderr[-2000:]
    return home


def _failed_check(home: Path, selection: tuple[str, ...], *extra: str) -> str:
    checked = _live(home, selection, *extra)
    assert checked.returncode == 1, checked.stdout + checked.stderr[-2000:]
    return checked.stdout


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


ARTICLE_DRIFT = [
    (
        "world:internal-nginx",
        r"violated: internal-nginx: sg-\w+ rule sgr-\w+ admits 0\.0\.0\.0/0 on tcp/80: not a declared caller or entry",
    ),
    (
        "group:client-nginx:internal-nginx",
        r"violated: client-nginx: sg-\w+ rule sgr-\w+ admits internal-nginx's group sg-\w+ on tcp/8080: not a declared caller or entry",
    ),
    (
        "old-rule:internal-nginx",
        r"violated: internal-nginx: sg-\w+ rule sgr-\w+ admits 10\.20\.0\.0/16 on tcp/22: not a declared caller or entry",
    ),
    (
        "eni:client-nginx",
        r"violated: internal-nginx: eni-\w+ \(debug box\) in caller client-nginx's group sg-\w+ reaches internal-nginx",
    ),
    (
        "igw-route:internal-nginx",
        r"violated: internal-nginx: subnet subnet-\w+'s route table rtb-\w+ routes 198\.51\.100\.0/24 to igw-\w+: its tasks face the internet",
    ),
    (
        "policy:internal-nginx",
        r"undeclared: internal-nginx: task role arn:aws:iam::\d+:role/internal-api-internal-nginx-task has policy arn:aws:iam::\d+:policy/incident-s3 attached: not declared",
    ),
]
"""Each drift a user can make in the article's account (``live_drift.py``'s ``KIND:SERVICE[:OTHER]``), and the one line the
live check must print for it. All are made on one copy in one emulator session (an emulator session replays the whole
deployment, the slow part): each names its own rule, interface, route or policy, so each line stays its own."""

PRODUCTION_DRIFT = [
    (
        "listener-rule:web",
        r"undeclared: web: listener arn:\S+ rule arn:\S+ forwards host \* path /admin/\* to arn:\S+targetgroup/\S+: not a declared route",
    ),
    ("deleted:worker", r"missing: worker: declared, but no active ECS service of that name in cluster ServiceConnect-prod"),
    (
        "stopped:api",
        r"missing: api: arn:aws:ecs:[\w-]+:\d+:service/ServiceConnect-prod/api is ACTIVE with desired count 0 \(stopped\)",
    ),
]


def _each_found_once(report: str, drifts: list[tuple[str, str]]) -> None:
    first, *lines = report.splitlines()
    assert first.startswith("live check of ") and ": FAILED: " in first, report
    missing = [drift for drift, line in drifts if len([found for found in lines if re.fullmatch(line, found)]) != 1]
    assert missing == [], f"{missing} not found exactly once in:\n" + "\n".join(lines)


@pytest.fixture(scope="module")
def article_drifted(article: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _drifted(article, tmp_path_factory.mktemp("drift"), ARTICLE, "ServiceConnect", [drift for drift, _ in ARTICLE_DRIFT])


def test_each_drift_in_the_articles_account_is_found_by_its_own_line(article_drifted: Path) -> None:
    _each_found_once(_failed_check(article_drifted, ARTICLE), ARTICLE_DRIFT)


def test_json_report_has_the_text_reports_findings(article_drifted: Path) -> None:
    """``--json`` of the same check: one finding per line of the text report, with its kind and text, and their counts."""
    lines = _failed_check(article_drifted, ARTICLE).splitlines()[1:]
    report = json.loads(_failed_check(article_drifted, ARTICLE, "--json"))
    assert report["ok"] is False
    assert sorted(f"{f['kind']}: {f['service']}: {f['text']}" for f in report["findings"]) == sorted(lines)
    kinds = [line.split(": ", 1)[0] for line in lines]
    assert {"violated", "undeclared"} <= set(kinds) and report["counts"] == {kind: kinds.count(kind) for kind in report["counts"]}


def test_a_hand_made_listener_rule_a_deleted_and_a_stopped_service_are_found(production: Deployed, tmp_path: Path) -> None:
    home = _drifted(production, tmp_path, PRODUCTION, "ServiceConnect-prod", [drift for drift, _ in PRODUCTION_DRIFT])
    _each_found_once(_failed_check(home, PRODUCTION), PRODUCTION_DRIFT)


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
