"""Environment isolation in the Terraform itself: each environment's stacks name only that environment's places.

The declaration's ARNs are checked at synth (``topology.accounts``), but the proof reads the JSON that will be
applied, which a script, a hand edit or an escape hatch may have changed since. So every string of an
environment's stacks is read for what it names:

- an ARN (``arn:<partition>:<service>:<region>:<account>:...``) in another region than the environment's, or
  of another account than its ``account_id`` and ``trusted_accounts`` (``aws`` and an empty account, as in S3
  and IAM ARNs, name no account);
- a value another environment of the system declares and this one does not (its account ID, an ARN, a
  security group, subnet, VPC or prefix list ID, a bucket name): prod's JSON naming staging's certificate,
  secret, queue, key, log bucket or account;
- an AWS provider configured for another region.

Each is a finding (rule ``environment-isolation``). Strings are scanned once, token by token (ARNs, IDs,
account-shaped numbers, the whole string), each looked up in a set: linear in the size of the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from proof.findings import Finding
from topology.accounts import named_arns, service_ids
from topology.resolved import ResolvedEnvironment

from .config import Config

RULE = "environment-isolation"
ARN_TOKEN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12}|aws|\*|):[^\s\"',\]\[}{]*")
ID_TOKEN = re.compile(r"(?<![A-Za-z0-9-])(?:sg|pl|vpc|subnet)-[0-9a-f]{8,17}(?![A-Za-z0-9])")
ACCOUNT_TOKEN = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
TOKEN_MARKS = ("sg-", "pl-", "vpc-", "subnet-", *"0123456789")
"""A string without any of these holds no ID or account ID to look up."""
SECTIONS = ("resource", "data", "output", "locals", "provider", "module", "variable", "check")
"""What Terraform applies or evaluates; ``terraform`` (the backend: one state bucket for the system) is left out."""


@dataclass(frozen=True)
class Home:
    """Where one environment's stacks apply, and what belongs to the system's other environments."""

    name: str
    account: str | None
    region: str
    trusted: frozenset[str]
    foreign: Mapping[str, str]
    """A value another environment declares (and this one does not) -> what it is there, e.g. ``the value of
    environment 'staging' (account)``."""


def homes(every: Iterable[ResolvedEnvironment]) -> dict[str | None, Home]:
    """Each environment's home, with the other environments' values as its foreign ones."""
    environments = list(every)
    own = {d.environment: dict(_declared(d)) for d in environments}
    found: dict[str | None, Home] = {}
    for deployment in environments:
        settings = deployment.settings
        trusted = frozenset(settings.trusted_accounts)
        mine = own[deployment.environment]
        foreign: dict[str, str] = {}
        for other in environments:
            if other.environment == deployment.environment:
                continue
            for value, what in own[other.environment].items():
                if value not in mine and value not in trusted and _account_of(value) not in trusted | {settings.account_id}:
                    foreign.setdefault(value, f"the value of environment {other.environment!r} ({what})")
        name = f"environment {deployment.environment!r}" if deployment.environment else "the system"
        found[deployment.environment] = Home(name, settings.account_id, settings.region, trusted, foreign)
    return found


def _declared(deployment: ResolvedEnvironment) -> Iterator[tuple[str, str]]:
    """(value, what it is) for every value of this environment that belongs to its account or region."""
    settings, topology = deployment.settings, deployment.topology
    if settings.account_id is not None:
        yield settings.account_id, "account"
    for owner, where, arn in named_arns(topology):
        yield arn, f"{where} of {owner}"
    for service in topology.services:
        for where, value in service_ids(service):
            yield value, f"{where} of service {service.name!r}"
    for entry in topology.entries:
        if entry.access_logs_bucket is not None:
            yield entry.access_logs_bucket, f"access_logs_bucket of entry {entry.name!r}"
        if entry.existing is not None:
            yield entry.existing.security_group_id, f"existing.security_group_id of entry {entry.name!r}"
    existing = settings.network.existing
    if existing is not None:
        yield existing.vpc_id, "existing VPC"
        for subnet in existing.private_subnet_ids:
            yield subnet, "existing subnet"


def _account_of(value: str) -> str | None:
    match = ARN_TOKEN.fullmatch(value)
    return match["account"] if match is not None else None


def check_isolation(config: Config, home: Home) -> list[Finding]:
    """Every value of the configuration that names another place than ``home``, one finding per resource and value."""
    found: set[Finding] = set()
    for stack in sorted(config.stacks):
        for where, text in _strings(config, stack):
            found.update(Finding("*", where, RULE, detail) for detail in _problems(text, home))
        for where, region in _provider_regions(config, stack):
            if region != home.region:
                found.add(Finding("*", where, RULE, f"the AWS provider is in region {region}; {home.name} is in {home.region}"))
    return sorted(found)


def _strings(config: Config, stack: str) -> Iterator[tuple[str, str]]:
    """(block address, string) for every string Terraform applies or evaluates in a stack."""
    for section in SECTIONS:
        content = config.section(stack, section)
        if section in ("resource", "data"):
            prefix = "" if section == "resource" else "data."
            for rtype, named in content.items():
                for name, body in (named if isinstance(named, dict) else {}).items():
                    yield from ((f"{stack}:{prefix}{rtype}.{name}", text) for text in _texts(body))
        elif section == "locals":
            yield from ((f"{stack}:locals", text) for text in _texts(content))
        else:
            for label, body in content.items():
                yield from ((f"{stack}:{section}.{label}", text) for text in _texts(body))


def _texts(value: Any) -> Iterator[str]:
    """Every string inside a value (the checker's ``//`` metadata left out)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key != "//":
                yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)
    elif isinstance(value, str):
        yield value


