"""Run checkov over the synthesized Terraform JSON, with the repo's justified skip list.

checkov lives in its own locked environment (``proof/checkov/``: its pins conflict
with pytest's), installed by ``make setup``. Offline by design: ``--skip-download``.

    python -m proof.scan [cdktf.out] [--system M [--env E]]    # exit 1 on a failed check or a stale skip

A system records its own justified exceptions next to its declaration (``Settings`` or an
``Environment``'s ``checkov_skips``): they apply to that system's (environment's) stacks only,
and each is printed with its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topology.entry import REDIRECT_ONLY
from topology.errors import USER_ERROR, CommandLine, UserError, command
from topology.system import SelectionError

HERE = Path(__file__).resolve().parent / "checkov"
CHECKOV = HERE / ".venv" / "bin" / "checkov"
SKIPS = HERE / "skips.toml"


@dataclass(frozen=True)
class CheckovFailure:
    """One check checkov failed on one resource (its own report, not the proof's: the proof's are ``proof.findings``)."""

    check_id: str
    resource: str
    file: str
    name: str
    names_source_group: bool = False
    """The resource's body names a source security group (``referenced_security_group_id``): what CKV_AWS_260 misreads."""
    redirect_only: bool = False
    """The resource is the ingress rule of an entry's redirect-only HTTP listener (its description says so)."""

    def __str__(self) -> str:
        return f"{self.check_id} {self.file}: {self.resource}: {self.name}"


@dataclass(frozen=True)
class ScanResult:
    passed: int
    failures: list[CheckovFailure]
    parsing_errors: int


def skips() -> dict[str, str]:
    table = tomllib.loads(SKIPS.read_text(encoding="utf-8"))
    return {check: str(entry.get("reason", "")).strip() for check, entry in table.items()}


def scan(outdir: Path) -> ScanResult:
    """All of checkov's failures (no skips applied), so stale skips can be detected too."""
    failures, passed, parsing_errors = [], 0, 0
    for report in _checkov(outdir, quiet=True):
        summary = report.get("summary", {})
        passed += summary.get("passed", 0)
        parsing_errors += summary.get("parsing_errors", 0)
        failures += [_failure(failed, failed["file_path"]) for failed in report.get("results", {}).get("failed_checks", [])]
    return ScanResult(passed, sorted(failures, key=str), parsing_errors)


def _failure(failed: dict[str, Any], file_path: str) -> CheckovFailure:
    body = "".join(str(line[1]) for line in failed.get("code_block") or [] if isinstance(line, list) and len(line) == 2)
    return CheckovFailure(
        failed["check_id"],
        failed["resource"],
        file_path,
        failed["check_name"],
        '"referenced_security_group_id"' in body,
        f"({REDIRECT_ONLY})" in body,
    )


SCOPED_SKIPS = {"CKV_AWS_260": lambda failure: failure.names_source_group or failure.redirect_only}
"""Skips in skips.toml that hold only for some failures of their check: CKV_AWS_260's false positive is a rule naming
a source group, and everyone on port 80 is what an HTTPS site's redirect listener admits; a rule that really admits
0.0.0.0/0 to a forwarding port 80 (an internal plain-HTTP entry's) still fails."""


def skipped_by_reason(failure: CheckovFailure, skip_reasons: dict[str, str]) -> bool:
    scope = SCOPED_SKIPS.get(failure.check_id)
    return failure.check_id in skip_reasons and (scope is None or scope(failure))


def _checkov(directory: Path, *, quiet: bool) -> list[dict[str, Any]]:
    """checkov's JSON reports over ``directory`` (Terraform JSON only, offline); ``quiet`` leaves passed checks out."""
    if not CHECKOV.is_file():
        raise UserError(f"{CHECKOV} is missing: run `make setup` (it installs checkov from proof/checkov/Pipfile.lock)")
    done = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--framework",
            "terraform_json",
            "--skip-download",
            "-o",
            "json",
            *(["--quiet"] if quiet else []),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"},
    )
    if done.returncode not in (0, 1):
        raise UserError(f"checkov failed ({done.returncode}):\n{done.stderr[-2000:]}")
    reports = json.loads(done.stdout or "[]")
    return list(reports) if isinstance(reports, list) else [reports]


