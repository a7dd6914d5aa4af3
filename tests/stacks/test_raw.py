"""stacks/raw.py writes what cdktf would: its logical IDs and its JSON layout, checked against cdktf's own code.

The oracle is the cdktf of node_modules (the one the cdktf CLI runs): ``makeUniqueId`` and the
``json-stable-stringify`` it writes ``cdk.tf.json`` with, called in one Node process per test.
The byte-identity of whole stacks is kept by the committed snapshots (test_snapshots.py).
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stacks.raw import RawBlocks, stable_json, unique_id
from toolchain.node import node

ROOT = Path(__file__).resolve().parent.parent.parent

CDKTF_UNIQUE_IDS = """
const { makeUniqueId } = require("./node_modules/cdktf/lib/private/unique.js");
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map((components) => makeUniqueId(components))));
"""

CDKTF_STRINGIFY = """
const stringify = require(require.resolve("json-stable-stringify", { paths: [require.resolve("cdktf")] }));
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map((value) => stringify(value, { space: 2 }))));
"""


def _in_node(script: str, cases: list[Any]) -> list[str]:
    done = subprocess.run([node(), "-e", script], input=json.dumps(cases), cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    result: list[str] = json.loads(done.stdout)
    return result


# Construct IDs as services and their parts are named (letters, digits, dashes, underscores), with the
# special IDs cdktf treats apart, characters it drops, and paths longer than its 240-character cut.
SPECIAL = ["Default", "Resource", "sg", "group", "web_sg", "web", "b", "ab", "x-y"]
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/ "


def _component(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return rng.choice(SPECIAL)
    length = rng.randint(200, 260) if kind > 0.95 else rng.randint(1, 30)
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def test_logical_ids_are_cdktfs() -> None:
    rng = random.Random(20261203)  # seeded: the same 2,000 paths every run
    cases = [[_component(rng) for _ in range(rng.randint(1, 6))] for _ in range(2000)]
    cases = [c for c in cases if [x for x in c if x != "Default"]]  # cdktf refuses an empty path
    assert [unique_id(c) for c in cases] == _in_node(CDKTF_UNIQUE_IDS, cases)


def test_known_logical_ids() -> None:
    # From the committed article snapshot: a service's group, an ingress rule, a top-level variable.
    assert unique_id(["internal-nginx_sg", "group"]) == "internal-nginx_sg_group_6EDAE5B1"
    assert unique_id(["client-nginx", "service"]) == "client-nginx_service_9C1866D1"
    assert unique_id(["image_client_nginx"]) == "image_client_nginx"


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randint(0, 6 if depth < 4 else 3)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randint(-(2**53), 2**53)
    if kind in (2, 3):
        return "".join(chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0xD7FF)])) for _ in range(rng.randint(0, 10)))
    if kind == 4:
        return [_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        _json_value(rng, 4) if rng.random() < 0.5 else rng.choice("abAB_-"): _json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))
    }


def test_json_is_written_as_cdktf_writes_it() -> None:
    rng = random.Random(3)
    values = [_json_value(rng) for _ in range(1000)]
    values = [json.loads(json.dumps(v)) for v in values]  # keys as JSON has them (strings)
    assert [stable_json(value) for value in values] == _in_node(CDKTF_STRINGIFY, values)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ({"b": [], "a": {}}, '{\n  "a": {\n  },\n  "b": [\n  ]\n}'),
        ({"s": 'quote " and \\ and \n and é'}, '{\n  "s": "quote \\" and \\\\ and \\n and é"\n}'),
    ],
)
def test_empty_containers_and_escapes(value: Any, written: str) -> None:
    assert stable_json(value) == written


def _blocks() -> RawBlocks:
    from cdktf import App, TerraformStack

    return RawBlocks(TerraformStack(App(), "services"), "services")


def test_imports_follow_the_construct_tree_not_the_creation_order() -> None:
    raw = _blocks()
    server = raw.resource(["api_sg", "group"], "aws_security_group", {"name": "api"})
    caller = raw.resource(["web_sg", "group"], "aws_security_group", {"name": "web"})
    rule = raw.resource(["api_sg", "from_web"], "aws_vpc_security_group_ingress_rule", {"security_group_id": server.ref("id")})
    for resource, existing in ((caller, "sg-2"), (rule, "sgr-1"), (server, "sg-1")):
        resource.import_from(existing)
    document = raw.merge_into({})
    # cdktf walks the tree depth first: api_sg's two children before web_sg, whatever was created first.
    assert [i["to"] for i in document["import"]] == [server.address, rule.address, caller.address]
    assert document["//"]["metadata"]["imports"]["aws_security_group"] == [server.logical_id, caller.logical_id]
    assert document["resource"]["aws_vpc_security_group_ingress_rule"][rule.logical_id] == {
        "//": {"metadata": {"path": "services/api_sg/from_web", "uniqueId": rule.logical_id}},
        "security_group_id": f"${{aws_security_group.{server.logical_id}.id}}",
    }


def test_two_resources_at_one_path_are_refused() -> None:
    raw = _blocks()
    raw.resource(["api_sg", "group"], "aws_security_group", {})
    with pytest.raises(ValueError, match="services: two resources at api_sg/group"):
        raw.resource(["api_sg", "group"], "aws_security_group", {})


def test_unset_properties_are_left_out_and_outputs_are_listed() -> None:
    raw = _blocks()
    raw.resource(["a"], "aws_cloudwatch_log_group", {"name": "a", "kms_key_id": None, "nested": {"x": None, "y": [1, None]}})
    raw.output("endpoint_a", {"value": "http://a", "description": None})
    document = raw.merge_into({"//": {"outputs": {"services": {"entry_dns": "entry_dns"}}}})
    assert document["resource"]["aws_cloudwatch_log_group"]["a"] == {
        "//": {"metadata": {"path": "services/a", "uniqueId": "a"}},
        "name": "a",
        "nested": {"y": [1, None]},
    }
    assert document["output"] == {"endpoint_a": {"value": "http://a"}}
    assert document["//"]["outputs"]["services"] == {"entry_dns": "entry_dns", "endpoint_a": "endpoint_a"}


def test_a_resource_below_another_resource_is_refused() -> None:
    raw = _blocks()
    raw.resource(["api"], "aws_security_group", {})
    with pytest.raises(ValueError, match="services: api/rule is below the resource services/api"):
        raw.resource(["api", "rule"], "aws_vpc_security_group_ingress_rule", {})
