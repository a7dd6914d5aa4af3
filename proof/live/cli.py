"""``python -m proof.live [--system M] [--env E] [--json]``: the live check of the selected deployment.

Reads the account botocore is pointed at (AWS with your credentials and the shipped
read-only policy, docs/live-policy.json; or the emulator, under ``make local-exec``,
which is what ``make verify-live`` runs). The first line is the summary; then one
line per claim and per drift. Exit codes as ``python -m proof.verify`` (``proof.exits``): 0 proven and
no drift, 1 violations or drift, or a user's mistake (unknown system or environment), 3 the
check's own failure (the account could not be read). Always one line, never a traceback.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from proof.exits import concluded
from proof.findings import Finding
from topology.errors import CommandLine
from topology.resolved import ResolvedEnvironment
from topology.selection import add_arguments, select

from .check import JSON_KEYS, KINDS, LINE, failing, judge
from .read import ClientFactory, ReadError, read


def botocore_clients(region: str) -> ClientFactory:
    """Clients of one botocore session in ``region``; endpoint and credentials from the environment as the AWS CLI reads them."""
    import botocore.session

    session = botocore.session.get_session()
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = session.create_client(service, region_name=region)
        return made[service]

    return client


def check(deployment: ResolvedEnvironment, clients: ClientFactory) -> list[Finding]:
    """Read the deployment's resources and judge them; ``ReadError`` when the account cannot be read."""
    import botocore.exceptions

    network = deployment.settings.network
    try:
        account = read(clients, network.cluster_name, network.namespace)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise ReadError(str(error).splitlines()[0]) from None
    return judge(deployment.topology, deployment.settings, account)


def summary(where: str, findings: list[Finding]) -> str:
    counts = {kind: sum(1 for f in findings if f.kind == kind) for kind in KINDS}
    status = "FAILED" if any(map(failing, findings)) else "ok"
    return f"live check of {where}: {status}: " + ", ".join(f"{counts[k]} {k}" for k in KINDS)


def report(where: str, findings: list[Finding]) -> dict[str, Any]:
    return {
        "target": where,
        "ok": not any(map(failing, findings)),
        "counts": {kind: sum(1 for f in findings if f.kind == kind) for kind in KINDS},
        "findings": [f.as_json(JSON_KEYS) for f in findings],
    }


def main(argv: list[str] | None = None, clients: ClientFactory | None = None) -> int:
    parser = CommandLine(description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="a machine-readable report on stdout")
    args = parser.parse_args(argv)

    def prove() -> bool:
        selection = select(args.system, args.env)
        deployment = selection.one()
        where = selection.system.module + (f" {deployment.environment}" if deployment.environment else "")
        findings = check(deployment, clients or botocore_clients(deployment.settings.region))
        if args.json:
            sys.stdout.write(json.dumps(report(where, findings), indent=2, sort_keys=True) + "\n")
        else:
            sys.stdout.write("".join(f"{line}\n" for line in [summary(where, findings), *(f.line(LINE) for f in findings)]))
        return any(map(failing, findings))

    return concluded("verify-live", prove, {ReadError: "cannot read the account"})
