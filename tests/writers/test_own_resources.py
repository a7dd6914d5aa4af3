"""docs/own-resources.md: its grants table is what the code grants, and every snippet on it runs as written."""

from __future__ import annotations

import re

import pytest

from writers import own_resources

SNIPPETS = re.findall(r"```python\n(.*?)```", own_resources.PAGE.read_text(encoding="utf-8"), re.S)


def test_the_grants_table_is_what_the_code_grants() -> None:
    page = own_resources.PAGE.read_text(encoding="utf-8")
    assert page == own_resources.render(page), "docs/own-resources.md is out of date: run `make docs`"
    assert "| `Queue` (`aws_sqs_queue`) | `.send` | `sqs:GetQueueAttributes`, `sqs:GetQueueUrl`, `sqs:SendMessage` |" in page


def test_the_page_shows_each_escape_hatch() -> None:
    shown = "\n".join(SNIPPETS)
    for hatch in ("grants=", "add_override", "Aspects.of", "Testing.to_have_resource_with_properties", "get_string_attribute"):
        assert hatch in shown, hatch


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet{index}" for index in range(len(SNIPPETS))])
def test_every_snippet_runs(snippet: str) -> None:
    exec(compile(snippet, str(own_resources.PAGE), "exec"), {"__name__": "snippet"})  # the page's own code, as a reader pastes it
