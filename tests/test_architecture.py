"""docs/architecture.md's bottom-up order of the folders is the order their imports make (tests/test_layout.py checks
each folder's arrows; this checks the sentence that says which way they all run)."""

from __future__ import annotations

import re
from pathlib import Path

from .test_layout import _graph, _packages

PAGE = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def _floors(graph: dict[str, set[str]]) -> list[set[str]]:
    """The folders by floor: each on the lowest floor above every folder it imports (floor 0 imports none)."""
    floor: dict[str, int] = {}

    def of(name: str) -> int:
        if name not in floor:
            floor[name] = 1 + max((of(other) for other in graph.get(name, ()) if other != name), default=-1)
        return floor[name]

    for name in graph:
        of(name)
    return [{name for name, at in floor.items() if at == level} for level in range(max(floor.values()) + 1)]


def _written() -> list[set[str]]:
    """The order as the page writes it: floors split by ``;``, folders of one floor joined by ``and``."""
    text = " ".join(PAGE.read_text(encoding="utf-8").split())
    sentence = re.search(r"From the bottom up, each folder importing only folders below it: (.*?) \(tests/", text)
    assert sentence, "the page no longer says the order of the folders"
    return [set(re.findall(r"`([a-z_]+)/?`", part)) for part in sentence.group(1).split(";")]


def test_the_page_orders_the_folders_as_their_imports_do(project_root: Path) -> None:
    floors = _floors(_packages(_graph(project_root)))
    assert len(floors) > 5 and floors[0] == {"topology"}
    assert _written() == floors


def test_the_floors_follow_the_arrows() -> None:
    assert _floors({"a": set(), "b": {"a"}, "c": {"a"}, "d": {"b", "c", "d"}}) == [{"a"}, {"b", "c"}, {"d"}]
