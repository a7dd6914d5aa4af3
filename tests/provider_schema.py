"""The provider schema of every resource and data-source type the examples write, trimmed, for a fast test.

``terraform validate`` checks each body against hashicorp/aws's schema, but it is the slowest step, and a clean
clone has no provider. tests/stacks/test_provider_schema.py checks the same shape in-process against
``tests/fixtures/provider-schema.json``: per type, its attributes (``required``, ``optional`` or ``computed``: set
only by the provider) and its nested blocks (nesting mode, item bounds, their own attributes and blocks).

    .venv/bin/python -m tests.provider_schema           # rewrite the file (terraform + the provider mirror)
    .venv/bin/python -m tests.provider_schema --check   # exit 1 if it differs from a fresh one
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parent / "fixtures" / "provider-schema.json"
SECTIONS = {"resource": "resource_schemas", "data": "data_source_schemas"}
BUILT_IN = frozenset({"terraform_remote_state", "terraform_data"})
"""Types of Terraform's own ``terraform`` provider, which Terraform checks itself: not in the AWS schema."""


def trimmed_block(block: dict[str, Any]) -> dict[str, Any]:
    """A provider schema block as the test needs it: attribute modes and nested blocks, nothing else."""
    attributes = {
        name: "required" if spec.get("required") else "optional" if spec.get("optional") else "computed"
        for name, spec in sorted(block.get("attributes", {}).items())
    }
    blocks = {
        name: {
            "nesting": nested["nesting_mode"],
            "min": nested.get("min_items", 0),
            "max": nested.get("max_items", 0),
            "block": trimmed_block(nested.get("block", {})),
        }
        for name, nested in sorted(block.get("block_types", {}).items())
    }
    return {"attributes": attributes, "blocks": blocks}


def trim(schema: dict[str, Any], used: dict[str, set[str]]) -> dict[str, Any]:
    """The ``used`` types (``{"resource": {...}, "data": {...}}``) of a ``terraform providers schema -json`` document."""
    (provider,) = schema["provider_schemas"].values()
    result: dict[str, Any] = {"provider": "hashicorp/aws 5.100.0"}
    for section, key in SECTIONS.items():
        result[section] = {rtype: trimmed_block(provider[key][rtype]["block"]) for rtype in sorted(used[section] - BUILT_IN)}
    return result


def used_types() -> dict[str, set[str]]:
    """Every type each example's every environment writes, synthesized here."""
    import examples
    from stacks.app import build_app
    from topology.system import deployments, load_system

    used: dict[str, set[str]] = {section: set() for section in SECTIONS}
    for name in examples.NAMES:
        for deployment in deployments(load_system(f"examples.{name}")):
            with tempfile.TemporaryDirectory() as outdir:
                build_app(deployment.topology, deployment.settings, outdir=outdir).synth()
                for path in sorted(Path(outdir, "stacks").glob("*/cdk.tf.json")):
                    body = json.loads(path.read_text(encoding="utf-8"))
                    for section in SECTIONS:
                        used[section] |= set(body.get(section, {}))
    return used


def render(trimmed: dict[str, Any]) -> str:
    return json.dumps(trimmed, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs from a fresh one")
    args = parser.parse_args(argv)
    from proof.verify.typegen import provider_schema

    fresh = render(trim(provider_schema(), used_types()))
    if args.check:
        same = SCHEMA_FILE.read_text(encoding="utf-8") == fresh
        print("provider-schema.json is current" if same else "provider-schema.json is stale: run python -m tests.provider_schema")
        return 0 if same else 1
    SCHEMA_FILE.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
