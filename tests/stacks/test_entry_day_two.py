"""The front door on day two, synthesized: the deployment postcondition only where a wait gives it a result (finding 7)."""

from __future__ import annotations

from dataclasses import replace

from examples import storefront
from topology import Settings

from ..conftest import Synthesizer


def test_no_postcondition_without_wait_for_steady_state(synthesize: Synthesizer) -> None:
    web = storefront.TOPOLOGY.service("web")
    unwaited = replace(web, deployment=replace(web.deployment, wait_for_steady_state=False))
    services = tuple(unwaited if s.name == "web" else s for s in storefront.TOPOLOGY.services)
    synth = synthesize(replace(storefront.TOPOLOGY, services=services), Settings())
    bodies = {body["name"]: body for body in synth.stack("services")["resource"]["aws_ecs_service"].values()}
    assert "postcondition" not in bodies["web"].get("lifecycle", {})
    assert bodies["orders"]["lifecycle"]["postcondition"], "a waited-for service keeps its check"


def test_a_front_door_added_later_needs_no_network_output_that_is_not_there(synthesize: Synthesizer) -> None:
    """Finding 2: the network exported the public subnets only once an entry used them, so adding the first entry
    to a deployed system failed its services plan ("Unsupported attribute") until the network was applied again."""
    without = synthesize(replace(storefront.TOPOLOGY, entries=()), Settings()).stack("network")["output"]
    with_entry = synthesize(storefront.TOPOLOGY, Settings()).stack("network")["output"]
    assert any("subnetpublic" in name for name in with_entry)
    assert sorted(with_entry) == sorted(without)
