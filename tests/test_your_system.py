"""A team's own system, outside examples/, deployed with ``SYSTEM=`` and ``ENV=`` through make, as the README says.

Every make target here is the real one (``make deploy-local``, ``plan``, ``destroy-local``), with
its output folders pointed at a temporary directory. What each command acted on is proven from what
it produced: the emulator's outputs and its request log, the state files, the plan review. The
commands that need no deployment (synth, verify, validate, diagram, diff) are in
test_your_system_synth.py, so that another worker runs them while these deploy.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .deployments import recorded_requests
from .systems import SERVICES, make

pytestmark = [pytest.mark.slow, pytest.mark.deploys]  # runs the real make targets, deploy-local included: `make test-fast` leaves it out


def _ecs_calls(recording: Path, operation: str) -> list[tuple[str, str]]:
    """(environment, service) of every ECS ``operation`` in the emulator's request log, read from the request bodies."""
    calls = []
    for target, body in recorded_requests(recording):
        if not target.endswith(f".{operation}"):
            continue
        request = json.loads(body)
        cluster = str(request["cluster"]).rsplit("/", 1)[-1]
        service = str(request.get("serviceName") or request.get("service")).rsplit("/", 1)[-1]
        calls.append((cluster.removeprefix("ServiceConnect-"), service))
    return calls


@pytest.fixture(scope="module")
def both_deployed(shop: Path, work: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Both environments deployed into one emulated account, kept in the test's temporary folder (nothing outlives
    it: the emulator runs only during each command), so nothing needs destroying afterwards."""
    return {env: make("deploy-local", work, "SYSTEM=acme.shop", f"ENV={env}", pythonpath=shop) for env in ("dev", "prod")}


def test_two_environments_deploy_side_by_side(both_deployed: dict[str, subprocess.CompletedProcess[str]], work: Path) -> None:
    for done in both_deployed.values():
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    outputs = json.loads((work / "emulator" / "outputs.json").read_text(encoding="utf-8"))
    assert sorted(outputs) == ["network-dev", "network-prod", "services-dev", "services-prod"]
    for env in ("dev", "prod"):
        assert outputs[f"services-{env}"]["cluster_name"] == f"ServiceConnect-{env}"
        assert outputs[f"services-{env}"]["endpoint_payments"] == "http://payments.serviceconnectns:80"
        assert not any(name.startswith("cross-stack-output-") for name in outputs[f"network-{env}"])
    assert outputs["network-dev"]["vpc_id"] != outputs["network-prod"]["vpc_id"]
    created = _ecs_calls(work / "emulator" / "recording.jsonl", "CreateService")
    assert sorted(created) == sorted([(env, name) for env in ("dev", "prod") for name in SERVICES])
    assert sorted(p.name for p in (work / "emulator" / "state").glob("*.tfstate")) == [
        "network-dev.tfstate",
        "network-prod.tfstate",
        "services-dev.tfstate",
        "services-prod.tfstate",
    ]


def test_deploy_output_is_readable_in_a_log(both_deployed: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = both_deployed["dev"]
    assert "\x1b[" not in done.stdout + done.stderr
    assert "deploying system acme.shop, environment dev: stacks network-dev then services-dev" in done.stderr
    assert "emulator: moto listening on http://127.0.0.1:" in done.stderr and "emulator: stopped" in done.stderr
    assert "services-dev: aws_ecs_service.payments_service_" in done.stdout and "Creation complete" in done.stdout
    assert "Still creating" not in done.stdout and "cross-stack-output" not in done.stdout
    assert done.stdout.count("services-dev.endpoint_payments = http://payments.serviceconnectns:80") == 1
    assert "Terraform will perform the following actions" not in done.stdout


def test_plan_reviews_the_selected_environment(both_deployed: dict[str, subprocess.CompletedProcess[str]], shop: Path, work: Path) -> None:
    done = make("plan", work, "SYSTEM=acme.shop", "ENV=prod", pythonpath=shop)
    assert done.returncode == 0, done.stderr[-3000:]
    review = (work / "plan" / "review.md").read_text(encoding="utf-8")
    assert review.startswith("## Plan review: network-prod, services-prod")
    assert review.split("\n")[2] == "No changes."  # a no-op says so first (review.md for pull requests, docs/ci.md)
    assert "**No change widens who can reach a service.**" in review


def test_destroy_one_environment_keeps_the_other_then_nothing_to_destroy(
    both_deployed: dict[str, subprocess.CompletedProcess[str]], shop: Path, work: Path
) -> None:
    done = make("destroy-local", work, "SYSTEM=acme.shop", "ENV=dev", pythonpath=shop)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "destroying system acme.shop, environment dev: stacks services-dev then network-dev" in done.stderr
    assert sorted(p.name for p in (work / "emulator" / "state").glob("*.tfstate")) == ["network-prod.tfstate", "services-prod.tfstate"]
    assert (work / "emulator" / "recording.jsonl").exists()  # prod still lives in the emulated account
    deleted = _ecs_calls(work / "emulator" / "recording.jsonl", "DeleteService")
    assert sorted(deleted) == sorted(("dev", name) for name in SERVICES)
    again = make("destroy-local", work, "SYSTEM=acme.shop", "ENV=dev", pythonpath=shop)
    assert again.returncode == 0
    assert "nothing to destroy: no state for network-dev, services-dev in" in again.stderr
    gone = make("destroy-local", work, "SYSTEM=acme.shop", "ENV=prod", pythonpath=shop)
    assert gone.returncode == 0, gone.stderr[-3000:]
    assert "emulator: nothing deployed any more; the emulated account was forgotten" in gone.stderr
    assert not (work / "emulator" / "recording.jsonl").exists()
