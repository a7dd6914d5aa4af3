"""docs/reference.md is generated from topology/ and must match it, field for field, like terraform-docs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from writers import reference


def test_the_committed_reference_is_what_the_code_generates(project_root: Path) -> None:
    committed = (project_root / "docs" / "reference.md").read_text(encoding="utf-8")
    assert committed == reference.render(), "docs/reference.md is out of date: run `make docs`"


def test_every_field_and_class_of_the_declaration_is_documented() -> None:
    assert reference.undocumented(reference.classes()) == []


def test_every_exported_dataclass_has_a_section_with_every_field() -> None:
    text = reference.render()
    assert {"Service", "Port", "Settings"} <= {cls.__name__ for cls in reference.classes()}
    for cls in reference.classes():
        section = text.split(f"## `{cls.__name__}`", 1)[1].split("\n## ", 1)[0]
        for field in dataclasses.fields(cls):
            assert f"| `{field.name}` |" in section, f"{cls.__name__}.{field.name}"


def test_each_class_has_one_section_and_one_contents_line_whatever_its_aliases() -> None:
    """``Sizing`` is ``ServiceOverride`` under its older name: the reference lists the class once."""
    text = reference.render()
    for cls in reference.classes():
        assert text.count(f"\n## `{cls.__name__}`\n") == 1, cls.__name__
        assert text.count(f"- [`{cls.__name__}`](") == 1, cls.__name__
    assert "## `ServiceOverride`" in text


def test_defaults_are_shown_as_the_user_writes_them() -> None:
    text = reference.render()
    assert "| `egress` | `tuple[Egress, ...]` | `(HTTPS_ANYWHERE,)` |" in text
    assert "| `capacity` | `Capacity` | `Capacity()` |" in text
    assert "| `image` | `str` | `DEFAULT_IMAGE` |" in text
    assert "| `name` | `str` | required |" in text


def test_a_field_without_a_docstring_is_reported() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Probe:
        """A probe."""

        documented: int = 1
        """Has a meaning."""
        bare: int = 2

    assert reference.undocumented([Probe]) == ["Probe.bare"]


def test_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "reference.md"
    stale.write_text("old\n", encoding="utf-8")
    assert reference.main([str(stale), "--check"]) == 1
    assert reference.main([str(stale)]) == 0
    assert reference.main([str(stale), "--check"]) == 0
