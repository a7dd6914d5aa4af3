"""``.tf`` files read by HashiCorp's own HCL parser (``hcl2json.js`` over ``@cdktf/hcl2json``), one node process
per batch: comments anywhere, byte-order marks and indented heredocs are read exactly as Terraform reads them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from toolchain.processes import last_line

from .model import CheckerError

SCRIPT = Path(__file__).with_name("hcl2json.js")
_parsed: dict[tuple[str, str], dict[str, Any] | str] = {}
"""(file name, text) -> its Terraform JSON shape, or the parser's one-line error; a test session parses a file once."""


def parse_hcl(paths: list[Path]) -> dict[Path, dict[str, Any] | str]:
    """Each file's configuration (``dict``) or the parser's error (``str``); new texts parsed in one batch."""
    texts = {path: path.read_text(encoding="utf-8-sig") for path in paths}
    missing = sorted({(path.name, text) for path, text in texts.items() if (path.name, text) not in _parsed})
    if missing:
        for key, result in zip(missing, _run([{"name": name, "text": text} for name, text in missing]), strict=True):
            _parsed[key] = result
    return {path: _parsed[(path.name, text)] for path, text in texts.items()}


def _run(files: list[dict[str, str]]) -> list[dict[str, Any] | str]:
    node = shutil.which("node")
    if node is None:
        raise CheckerError("reading .tf files needs node (the cdktf CLI's runtime): not found on PATH")
    done = subprocess.run([node, str(SCRIPT)], input=json.dumps(files), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CheckerError(f"the HCL parser failed: {last_line(done.stderr)}")
    results = json.loads(done.stdout)
    return [
        item["body"] if "body" in item else str(item.get("error")).removeprefix("parse config: [").removesuffix("]") for item in results
    ]
