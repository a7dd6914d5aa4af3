"""Stand-ins in the emulator for what a declaration references but this project does not create.

A real system names things that exist outside it: the database's security group, a secret,
a parameter, a KMS key, a bucket or queue in a permission. In AWS they exist; in a fresh
emulated account they do not, and an apply that needs one (an egress rule to a group) fails.
``make deploy-local`` therefore first creates one stand-in per reference and says so, and
``make destroy-local`` removes them again. Each is created as close to the reference as moto
allows:

- a security group is created with its very ID (moto's ``_custom_id_`` tag, which the emulator
  honours for EC2: ``emulator/custom_ids.py``), in the default VPC;
- a secret gets the ARN's suffix through moto's ``_custom_id_`` tag, and a secret, parameter
  or queue is created in the ARN's account (moto keys accounts by a 12-digit access key ID),
  so their ARNs are the referenced ones exactly;
- a KMS key cannot have a chosen ID in moto: the stand-in is a key of another ID (nothing in
  the emulator decrypts with it), and the line says so;
- an existing VPC and its subnets (``network.existing``: ``vpc_id``, ``private_subnet_ids``,
  ``public_subnet_ids``) are created with their very IDs (``_custom_id_`` too), before
  everything else. Their CIDRs are not in the declaration (the VPC's owner chose them), so
  the emulator chooses: the VPC gets ``VPC_CIDR`` (10.0.0.0/16), each private subnet the next /24 from 10.0.0.0/24 and each public
  subnet the next from 10.0.128.0/24 (so a subnet added to one list does not move the other's),
  in ``network.availability_zones`` in turn. No route tables, internet or NAT gateways: each
  subnet uses the VPC's main route table (local routes only), which the plan-time checks of
  private subnets accept; a public subnet is just a subnet;
- an existing cluster is created by name;
- an entry's existing listener (``existing.listener_arn``) gets a stand-in load balancer and an
  HTTP listener (port 80, or the next free one) under the very ARNs (the listener's, and its load balancer's within
  it), in the emulated account's default VPC, with the entry's ``existing.security_group_id`` (a
  stand-in group too) and a fixed 404 as its default action: the owner's listener, to which the
  apply adds rules. Its real protocol and port are not in the declaration, and do not matter to
  the rules;
- an entry's WAF web ACL (``web_acl_arn``) gets an empty regional web ACL (allow by default)
  under its very ARN.

Those two carry the declared account in their ARN but are created in the emulator's default
account, where Terraform looks for them (``emulator/custom_ids.py``).

What exists in the emulated account already and this emulator home did not create (a VPC a
test seeded by hand, a secret another environment's deploy stood in for) is left as it is,
not recorded, and never removed; the line says it exists. What the home created is recorded
in its ``stand-ins<suffix>.json`` and removed by ``make destroy-local`` (subnets before their VPC).

The creation runs in the emulator's own Python (boto3 is there), ``emulator/standin_client.py``.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import subprocess
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from toolchain.processes import last_line
from topology import Entry, NetworkSettings
from topology.patterns import ARN
from topology.resolved import ResolvedEnvironment

from .server import EMULATOR_PYTHON, EmulatorError

ROOT = Path(__file__).resolve().parent.parent
VPC_CIDR = "10.0.0.0/16"
"""The stand-in VPC's block (the project's own default): room for 128 private and 128 public /24 subnets."""
REMOVAL_ORDER = {"listener": 0, "web_acl": 0, "vpc": 2}
"""A listener's load balancer before its group, a VPC after everything else (its subnets); the rest in between."""
PUBLIC_FROM = 128
"""Public subnets' /24s start half-way through ``VPC_CIDR``, private ones at its start."""


