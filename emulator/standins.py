"""Stand-ins in the emulator for what a declaration references but this project does not create.

A real system names things that exist outside it: the database's security group, a secret,
a parameter, a KMS key, a bucket or queue in a permission. In AWS they exist; in a fresh
emulated account they do not, and an apply that needs one (an egress rule to a group) fails.
``make deploy-local`` therefore first creates one stand-in per reference and says so, and
``make destroy-local`` removes them again. Each is created as close to the reference as moto
allows:

- a security group is created *named* by its ID (moto resolves a group reference by ID, then
  by name; it cannot choose a group's ID);
- a secret gets the ARN's suffix through moto's ``_custom_id_`` tag, and a secret, parameter
  or queue is created in the ARN's account (moto keys accounts by a 12-digit access key ID),
  so their ARNs are the referenced ones exactly;
- a KMS key cannot have a chosen ID in moto: the stand-in is a key of another ID (nothing in
  the emulator decrypts with it), and the line says so;
- an existing VPC or subnets cannot be stood in for at all (moto cannot choose their IDs):
  the line says so, and they must already exist in the emulated account (seeded by hand, as
  ``tests/builders/legacy_article.py`` does); an existing cluster or namespace is created by name.

The creation runs in the emulator's own Python (boto3 is there), ``emulator/standin_client.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from topology.system import Deployment

from .server import EMULATOR_PYTHON, EmulatorError

ROOT = Path(__file__).resolve().parent.parent
ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12}|):(?P<resource>.+)$")


@dataclass(frozen=True, kw_only=True)
class StandIn:
    """One thing to create in the emulator before the apply."""

    kind: str
    """``security_group``, ``secret``, ``parameter``, ``kms_key``, ``bucket``, ``queue``, ``cluster``."""
    reference: str
    """What the declaration names (an ID or ARN)."""
    name: str
    """What the stand-in is created as (a group name, secret name, parameter name, bucket, queue, cluster)."""
    account: str | None
    """The account to create it in (the ARN's); the emulator's default account if unset."""
    region: str
    why: str
    """Who references it, for the line the user reads."""
    suffix: str | None = None
    """A secret's 6-character ARN suffix."""

    @property
    def line(self) -> str:
        note = (
            " (a key of another ID: moto cannot choose a key's ID; nothing in the emulator decrypts with it)"
            if self.kind == "kms_key"
            else ""
        )
        return f"emulator: stand-in for {self.reference} ({self.why}){note}"


def cannot_stand_in(deployment: Deployment) -> list[str]:
    """Lines for the references moto cannot create with their IDs (an existing VPC and its subnets)."""
    existing = deployment.settings.network.existing
    if existing is None:
        return []
    ids = ", ".join((existing.vpc_id, *existing.private_subnet_ids))
    return [
        f"emulator: no stand-in for {ids} (moto cannot create a VPC or subnet with a given ID): they must exist in the emulated account"
    ]


def stand_ins(deployment: Deployment) -> list[StandIn]:
    """Every outside reference of the deployment that can be stood in for, in declaration order, once each."""
    settings, found = deployment.settings, []
    net = settings.network
    if net.existing is not None and net.existing.use_existing_cluster:
        found.append(_plain("cluster", net.cluster_name, settings.region, "the existing cluster"))
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


def _plain(kind: str, reference: str, region: str, why: str) -> StandIn:
    return StandIn(kind=kind, reference=reference, name=reference, account=None, region=region, why=why)


def _from_arn(arn: str, region: str, why: str) -> StandIn:
    match = ARN.match(arn)
    if match is None:
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


def _client(action: str, items: list[StandIn], endpoint: str) -> None:
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
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EmulatorError(f"creating stand-ins failed: {last}" if action == "create" else f"removing stand-ins failed: {last}")


def create(items: list[StandIn], endpoint: str, record: Path) -> list[str]:
    """Create what is not there yet; remember it in ``record`` for ``remove``; the lines to print."""
    if not items:
        return []
    _client("create", items, endpoint)
    record.write_text(json.dumps([asdict(item) for item in items], indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [item.line for item in items]


def remove(endpoint: str, record: Path) -> list[str]:
    """Delete the stand-ins ``create`` recorded; the lines to print."""
    if not record.exists():
        return []
    items = [StandIn(**item) for item in json.loads(record.read_text(encoding="utf-8"))]
    _client("delete", items, endpoint)
    record.unlink()
    return [f"emulator: removed the stand-in for {item.reference}" for item in items]
