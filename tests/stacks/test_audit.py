"""Issue 20's audit findings, each pinned on the synthesized JSON (what AWS and provider 5.100.0 would do with it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from examples import chain, production
from topology import Adoption, ExistingNetwork, NetworkSettings, Settings, Topology
from topology.model import NamespaceType

from ..conftest import Synthesizer
from ..tfjson import Synth

VPC = "vpc-0a1b2c3d4e5f60001"
SUBNETS = ("subnet-0a1b2c3d4e5f60010",)


def _service(synth: Synth, name: str) -> tuple[str, dict[str, Any]]:
    return synth.by_path("services", "aws_ecs_service", f"{name}/service")


@pytest.fixture(scope="module")
def chain_synth(synthesize: Synthesizer) -> Synth:
    return synthesize(chain.TOPOLOGY, Settings())


def test_a_rolled_back_deployment_fails_the_apply(chain_synth: Synth) -> None:
    """Finding 4: after a circuit-breaker rollback the service runs the old revision; the postcondition fails apply."""
    for name in ("web", "api", "worker"):
        _, body = _service(chain_synth, name)
        task_name, _ = chain_synth.by_path("services", "aws_ecs_task_definition", f"{name}/task")
        assert body["task_definition"] == f"${{aws_ecs_task_definition.{task_name}.arn}}"
        assert body["lifecycle"]["postcondition"] == [
            {
                "condition": f"${{self.task_definition == aws_ecs_task_definition.{task_name}.arn}}",
                "error_message": f"ECS service {name} runs ${{self.task_definition}}, not the revision this apply registered "
                f"(${{aws_ecs_task_definition.{task_name}.arn}}): the deployment failed and the circuit breaker rolled it back. "
                f"Read the service's events (aws ecs describe-services --cluster ${{self.cluster}} --services {name}) and its stopped tasks' reasons, fix, and apply again.",
            }
        ]


def _spot(topology: Topology, name: str, spot_percent: int) -> Topology:
    return Topology(
        services=tuple(
            replace(service, capacity=replace(service.capacity, spot_percent=spot_percent)) if service.name == name else service
            for service in topology.services
        )
    )


@pytest.mark.parametrize("spot_percent", [0, 30, 100])
def test_spot_changes_are_made_in_place(synthesize: Synthesizer, spot_percent: int) -> None:
    """Finding 5: provider 5.x replaces a service on a strategy change unless force_new_deployment is set
    and neither strategy is empty; so every service has a strategy, also without Spot, and no launch type."""
    synth = synthesize(_spot(chain.TOPOLOGY, "worker", spot_percent), Settings())
    _, worker = _service(synth, "worker")  # a server that calls nobody: no triggers
    assert "launch_type" not in worker
    assert worker["force_new_deployment"] is True
    assert (
        worker["capacity_provider_strategy"]
        == {
            0: [{"capacity_provider": "FARGATE", "weight": 1}],
            30: [{"capacity_provider": "FARGATE", "base": 1, "weight": 70}, {"capacity_provider": "FARGATE_SPOT", "weight": 30}],
            100: [{"capacity_provider": "FARGATE_SPOT", "weight": 1}],
        }[spot_percent]
    )
    (providers,) = synth.resources("network", "aws_ecs_cluster_capacity_providers").values()
    assert providers["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]


def test_scheduled_scaling_owns_min_and_max(synthesize: Synthesizer) -> None:
    """Finding 3: a scheduled step changes min/max out of band; an apply in its window must not set them back."""
    synth = synthesize(production.TOPOLOGY, Settings())
    _, api = synth.by_path("services", "aws_appautoscaling_target", "api_scaling/target")
    assert api["lifecycle"] == {"ignore_changes": ["min_capacity", "max_capacity"]}
    _, web = synth.by_path("services", "aws_appautoscaling_target", "web_scaling/target")  # no schedule: Terraform owns min/max
    assert "lifecycle" not in web


@pytest.mark.parametrize(
    ("namespace_type", "rtype"),
    [("http", "aws_service_discovery_http_namespace"), ("private_dns", "aws_service_discovery_private_dns_namespace")],
)
def test_an_adopted_namespace_keeps_its_description(synthesize: Synthesizer, namespace_type: NamespaceType, rtype: str) -> None:
    """Finding 7: provider 5.x replaces an HTTP namespace whose description changes and clears a private DNS one's."""
    existing = ExistingNetwork(vpc_id=VPC, private_subnet_ids=SUBNETS, adopt=Adoption(namespace_id="ns-abcdefgh12345678"))
    settings = Settings(network=NetworkSettings(namespace_type=namespace_type, existing=existing))
    (adopted,) = synthesize(chain.TOPOLOGY, settings).resources("network", rtype).values()
    assert adopted["lifecycle"] == {"ignore_changes": ["description"]}
    (created,) = (
        synthesize(chain.TOPOLOGY, replace(settings, network=replace(settings.network, existing=None))).resources("network", rtype).values()
    )
    assert created["description"] == "Service Connect namespace" and "lifecycle" not in created
