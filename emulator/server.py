"""A local AWS emulator (moto's server) that lives exactly as long as the command that needs it.

``with Emulator(...) as env:`` starts ``moto_server`` on a free loopback port,
restores the emulated account from earlier commands, and yields the environment
(``AWS_ENDPOINT_URL``, fake credentials, region) under which the AWS provider
talks to it. On exit, also on failure or Ctrl-C, it stops the server.

Persistence between commands (deploy now, plan or destroy later): moto keeps its
state in memory, so every request is recorded (moto's recorder) to
``<workdir>/recording.jsonl`` and replayed into the next server, after seeding
moto's ID generator with the same seed. Replayed in order from the same seed, the
same requests produce the same IDs, so the Terraform state written by an earlier
command still matches. The order that matters is the order in which moto handled
them: emulator/serve.py handles one request at a time and records each as it
handles it, so Terraform may send requests in parallel (its default, 10 at once).
A crash loses nothing that was answered: each request is on disk before its answer.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlparse

from proof.known_gaps import KNOWN_GAPS
from toolchain.processes import stop
from topology.errors import UserError

from .variables import CERTIFICATES, FORK_SERVER, OWNER

ROOT = Path(__file__).resolve().parent.parent
MOTO_SERVER = ROOT / "emulator" / ".venv" / "bin" / "moto_server"
EMULATOR_PYTHON = ROOT / "emulator" / ".venv" / "bin" / "python"
SERVE = ROOT / "emulator" / "serve.py"
"""moto's server with ECS services reaching their desired count (so ``wait_for_steady_state`` returns)."""
SEED = 42
STARTUP_TIMEOUT = 60.0


__all__ = ["KNOWN_GAPS", "Emulator", "EmulatorError", "forget", "pointed"]


class EmulatorError(UserError):
    """The emulator cannot start (moto missing, or it does not answer): one line naming its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _post(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str = "POST") -> bytes:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as error:  # an AWS error response is a valid replay outcome
        return error.read()


def _wait_until_up(endpoint: str, process: subprocess.Popen[bytes] | Forked, log: Path) -> None:
    """Until moto answers; if it exits or stays silent, one line that says so and names its log (which says why)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            status = "" if isinstance(process, Forked) else f" with {process.returncode}"
            raise EmulatorError(f"moto_server exited{status} during start-up (its log: {log})")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise EmulatorError(f"moto_server did not answer on {endpoint} within {STARTUP_TIMEOUT:.0f} s (its log: {log})")


def replay(recording: Path, endpoint: str) -> int:
    """Send every recorded request to ``endpoint``, in order; returns how many."""
    count = 0
    target = urlparse(endpoint)
    for line in recording.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        body = entry.get("body") or b""
        if entry.get("body_encoded"):
            body = base64.b64decode(body)
        elif isinstance(body, str):
            body = body.encode("utf-8")
        original = urlparse(entry["url"])
        url = original._replace(scheme=target.scheme, netloc=target.netloc).geturl()
        headers = {k: v for k, v in entry.get("headers", {}).items() if k.lower() not in ("host", "content-length", "transfer-encoding")}
        _post(url, data=body or None, headers=headers, method=entry["method"])
        count += 1
    return count


def emulator_environment(endpoint: str, region: str) -> dict[str, str]:
    """The AWS variables that point the provider at the emulator with fake credentials (see ``pointed``)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "emulator",
        "AWS_SECRET_ACCESS_KEY": "emulator",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def pointed(env: dict[str, str], aws: dict[str, str]) -> dict[str, str]:
    """``env`` with every other AWS_* variable (profile, session token, ...) removed and ``aws`` applied."""
    return {**{k: v for k, v in env.items() if not k.startswith("AWS_")}, **aws}


SETTINGS = "emulator-settings.json"
"""moto's settings of an emulator home's account, kept beside its recording: a replay must run under the settings it was recorded with."""
NEW_ACCOUNT = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
"""An account started now has none of moto's 1,347 default AMIs: the stacks use none, and moto makes each one per
region with a volume and a snapshot (0.2 to 0.5 CPU s per start, thousands of drawn IDs)."""
RECORDED_BEFORE_SETTINGS = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "true"}
"""A recording made before settings were kept was made with the default AMIs: replayed so, it recreates the same IDs."""


def account_settings(workdir: Path) -> dict[str, str]:
    """The moto settings of ``workdir``'s account: those it was started with, else those of a new account (then kept)."""
    kept = workdir / SETTINGS
    if kept.is_file():
        settings: dict[str, str] = json.loads(kept.read_text(encoding="utf-8"))
        return settings
    settings = RECORDED_BEFORE_SETTINGS if (workdir / "recording.jsonl").exists() else NEW_ACCOUNT
    kept.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return settings


