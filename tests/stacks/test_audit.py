"""Issue 20's audit findings, each pinned on the synthesized JSON (what AWS and provider 5.100.0 would do with it)."""

from __future__ import annotations

from typing import Any

import pytest

from examples import chain
from topology import Settings

from ..conftest import Synthesizer
from ..tfjson import Synth


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
