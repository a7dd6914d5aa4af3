"""Fixtures shared by the declaration's tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path`` on the import path, for system modules written by a test; their ``acme`` modules forgotten after."""
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n == "acme" or n.startswith("acme.")]:
        del sys.modules[name]
