"""toolchain/processes.py: a helper never outlives the command that started it, however that command ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from toolchain.processes import _prefix, alive, last_line, private_folder, sweep

ROOT = Path(__file__).resolve().parents[2]


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def _command(script: str) -> subprocess.Popen[str]:
    """A Python command (this project importable) that prints a line when it is ready to be stopped."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,  # its helpers are in no group of ours: only what it arranged can stop them
    )


STARTS_A_HELPER = """
    import subprocess, sys, time
    from toolchain.processes import tied
    command = ["sleep", "300"]
    helper = subprocess.Popen(tied(command) if sys.argv[-1] == "tied" else command)
    print(helper.pid, flush=True)
    time.sleep(300)
"""


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_a_helper_tied_to_its_command_stops_when_the_command_is_killed(tied: bool) -> None:
    """SIGKILL runs no ``finally``: only the kernel's parent-death signal stops the helper (untied, it stays).

    The helper's pid is the one the command started: the launcher became the program (exec)."""
    command = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(STARTS_A_HELPER), "tied" if tied else "untied"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        process_group=0,
    )
    assert command.stdout is not None
    helper = int(command.stdout.readline())
    try:
        command.kill()
        command.wait()
        assert _gone_within(helper, 5 if tied else 1) is tied  # untied: still there a second later
    finally:
        if alive(helper):
            os.kill(helper, signal.SIGKILL)


def test_sigterm_stops_a_command_as_ctrl_c_does_its_finally_blocks_run() -> None:
    command = _command(
        """
        import time
        from toolchain.processes import interrupt_on_sigterm, interrupted
        interrupt_on_sigterm()
        try:
            try:
                print("ready", flush=True)
                time.sleep(60)
            finally:
                print("helpers stopped", flush=True)
        except KeyboardInterrupt as stopped:
            raise SystemExit(interrupted("deploy", stopped, then="deploy again to finish"))
        """
    )
    assert command.stdout is not None and command.stdout.readline() == "ready\n"
    command.terminate()
    out, err = command.communicate(timeout=30)
    assert (command.returncode, out, err) == (143, "helpers stopped\n", "deploy: stopped by SIGTERM; deploy again to finish\n")


def test_ctrl_c_is_said_in_one_line_with_the_shells_exit_code() -> None:
    command = _command(
        """
        import time
        from toolchain.processes import interrupt_on_sigterm, interrupted
        interrupt_on_sigterm()
        try:
            print("ready", flush=True)
            time.sleep(60)
        except KeyboardInterrupt as stopped:
            raise SystemExit(interrupted("plan", stopped))
        """
    )
    assert command.stdout is not None and command.stdout.readline() == "ready\n"
    command.send_signal(signal.SIGINT)
    _, err = command.communicate(timeout=30)
    assert (command.returncode, err) == (130, "plan: stopped by Ctrl-C\n")


def test_a_private_folder_is_removed_after_use(tmp_path: Path) -> None:
    with private_folder("provider", root=tmp_path) as folder:
        assert folder.is_dir() and folder.name.startswith(f"{_prefix('provider')}{os.getpid()}-")
        (folder / "plugin.sock").write_text("", encoding="utf-8")
    assert list(tmp_path.iterdir()) == []


def test_the_folder_of_a_killed_command_is_swept_by_the_next(tmp_path: Path) -> None:
    """Only this host's folders of the same purpose whose owner is gone: a live command's folder is in use."""
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer exists
    left = tmp_path / f"{_prefix('provider')}{dead.pid}-abc"
    in_use = tmp_path / f"{_prefix('provider')}{os.getpid()}-def"
    other_purpose = tmp_path / f"{_prefix('emulator')}{dead.pid}-ghi"
    other_host = tmp_path / f"internal-api-provider-000000-{dead.pid}-jkl"
    unrelated = tmp_path / f"provider-{dead.pid}"
    for folder in (left, in_use, other_purpose, other_host, unrelated):
        folder.mkdir()
        (folder / "proxy.sock").write_text("", encoding="utf-8")
    sweep(tmp_path, "provider")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (in_use, other_purpose, other_host, unrelated))


def test_a_failed_process_is_told_by_its_last_line() -> None:
    assert last_line("Initializing...\nError: no such bucket\n\n") == "Error: no such bucket"
    assert last_line("  \n") == "no output" and last_line("", "exit status 1") == "exit status 1"