@dataclass(frozen=True, kw_only=True)
class StandIn:
    """One thing to create in the emulator before the apply."""

    kind: str
    """``vpc``, ``subnet``, ``security_group``, ``secret``, ``parameter``, ``kms_key``, ``bucket``, ``queue``, ``cluster``,
    ``listener``, ``web_acl``."""
    reference: str
    """What the declaration names (an ID or ARN)."""
    name: str
    """What the stand-in is created as (an ID, a secret name, parameter name, bucket, queue, cluster)."""
    account: str | None
    """The account to create it in (the ARN's); the emulator's default account if unset."""
    region: str
    why: str
    """Who references it, for the line the user reads."""
    suffix: str | None = None
    """A secret's 6-character ARN suffix."""
    cidr: str | None = None
    """A VPC's or subnet's block, chosen by the emulator (the declaration does not say it)."""
    vpc: str | None = None
    """A subnet's VPC."""
    zone: str | None = None
    """A subnet's availability zone."""
    security_group: str | None = None
    """An existing listener's load balancer's security group."""

    @property
    def line(self) -> str:
        """What ``deploy-local`` says when it creates the stand-in."""
        return f"emulator: stand-in for {self.reference} ({self.why}){self._note}"

    @property
    def existing_line(self) -> str:
        """What ``deploy-local`` says when the thing exists already and this emulator home did not create it."""
        return f"emulator: {self.reference} exists in the emulated account already ({self.why}): no stand-in"

    @property
    def _note(self) -> str:
        if self.kind == "kms_key":
            return " (a key of another ID: moto cannot choose a key's ID; nothing in the emulator decrypts with it)"
        if self.kind == "vpc":
            return f" (CIDR {self.cidr}, chosen by the emulator)"
        if self.kind == "subnet":
            return f" ({self.cidr} in {self.zone}, chosen by the emulator)"
        if self.kind == "listener":
            return " (a load balancer with an HTTP listener that answers 404, in the default VPC)"
        if self.kind == "web_acl":
            return " (an empty web ACL that allows everything)"
        return ""


def network_stand_ins(net: NetworkSettings, region: str) -> list[StandIn]:
    """The existing VPC, then its private and public subnets (``/24``s of ``VPC_CIDR``, zones in turn); none without one."""
    existing = net.existing
    if existing is None:
        return []
    found = [
        StandIn(
            kind="vpc", reference=existing.vpc_id, name=existing.vpc_id, account=None, region=region, why="the existing VPC", cidr=VPC_CIDR
        )
    ]
    for tier, ids, first in (("private", existing.private_subnet_ids, 0), ("public", existing.public_subnet_ids, PUBLIC_FROM)):
        if len(ids) > PUBLIC_FROM:
            raise EmulatorError(f"the emulator stands in for at most {PUBLIC_FROM} {tier} subnets ({len(ids)} named)")
        found += [_subnet(subnet_id, tier, first + index, existing.vpc_id, net, region) for index, subnet_id in enumerate(ids)]
    return found


def _subnet(subnet_id: str, tier: str, block: int, vpc_id: str, net: NetworkSettings, region: str) -> StandIn:
    """The ``block``-th /24 of ``VPC_CIDR``; zones taken in turn within its tier."""
    cidr = str(next(itertools.islice(ipaddress.ip_network(VPC_CIDR).subnets(new_prefix=24), block, None)))
    zones = [zone for zone in net.availability_zones if zone.startswith(region)] or [f"{region}a"]  # an existing network names none
    zone = zones[(block % PUBLIC_FROM) % len(zones)]
    why = f"the existing VPC's {tier} subnet"
    return StandIn(
        kind="subnet", reference=subnet_id, name=subnet_id, account=None, region=region, why=why, cidr=cidr, vpc=vpc_id, zone=zone
    )


def stand_ins(deployment: ResolvedEnvironment) -> list[StandIn]:
    """Every outside reference of the deployment that can be stood in for, once each: the network first, then in declaration order."""
    settings = deployment.settings
    net = settings.network
    found = network_stand_ins(net, settings.region)
    if net.existing is not None and net.existing.use_existing_cluster:
        found.append(_plain("cluster", net.cluster_name, settings.region, "the existing cluster"))
    for entry in deployment.topology.entries:
        found += entry_stand_ins(entry, settings.region)
    for service in deployment.topology.services:
        for rule in service.egress:
            if rule.security_group_id is not None:
                found.append(_plain("security_group", rule.security_group_id, settings.region, f"{service.name} egress {rule.name}"))
        for secret in service.secrets:
            found.append(_from_arn(secret.arn, settings.region, f"{service.name} secret {secret.name}"))
            if secret.kms_key_arn is not None:
                found.append(_from_arn(secret.kms_key_arn, settings.region, f"{service.name} secret {secret.name}'s key"))
        for permission in service.permissions:
            for resource in permission.resources:
                stand_in = _from_arn(resource, settings.region, f"{service.name} permission {permission.sid or ''}".rstrip())
                if stand_in.kind in ("bucket", "queue"):
                    found.append(stand_in)
    unique: dict[tuple[str, str], StandIn] = {}
    for item in found:
        unique.setdefault((item.kind, item.name), item)
    return [item for item in unique.values() if item.kind != "other"]


