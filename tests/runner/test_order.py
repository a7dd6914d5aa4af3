"""A stack of the team's own (``STACKS``): named per environment, validated, and applied in the order cdktf's
manifest says: after ``services`` when it reads it, before when ``services`` depends on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.app import Built, build_deployments_app

# isort: split
from cdktf import TerraformOutput, TerraformStack

from proof.verify.beside import place
from proof.verify.load import load
from runner.order import deploy_order, ordered
from toolchain.stackrun import StackError
from topology import Environment, Service, Settings, Topology, TopologyError
from topology.env import ENV_VARIABLE, SYSTEM_VARIABLE
from topology.errors import USER_ERROR
from topology.system import SelectionError, System, deployments, load_system

ROOT = Path(__file__).resolve().parents[2]
PAIR = ("network", "services")
TOPOLOGY = Topology(services=(Service(name="web"),))


def _manifest(tmp_path: Path, dependencies: dict[str, list[str]]) -> Path:
    stacks = {name: {"name": name, "dependencies": needed} for name, needed in dependencies.items()}
    (tmp_path / "manifest.json").write_text(json.dumps({"stacks": stacks, "version": "0.21.0"}), encoding="utf-8")
    return tmp_path


def test_a_stack_that_reads_services_is_applied_after_it(tmp_path: Path) -> None:
    outdir = _manifest(tmp_path, {"alarms": ["network", "services"], "network": [], "services": ["network"]})
    assert deploy_order(outdir, PAIR) == ("network", "services", "alarms")


def test_a_stack_services_depends_on_is_applied_before_it(tmp_path: Path) -> None:
    outdir = _manifest(tmp_path, {"network": [], "queues": ["network"], "services": ["network", "queues"]})
    assert deploy_order(outdir, PAIR) == ("network", "queues", "services")


def test_free_stacks_go_after_the_pair_by_name_and_destroy_is_the_reverse() -> None:
    depends_on = {"zeta": ["network"], "alpha": [], "network": [], "services": ["network"]}
    order = ordered(depends_on, PAIR)
    assert order == ("network", "services", "alpha", "zeta")
    assert tuple(reversed(order)) == ("zeta", "alpha", "services", "network")


def test_a_circle_or_a_missing_pair_is_one_line() -> None:
    with pytest.raises(StackError, match="a, b depend on each other in a circle"):
        ordered({"network": [], "services": ["network"], "a": ["b"], "b": ["a"]}, PAIR)
    with pytest.raises(StackError, match="lack services"):
        ordered({"network": []}, PAIR)


def _before_services(built: Built) -> None:
    """A stack ``services`` waits for (like a parameter the tasks read at start)."""
    mine = built.stack("params")
    TerraformOutput(mine, "ready", value="yes")
    built.services.add_dependency(mine)


def _after_services(built: Built) -> None:
    """A stack that reads the web service's name from the services stack."""
    mine = built.stack("alarms")
    TerraformOutput(mine, "web_service", value=built.reference(built.units["web"].service, "name"))


def _system(*hooks: object, environments: tuple[Environment, ...] = ()) -> System:
    return System(module="tests.runner.tiny", topology=TOPOLOGY, settings=Settings(project="tiny"), environments=environments, stacks=hooks)  # type: ignore[arg-type]


def _synth(system: System, outdir: Path) -> Path:
    build_deployments_app(deployments(system), outdir=str(outdir), system=system).synth()
    return outdir


def test_a_synthesized_system_is_ordered_by_its_stacks_dependencies(tmp_path: Path) -> None:
    outdir = _synth(_system(_after_services, _before_services), tmp_path)
    assert deploy_order(outdir, PAIR) == ("network", "params", "services", "alarms")
    alarms = json.loads((outdir / "stacks" / "alarms" / "cdk.tf.json").read_text(encoding="utf-8"))
    assert alarms["terraform"]["backend"]["local"]["path"] == "../../../state/alarms.tfstate"  # the pair's state, its own key
    assert alarms["provider"]["aws"][0]["default_tags"][0]["tags"]["Stack"] == "alarms"


def test_each_environment_gets_its_own_stack_and_the_proof_places_it_there(tmp_path: Path) -> None:
    system = _system(_after_services, environments=(Environment(name="dev"), Environment(name="prod")))
    outdir = _synth(system, tmp_path)
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stacks"]["alarms-prod"]["dependencies"] == ["network-prod", "services-prod"]
    pairs = {d.environment: d.stacks for d in deployments(system)}
    placed = place(load([outdir]), pairs, {})
    assert placed.findings == ()
    assert placed.beside == {"dev": ("alarms-dev",), "prod": ("alarms-prod",)}


def _raises(built: Built) -> None:
    raise ValueError("no such queue")


def _named_services(built: Built) -> None:
    built.stack("services")


def _by_hand(built: Built) -> None:
    TerraformStack(built.app, "mine")


@pytest.mark.parametrize(
    ("hook", "line"),
    [
        (_raises, "system 'tests.runner.tiny': STACKS[0] (_raises): raised ValueError: no such queue (test_order.py, line "),
        (_named_services, "system 'tests.runner.tiny': STACKS[0] (_named_services): stack name 'services' is one of the pair's"),
        (_by_hand, "system 'tests.runner.tiny': STACKS[0] (_by_hand): stack 'mine' was made with TerraformStack(...); make it with"),
    ],
)
def test_a_failing_function_is_one_line_naming_the_system_and_the_field(tmp_path: Path, hook: object, line: str) -> None:
    with pytest.raises(TopologyError) as raised:
        build_deployments_app(deployments(_system(hook)), outdir=str(tmp_path), system=_system(hook))
    (only,) = raised.value.lines
    assert only.startswith(line)


def test_stacks_that_are_not_functions_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notfunctions.py").write_text(
        "from topology import Service, Topology\nTOPOLOGY = Topology(services=(Service(name='web'),))\nSTACKS = ('alarms',)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SelectionError, match=r"^system 'notfunctions': STACKS must be a tuple of functions"):
        load_system("notfunctions")


def test_the_test_system_declares_its_stack(tmp_path: Path) -> None:
    """tests.runner.ledger_alarms (deployed by test_own_stack_e2e.py) makes ``alarms`` after ``services``."""
    system = load_system("tests.runner.ledger_alarms")
    assert deploy_order(_synth(system, tmp_path), PAIR) == ("network", "services", "alarms")


def test_main_prints_the_one_line_and_exits_1(tmp_path: Path) -> None:
    """What ``make synth`` shows for a failing STACKS function: one line, no traceback, nothing synthesized."""
    (tmp_path / "broken_stacks.py").write_text(
        "from topology import Service, Topology\n"
        "TOPOLOGY = Topology(services=(Service(name='web'),))\n"
        "def alarms(built):\n"
        "    built.stack('network')\n"
        "STACKS = (alarms,)\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), SYSTEM_VARIABLE: "broken_stacks", "CDKTF_OUTDIR": str(tmp_path / "out")}
    env.pop(ENV_VARIABLE, None)
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == USER_ERROR
    assert done.stderr.splitlines() == [
        "error: system 'broken_stacks': STACKS[0] (alarms): stack name 'network' is one of the pair's (network, services); choose another"
    ]
    assert not (tmp_path / "out" / "manifest.json").exists()
