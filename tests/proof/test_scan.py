"""checkov over every example: zero failures beyond the justified, still-needed skips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from proof import scan
from topology import Settings

from ..conftest import EXAMPLES, Synthesizer

pytestmark = pytest.mark.slow  # checkov: `make test-fast` leaves it out


@pytest.fixture(scope="session")
def example_scans(synthesize: Synthesizer) -> dict[str, scan.ScanResult]:
    return {example: scan.scan(synthesize(topology, Settings()).outdir) for example, topology in sorted(EXAMPLES.items())}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_checkov_is_clean_apart_from_justified_skips(example: str, example_scans: dict[str, scan.ScanResult]) -> None:
    result = example_scans[example]
    assert result.passed > 50
    assert scan.judge(result, scan.skips()) == []


def test_no_skip_is_stale(example_scans: dict[str, scan.ScanResult]) -> None:
    assert scan.stale_skips(list(example_scans.values()), scan.skips()) == []


def test_every_skip_has_a_reason() -> None:
    reasons = scan.skips()
    assert reasons, "the skip list is read"
    assert all(len(reason) > 40 for reason in reasons.values())


def test_checkov_catches_an_unencrypted_short_lived_log_group(synthesize: Synthesizer, tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synthesize(EXAMPLES["article"], Settings()).outdir, outdir)
    stack = outdir / "stacks" / "services" / "cdk.tf.json"
    body = json.loads(stack.read_text(encoding="utf-8"))
    body["resource"]["aws_cloudwatch_log_group"]["plain"] = {"name": "/plain", "retention_in_days": 7}
    stack.write_text(json.dumps(body, indent=2), encoding="utf-8")
    found = {(f.check_id, f.resource) for f in scan.scan(outdir).findings}
    assert {("CKV_AWS_158", "resource.plain"), ("CKV_AWS_338", "resource.plain")} <= found
    assert scan.judge(scan.scan(outdir), scan.skips())  # and the judgement reports it
