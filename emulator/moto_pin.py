"""The moto release serve.py and custom_ids.py were written against: they replace moto internals by name.

A different moto may have renamed or reshaped any of them, and a patch that no longer fits would
change the emulator's answers silently, so the server refuses to start on another version, in one
line that names both versions and where the pin lives.
"""

from __future__ import annotations

from importlib import metadata

PATCHED_FOR = "5.2.5"
"""The version in emulator/Pipfile.lock; moving the pin means re-checking every patch in serve.py and custom_ids.py."""


class MotoVersionError(RuntimeError):
    """The installed moto is not the one the emulator's patches fit."""


def check(installed: str | None = None) -> None:
    """Raise ``MotoVersionError`` unless ``installed`` (default: the installed moto's version) is ``PATCHED_FOR``."""
    try:
        found = installed if installed is not None else metadata.version("moto")
    except metadata.PackageNotFoundError:
        found = "none"
    if found != PATCHED_FOR:
        raise MotoVersionError(
            f"the emulator patches moto {PATCHED_FOR}'s internals (emulator/serve.py, emulator/custom_ids.py), but moto {found} "
            "is installed: run `make setup` (emulator/Pipfile.lock pins it), or re-check those patches before moving the pin"
        )
