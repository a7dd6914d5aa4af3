"""review.md as a pull request reads it: an image release, a new call, a destroy, a no-op, and a 1,000-service plan
cut to GitHub's comment limit while staying valid Markdown. The small plans are the article's real plan
(tests/proof/fixtures/plan, right after a deploy) edited as a pull request would change it."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from emulator.server import KNOWN_GAPS
from proof.findings import Finding
from proof.plan_review import COMMENT_LIMIT, FULL_REVIEW, findings, main, markdown, review
from runner.run import verdict
from toolchain import reviewed

FIXTURES = Path(__file__).parent / "fixtures" / "plan"
CLIENT_TASK = "aws_ecs_task_definition.client-nginx_task_7557D745"
CLIENT_SERVICE = "aws_ecs_service.client-nginx_service_9C1866D1"


def _services() -> dict[str, Any]:
    plan: dict[str, Any] = json.loads((FIXTURES / "services.json").read_text(encoding="utf-8"))
    return plan


def _change(plan: dict[str, Any], address: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in plan["resource_changes"] if c["address"] == address]
    assert len(found) == 1
    return found[0]


def _valid_markdown(text: str) -> None:
    """What GitHub needs to render a comment as intended: every <details> closed and summarised, code spans closed."""
    assert text.count("<details>") == text.count("</details>") == text.count("<summary>")
    assert all(line.count("`") % 2 == 0 for line in text.splitlines()), "an unclosed code span"
    depth = 0
    for line in text.splitlines():
        depth += line == "<details>"
        depth -= line == "</details>"
        assert depth in (0, 1)


def _release(plan: dict[str, Any], image: str) -> dict[str, Any]:
    released = copy.deepcopy(plan)
    task = _change(released, CLIENT_TASK)
    before = task["change"]["before"]
    containers = json.loads(before["container_definitions"])
    containers[0]["image"] = image
    task["change"]["actions"] = ["delete", "create"]
    task["change"]["after"] = {**before, "container_definitions": json.dumps(containers), "revision": None}
    task["change"]["replace_paths"] = [["container_definitions"]]
    service = _change(released, CLIENT_SERVICE)
    service["change"]["after_unknown"] = {**(service["change"].get("after_unknown") or {}), "task_definition": True}
    return released


def test_a_no_op_says_no_changes_and_folds_the_emulators_differences() -> None:
    reviews = [review("services", _services(), gaps=KNOWN_GAPS)]
    text = markdown(reviews)
    assert text.splitlines()[:3] == ["## Plan review: services", "", "No changes."]
    assert "<summary>4 change(s) differ only in attributes the emulator is known not to store" in text
    assert "[!WARNING]" not in text and "### Services this change redeploys" not in text
    assert verdict(reviews) == reviewed.NO_CHANGES
    _valid_markdown(text)


def test_an_image_release_shows_old_and_new_and_why_the_service_redeploys() -> None:
    reviews = [review("services", _release(_services(), "registry.example/client:v2"), gaps=KNOWN_GAPS)]
    text = markdown(reviews)
    assert text.splitlines()[2] == "**services**: 0 to add, 1 to change, 0 to destroy, 1 to replace"
    assert "- services: internal-api-client-nginx/client-nginx: `public.ecr.aws/nginx/nginx:latest` → `registry.example/client:v2`" in text
    assert "- services: client-nginx: new task definition revision" in text
    assert f"> - services: `{CLIENT_TASK}` (replace)" in text  # the warning block names the replaced revision
    assert text.index("[!WARNING]") < text.index("### Images (old → new)")
    assert Finding("services", "internal-api-client-nginx/client-nginx", "image", reviews[0].lines("image")[0]) in findings(reviews)
    assert verdict(reviews) == reviewed.CHANGES
    _valid_markdown(text)


def test_a_new_call_names_the_new_server_as_the_reason() -> None:
    plan = _services()
    service = _change(plan, CLIENT_SERVICE)
    before = service["change"]["before"]
    service["change"]["after"] = {**before, "triggers": {**before["triggers"], "service_connect_reporter": "0123456789abcdef"}}
    text = markdown([review("services", plan, gaps=KNOWN_GAPS)])
    assert "- services: client-nginx: a new call (reporter)" in text
    assert "changed server endpoint" not in text


def test_a_changed_server_endpoint_is_said_so() -> None:
    plan = _services()
    service = _change(plan, CLIENT_SERVICE)
    before = service["change"]["before"]
    service["change"]["after"] = {**before, "triggers": {"service_connect_internal-nginx": "fedcba9876543210"}}
    assert "- services: client-nginx: a changed server endpoint (internal-nginx)" in markdown([review("services", plan)])


def test_a_destroy_comes_first_in_a_warning_block() -> None:
    plan = _services()
    group = next(c for c in plan["resource_changes"] if c["type"] == "aws_cloudwatch_log_group")
    group["change"]["actions"] = ["delete"]
    group["change"]["after"] = None
    text = markdown([review("services", plan, gaps=KNOWN_GAPS)])
    lines = text.splitlines()
    assert lines[2] == "**services**: 0 to add, 0 to change, 1 to destroy, 0 to replace"
    assert lines[4:7] == [
        "> [!WARNING]",
        "> This plan destroys or replaces 1 resource(s):",
        f"> - services: `{group['address']}` (destroy)",
    ]
    assert "<summary>destroy (1)</summary>" in text
    _valid_markdown(text)


def test_every_warning_of_the_run_is_in_the_review() -> None:
    warning = "warning: TF_VAR_image_orders is set, but no selected stack declares image_orders"
    assert f"- {warning}" in markdown([review("services", _services())], [warning])


def _thousand_services() -> dict[str, Any]:
    """A plan that releases a new image of 1,000 services: a replaced task definition and an updated service each."""
    changes = []
    for index in range(1000):
        name = f"service-{index:04d}"
        was = json.dumps([{"name": name, "image": f"registry.example/{name}:v1"}])
        now = json.dumps([{"name": name, "image": f"registry.example/{name}:v2"}])
        changes.append(
            {
                "address": f"aws_ecs_task_definition.{name}_task",
                "type": "aws_ecs_task_definition",
                "change": {
                    "actions": ["delete", "create"],
                    "before": {"family": name, "container_definitions": was},
                    "after": {"family": name, "container_definitions": now},
                    "after_unknown": {},
                    "replace_paths": [["container_definitions"]],
                },
            }
        )
        changes.append(
            {
                "address": f"aws_ecs_service.{name}_service",
                "type": "aws_ecs_service",
                "change": {
                    "actions": ["update"],
                    "before": {"name": name, "task_definition": "old"},
                    "after": {"name": name, "task_definition": None},
                    "after_unknown": {"task_definition": True},
                },
            }
        )
    return {
        "format_version": "1.2",
        "resource_changes": changes,
        "planned_values": {"root_module": {}},
        "configuration": {"root_module": {}},
        "prior_state": {"values": {"root_module": {}}},
    }


def test_a_thousand_services_fit_in_one_comment_and_stay_valid_markdown() -> None:
    reviews = [review("services", _thousand_services())]
    assert reviews[0].counts == {"add": 0, "change": 1000, "replace": 1000, "destroy": 0}
    full = markdown(reviews, limit=10**9)
    assert len(full) > COMMENT_LIMIT  # else the test proves nothing
    text = markdown(reviews)
    assert len(text) <= COMMENT_LIMIT
    assert text.splitlines()[2] == "**services**: 0 to add, 1000 to change, 0 to destroy, 1000 to replace"
    notes = re.findall(rf"^- … (\d+) more not shown here: {re.escape(FULL_REVIEW)}$", text, re.M)
    assert len(notes) >= 3 and all(int(n) > 0 for n in notes)  # each long section says what it left out
    assert "### Images (old → new)" in text and "<summary>replace (1000)</summary>" in text
    _valid_markdown(text)


def test_json_and_markdown_come_from_one_list_of_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "services.json").write_text(json.dumps(_release(_services(), "registry.example/client:v2")), encoding="utf-8")
    assert main([str(tmp_path / "services.json"), "--emulator", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {
        "kind": "redeploy",
        "stack": "services",
        "address": "client-nginx",
        "message": "client-nginx: new task definition revision",
    } in listed
    assert sorted({item["kind"] for item in listed}) == ["image", "redeploy", "replacement"]
    text = markdown([review("services", _release(_services(), "registry.example/client:v2"), gaps=KNOWN_GAPS)])
    assert all(f"- services: {item['message']}" in text for item in listed)
