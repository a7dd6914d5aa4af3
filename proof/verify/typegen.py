"""Classify every resource and data-source type of the pinned AWS provider from its own schema: ``types.json``.

    python -m proof.verify.typegen            # rewrite proof/verify/types.json (needs terraform + the mirror)
    python -m proof.verify.typegen --check    # exit 1 if the committed file differs from a fresh one

The rule (conservative: when in doubt, a type is *not* neutral): a type is neutral
when none of its settable arguments (optional or required, at any nesting depth,
blocks included) has a name with a word that can carry who reaches a service: a
security group, subnet, network interface, address, range or prefix list, port,
route or gateway, IAM role, policy, principal or trust, an ARN (any ARN may name
a role, target group or function), a task definition, cluster, container, load
balancer, listener or target, another engine's template, document or
definition, code, a command or script, user data, DNS names and records; and
no argument is of the ``dynamic`` type (any value). Every other type records the
top-level arguments under which one matches (its list in ``resource``; neutral: ``[]``), and
every argument whose name holds ``security_group`` (``members``): only those put
a resource into a group.
Type names that run something (``invocation``, ``execution``, ``command``,
``script``, ``association``) are never neutral. Data sources are only listed
(a lookup creates nothing; the value it feeds is resolved or unknown).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from toolchain.processes import last_line
from topology.errors import CommandLine, UserError, command

PROVIDER = "registry.terraform.io/hashicorp/aws"
VERSION = "5.100.0"
TYPES_FILE = Path(__file__).with_name("types.json")
RC_FILE = Path(__file__).resolve().parents[2] / "build" / "terraform.rc"

REACH_WORDS = frozenset(
    [
        "security",
        "sg",
        "sgs",
        "subnet",
        "subnets",
        "interface",
        "interfaces",
        "eni",
        "enis",
        "network",
        "networking",
        "vpc",
        "vpcs",
        "ip",
        "ips",
        "ipv4",
        "ipv6",
        "ipam",
        "cidr",
        "cidrs",
        "address",
        "addresses",
        "port",
        "ports",
        "ingress",
        "egress",
        "inbound",
        "outbound",
        "public",
        "internet",
        "firewall",
        "allow",
        "allowed",
        "allowlist",
        "whitelist",
        "source",
        "sources",
        "access",
        "route",
        "routes",
        "gateway",
        "gateways",
        "endpoint",
        "endpoints",
        "peer",
        "peering",
        "transit",
        "vpn",
        "proxy",
        "tunnel",
        "mesh",
        "listener",
        "listeners",
        "target",
        "targets",
        "lb",
        "elb",
        "alb",
        "nlb",
        "balancer",
        "balancers",
        "cluster",
        "clusters",
        "task",
        "tasks",
        "service",
        "services",
        "container",
        "containers",
        "image",
        "images",
        "role",
        "roles",
        "policy",
        "policies",
        "principal",
        "principals",
        "assume",
        "trust",
        "permission",
        "permissions",
        "grant",
        "grants",
        "grantee",
        "acl",
        "acls",
        "iam",
        "arn",
        "arns",
        "account",
        "accounts",
        "share",
        "sharing",
        "template",
        "templates",
        "document",
        "documents",
        "content",
        "body",
        "definition",
        "definitions",
        "data",
        "script",
        "scripts",
        "command",
        "commands",
        "code",
        "user",
        "userdata",
        "run",
        "exec",
        "execution",
        "invocation",
        "invoke",
        "lambda",
        "function",
        "functions",
        "handler",
        "json",
        "yaml",
        "spec",
        "buildspec",
        "parameters",
        "input",
        "association",
        "dns",
        "record",
        "records",
        "alias",
        "host",
        "hostname",
        "hostnames",
        "domain",
    ]
)
RUNNING_TYPE_WORDS = ("invocation", "execution", "command", "script", "association")


def reach_word(name: str) -> bool:
    """Whether an argument name carries reach: one of its words is in ``REACH_WORDS``, or it names a prefix list."""
    return "prefix_list" in name or any(word in REACH_WORDS for word in name.split("_"))


def _walk(block: dict[str, Any], prefix: str) -> tuple[list[str], list[str]]:
    """(reach, members) argument paths of a schema block, nested blocks included; computed-only ones skipped."""
    reach: list[str] = []
    members: list[str] = []
    for name, attribute in sorted((block.get("attributes") or {}).items()):
        if not (attribute.get("optional") or attribute.get("required")):
            continue
        path = f"{prefix}{name}"
        if reach_word(name) or attribute.get("type") == "dynamic":
            reach.append(path)
        if "security_group" in name:
            members.append(path)
    for name, nested in sorted((block.get("block_types") or {}).items()):
        path = f"{prefix}{name}"
        inner_reach, inner_members = _walk(nested.get("block") or {}, f"{path}.")
        if reach_word(name) and not inner_reach:
            inner_reach = [path]
        reach += inner_reach
        members += inner_members
    return reach, members


def classify(schema: dict[str, Any]) -> dict[str, Any]:
    """The classification of a ``terraform providers schema -json`` document: one entry per type."""
    provider = schema["provider_schemas"][PROVIDER]
    result: dict[str, Any] = {"provider": f"hashicorp/aws {VERSION}", "resource": {}, "data": {}, "members": {}}
    for section, key in (("resource", "resource_schemas"), ("data", "data_source_schemas")):
        for rtype, entry in sorted(provider[key].items()):
            reach, members = _walk(entry.get("block") or {}, "")
            if not reach and any(word in rtype for word in RUNNING_TYPE_WORDS):
                reach = ["(type)"]
            result[section][rtype] = sorted({path.split(".")[0] for path in reach}) if section == "resource" else []
            if members and section == "resource":
                result["members"][rtype] = members
    return result


def provider_schema() -> dict[str, Any]:
    """The pinned provider's schema, read offline from the mirror (``build/terraform.rc``)."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "main.tf").write_text(
            'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "' + VERSION + '" }\n  }\n}\n',
            encoding="utf-8",
        )
        env = {
            **os.environ,
            "CHECKPOINT_DISABLE": "1",
            "TF_CLI_CONFIG_FILE": str(RC_FILE) if RC_FILE.exists() else os.environ.get("TF_CLI_CONFIG_FILE", ""),
        }
        _terraform(["init", "-input=false", "-backend=false", "-no-color"], folder, env)
        loaded: dict[str, Any] = json.loads(_terraform(["providers", "schema", "-json"], folder, env))
    return loaded