def entry_stand_ins(entry: Entry, region: str) -> list[StandIn]:
    """What an entry names and does not create: another team's listener (its group first), and a WAF web ACL.

    Both go in the emulator's default account (``account=None``), where Terraform looks, under their declared ARNs."""
    found = []
    if entry.existing is not None:
        listener, group = entry.existing.listener_arn, entry.existing.security_group_id
        found.append(_plain("security_group", group, region, f"entry {entry.name}'s load balancer group"))
        why = f"entry {entry.name}'s existing listener"
        found.append(replace(_plain("listener", listener, _arn_region(listener, region), why), security_group=group))
    if entry.web_acl_arn is not None:
        found.append(_plain("web_acl", entry.web_acl_arn, _arn_region(entry.web_acl_arn, region), f"entry {entry.name}'s web ACL"))
    return found


def _arn_region(arn: str, default: str) -> str:
    match = ARN.match(arn)
    return match["region"] if match is not None and match["region"] else default


def _plain(kind: str, reference: str, region: str, why: str) -> StandIn:
    return StandIn(kind=kind, reference=reference, name=reference, account=None, region=region, why=why)


def _from_arn(arn: str, region: str, why: str) -> StandIn:
    match = ARN.match(arn)
    if match is None or match["account"] in ("aws", "*") or "*" in match["region"]:  # stand in only concrete resources
        return StandIn(kind="other", reference=arn, name=arn, account=None, region=region, why=why)
    service, resource, account = match["service"], match["resource"], match["account"] or None
    where = match["region"] or region
    if service == "secretsmanager" and resource.startswith("secret:"):
        name, _, suffix = resource.removeprefix("secret:").rpartition("-")
        return StandIn(kind="secret", reference=arn, name=name, account=account, region=where, why=why, suffix=suffix)
    if service == "ssm" and resource.startswith("parameter/"):
        return StandIn(
            kind="parameter", reference=arn, name="/" + resource.removeprefix("parameter/"), account=account, region=where, why=why
        )
    if service == "kms" and resource.startswith("key/"):
        return StandIn(kind="kms_key", reference=arn, name=resource.removeprefix("key/"), account=account, region=where, why=why)
    if service == "s3" and "*" not in resource.split("/", 1)[0]:
        bucket = resource.split("/", 1)[0]
        return StandIn(kind="bucket", reference=f"arn:aws:s3:::{bucket}", name=bucket, account=account, region=where, why=why)
    if service == "sqs" and "*" not in resource:
        return StandIn(kind="queue", reference=arn, name=resource, account=account, region=where, why=why)
    return StandIn(kind="other", reference=arn, name=arn, account=account, region=where, why=why)


def _client(action: str, items: list[StandIn], endpoint: str) -> list[str]:
    payload = json.dumps([asdict(item) for item in items])
    done = subprocess.run(
        [str(EMULATOR_PYTHON), "-m", "emulator.standin_client", action, endpoint],
        input=payload,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        last = last_line(done.stderr)
        raise EmulatorError(f"creating stand-ins failed: {last}" if action == "create" else f"removing stand-ins failed: {last}")
    statuses: list[str] = json.loads(done.stdout or "[]")
    return statuses


def _recorded(record: Path) -> list[StandIn]:
    return [StandIn(**item) for item in json.loads(record.read_text(encoding="utf-8"))] if record.exists() else []


def create(items: list[StandIn], endpoint: str, record: Path) -> list[str]:
    """Create what is not there yet; remember what this home created in ``record`` for ``remove``; the lines to print.

    A stand-in this home created before (a second ``deploy-local``) stays its own, also once the declaration
    no longer names it (``destroy-local`` still removes it); what exists but is not in ``record`` belongs to
    someone else (a test's seed, another environment's stand-in): not recorded.
    """
    if not items:
        return []
    previous = _recorded(record)
    before, now = {(item.kind, item.name) for item in previous}, {(item.kind, item.name) for item in items}
    statuses = _client("create", items, endpoint)
    ours = [item for item, status in zip(items, statuses, strict=True) if status == "created" or (item.kind, item.name) in before]
    kept = ours + [item for item in previous if (item.kind, item.name) not in now]  # no longer named, still this home's
    if kept:
        record.write_text(json.dumps([asdict(item) for item in kept], indent=2, sort_keys=True) + "\n", encoding="utf-8")
    else:
        record.unlink(missing_ok=True)
    return [item.line if item in ours else item.existing_line for item in items]


def remove(endpoint: str, record: Path) -> list[str]:
    """Delete the stand-ins ``create`` recorded, in ``REMOVAL_ORDER``; the lines to print."""
    items = sorted(_recorded(record), key=lambda item: REMOVAL_ORDER.get(item.kind, 1))
    if not items:
        return []
    _client("delete", items, endpoint)
    record.unlink()
    return [f"emulator: removed the stand-in for {item.reference}" for item in items]
