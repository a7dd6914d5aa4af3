"""The per-service resources in the construct tree (stacks/tree.py): the escape hatches cdktf promises work on them,
and without any, the tree writes the same bytes as the fast path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from topology import Settings

from ..conftest import EXAMPLES, Synthesizer


def _stack_json(outdir: Path, stack: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_tree_writes_the_fast_paths_bytes(example: str, synthesize: Synthesizer, tmp_path: Path) -> None:
    from stacks.app import build_app

    app = build_app(EXAMPLES[example], Settings(), outdir=str(tmp_path))
    app.materialize()
    app.synth()
    fast = synthesize(EXAMPLES[example], Settings())
    for stack in ("network", "services"):
        assert (tmp_path / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8") == fast.text(stack), stack


def test_add_override_on_task_definition_service_and_output(tmp_path: Path) -> None:
    from stacks.app import build_app

    app = build_app(EXAMPLES["chain"], Settings(), outdir=str(tmp_path))
    app.materialize()
    services = app.services[0]
    services.units["api"].task_definition.node.add_override("tags.Override", "task")
    services.units["api"].service.node.add_override("propagate_tags", "SERVICE")
    from cdktf import TerraformOutput

    output = services.node.find_child("endpoint_api")  # construct lookup
    assert isinstance(output, TerraformOutput)
    output.add_override("description", "overridden")
    app.synth()
    written = _stack_json(tmp_path, "services")
    task = written["resource"]["aws_ecs_task_definition"][services.units["api"].task_definition.logical_id]
    assert task["tags"]["Override"] == "task"
    assert task["family"]  # the precomputed attributes are still there beside the override
    ecs = written["resource"]["aws_ecs_service"][services.units["api"].service.logical_id]
    assert ecs["propagate_tags"] == "SERVICE"
    assert ecs["service_connect_configuration"]
    assert written["output"]["endpoint_api"]["description"] == "overridden"


def test_an_aspect_sees_every_per_service_resource(tmp_path: Path) -> None:
    from stacks.app import build_app  # first: it installs the fast provider import before cdktf starts

    # isort: split
    import jsii
    from cdktf import Aspects, IAspect, TerraformResource
    from constructs import IConstruct

    @jsii.implements(IAspect)
    class RecordingTagger:
        """Adds a tag to every resource and records the addresses it visited."""

        def __init__(self) -> None:
            self.visited: set[str] = set()

        def visit(self, node: IConstruct) -> None:
            if isinstance(node, TerraformResource):
                node.add_override("tags.Visited", "yes")
                self.visited.add(f"{node.terraform_resource_type}.{node.friendly_unique_id}")

    app = build_app(EXAMPLES["production"], Settings(), outdir=str(tmp_path))
    tagger = RecordingTagger()
    Aspects.of(app.services[0]).add(tagger)  # cdktf applies the Aspects of a stack and what is below it
    app.synth()  # an Aspect on a stack builds the tree by itself
    written = _stack_json(tmp_path, "services")
    addresses = {f"{kind}.{name}" for kind, blocks in written["resource"].items() for name in blocks}
    raw = {resource.address for resource in app.services[0].raw.in_tree_order()}
    assert len(raw) > 20
    assert raw <= tagger.visited
    assert raw <= addresses
    for address in raw:
        kind, name = address.split(".")
        assert written["resource"][kind][name]["tags"]["Visited"] == "yes", address


def test_testing_finds_the_ecs_service_with_service_connect(tmp_path: Path) -> None:
    from stacks.app import build_app

    # isort: split
    from cdktf import Testing

    app = build_app(EXAMPLES["chain"], Settings(), outdir=str(tmp_path))
    app.materialize()
    synthesized = Testing.synth(app.services[0])
    assert Testing.to_have_resource_with_properties(
        synthesized, "aws_ecs_service", {"name": "api", "service_connect_configuration": {"enabled": True}}
    )
    assert not Testing.to_have_resource_with_properties(synthesized, "aws_ecs_service", {"name": "nobody"})


def test_a_cross_stack_reference_to_a_services_group_resolves(tmp_path: Path) -> None:
    from stacks.app import build_app

    # isort: split
    from cdktf import TerraformOutput, TerraformStack

    app = build_app(EXAMPLES["chain"], Settings(), outdir=str(tmp_path))
    app.materialize()
    services = app.services[0]
    mine = TerraformStack(app.app, "mine")
    mine.add_dependency(services)
    TerraformOutput(mine, "api_group", value=services.security_groups["api"].group.node.get_string_attribute("id"))
    app.synth()
    written = _stack_json(tmp_path, "mine")
    value = written["output"]["api_group"]["value"]
    assert value.startswith("${data.terraform_remote_state.cross-stack-reference-input-services.outputs."), value
    producer = _stack_json(tmp_path, "services")
    exported = [o["value"] for o in producer["output"].values()]
    assert f"${{{services.security_groups['api'].group.address}.id}}" in exported


def test_the_tree_of_an_adopting_system_writes_the_same_bytes(synthesize: Synthesizer, tmp_path: Path) -> None:
    """Adoption puts cdktf data sources beside raw resources (one construct holds both) and writes import blocks."""
    from stacks.app import build_app
    from topology import AdoptedService, Adoption, ExistingNetwork, NetworkSettings

    adoption = Adoption(
        services=(AdoptedService(name="internal-nginx", security_group_id="sg-0a1b2c3d4e5f60002"), AdoptedService(name="client-nginx"))
    )
    existing = ExistingNetwork(
        vpc_id="vpc-0a1b2c3d4e5f60001", private_subnet_ids=("subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"), adopt=adoption
    )
    settings = Settings(network=NetworkSettings(existing=existing))
    app = build_app(EXAMPLES["article"], settings, outdir=str(tmp_path))
    app.materialize()
    app.synth()
    fast = synthesize(EXAMPLES["article"], settings)
    assert fast.stack("services")["import"]  # the case under test: import blocks are written
    assert (tmp_path / "stacks" / "services" / "cdk.tf.json").read_text(encoding="utf-8") == fast.text("services")


def test_rendering_twice_writes_the_same_bytes(synthesize: Synthesizer, tmp_path: Path) -> None:
    """``Testing.synth`` renders the stack once before ``app.synth`` does, and ``materialize`` may be called twice:
    the written bytes are still the fast path's."""
    from stacks.app import build_app

    # isort: split
    from cdktf import Testing

    app = build_app(EXAMPLES["chain"], Settings(), outdir=str(tmp_path))
    app.materialize()
    app.materialize()  # a second call adds nothing
    Testing.synth(app.services[0])
    app.synth()
    fast = synthesize(EXAMPLES["chain"], Settings())
    assert (tmp_path / "stacks" / "services" / "cdk.tf.json").read_text(encoding="utf-8") == fast.text("services")


def test_an_override_merges_as_cdktf_merges_a_typed_resource(tmp_path: Path) -> None:
    """Objects merge key by key and a list override is appended (cdktf's ``deepMerge``), as on a typed resource;
    once, though ``Testing.synth`` rendered the stack before (tree.js merges onto a copy of the attributes)."""
    from stacks.app import build_app

    # isort: split
    from cdktf import Testing

    app = build_app(EXAMPLES["chain"], Settings(), outdir=str(tmp_path))
    app.materialize()
    service = app.services[0].units["api"].service
    before = service.body["service_connect_configuration"]
    service.node.add_override("service_connect_configuration.enabled", False)
    service.node.add_override("capacity_provider_strategy", [{"capacity_provider": "EXTRA", "weight": 1}])
    Testing.synth(app.services[0])
    app.synth()
    written = _stack_json(tmp_path, "services")["resource"]["aws_ecs_service"][service.logical_id]
    assert written["service_connect_configuration"]["enabled"] is False
    assert written["service_connect_configuration"]["namespace"] == before["namespace"]
    strategies = [s["capacity_provider"] for s in written["capacity_provider_strategy"]]
    assert strategies[-1] == "EXTRA" and len(strategies) == len(service.body["capacity_provider_strategy"]) + 1
