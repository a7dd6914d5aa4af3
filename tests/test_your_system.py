"""A team's own system, outside examples/, selected with ``SYSTEM=`` and ``ENV=`` through make, as the README says.

Every make target here is the real one (``make synth``, ``verify``, ``diagram``,
``deploy-local``, ``plan``, ``destroy-local``, ``diff``), with its output folders
pointed at a temporary directory. What each command acted on is proven from what
it produced: the stack folders and JSON, the emulator's outputs and its request log.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .deployments import recorded_requests
from .systems import SERVICES, write_shop

pytestmark = [pytest.mark.slow, pytest.mark.deploys]  # runs the real make targets, deploy-local included: `make test-fast` leaves it out

ROOT = Path(__file__).resolve().parent.parent


def make(
    target: str, tmp: Path, *variables: str, pythonpath: Path | None = None, without_aws: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    """``make <target>`` as a user runs it: no variables inherited from an outer make."""
    environ = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    if without_aws:
        environ = {k: v for k, v in environ.items() if not k.startswith("AWS_")}
    if pythonpath is not None:
        environ["PYTHONPATH"] = str(pythonpath)
    environ.update(env)
    paths = [f"OUTDIR={tmp / 'cdktf.out'}", f"EMULATOR_HOME={tmp / 'emulator'}", f"PLANDIR={tmp / 'plan'}", f"DIAGRAMS={tmp / 'diagrams'}"]
    return subprocess.run(
        ["make", "--no-print-directory", target, *paths, *variables],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop(tmp_path_factory.mktemp("team"))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("work")


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
    done = make("verify", work, "SYSTEM=acme.shop", "ENV=prod", pythonpath=shop)
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
def test_bad_selection_is_one_line_and_exit_2(shop: Path, work: Path, variables: tuple[str, ...], line: str) -> None:
    done = make("synth", work / "bad", *variables, pythonpath=shop)
    errors = [text for text in done.stderr.splitlines() if text.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(line), done.stderr
    assert "Traceback" not in done.stderr
    assert "Error 2" in done.stderr  # make reports the recipe's exit status 2


def test_diff_without_credentials_stops_at_once_with_one_line(shop: Path, work: Path, tmp_path: Path) -> None:
    done = make("diff", work, "SYSTEM=acme.shop", "ENV=dev", pythonpath=shop, without_aws=True, HOME=str(tmp_path))
    assert done.returncode != 0
    errors = [text for text in done.stderr.splitlines() if text.startswith("error:")]
    assert errors == [
        "error: no usable AWS credentials (Unable to locate credentials); "
        "set AWS_PROFILE or AWS_ACCESS_KEY_ID, or try it locally with `make deploy-local`"
    ]


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
def both_deployed(shop: Path, work: Path) -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    runs = {env: make("deploy-local", work, "SYSTEM=acme.shop", f"ENV={env}", pythonpath=shop) for env in ("dev", "prod")}
    yield runs
    for env in ("dev", "prod"):
        make("destroy-local", work, "SYSTEM=acme.shop", f"ENV={env}", pythonpath=shop)


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
    assert "| network-prod | 0 | 0 | 0 | 0 |" in review
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