@contextmanager
def Emulator(workdir: Path, *, region: str, record: bool = True, certificates: tuple[str, ...] = ()) -> Iterator[dict[str, str]]:
    """Run moto_server for the duration of the block; ``workdir`` keeps the recording between runs.

    ``record=False`` for read-only work (plans): the account is restored but nothing is appended.
    ``certificates``: ACM certificate ARNs the system's listeners name; the emulator stands one in for each (serve.py).
    """
    if not MOTO_SERVER.is_file():
        raise EmulatorError(f"{MOTO_SERVER} is missing: run `make setup` (it installs moto from emulator/Pipfile.lock)")
    workdir.mkdir(parents=True, exist_ok=True)
    recording = workdir / "recording.jsonl"
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **account_settings(workdir),
        "MOTO_RECORDER_FILEPATH": str(recording),
        CERTIFICATES: ",".join(certificates),
        OWNER: str(os.getpid()),  # the server stops itself if this command is killed
    }
    env.pop("MOTO_ENABLE_RECORDING", None)
    process = _start(port, env, workdir / "moto.log")
    try:
        _wait_until_up(endpoint, process, workdir / "moto.log")
        _post(f"{endpoint}/moto-api/seed?a={SEED}")
        if recording.exists():
            replay(recording, endpoint)
        if record:
            _post(f"{endpoint}/moto-api/recorder/start-recording")
        yield emulator_environment(endpoint, region)
        if record:
            _post(f"{endpoint}/moto-api/recorder/stop-recording")
    finally:
        stop(process)


"""The socket of an ``emulator/forkserver.py``: servers are forked from it instead of started (the test run sets it)."""


class Forked:
    """A moto server forked by emulator/forkserver.py, with the part of ``subprocess.Popen`` that ``Emulator`` uses.

    It is the fork server's child, not this process's: it is stopped by its pid and watched until
    it is gone (the fork server reaps it); its exit status is not known here."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            self.returncode = -1
        return self.returncode

    def _signal(self, number: int) -> None:
        with suppress(ProcessLookupError):
            os.kill(self.pid, number)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = time.monotonic() + (timeout if timeout is not None else 3600.0)
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"moto server {self.pid}", timeout or 0)
            time.sleep(0.05)
        return -1


def _start(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes] | Forked:
    """A moto server on ``port``: forked by the fork server named in ``env`` if it answers, else a new process."""
    forked = _fork(env[FORK_SERVER], {"port": port, "env": env, "cwd": os.getcwd(), "log": str(log)}) if env.get(FORK_SERVER) else None
    if forked is not None:
        return forked
    with open(log, "ab") as log_file:
        return subprocess.Popen(
            [str(EMULATOR_PYTHON), str(SERVE), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file,
            stderr=log_file,
            env=env,
            process_group=0,  # out of the terminal's reach: Ctrl-C must not stop it under an interrupted Terraform
        )


def _fork(path: str, request: dict[str, object]) -> Forked | None:
    """Ask the fork server at ``path`` for a server; ``None`` when it does not answer (then one is started as usual)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(30)
            connection.connect(path)
            with connection.makefile("rwb") as stream:
                stream.write(json.dumps(request).encode() + b"\n")
                stream.flush()
                answer = stream.readline()
        return Forked(int(json.loads(answer)["pid"])) if answer else None
    except (OSError, ValueError, KeyError, TypeError):  # no fork server there, or an answer that is not one
        return None


def forget(workdir: Path) -> None:
    """Drop the recorded account (after a destroy, or to start over); the last recording stays readable as a log.

    Its settings go with it (``last-`` too: a replay of the last recording needs them); the next account is a new one."""
    recording = workdir / "recording.jsonl"
    if recording.exists():
        recording.replace(workdir / "last-recording.jsonl")
    if (workdir / SETTINGS).exists():
        (workdir / SETTINGS).replace(workdir / f"last-{SETTINGS}")
