"""emulator/forkserver.py: the run's emulators are forked from one process that imported moto once.

tests/conftest.py starts it and names its socket in ``INTERNAL_API_EMULATOR_FORK_SERVER``, so every
emulator of the run is forked (the end-to-end tests exercise that path); test_retries.py and the
replay below start theirs as ``make deploy-local`` does for a user, without it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from emulator import server
from emulator.server import EMULATOR_PYTHON, Emulator
from emulator.variables import FORK_SERVER

from ..deployments import recorded_requests
from .test_retries import CREATE, REGION, _ec2, _group_ids

DESCRIBE_WEB = "Action=DescribeSecurityGroups&GroupName.1=web&Version=2016-11-15"


def _not_started(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
    raise AssertionError("an emulator was started as a new process, not forked")


def test_a_forked_server_records_where_it_is_told_and_replays_as_a_started_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the asking command's folder: the home is named relative to it, as ``make deploy-local``'s can be."""
    assert os.environ.get(FORK_SERVER), "tests/conftest.py starts the run's fork server"
    monkeypatch.chdir(tmp_path.parent)
    with monkeypatch.context() as forked_only:
        forked_only.setattr(subprocess, "Popen", _not_started)
        with Emulator(Path(tmp_path.name), region=REGION) as aws:
            status, created = _ec2(aws["AWS_ENDPOINT_URL"], CREATE, "call-1", 1)
    assert status == 200
    assert [body for _, body in recorded_requests(tmp_path / "recording.jsonl")] == [CREATE], "its recording, not the fork server's"
    assert (tmp_path / "moto.log").read_text(encoding="utf-8").count("POST / HTTP") >= 1, "its log"

    monkeypatch.delenv(FORK_SERVER)  # replayed by a server started as make deploy-local starts it
    with Emulator(tmp_path, region=REGION, record=False) as aws:
        status, described = _ec2(aws["AWS_ENDPOINT_URL"], DESCRIBE_WEB, "call-2", 1)
    assert status == 200 and _group_ids(described) == _group_ids(created)


def test_a_request_that_cannot_be_read_does_not_stop_the_fork_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(os.environ[FORK_SERVER])
        connection.sendall(b"this is not a request\n")
        assert connection.recv(100) == b"", "no answer: the connection is closed"
    monkeypatch.setattr(subprocess, "Popen", _not_started)
    with Emulator(tmp_path, region=REGION) as aws:  # the next one is still forked
        status, created = _ec2(aws["AWS_ENDPOINT_URL"], CREATE, "call-1", 1)
    assert status == 200 and _group_ids(created)


def test_without_an_answering_fork_server_the_emulator_is_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORK_SERVER, str(tmp_path / "gone.sock"))
    with Emulator(tmp_path / "home", region=REGION) as aws:
        status, created = _ec2(aws["AWS_ENDPOINT_URL"], CREATE, "call-1", 1)
    assert status == 200 and _group_ids(created)


@pytest.mark.parametrize("answer", [b"not json\n", b'{"no pid": 1}\n', b'["a list"]\n', b'{"pid": "x"}\n'])
def test_an_answer_that_is_not_one_means_no_fork_server(answer: bytes, tmp_path: Path) -> None:
    """Something else listening on the socket: the emulator is started as usual, not a traceback."""
    path = tmp_path / "other.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(1)
        answering = threading.Thread(target=lambda: _answer_once(listener, answer))
        answering.start()
        assert server._fork(str(path), {"port": 1}) is None
        answering.join(timeout=10)


def _answer_once(listener: socket.socket, answer: bytes) -> None:
    connection, _ = listener.accept()
    with connection:
        connection.makefile("rb").readline()
        connection.sendall(answer)


def _stopped(pid: int) -> bool:
    try:
        return "State:\tZ" in Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return True


def test_the_fork_server_stops_when_the_process_that_started_it_is_gone(tmp_path: Path) -> None:
    """No fork server outlives its test run, even one that was killed (here its owner is a shell that exits at once)."""
    socket = tmp_path / "fork.sock"
    forkserver = Path(server.__file__).with_name("forkserver.py")
    started = subprocess.run(
        ["sh", "-c", f'"{EMULATOR_PYTHON}" "{forkserver}" "{socket}" $$ >/dev/null 2>&1 & echo $!'],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(started.stdout)
    deadline = time.monotonic() + 60
    while not _stopped(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _stopped(pid)


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "started"])
def test_a_server_that_cannot_start_is_one_line_naming_its_log(forked: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Here its port is taken: moto exits, and its log says why."""
    if not forked:
        monkeypatch.delenv(FORK_SERVER)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        monkeypatch.setattr(server, "free_port", lambda: taken.getsockname()[1])
        with pytest.raises(server.EmulatorError) as raised, Emulator(tmp_path, region=REGION):
            pass
    status = "" if forked else " with 1"
    assert str(raised.value) == f"moto_server exited{status} during start-up (its log: {tmp_path / 'moto.log'})"
    assert "Address already in use" in (tmp_path / "moto.log").read_text(encoding="utf-8")


KILLED_COMMAND = """
import os, sys, time
from pathlib import Path
from emulator.server import Emulator
if sys.argv[-1] == "started":
    os.environ.pop("INTERNAL_API_EMULATOR_FORK_SERVER", None)
with Emulator(Path(sys.argv[-2]), region="ap-northeast-1") as aws:
    print(aws["AWS_ENDPOINT_URL"], flush=True)
    time.sleep(300)
"""


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "started"])
def test_a_server_stops_when_the_command_that_asked_for_it_is_killed(forked: bool, tmp_path: Path) -> None:
    """SIGKILL runs no ``finally``: the server watches the command itself (a forked one is not even its child)."""
    if forked:
        assert os.environ.get(FORK_SERVER), "the test run's fork server (tests/conftest.py) is not there"
    command = subprocess.Popen(
        [sys.executable, "-c", KILLED_COMMAND, str(tmp_path), "forked" if forked else "started"],
        cwd=Path(server.__file__).parent.parent,
        stdout=subprocess.PIPE,
        text=True,
        process_group=0,
    )
    assert command.stdout is not None
    endpoint = command.stdout.readline().strip()
    assert endpoint.startswith("http://127.0.0.1:")
    urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=10).close()  # answering
    command.kill()
    command.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
        except OSError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the server at {endpoint} still answers 10 s after its command was killed")
