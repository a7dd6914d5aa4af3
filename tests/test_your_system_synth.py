"""A team's own system, outside examples/, selected with ``SYSTEM=`` and ``ENV=`` through make, as the README says.

Every make target here is the real one (``make synth``, ``verify``, ``validate``, ``diagram``,
``diff``), with its output folders pointed at a temporary directory. What each command acted on
is proven from what it produced: the stack folders and JSON, the diagram, the one-line errors.
Deploying it is test_your_system.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .systems import SERVICES, make

pytestmark = pytest.mark.slow  # runs the real make targets (terraform, checkov): `make test-fast` leaves it out


def _stack(work: Path, stack: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((work / "cdktf.out" / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8"))
    return body


def test_synth_builds_a_pair_of_stacks_per_environment_with_own_state_and_sizes(shop: Path, work: Path) -> None:
    done = make("synth", work, "SYSTEM=acme.shop", pythonpath=shop)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in (work / "cdktf.out" / "stacks").iterdir()) == [
        "network-dev",
        "network-prod",
        "services-dev",
        "services-prod",
    ]
    for env in ("dev", "prod"):
        network, services = _stack(work, f"network-{env}"), _stack(work, f"services-{env}")
        assert network["terraform"]["backend"]["local"]["path"] == f"../../../state/network-{env}.tfstate"
        assert services["terraform"]["backend"]["local"]["path"] == f"../../../state/services-{env}.tfstate"
        assert services["data"]["terraform_remote_state"]
        (remote,) = services["data"]["terraform_remote_state"].values()
        assert remote["config"]["path"] == f"../../../state/network-{env}.tfstate"
        assert sorted(body["name"] for body in services["resource"]["aws_ecs_service"].values()) == sorted(SERVICES)
        (cluster,) = network["resource"]["aws_ecs_cluster"].values()
        assert cluster["name"] == f"ServiceConnect-{env}"
    orders = {
        env: next(b for b in _stack(work, f"services-{env}")["resource"]["aws_ecs_service"].values() if b["name"] == "orders")
        for env in ("dev", "prod")
    }
    assert (orders["dev"]["desired_count"], orders["prod"]["desired_count"]) == (1, 3)
    tasks = {
        env: next(
            b
            for b in _stack(work, f"services-{env}")["resource"]["aws_ecs_task_definition"].values()
            if b["family"] == f"shop-{env}-orders"
        )
        for env in ("dev", "prod")
    }
    assert (tasks["dev"]["cpu"], tasks["dev"]["memory"], tasks["prod"]["cpu"], tasks["prod"]["memory"]) == ("256", "512", "512", "1024")
    assert len(_stack(work, "network-dev")["resource"]["aws_nat_gateway"]) == 1
    assert len(_stack(work, "network-prod")["resource"]["aws_nat_gateway"]) == 2


def test_verify_proves_each_environment_of_the_system(shop: Path, work: Path) -> None:
    done = make("verify", work, "SYSTEM=acme.shop", "ENV=prod", "VERBOSE=1", pythonpath=shop)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "network-prod, services-prod: ok: 0 violation(s); servers checked: catalog, orders, payments" in done.stderr


def test_validate_acts_on_the_selected_environment(shop: Path, work: Path) -> None:
    done = make("validate", work, "SYSTEM=acme.shop", "ENV=dev", pythonpath=shop)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    validated = [line.split(":")[0] for line in done.stdout.splitlines() if "The configuration is valid" in line]
    assert validated == ["network-dev", "services-dev"]


def test_diagram_draws_the_selected_system(shop: Path, work: Path) -> None:
    done = make("diagram", work, "SYSTEM=acme.shop", "ENV=dev", pythonpath=shop)
    assert done.returncode == 0, done.stderr[-2000:]
    drawn = work / "diagrams" / "acme.shop-dev.mmd"
    assert f"wrote {drawn}" in done.stderr
    text = drawn.read_text(encoding="utf-8")
    assert 'svc_orders -- "http://payments.serviceconnectns:80" --> svc_payments' in text
    assert "ECS cluster ServiceConnect-dev" in text
    assert (work / "diagrams" / "acme.shop-dev.svg").read_text(encoding="utf-8").startswith("<?xml")


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        (("SYSTEM=acme.nowhere",), "error: system 'acme.nowhere': no such module on the import path"),
        (("SYSTEM=acme.shop", "ENV=stg"), "error: system 'acme.shop': environment 'stg' is not declared (declared: dev, prod)"),
    ],
)
def test_bad_selection_is_one_line_and_exit_1(shop: Path, work: Path, variables: tuple[str, ...], line: str) -> None:
    done = make("synth", work / "bad", *variables, pythonpath=shop)
    errors = [text for text in done.stderr.splitlines() if text.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(line), done.stderr
    assert "Traceback" not in done.stderr
    assert "Error 1" in done.stderr  # make reports the recipe's exit status: 1, a user's mistake (topology.errors)


def test_diff_without_credentials_stops_at_once_with_one_line(shop: Path, work: Path, tmp_path: Path) -> None:
    done = make("diff", work, "SYSTEM=acme.shop", "ENV=dev", pythonpath=shop, without_aws=True, HOME=str(tmp_path))
    assert done.returncode != 0
    errors = [text for text in done.stderr.splitlines() if text.startswith("error:")]
    assert errors == [
        "error: no usable AWS credentials (Unable to locate credentials); "
        "set AWS_PROFILE or AWS_ACCESS_KEY_ID, or try it locally with `make deploy-local`"
    ]
