"""The emulator refuses a moto its patches were not written for, in one line (fast: no emulator needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator import moto_pin


def test_the_pinned_version_is_the_locked_one(project_root: Path) -> None:
    """Moving the lock without re-checking the patches must fail here first."""
    lock = json.loads((project_root / "emulator" / "Pipfile.lock").read_text(encoding="utf-8"))
    assert lock["default"]["moto"]["version"] == f"=={moto_pin.PATCHED_FOR}"


def test_the_pinned_version_passes() -> None:
    moto_pin.check(moto_pin.PATCHED_FOR)


@pytest.mark.parametrize("installed", ["5.2.6", "none"])
def test_another_version_is_one_line_naming_both(installed: str) -> None:
    with pytest.raises(moto_pin.MotoVersionError) as caught:
        moto_pin.check(installed)
    message = str(caught.value)
    assert "\n" not in message
    assert f"moto {moto_pin.PATCHED_FOR}'s internals" in message and f"moto {installed} is installed" in message