def _terraform(args: list[str], folder: str, env: dict[str, str]) -> str:
    done = subprocess.run(["terraform", *args], cwd=folder, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UserError(f"typegen: terraform {args[0]} failed: {last_line(done.stderr)}")
    return done.stdout


def render(classified: dict[str, Any]) -> str:
    """One type per line, sorted: a provider upgrade shows as a readable diff."""
    lines = ["{", f'"provider": {json.dumps(classified["provider"])},']
    for section in ("resource", "data", "members"):
        entries = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(classified[section].items())]
        if section == "data":
            entries = [json.dumps(k) for k in sorted(classified[section])]
        opening, closing = ("[", "]") if section == "data" else ("{", "}")
        lines.append(f'"{section}": {opening}\n' + ",\n".join(entries) + f"\n{closing}" + ("," if section != "members" else ""))
    return "\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description="Classify the pinned AWS provider's types from its schema.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed types.json is not what the schema gives")
    args = parser.parse_args(argv)
    text = render(classify(provider_schema()))
    if args.check:
        same = TYPES_FILE.read_text(encoding="utf-8") == text
        print("types.json is current" if same else "types.json differs from the provider schema: run python -m proof.verify.typegen")
        return 0 if same else 1
    TYPES_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {TYPES_FILE.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(command(main))
