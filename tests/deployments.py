"""Emulator deployments shared by the whole test session: one ``make deploy-local`` per system and environment.

A deploy costs tens of seconds of Terraform (the AWS provider alone takes seconds of
CPU per command), so every test that needs "the article, deployed" asks the session
fixture ``deployed`` (tests/conftest.py) for it and gets the same deployment::

    def test_x(deployed: Deploy) -> None:
        article = deployed("examples.article")             # or deployed("acme.shop", "dev")
        article.outputs["services"]["cluster_name"]        # outputs.json of the deploy
        article.requests()                                  # the emulator's request log, one line per request
        with Emulator(article.home, region=..., record=False) as aws: ...   # read-only: plans

The deployment lives in files only (``home``: cdktf.out/, state/, the recording, as
``make deploy-local`` leaves them); no emulator runs between tests, so nothing is torn
down. Under pytest-xdist the workers share one root: the first worker to ask deploys
under a file lock, and the others wait for it and read the same files, so a system is
deployed once per run however the tests are spread. It is shared, so a test must not change it: a test that applies, imports or
destroys works on ``article.copy(tmp_path / "x")``, a private home with the same
account and state.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolchain.processes import stop

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def one_worker_at_a_time(lock: Path) -> Iterator[None]:
    """Held by one xdist worker at a time (an exclusive lock on the file ``lock``): the first to hold it
    makes what the run shares, in the run's root; the others wait, then read what it made."""
    with open(lock, "w", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield


@dataclass
class ForkServer:
    """The run's emulator fork server (emulator/forkserver.py): started by the controller, stopped when the run ends."""

    process: subprocess.Popen[bytes]
    socket: Path

    @classmethod
    def start(cls) -> ForkServer:
        """Start it and wait until it listens; the emulator's Python must be installed (``make setup``)."""
        from emulator.server import EMULATOR_PYTHON

        assert EMULATOR_PYTHON.is_file(), f"{EMULATOR_PYTHON} is missing: run `make setup`"
        socket = Path(tempfile.mkdtemp(prefix="emulators-")) / "fork.sock"  # short: a socket path has 107 bytes
        command = [str(EMULATOR_PYTHON), str(ROOT / "emulator" / "forkserver.py"), str(socket), str(os.getpid())]
        process = subprocess.Popen(command, cwd=ROOT)
        deadline = time.monotonic() + 120
        while not socket.exists():
            assert process.poll() is None, f"the emulator fork server exited with {process.returncode}"
            assert time.monotonic() < deadline, "the emulator fork server did not listen within 120 s"
            time.sleep(0.05)
        return cls(process, socket)

    def stop(self) -> None:
        stop(self.process, grace=30)
        shutil.rmtree(self.socket.parent, ignore_errors=True)


def local_command(command: str, home: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m emulator.local <command> --home <home> ...``, what ``make deploy-local``/``plan``/``destroy-local`` run."""
    return subprocess.run(
        [sys.executable, "-m", "emulator.local", command, "--home", str(home), *extra],
        cwd=ROOT,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=1200,
    )


def recorded_requests(recording: Path) -> list[tuple[str, str]]:
    """``(X-Amz-Target, decoded body)`` of each request in the emulator's recording (moto's recorder format), in order."""
    found = []
    for raw in recording.read_text(encoding="utf-8").splitlines():
        entry = json.loads(raw)
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        found.append((entry["headers"].get("X-Amz-Target", ""), body))
    return found


def request_lines(recording: Path) -> list[str]:
    """Each recorded request as one searchable line: its API operation header and decoded body."""
    return [f"{target} {body}" for target, body in recorded_requests(recording)]


@dataclass(frozen=True)
class Deployed:
    """One system (and environment) deployed into its own emulated account; shared, so read it, never change it."""

    home: Path
    """The emulator home: ``cdktf.out/``, ``state/``, ``recording.jsonl``, ``outputs.json``."""
    outputs: dict[str, dict[str, Any]]
    """``outputs.json`` after the deploy: ``{stack: {output: value}}``."""
    stdout: str
    """What the deploy printed (progress, then the outputs)."""
    stderr: str
    """What the deploy said about itself (selection, emulator start and stop)."""

    def requests(self) -> list[str]:
        """The emulator's request log of the deploy (see ``request_lines``)."""
        return request_lines(self.home / "recording.jsonl")

    def copy(self, where: Path) -> Path:
        """A private home holding the same account and state, for a test that applies, imports or destroys."""
        shutil.copytree(self.home, where, symlinks=True)
        return where


Deploy = Callable[..., Deployed]


@dataclass
class Deployments:
    """The session's deployments, made on first request (the fixture ``deployed`` is its ``get``)."""

    root: Path
    made: dict[tuple[str, str | None], Deployed] = field(default_factory=dict)

    def get(self, system: str, env: str | None = None, *, pythonpath: Path | None = None) -> Deployed:
        key = (system, env)
        if key not in self.made:
            home = self.root / f"{system}-{env or 'default'}"
            with one_worker_at_a_time(self.root / f"{home.name}.lock"):  # another may be deploying it: wait, then reuse
                self.made[key] = self._read(home) or self._deploy(home, system, env, pythonpath)
        return self.made[key]

    @staticmethod
    def _read(home: Path) -> Deployed | None:
        """What an earlier ``_deploy`` of this run left (in this worker or another); ``None`` if nothing yet."""
        said = home.with_name(f"{home.name}.result.json")
        if not said.exists():
            return None
        result = json.loads(said.read_text(encoding="utf-8"))
        assert result["returncode"] == 0, result["failure"]
        outputs = json.loads((home / "outputs.json").read_text(encoding="utf-8"))
        return Deployed(home=home, outputs=outputs, stdout=result["stdout"], stderr=result["stderr"])

    @staticmethod
    def _deploy(home: Path, system: str, env: str | None, pythonpath: Path | None) -> Deployed:
        environ = dict(os.environ)
        if pythonpath is not None:
            environ["PYTHONPATH"] = str(pythonpath)
        done = local_command("deploy", home, "--system", system, *(["--env", env] if env else []), env=environ)
        failure = f"deploy of {system} {env or ''} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        result = {"returncode": done.returncode, "failure": failure, "stdout": done.stdout, "stderr": done.stderr}
        home.with_name(f"{home.name}.result.json").write_text(json.dumps(result), encoding="utf-8")
        assert done.returncode == 0, failure
        outputs = json.loads((home / "outputs.json").read_text(encoding="utf-8"))
        return Deployed(home=home, outputs=outputs, stdout=done.stdout, stderr=done.stderr)
