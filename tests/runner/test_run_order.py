"""The runner's actions walk the stacks in the manifest's order: deploy and plan forwards, destroy backwards
(Terraform and the synth replaced by recorders, so the order is all that is tested)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from runner import run
from runner.target import Target
from topology.selection import Selection, select

MANIFEST = {"network": [], "services": ["network", "queues"], "queues": ["network"], "alarms": ["services"]}


class Recorder(Target):
    name = "recorder"

    def environment(self, selection: Selection) -> dict[str, str]:
        return {}


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """``(terraform command, stack)`` in the order the runner ran them."""
    done: list[tuple[str, str]] = []

    def synth(outdir: Path, env: dict[str, str]) -> None:
        outdir.mkdir(parents=True, exist_ok=True)
        stacks = {name: {"dependencies": needed} for name, needed in MANIFEST.items()}
        (outdir / "manifest.json").write_text(json.dumps({"stacks": stacks}), encoding="utf-8")

    def terraform(args: list[str], stack_dir: Path, env: dict[str, str], *, label: str, approve: bool) -> None:
        done.append((args[1], stack_dir.name))

    monkeypatch.setattr(run, "synth", synth)
    monkeypatch.setattr(run, "init", lambda *args, **kwargs: None)
    monkeypatch.setattr(run, "outputs", lambda *args, **kwargs: {})
    monkeypatch.setattr(run, "resources_in_state", lambda *args, **kwargs: True)
    monkeypatch.setattr(run, "parse_variables", lambda variables, outdir, stacks: {stack: [] for stack in stacks})
    monkeypatch.setattr(run, "undeclared_release_variables", lambda env, outdir, stacks: [])
    monkeypatch.setattr(run, "_run", terraform)
    return done


def _commands(done: Sequence[tuple[str, str]], command: str) -> list[str]:
    return [stack for verb, stack in done if verb == command]


def test_deploy_applies_in_dependency_order_and_destroy_reverses_it(applied: list[tuple[str, str]], tmp_path: Path) -> None:
    target = Recorder(tmp_path / "cdktf.out", tmp_path / "logs")
    selection = select("examples.article", environ={})
    result = run.deploy(selection, target)
    run.destroy(selection, target)
    assert _commands(applied, "apply") == ["network", "queues", "services", "alarms"]
    assert list(result) == ["network", "queues", "services", "alarms"]
    assert _commands(applied, "destroy") == ["alarms", "services", "queues", "network"]
