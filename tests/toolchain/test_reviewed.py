"""The reviewed-plan manifest: an apply refuses, in one line, a plan file, tree or read output that changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolchain import reviewed


def _planned(tmp_path: Path) -> reviewed.Manifest:
    for stack in ("network-prod", "services-prod"):
        (tmp_path / f"{stack}.tfplan").write_bytes(f"plan of {stack}".encode())
    return reviewed.record(tmp_path, ["network-prod", "services-prod"], "a" * 40, {"network-prod": {"vpc_id": "vpc-1"}})


def test_the_manifest_records_each_hash_and_the_tree(tmp_path: Path) -> None:
    _planned(tmp_path)
    body = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert body["tree"] == "a" * 40
    assert body["plans"]["network-prod"] == reviewed.sha256(tmp_path / "network-prod.tfplan")
    assert len(body["plans"]["services-prod"]) == 64
    assert reviewed.load(tmp_path) == reviewed.Manifest.from_json((tmp_path / "manifest.json").read_text(encoding="utf-8"))


def test_an_unchanged_plan_on_the_reviewed_tree_is_applied(tmp_path: Path) -> None:
    assert reviewed.refusal(_planned(tmp_path), tmp_path, "a" * 40) is None


def test_a_changed_plan_file_is_refused_in_one_line(tmp_path: Path) -> None:
    manifest = _planned(tmp_path)
    (tmp_path / "services-prod.tfplan").write_bytes(b"another plan")
    problem = reviewed.refusal(manifest, tmp_path, "a" * 40)
    assert problem == "refused: services-prod.tfplan is not the reviewed plan (its SHA-256 changed); nothing was applied"


def test_another_tree_is_refused(tmp_path: Path) -> None:
    problem = reviewed.refusal(_planned(tmp_path), tmp_path, "b" * 40)
    assert problem is not None and problem.startswith("refused: the tree to apply (bbbbbbbbbbbb)")
    assert "\n" not in problem


def test_changed_network_outputs_stop_the_services_apply(tmp_path: Path) -> None:
    manifest = _planned(tmp_path)
    assert reviewed.outputs_refusal(manifest, "network-prod", {"vpc_id": "vpc-1"}) is None
    problem = reviewed.outputs_refusal(manifest, "network-prod", {"vpc_id": "vpc-2", "extra": 1})
    assert problem == "refused: the network-prod apply changed extra, vpc_id, which the next stack's plan read; plan again"


def test_no_manifest_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(reviewed.ReviewedPlanError, match=r"^no manifest.json in .*run `make ci-plan` first$"):
        reviewed.load(tmp_path)


def test_the_tree_is_git_s(tmp_path: Path) -> None:
    tree = reviewed.git_tree(Path(__file__).resolve().parents[2])
    assert len(tree) == 40 and int(tree, 16) >= 0
