"""checkov over every example: zero failures beyond the justified, still-needed skips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from proof import scan
from topology import Settings
from topology.errors import USER_ERROR

from ..conftest import EXAMPLES, Synthesizer
from .checkov_batch import scan_each

pytestmark = pytest.mark.slow  # checkov: `make test-fast` leaves it out


@pytest.fixture(scope="module")
def plain_log_group(synthesize: Synthesizer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The article with an unencrypted log group kept 7 days added to its services stack."""
    outdir = tmp_path_factory.mktemp("plain") / "cdktf.out"
    shutil.copytree(synthesize(EXAMPLES["article"], Settings()).outdir, outdir)
    stack = outdir / "stacks" / "services" / "cdk.tf.json"
    body = json.loads(stack.read_text(encoding="utf-8"))
    body["resource"]["aws_cloudwatch_log_group"]["plain"] = {"name": "/plain", "retention_in_days": 7}
    stack.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return outdir


@pytest.fixture(scope="module")
def unreadable(synthesize: Synthesizer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The article beside a Terraform JSON file that is not JSON."""
    outdir = tmp_path_factory.mktemp("unreadable") / "cdktf.out"
    shutil.copytree(synthesize(EXAMPLES["article"], Settings()).outdir, outdir)
    (outdir / "stacks" / "network" / "broken.tf.json").write_text("{not json", encoding="utf-8")
    return outdir


@pytest.fixture(scope="module")
def scans(synthesize: Synthesizer, plain_log_group: Path, unreadable: Path) -> dict[str, scan.ScanResult]:
    """Every example, the two broken copies and the chain with 30-day logs, in one checkov run (``scan_each``)."""
    outdirs = {example: synthesize(topology, Settings()).outdir for example, topology in sorted(EXAMPLES.items())}
    outdirs |= {
        "plain-log-group": plain_log_group,
        "unreadable": unreadable,
        "chain-30-days": synthesize(EXAMPLES["chain"], Settings(log_retention_days=30)).outdir,
    }
    return scan_each(outdirs)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_checkov_is_clean_apart_from_justified_skips(example: str, scans: dict[str, scan.ScanResult]) -> None:
    result = scans[example]
    assert result.passed > 50
    assert result.parsing_errors == 0
    assert (
        scan.judge(result, scan.skips(), scan.declared_skips(f"examples.{example}", None)) == []
    )  # its own skips too, as make verify reads them


def test_no_skip_is_stale(scans: dict[str, scan.ScanResult]) -> None:
    """A skip no example's finding needs any more is stale: the list must shrink with the findings."""
    found = {finding.check_id for example in sorted(EXAMPLES) for finding in scans[example].failures}
    assert found, "the examples have skipped findings, so this can see a stale skip"
    assert [check for check in scan.skips() if check not in found] == []


def test_every_skip_has_a_reason() -> None:
    reasons = scan.skips()
    assert reasons, "the skip list is read"
    assert all(len(reason) > 40 for reason in reasons.values())


def test_checkov_catches_an_unencrypted_short_lived_log_group(plain_log_group: Path, scans: dict[str, scan.ScanResult]) -> None:
    alone = scan.scan(plain_log_group)
    found = {(f.check_id, f.resource) for f in alone.failures}
    assert {("CKV_AWS_158", "resource.plain"), ("CKV_AWS_338", "resource.plain")} <= found
    assert scan.judge(alone, scan.skips())  # and the judgement reports it
    assert scans["plain-log-group"] == alone  # scanned beside the others: the same checks passed, the same findings and paths


def test_an_unreadable_file_is_counted_for_its_own_outdir_only(scans: dict[str, scan.ScanResult]) -> None:
    assert scans["unreadable"].parsing_errors == 1
    assert scan.judge(scans["unreadable"], scan.skips())  # a file checkov cannot read is a problem, not a pass
    assert [name for name, result in scans.items() if result.parsing_errors] == ["unreadable"]


STAGING_LOGS = "staging keeps logs for 30 days: nothing there is evidence, and a year of staging logs costs more than it tells"


def test_a_system_records_its_own_justified_skip_next_to_its_declaration(scans: dict[str, scan.ScanResult]) -> None:
    """Issue 20: an environment's own exception (short log retention), with its reason, for its stacks only."""
    result = scans["chain-30-days"]
    unskipped = scan.judge(result, scan.skips())
    assert unskipped and all(line.startswith("failed: CKV_AWS_338 ") for line in unskipped)
    own = scan.DeclaredSkips(("network", "services"), {"CKV_AWS_338": STAGING_LOGS})
    assert scan.judge(result, scan.skips(), [own]) == []
    elsewhere = scan.DeclaredSkips(("network-prod", "services-prod"), {"CKV_AWS_338": STAGING_LOGS})
    assert scan.judge(result, scan.skips(), [elsewhere]) == [
        *unskipped,
        "skip CKV_AWS_338 of network-prod, services-prod matches no finding: remove it from the declaration",
    ]
    assert scan.declared_lines([own]) == [f"checkov: skipped by the declaration: CKV_AWS_338 in network, services: {STAGING_LOGS}"]


def test_declared_skips_are_the_environments_and_the_systems(tmp_path: Path) -> None:
    import sys

    from tests.systems import SHOP, write_shop

    body = SHOP.replace(
        'Environment(name="dev", nat="single", log_retention_days=400,',
        f'Environment(name="dev", nat="single", log_retention_days=30, checkov_skips=(Skip(check="CKV_AWS_338", reason={STAGING_LOGS!r}),),',
    ).replace("from topology import Environment,", "from topology import Skip, Environment,")
    sys.path.insert(0, str(write_shop(tmp_path, body)))
    try:
        dev, prod = scan.declared_skips("acme.shop", None)
        assert dev == scan.DeclaredSkips(("network-dev", "services-dev"), {"CKV_AWS_338": STAGING_LOGS})
        assert prod == scan.DeclaredSkips(("network-prod", "services-prod"), {})
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "acme" or n.startswith("acme.")]:
            del sys.modules[name]


