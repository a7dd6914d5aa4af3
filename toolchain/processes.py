"""The helper processes a command starts (moto, the AWS provider) live exactly as long as the command.

Stopping them the same way everywhere: politely, then for sure (``stop``), from the command's
``finally`` blocks. Those run on an error and on Ctrl-C, and, once ``interrupt_on_sigterm`` is
in place, on SIGTERM too (``timeout``, a cancelled CI job, ``kill``). A command killed outright
(SIGKILL, the out-of-memory killer) runs nothing, so on Linux a helper is also told by the kernel
when the thread that started it is gone (``tied``), and a moto server watches the
process that asked for it (``emulator/serve.py``). Their sockets go in one folder per command
(``private_folder``), which the next command sweeps away if its owner was killed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Protocol

GRACE_SECONDS = 10.0


def last_line(stderr: str, default: str = "no output") -> str:
    """The line of a failed process's output that says why (its last one, where every tool puts its error), for the
    one line a command prints; ``default`` when it printed nothing."""
    return (stderr.strip().splitlines() or [default])[-1]


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


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a process of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised where the command is, like Ctrl-C's KeyboardInterrupt, so its ``finally`` blocks run."""


def _raise_terminated(number: int, frame: FrameType | None) -> None:
    raise Terminated(f"signal {number}")


def interrupt_on_sigterm() -> None:
    """From now on SIGTERM stops this command as Ctrl-C does (Python's default would end it on the spot, its helpers left running)."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def interrupted(command: str, stopped: KeyboardInterrupt, *, then: str = "") -> int:
    """Say in one line that ``command`` stopped on Ctrl-C or SIGTERM (its helpers are stopped by then), and
    ``then``, what to do next; the exit code a shell gives a command ended by that signal."""
    number = signal.SIGTERM if isinstance(stopped, Terminated) else signal.SIGINT
    cause = "SIGTERM" if number == signal.SIGTERM else "Ctrl-C"
    print(f"{command}: stopped by {cause}{'; ' + then if then else ''}", file=sys.stderr)
    return 128 + number


TIE = """\
import ctypes, os, sys
parent, number = int(sys.argv[1]), int(sys.argv[2])
ctypes.CDLL(None, use_errno=True).prctl(1, number)  # PR_SET_PDEATHSIG
if os.getppid() != parent:  # the parent died before the tie was made
    os.kill(os.getpid(), number)
os.execv(sys.argv[3], sys.argv[3:])
"""
"""Run by ``tied``: set the parent-death signal, then become the program (same pid, environment and files)."""


def tied(command: list[str], number: int = signal.SIGTERM) -> list[str]:
    """``command`` started so that Linux sends it ``number`` when the calling thread ends, however it ends.

    The kernel's parent-death signal survives exec, so it covers a program that is not ours (the AWS
    provider). It is set by a small Python launcher that then execs ``command``, not by a ``preexec_fn``:
    that would make subprocess fork() this process, and grpcio (loaded here for the schema proxy) runs
    its fork handlers in the child, which then fails before it execs. Start the child from the thread
    that stops it (the one that holds it for its whole life): it is that thread's end that counts.
    Unchanged where there is no prctl(2)."""
    if not sys.platform.startswith("linux"):
        return command
    return [sys.executable, "-I", "-S", "-c", TIE, str(os.getpid()), str(int(number)), *command]


FOLDER_PREFIX = "internal-api-"


@contextmanager
def private_folder(purpose: str, *, root: Path | None = None) -> Iterator[Path]:
    """A new folder for this command's sockets (``<tmp>/internal-api-<purpose>-<host>-<pid>-*``), removed afterwards.

    Folders of the same purpose that a command on this host left when it was killed (its pid is
    gone) are removed first, so a SIGKILL leaves at most one behind until the next run. The host
    is in the name because a /tmp shared between containers is not a shared set of pids."""
    base = Path(root or tempfile.gettempdir())
    sweep(base, purpose)
    folder = Path(tempfile.mkdtemp(prefix=f"{_prefix(purpose)}{os.getpid()}-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(base: Path, purpose: str) -> None:
    """Remove this host's ``private_folder`` folders under ``base`` whose owning process no longer exists."""
    prefix = _prefix(purpose)
    with os.scandir(base) as entries:
        for entry in entries:
            if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
                continue
            owner = entry.name[len(prefix) :].split("-", 1)[0]
            if owner.isdigit() and not alive(int(owner)):
                shutil.rmtree(entry.path, ignore_errors=True)


def _prefix(purpose: str) -> str:
    host = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]
    return f"{FOLDER_PREFIX}{purpose}-{host}-"
