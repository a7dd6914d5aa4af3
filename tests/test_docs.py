"""The docs stay true: both READMEs in sync, the committed diagrams current, every make target documented."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tools import diagram

FENCE = re.compile(r"^```.*?^```$", re.S | re.M)


def _headings(text: str) -> list[tuple[int, str]]:
    without_code = FENCE.sub("", text)
    return [(len(m[1]), m[2].strip()) for m in re.finditer(r"^(#{1,3}) (.+)$", without_code, re.M)]


def _code_blocks(text: str) -> list[list[str]]:
    """Code blocks with trailing `#` comments removed from sh lines (those may be translated)."""
    blocks = []
    for block in FENCE.findall(text):
        lines = block.splitlines()
        if lines[0].startswith("```sh"):
            lines = [re.sub(r"\s+# .*$", "", line) if not line.lstrip().startswith("#") else line for line in lines]
        blocks.append(lines)
    return blocks


@pytest.fixture(scope="module")
def readmes(project_root: Path) -> tuple[str, str]:
    return (project_root / "README.md").read_text(encoding="utf-8"), (project_root / "README.ja.md").read_text(encoding="utf-8")


def test_every_section_has_its_japanese_counterpart(readmes: tuple[str, str]) -> None:
    english, japanese = readmes
    ja = _headings(japanese)
    assert len(ja) == len(_headings(english))
    for (level, title), (ja_level, ja_title) in zip(_headings(english), ja, strict=True):
        assert ja_level == level and ja_title.endswith(f"({title})"), f"{'#' * level} {title} <-> {'#' * ja_level} {ja_title}"


def test_every_command_and_code_block_is_in_both(readmes: tuple[str, str]) -> None:
    english, japanese = readmes
    assert _code_blocks(japanese) == _code_blocks(english)
    make_targets = set(re.findall(r"`(make [a-z-]+(?: [A-Z]+=[a-z_]+)?)`", english))
    assert make_targets and all(f"`{target}`" in japanese for target in make_targets)


def test_committed_diagrams_are_current() -> None:
    assert diagram.main(["--check"]) == 0, "run `make diagram` and commit the result"


def test_diagram_is_drawn_from_the_declaration() -> None:
    from examples import chain
    from topology import Settings

    text = diagram.mermaid(chain.TOPOLOGY, Settings())
    assert 'web -- "http://api.serviceconnectns:8080" --> api' in text
    assert 'api -- "http://worker.serviceconnectns:80" --> worker' in text
    assert "SG worker: tcp/80 from api only" in text and "SG web: no ingress" in text
    assert ".-x cluster" in text  # the absent internet ingress is drawn


def test_make_help_lists_every_target(project_root: Path) -> None:
    makefile = (project_root / "Makefile").read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY: (.+)$", makefile, re.M)[1].split())  # type: ignore[index]
    documented = set(re.findall(r"^([a-z-]+):.*## ", makefile, re.M))
    assert phony - documented <= {"pytest"}, f"targets without a help line: {sorted(phony - documented - {'pytest'})}"
    shown = subprocess.run(["make", "--no-print-directory", "help"], cwd=project_root, capture_output=True, text=True, check=True).stdout
    assert all(f"make {target} " in shown for target in documented)


def test_every_example_module_is_registered(project_root: Path) -> None:
    import examples

    modules = sorted(p.stem for p in (project_root / "examples").glob("*.py") if p.stem != "__init__")
    assert modules == sorted(examples.NAMES)
