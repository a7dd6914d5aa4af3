"""One shape for what the proof's checks report: verify, the live check and the plan review share ``proof.findings``."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from proof import plan_review
from proof.findings import Finding
from proof.live import check as live
from proof.live.read import Account
from proof.verify import verify
from proof.verify.config import Config
from proof.verify.load import stacks_from_plan
from tests.test_layout import _modules
from topology import Service, Settings, Topology

from .test_review_markdown import _release, _services

ROOT = Path(__file__).resolve().parents[2]
PLANS = Path(__file__).resolve().parent / "fixtures" / "plan"


def test_each_report_keeps_its_line_and_its_json_keys() -> None:
    found = Finding("api", "services:aws_security_group.api", "ingress-callers-only", "admits 0.0.0.0/0")
    assert str(found) == "service 'api': services:aws_security_group.api: ingress-callers-only: admits 0.0.0.0/0"
    assert found.line(live.LINE) == "ingress-callers-only: api: admits 0.0.0.0/0"
    assert found.line(plan_review.LINE) == "api: admits 0.0.0.0/0"
    assert list(found.as_json(plan_review.JSON_KEYS)) == ["kind", "stack", "address", "message"]
    assert found.as_json(live.JSON_KEYS) == {"kind": "ingress-callers-only", "service": "api", "text": "admits 0.0.0.0/0"}


def test_findings_sort_by_subject_then_resource() -> None:
    unsorted = [Finding("web", "a", "k", "d"), Finding("api", "b", "k", "d"), Finding("api", "a", "z", "d")]
    assert [(f.subject, f.resource) for f in sorted(unsorted)] == [("api", "a"), ("api", "b"), ("web", "a")]


def test_verify_the_live_check_and_the_review_report_the_same_class() -> None:
    services = json.loads((PLANS / "services.json").read_text(encoding="utf-8"))
    reviewed = plan_review.review("services", _release(_services(), "registry.example/client:v2"))  # an image, a redeploy
    proven = verify(Config(stacks_from_plan("services", services)[0], source="plan"))  # no network stack: findings
    checked = live.judge(Topology(services=(Service(name="api"),)), Settings(), Account(cluster="c"))
    assert reviewed.findings and proven and checked
    assert {type(f) for f in [*reviewed.findings, *proven, *checked]} == {Finding}


def test_no_other_class_is_called_finding() -> None:
    """One name per concept: checkov's failed checks and the importer's notes have names of their own."""
    named = sorted(
        f"{name}:{node.lineno}"
        for name, path in _modules(ROOT).items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name in ("Finding", "Violation")
    )
    assert len(named) == 1 and named[0].startswith("proof.findings:"), named
