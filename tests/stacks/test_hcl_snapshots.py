"""The HCL of the default system (the article), file by file as ``make hcl`` writes it.

A difference fails the test and shows the diff. After reviewing it, accept the new
output with ``make snapshot-update`` (the same command as the JSON snapshots) and
commit the changed files with the change. Needs terraform (schema, ``fmt``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from examples import article
from topology import Settings
from writers import hcl

from ..conftest import Synthesizer

pytestmark = pytest.mark.slow  # terraform (provider schema, fmt): `make test-fast` leaves it out


class TerraformHcl(SingleFileSnapshotExtension):
    """One ``.tf`` file per generated file, stored exactly as written."""

    file_extension = "tf"
    _write_mode = WriteMode.TEXT


@pytest.fixture(scope="module")
def article_hcl(synthesize: Synthesizer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("article-hcl")
    shutil.copytree(synthesize(article.TOPOLOGY, Settings()).outdir, root / "cdktf.out", ignore=shutil.ignore_patterns(".terraform*"))
    hcl.convert(root / "cdktf.out", root / "hcl")
    return root / "hcl"


@pytest.mark.parametrize("name", hcl.FILES)
@pytest.mark.parametrize("stack", ["network", "services"])
def test_article_hcl(stack: str, name: str, article_hcl: Path, snapshot: SnapshotAssertion) -> None:
    path = article_hcl / stack / name
    written = path.read_text(encoding="utf-8") if path.exists() else "(not written)\n"  # variables.tf: only where there are variables
    assert written == snapshot(extension_class=TerraformHcl)