@dataclass(frozen=True)
class DeclaredSkips:
    """A system's (environment's) own justified skips: ``Settings.checkov_skips``, for its stacks only."""

    stacks: tuple[str, ...]
    reasons: dict[str, str]

    def covers(self, failure: CheckovFailure) -> bool:
        return failure.check_id in self.reasons and stack_of(failure) in self.stacks


def stack_of(failure: CheckovFailure) -> str:
    """``/stacks/network-staging/cdk.tf.json`` -> ``network-staging``."""
    parts = Path(failure.file).parts
    return parts[parts.index("stacks") + 1] if "stacks" in parts[:-1] else ""


def declared_skips(system: str | None, env: str | None) -> list[DeclaredSkips]:
    """The selected deployments' skips (each environment's with the system's), one entry per deployment."""
    from topology.selection import select

    chosen = select(system, env).chosen
    return [DeclaredSkips(d.stacks, {skip.check: skip.reason for skip in d.settings.checkov_skips}) for d in chosen]


def unskipped(result: ScanResult, skip_reasons: dict[str, str], declared: list[DeclaredSkips]) -> list[CheckovFailure]:
    """The failures that neither a reason in skips.toml nor the declaration skips."""
    return [
        failure
        for failure in result.failures
        if not skipped_by_reason(failure, skip_reasons) and not any(entry.covers(failure) for entry in declared)
    ]


def judge(result: ScanResult, skip_reasons: dict[str, str], declared: list[DeclaredSkips] | None = None) -> list[str]:
    """Problems: unskipped failures, skips without a reason, files checkov could not parse, declared skips no failure needs."""
    declared = declared or []
    problems = [f"failed: {failure}" for failure in unskipped(result, skip_reasons, declared)]
    for entry in declared:
        for check in sorted(entry.reasons):
            if not any(entry.covers(failure) for failure in result.failures):
                problems.append(f"skip {check} of {', '.join(entry.stacks)} matches no finding: remove it from the declaration")
    problems += [f"skip {check} has no reason in {SKIPS.name}" for check, reason in skip_reasons.items() if not reason]
    if result.parsing_errors:
        problems.append(f"checkov could not parse {result.parsing_errors} file(s)")
    return problems


def what_to_do(failed: list[CheckovFailure]) -> str | None:
    """The one line after the failures that says how to answer them: change the declaration until the check passes,
    or accept it in the system module with a reason (``make verify`` prints it on every run)."""
    checks = sorted({failure.check_id for failure in failed})
    if not checks:
        return None
    example = f'Skip(check="{checks[0]}", reason="...")'
    return (
        f"what to do: change the declaration until {', '.join(checks)} pass(es), or accept each in the system module with "
        f"Settings.checkov_skips=({example},) and your reason (docs/frontdoor.md lists what answers each check an entry trips)"
    )


def declared_lines(declared: list[DeclaredSkips]) -> list[str]:
    """What ``make verify`` prints of the declaration's skips: each check, where, and why."""
    return [
        f"checkov: skipped by the declaration: {check} in {', '.join(entry.stacks)}: {' '.join(reason.split())}"
        for entry in declared
        for check, reason in sorted(entry.reasons.items())
    ]


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default="cdktf.out", type=Path)
    parser.add_argument("--system", help="the system module whose declared skips (Settings/Environment.checkov_skips) apply")
    parser.add_argument("--env", help="its environment")
    args = parser.parse_args(argv)
    try:
        declared = declared_skips(args.system, args.env) if args.system else []
    except SelectionError as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
    result = scan(args.outdir)
    problems = judge(result, skips(), declared)
    for problem in problems:
        print(problem)
    hint = what_to_do(unskipped(result, skips(), declared))
    if hint:
        print(hint, file=sys.stderr)
    for line in declared_lines(declared):
        print(line, file=sys.stderr)
    print(summary(result, declared), file=sys.stderr)
    return 1 if problems else 0


def summary(result: ScanResult, declared: list[DeclaredSkips]) -> str:
    """The closing count: a skipped failure (by a reason in skips.toml or the declaration) is not counted as failed."""
    failed = len(unskipped(result, skips(), declared))
    skipped = len(result.failures) - failed
    return f"checkov: {result.passed} passed, {failed} failed, {skipped} skipped (checks skipped by reason: {sorted(skips())})"


if __name__ == "__main__":
    raise SystemExit(command(main))
