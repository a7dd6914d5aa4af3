"""One checkov run over many synthesized folders, for the tests: starting checkov is most of a scan.

Test-only (``make verify`` scans one folder with ``proof.scan.scan``); it hands each folder back the
result ``scan`` would have given it, so the tests check ``scan``'s result shape, only faster.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from proof import scan


def scan_each(outdirs: Mapping[str, Path]) -> dict[str, scan.ScanResult]:
    """``scan`` of each outdir (by name), in one checkov run: starting checkov is most of a scan (4 of 5 CPU s).

    The outdirs are copied under their names into one scratch folder and scanned together; every
    passed check, finding and unreadable file is handed back to the outdir its path is in, with the
    path ``scan`` would give (relative to that outdir).
    """
    bad = [name for name in outdirs if not name or "/" in name or name in (".", "..")]
    if bad:
        raise ValueError(f"scan_each: {bad[0]!r} is not a folder name (one path component: the folder it is copied to)")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name, outdir in outdirs.items():
            shutil.copytree(outdir, root / name, ignore=shutil.ignore_patterns(".terraform"))
        reports = [report.get("results", {}) for report in scan._checkov(root, quiet=False)]
        unreadable = [_inside(root, path) for r in reports for path in r.get("parsing_errors", [])]
    passed = [_owner(check["file_path"]) for r in reports for check in r.get("passed_checks", [])]
    failed = [(_owner(check["file_path"]), check) for r in reports for check in r.get("failed_checks", [])]
    owners = {owner for owner, _ in passed} | {owner for (owner, _), _ in failed} | {path.split("/", 1)[0] for path in unreadable}
    stray = sorted(owners - set(outdirs))
    if stray:  # fail closed: a check that cannot be handed back must not vanish from every result
        raise AssertionError(f"checkov reported a file under {stray[0]!r}, none of the scanned folders ({', '.join(outdirs)})")
    return {
        name: scan.ScanResult(
            passed=sum(owner == name for owner, _ in passed),
            failures=sorted((scan._failure(check, path) for (owner, path), check in failed if owner == name), key=str),
            parsing_errors=sum(path.split("/", 1)[0] == name for path in unreadable),
        )
        for name in outdirs
    }


def _inside(root: Path, path: str) -> str:
    """An unreadable file's path relative to ``root``: checkov names it absolute, or from the scanned folder."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.lstrip("/")


def _owner(file_path: str) -> tuple[str, str]:
    """``/article/stacks/services/cdk.tf.json`` -> ``("article", "/stacks/services/cdk.tf.json")``."""
    name, _, rest = file_path.lstrip("/").partition("/")
    return name, f"/{rest}"
