"""A stack of the team's own, deployed by the runner in its order (``make deploy-local SYSTEM=tests.runner.ledger_alarms``).

One deploy into a copy of the shared ledger deployment (``deployed("examples.ledger")``): the system has the
ledger's pair unchanged, so only its ``alarms`` stack is new, and it reads the queue's name from the services
stack, so it is applied after it. Then a plan of the three stacks finds nothing to change. Fails (never skips)
when moto, terraform or the provider mirror is missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.order import MANIFEST

from ..deployments import Deploy, local_command

pytestmark = pytest.mark.slow
SYSTEM = "tests.runner.ledger_alarms"


@pytest.fixture(scope="module")
def home(deployed: Deploy, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ledger's emulator home, copied, with tests.runner.ledger_alarms deployed onto it."""
    copied = deployed("examples.ledger").copy(tmp_path_factory.mktemp("alarms") / "home")
    done = local_command("deploy", copied, "--system", SYSTEM)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"deploying system {SYSTEM}: stacks network then services then alarms" in done.stderr
    return copied


def _state(home: Path, stack: str) -> dict[str, dict[str, Any]]:
    state = json.loads((home / "state" / f"{stack}.tfstate").read_text(encoding="utf-8"))
    return {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in state["resources"] if r.get("mode") == "managed"}


def test_the_own_stack_is_applied_after_services_with_the_queue_it_reads(home: Path) -> None:
    alarm = _state(home, "alarms")["aws_cloudwatch_metric_alarm.orders_backlog"]
    assert alarm["dimensions"] == {"QueueName": "ledger-orders"}  # read from the services stack's state
    outputs = json.loads((home / "outputs.json").read_text(encoding="utf-8"))
    assert outputs["alarms"]["orders_backlog_alarm"] == "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:ledger-orders-backlog"
    manifest = json.loads((home / "cdktf.out" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["stacks"]["alarms"]["dependencies"] == ["network", "services"]


def test_a_plan_covers_the_own_stack_and_finds_nothing_to_change(home: Path, tmp_path: Path) -> None:
    done = local_command("plan", home, "--system", SYSTEM, "--plandir", str(tmp_path), "--detailed-exitcode")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads((tmp_path / "alarms.json").read_text(encoding="utf-8"))["resource_changes"][0]["change"]["actions"] == ["no-op"]
