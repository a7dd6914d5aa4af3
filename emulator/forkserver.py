"""Start emulators by forking one process that has imported moto already (run with the emulator's Python).

Each emulator is a new moto server, and a new server spends 1.4 CPU s importing moto and
serve.py's changes before it answers. A test run starts about thirty, from pytest's workers
and from the ``python -m emulator.local`` commands they run, so it starts this once instead
(tests/conftest.py) and names its socket in ``INTERNAL_API_EMULATOR_FORK_SERVER``; then
``emulator.server.Emulator`` asks it for each server. A forked server is a copy of a process
that has imported moto and answered nothing: every account starts empty, as in a new process.
It takes the asking command's environment and working folder whole (``serve.read_environment``
re-reads what moto and serve.py read at import), writes to its log, and stops on SIGTERM.

The protocol is one line of JSON each way on a Unix socket: ``{"port", "env", "cwd", "log"}``,
then ``{"pid"}``. This process exits when the process named as its owner does (by default its
parent), so none outlives a test run that was killed; the servers it forked are stopped by the
commands that asked for them.

    emulator/.venv/bin/python emulator/forkserver.py /tmp/x/fork.sock [OWNER_PID]
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script: the project root, for emulator.serve
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from emulator import serve  # moto, imported and changed once, before any fork
from toolchain.processes import alive

PARENT_CHECK_SECONDS = 1.0


def _serve_one(request: dict[str, Any]) -> None:
    """In the forked child: become the asking command's moto server (never returns)."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])  # first: the log and the recording may be named relative to it
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.environ.clear()
        os.environ.update(request["env"])
        serve.read_environment()
        serve.stop_with_owner()
        serve.main(["-H", "127.0.0.1", "-p", str(request["port"])])
        code = 0
    except SystemExit as stopped:  # moto's SIGTERM handler exits
        code = stopped.code if isinstance(stopped.code, int) else 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _answer(connection: socket.socket, listener: socket.socket) -> None:
    """Read one request, fork its server, and say the server's pid; a request that breaks off is dropped.

    The asker starts its own server when it gets no answer (``emulator.server._fork``); a server forked
    for an asker that is gone before the answer reaches it is stopped at once (nobody else would)."""
    with connection, connection.makefile("rwb") as stream:
        try:
            request = json.loads(stream.readline())
        except (OSError, ValueError) as error:
            print(f"fork server: unreadable request dropped: {error}", file=sys.stderr, flush=True)
            return
        pid = os.fork()
        if pid == 0:
            listener.close()
            _serve_one(request)
        try:
            stream.write(json.dumps({"pid": pid}).encode() + b"\n")
            stream.flush()
        except OSError:  # the asker is gone: so must its server be
            os.kill(pid, signal.SIGTERM)


def run(path: Path, owner: int) -> None:
    """Answer on ``path`` until the process ``owner`` (the test run) is gone, or SIGTERM."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked servers are reaped as they exit
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(64)
        listener.settimeout(PARENT_CHECK_SECONDS)
        while alive(owner):
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(None)
            _answer(connection, listener)


if __name__ == "__main__":
    run(Path(sys.argv[1]), owner=int(sys.argv[2]) if len(sys.argv) > 2 else os.getppid())
