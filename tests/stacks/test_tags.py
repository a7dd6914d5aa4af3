"""A team's tags (Settings.tags, Environment.tags, Service.tags) reach every taggable resource (stacks/tags.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stacks.tags import TAGGABLE_TYPES
from topology import Environment, ServiceOverride, Settings, validate
from topology.system import System, resolve

from ..conftest import EXAMPLES, Synthesizer

SYSTEM_TAGS = (("CostCentre", "cc-42"), ("Owner", "payments"))
SERVICE_TAGS = {"api": (("DataClass", "confidential"),), "worker": (("DataClass", "internal"), ("Owner", "batch-team"))}


@pytest.fixture(scope="module")
def tagged() -> tuple[Any, Settings]:
    topology = EXAMPLES["production"]
    services = tuple(replace(s, tags=SERVICE_TAGS.get(s.name, ())) for s in topology.services)
    return replace(topology, services=services), Settings(tags=SYSTEM_TAGS)


def _taggable(schema: dict[str, Any]) -> set[str]:
    resources = next(iter(schema["provider_schemas"].values()))["resource_schemas"]
    return {name for name, body in resources.items() if "tags" in body["block"].get("attributes", {})}


def _service_of(path: str, names: list[str]) -> str | None:
    """The service a construct path (``services/<name>_sg/group``, ``services/<name>/service``...) belongs to."""
    top = path.split("/")[1]
    for name in names:
        if top == name or top in (f"{name}_sg", f"{name}_logs", f"{name}_iam", f"{name}_scaling"):
            return name
    return None


def test_system_tags_are_the_providers_default_tags(tagged: tuple[Any, Settings], synthesize: Synthesizer) -> None:
    synth = synthesize(*tagged)
    for stack in ("network", "services"):
        default = synth.stack(stack)["provider"]["aws"][0]["default_tags"][0]["tags"]
        assert default == {"CostCentre": "cc-42", "Owner": "payments", "Project": "internal-api", "ManagedBy": "cdktf", "Stack": stack}


def test_service_tags_reach_every_taggable_type(
    tagged: tuple[Any, Settings], synthesize: Synthesizer, aws_provider_schema: dict[str, Any]
) -> None:
    topology, _ = tagged
    names = [s.name for s in topology.services]
    written = synthesize(*tagged).stack("services")["resource"]
    taggable = _taggable(aws_provider_schema)
    checked: set[str] = set()
    for rtype, blocks in written.items():
        for logical_id, body in blocks.items():
            owner = _service_of(body["//"]["metadata"]["path"], names)
            if owner is None or rtype not in taggable:
                continue
            checked.add(rtype)
            want = dict(SERVICE_TAGS.get(owner, ()))
            assert want.items() <= body.get("tags", {}).items(), f"{rtype}.{logical_id} of {owner}"
    per_service = {t for t in written if t in taggable} - {"aws_lb", "aws_lb_listener", "aws_lb_listener_rule", "aws_lb_target_group"}
    assert per_service == checked == TAGGABLE_TYPES | {"aws_appautoscaling_target"}


def test_a_services_tags_reach_its_tasks(tagged: tuple[Any, Settings], synthesize: Synthesizer) -> None:
    synth = synthesize(*tagged)
    _, service = synth.by_path("services", "aws_ecs_service", "api/service")
    assert service["propagate_tags"] == "SERVICE"  # ECS copies the service's tags onto each task it starts
    assert service["tags"]["DataClass"] == "confidential"
    _, group = synth.by_path("services", "aws_security_group", "worker_sg/group")
    assert group["tags"] == {"DataClass": "internal", "Owner": "batch-team", "Name": "internal-api-worker"}


def test_an_environments_tags_are_added_to_the_systems() -> None:
    system = System(module="m", topology=EXAMPLES["chain"], settings=Settings(tags=SYSTEM_TAGS))
    deployment = resolve(system, Environment(name="prod", tags=(("Owner", "prod-team"), ("Tier", "1"))))
    assert deployment.settings.tags == (("CostCentre", "cc-42"), ("Owner", "prod-team"), ("Tier", "1"))


def test_an_environments_service_tags_merge_into_the_services_and_land_on_its_resources(synthesize: Synthesizer) -> None:
    """``ServiceOverride.tags``: merged by key into ``Service.tags`` (a key of the environment wins), then written
    like them."""
    topology = EXAMPLES["chain"]
    services = tuple(replace(s, tags=(("Owner", "api-team"), ("Tier", "2"))) if s.name == "api" else s for s in topology.services)
    system = System(module="m", topology=replace(topology, services=services), settings=Settings())
    environment = Environment(name="prod", services={"api": ServiceOverride(tags=(("Tier", "1"), ("OnCall", "yes")))})
    deployment = resolve(system, environment)
    assert deployment.topology.service("api").tags == (("Owner", "api-team"), ("Tier", "1"), ("OnCall", "yes"))
    assert deployment.topology.service("web").tags == ()
    written = synthesize(deployment.topology, deployment.settings).stack("services")["resource"]
    ecs = next(body for body in written["aws_ecs_service"].values() if body["name"] == "api")
    assert ecs["tags"] == {"Owner": "api-team", "Tier": "1", "OnCall": "yes"}


@pytest.mark.parametrize(
    ("tags", "line"),
    [
        ((("aws:x", "1"),), "settings: tags[0]: key 'aws:x' may not start with 'aws:' (reserved by AWS)"),
        ((("Project", "p"),), "settings: tags[0]: key 'Project' is written by the project (its own keys: ManagedBy, Project, Stack)"),
        ((("A", "1"), ("A", "2")), "settings: tags[1]: key 'A' is given twice"),
        ((("", "1"),), "settings: tags[0]: key '' must be 1-128 letters, digits, spaces or _ . : / = + - @"),
        ((("A", "x" * 257),), f"settings: tags[0]: value {'x' * 257!r} must be up to 256 letters, digits, spaces or _ . : / = + - @"),
    ],
)
def test_bad_settings_tags_are_one_line(tags: tuple[tuple[str, str], ...], line: str) -> None:
    assert validate(EXAMPLES["chain"], Settings(tags=tags)) == [line]


def test_bad_service_tags_name_the_service() -> None:
    topology = EXAMPLES["chain"]
    services = tuple(replace(s, tags=(("a!b", "1"),)) if s.name == "api" else s for s in topology.services)
    assert validate(replace(topology, services=services), Settings()) == [
        "service 'api': tags[0]: key 'a!b' must be 1-128 letters, digits, spaces or _ . : / = + - @"
    ]
