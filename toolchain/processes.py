"""Stopping a helper process (moto, the AWS provider) the same way everywhere: politely, then for sure."""

from __future__ import annotations

import subprocess
from typing import Protocol

GRACE_SECONDS = 10.0


class Stoppable(Protocol):
    """What ``stop`` needs of a process: ``subprocess.Popen``, or a server forked elsewhere (``emulator.server.Forked``)."""

    def terminate(self) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def stop(process: Stoppable, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM, then SIGKILL if it is still there after ``grace`` seconds: a helper never outlives its command."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
