"""One exit-code scheme everywhere (topology/errors.py, docs/ci.md): 0 done or no changes, 1 an error or a blocking
finding, 2 a plan's changes (only where a verdict is asked for), 3 a proof's own failure. Each case, once."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from proof.exits import EXIT_CHECKER, EXIT_PROVEN, EXIT_VIOLATIONS, concluded
from runner import cli
from runner.target import Target
from toolchain import reviewed
from topology import TopologyError
from topology.errors import CHANGES, FAILED, OK, USER_ERROR, CommandLine, UserError, command
from topology.selection import Selection, select
from topology.system import SelectionError

ROOT = Path(__file__).resolve().parent.parent


def test_the_codes_are_terraforms() -> None:
    assert (OK, FAILED, CHANGES, USER_ERROR) == (0, 1, 2, 1)
    assert (reviewed.NO_CHANGES, reviewed.BLOCKED, reviewed.CHANGES) == (OK, FAILED, CHANGES)
    assert (EXIT_PROVEN, EXIT_VIOLATIONS, EXIT_CHECKER) == (0, 1, 3)


def test_the_declarations_errors_are_user_errors() -> None:
    assert issubclass(SelectionError, UserError) and issubclass(TopologyError, UserError)
    assert command(lambda: len(select("acme.none", None).chosen)) == USER_ERROR


def test_a_user_error_and_a_bad_command_line_exit_1_and_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> int:
        raise UserError("no such thing")

    def parsed(argv: list[str]) -> int:
        parser = CommandLine()
        parser.add_argument("--known")
        parser.parse_args(argv)
        return OK

    assert command(broken) == USER_ERROR
    assert capsys.readouterr().err == "error: no such thing\n"
    assert command(lambda: parsed(["--unknown"])) == USER_ERROR
    assert capsys.readouterr().err == "error: unrecognized arguments: --unknown (see --help)\n"  # one line, no usage block
    with pytest.raises(SystemExit) as helped:
        command(lambda: parsed(["--help"]))
    assert helped.value.code == 0


def _plan_args(tmp_path: Path, *flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("--system")
    parser.add_argument("--env")
    cli.add_arguments(parser)
    return parser.parse_args(["plan", "--system", "examples.chain", "--plandir", str(tmp_path), *flags])


@pytest.mark.parametrize(
    ("flags", "verdict", "code", "in_file"),
    [
        ((), reviewed.NO_CHANGES, OK, None),
        ((), reviewed.CHANGES, OK, None),  # `make plan`, as `terraform plan`: changes are not a failure
        ((), reviewed.BLOCKED, FAILED, None),
        (("--detailed-exitcode",), reviewed.NO_CHANGES, OK, None),
        (("--detailed-exitcode",), reviewed.CHANGES, CHANGES, None),
        (("--detailed-exitcode",), reviewed.BLOCKED, FAILED, None),
        (("--verdict",), reviewed.CHANGES, OK, "2\n"),  # make turns a failing recipe into 2: the CI reads the file
        (("--verdict",), reviewed.BLOCKED, OK, "1\n"),
    ],
)
def test_a_plans_exit_code_per_flag(tmp_path: Path, flags: tuple[str, ...], verdict: int, code: int, in_file: str | None) -> None:
    assert cli.exit_code(_plan_args(tmp_path, *flags), verdict) == code
    written = tmp_path / reviewed.VERDICT
    assert (written.read_text(encoding="utf-8") if written.exists() else None) == in_file


class Unusable(Target):
    """A target whose environment cannot be made: what a missing tool or credential looks like to the runner."""

    name = "unusable"

    def environment(self, selection: Selection) -> dict[str, str]:
        raise UserError("the tool is missing: install it")


@pytest.mark.parametrize("flags", [(), ("--verdict",), ("--detailed-exitcode",)])
def test_a_plan_stopped_by_a_user_error_exits_1_and_leaves_verdict_1(
    tmp_path: Path, flags: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.execute(_plan_args(tmp_path, *flags), Unusable(tmp_path / "out", tmp_path)) == USER_ERROR
    assert capsys.readouterr().err == "error: the tool is missing: install it\n"
    written = tmp_path / reviewed.VERDICT
    assert (written.read_text(encoding="utf-8") if written.exists() else None) == ("1\n" if flags == ("--verdict",) else None)


def test_an_apply_without_a_reviewed_plan_is_refused_with_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _plan_args(tmp_path)
    args.command = "apply"
    assert cli.execute(args, Unusable(tmp_path / "out", tmp_path)) == reviewed.BLOCKED
    assert capsys.readouterr().err.startswith(f"no {reviewed.MANIFEST} in ")


@pytest.mark.parametrize(
    ("outcome", "code"),
    [(lambda: False, EXIT_PROVEN), (lambda: True, EXIT_VIOLATIONS)],
)
def test_a_proofs_exit_code_for_its_outcome(outcome: object, code: int) -> None:
    assert concluded("verify", outcome, {}) == code  # type: ignore[arg-type]


class ReadFailure(Exception):
    pass


def test_a_proofs_own_failure_is_3_and_a_user_error_1(capsys: pytest.CaptureFixture[str]) -> None:
    def unreadable() -> bool:
        raise ReadFailure("access denied")

    def mistaken() -> bool:
        raise SelectionError("system 'acme.none': no such module")

    def buggy() -> bool:
        raise KeyError("x")

    assert concluded("verify-live", unreadable, {ReadFailure: "cannot read the account"}) == EXIT_CHECKER
    assert capsys.readouterr().err == "verify-live: cannot read the account: access denied\n"
    assert concluded("verify", mistaken, {}) == USER_ERROR
    assert capsys.readouterr().err == "verify: system 'acme.none': no such module\n"
    assert concluded("verify", buggy, {}) == EXIT_CHECKER
    assert capsys.readouterr().err == "verify: checker failure: KeyError: 'x'\n"
    with pytest.raises(KeyError):
        concluded("verify", buggy, {}, traceback=True)


COMMANDS = {
    "aws.commands": "aws.commands",
    "benchmarks.bench": "benchmarks.bench",
    "emulator.exec": "emulator.exec",
    "emulator.local": "emulator.local",
    "importers.ecspresso.cli": "importers.ecspresso",
    "proof.live.cli": "proof.live",
    "proof.plan_review": "proof.plan_review",
    "proof.scan": "proof.scan",
    "proof.verify.cli": "proof.verify",
    "proof.verify.typegen": "proof.verify.typegen",
    "toolchain.tf_mirror": "toolchain.tf_mirror",
    "toolchain.validate": "toolchain.validate",
    "topology.selection": "topology.selection",
    "writers.diagram": "writers.diagram",
    "writers.hcl": "writers.hcl",
    "writers.own_resources": "writers.own_resources",
    "writers.reference": "writers.reference",
}
"""Each module that parses a command line, and the command (``python -m``) that runs it."""


def _parsers() -> set[str]:
    """The product modules that build an argument parser, and those that build argparse's own (they must not)."""
    from tests.test_layout import _modules

    found = set()
    for name, path in _modules(ROOT).items():
        text = path.read_text(encoding="utf-8")
        if "ArgumentParser(" in text.replace("class CommandLine(argparse.ArgumentParser)", ""):
            found.add(f"{name} (argparse.ArgumentParser: use topology.errors.CommandLine)")
        if "CommandLine(" in text and name != "topology.errors":
            found.add(name)
    return found


def test_every_command_line_parses_with_the_one_parser_and_is_tested_below() -> None:
    assert _parsers() == set(COMMANDS)


@pytest.mark.parametrize("module", sorted({*COMMANDS.values(), "tools.selection", "tools.hcl"}))
def test_a_bad_command_line_exits_1_from_every_command(module: str) -> None:
    done = subprocess.run([sys.executable, "-m", module, "--no-such-flag"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == USER_ERROR, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.endswith(" (see --help)\n"), done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr  # one line: no usage block, no traceback