def _problems(text: str, home: Home) -> Iterator[str]:
    """One line per place-bound value in ``text`` that is not ``home``'s, with every reason it is not."""
    reasons: dict[str, list[str]] = {}
    if text in home.foreign:
        reasons.setdefault(text, []).append(home.foreign[text])
    if "arn:" not in text and not (home.foreign and any(mark in text for mark in TOKEN_MARKS)):
        yield from _lines(reasons)  # most strings name nothing place-bound: a few ``in`` tests, no regular expression
        return
    for match in ARN_TOKEN.finditer(text):
        arn, region, account = match[0], match["region"], match["account"]
        mine = reasons.setdefault(arn, [])
        mine += [home.foreign[prefix] for prefix in _prefixes(arn) if prefix in home.foreign][:1]
        if region not in ("", "*") and region != home.region:
            mine.append(f"in region {region}; {home.name} is in {home.region}")
        if account not in ("", "*", "aws") and home.account is not None and account != home.account and account not in home.trusted:
            mine.append(f"of account {account}; {home.name} is account {home.account}, and trusted_accounts does not name it")
    rest = ARN_TOKEN.sub(" ", text)
    for token in (*ID_TOKEN.findall(rest), *ACCOUNT_TOKEN.findall(rest)):
        if token in home.foreign:
            reasons.setdefault(token, []).append(home.foreign[token])
    yield from _lines(reasons)


def _lines(reasons: dict[str, list[str]]) -> Iterator[str]:
    for token, why in reasons.items():
        if why:
            yield f"names {token}: {'; '.join(dict.fromkeys(why))}"


def _prefixes(arn: str) -> Iterator[str]:
    """The ARN and each shorter ARN it extends (a secret's ``...:password::`` key, an S3 object under its bucket)."""
    yield arn
    for index, char in enumerate(arn):
        if char in ":/" and index > 0:
            yield arn[:index]


def _provider_regions(config: Config, stack: str) -> Iterator[tuple[str, str]]:
    """(where, literal region) of each AWS provider configuration of a stack."""
    providers = config.section(stack, "provider").get("aws")
    items = providers if isinstance(providers, list) else [providers]
    for index, provider in enumerate(items):
        region = config.value(stack, provider.get("region")) if isinstance(provider, dict) else None
        if isinstance(region, str):
            yield f"{stack}:provider.aws" + (f"[{index}]" if len(items) > 1 else ""), region