def test_a_declared_skip_needs_a_check_id_and_a_reason() -> None:
    from topology import Skip, validate

    settings = Settings(checkov_skips=(Skip(check="aws-338", reason="x"), Skip(check="CKV_AWS_338", reason=" ")))
    assert validate(EXAMPLES["chain"], settings) == [
        "settings: checkov_skips[0].check: 'aws-338' is not a checkov check ID (like 'CKV_AWS_338')",
        "settings: checkov_skips[1].reason: say why CKV_AWS_338 is accepted here (make verify prints it)",
    ]


def test_an_unknown_system_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert scan.main([str(tmp_path), "--system", "acme.nowhere"]) == USER_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: system 'acme.nowhere': no such module on the import path") and "Traceback" not in err


def test_scan_each_refuses_a_name_that_is_not_one_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'a/b' is not a folder name"):
        scan_each({"a/b": tmp_path})


def test_scan_each_fails_closed_on_a_check_it_cannot_hand_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A finding under no scanned folder must stop the scan, not vanish from every folder's result."""
    report = {
        "results": {"failed_checks": [{"check_id": "CKV_X", "resource": "r", "file_path": "/elsewhere/x.tf.json", "check_name": "x"}]}
    }
    monkeypatch.setattr(scan, "_checkov", lambda directory, quiet: [report])
    with pytest.raises(AssertionError, match="'elsewhere', none of the scanned folders"):
        scan_each({"article": tmp_path})


def test_the_closing_count_does_not_call_a_skipped_finding_failed(scans: dict[str, scan.ScanResult]) -> None:
    """A new user's trial: ``8 failed`` was printed under two ``failed:`` lines (six findings were skipped by reason)."""
    result = scans["plain-log-group"]
    problems = scan.judge(result, scan.skips())
    failed = [line for line in problems if line.startswith("failed: ")]
    assert failed and len(result.failures) > len(failed)  # some findings skipped by reason, some not
    assert scan.summary(result, []).startswith(
        f"checkov: {result.passed} passed, {len(failed)} failed, {len(result.failures) - len(failed)} skipped ("
    )


def test_ckv_aws_260_is_skipped_only_on_rules_that_name_a_source_group() -> None:
    """Issue 35: the project-wide skip hid an entry open to 0.0.0.0/0 on port 80."""
    group_rule = {"check_id": "CKV_AWS_260", "resource": "aws_vpc_security_group_ingress_rule.a", "check_name": "port 80"}
    named = scan._failure(
        {**group_rule, "code_block": [[3, '"referenced_security_group_id": "${aws_security_group.x.id}",']]}, "/stacks/s/cdk.tf.json"
    )
    open_rule = scan._failure({**group_rule, "code_block": [[3, '"cidr_ipv4": "0.0.0.0/0",']]}, "/stacks/s/cdk.tf.json")
    redirect = scan._failure(
        {**group_rule, "code_block": [[4, '"description": "Entry shop: HTTP 80 from 0.0.0.0/0 (redirect to HTTPS only)",']]}, "/s"
    )
    result = scan.ScanResult(passed=0, failures=[named, open_rule, redirect], parsing_errors=0)
    assert scan.unskipped(result, scan.skips(), []) == [open_rule]


def test_what_to_do_names_every_failed_check_once_and_nothing_when_none_failed() -> None:
    failed = [
        scan.CheckovFailure(check_id=c, resource=r, file="f", name="n")
        for c, r in (("CKV_AWS_91", "a"), ("CKV_AWS_2", "b"), ("CKV_AWS_91", "c"))
    ]
    assert scan.what_to_do(failed) == (
        "what to do: change the declaration until CKV_AWS_2, CKV_AWS_91 pass(es), or accept each in the system module with "
        'Settings.checkov_skips=(Skip(check="CKV_AWS_2", reason="..."),) and your reason (docs/frontdoor.md lists what answers '
        "each check an entry trips)"
    )
    assert scan.what_to_do([]) is None
