"""Reject a bad front door before anything is synthesized: one line per problem, ``entry 'x': field: what is allowed``.

Where a rule is an Elastic Load Balancing limit, the comment above it names the API
field whose documentation states it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterator

from .entry import EVERYONE, TLS_POLICIES, Entry, Listener, Route
from .limits import TARGET_GROUPS_PER_SERVICE
from .model import Port, Service, Settings, Topology
from .patterns import CERTIFICATE_ARN, LISTENER_ARN, PREFIX_LIST_ID, SECURITY_GROUP_ID, SUBNET_ID, WEB_ACL_ARN
from .patterns import NAME_LABEL as ENTRY_NAME
from .patterns import NAME_LABEL_RULE as ENTRY_NAME_RULE

# S3 bucket naming rules (general purpose buckets).
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# ELBv2 HostHeaderConditionConfig / PathPatternConditionConfig: up to 128 characters, '*' and '?' wildcards.
HOST = re.compile(r"^[A-Za-z0-9*?.-]{1,128}$")
PATH = re.compile(r"^/[A-Za-z0-9_\-.$/~\"'@:+*?&=%]{0,127}$")
# ELBv2 HealthCheckPath for the GRPC protocol version: "a custom health check method with the format
# /package.service/method"; AWS's own default is /AWS.ALB/healthcheck (ModifyTargetGroup, HealthCheckPath).
GRPC_METHOD = re.compile(r"^/[A-Za-z_][A-Za-z0-9_.]*/[A-Za-z_][A-Za-z0-9_]*$")
GRPC_DEFAULT_HEALTH_PATH = "/AWS.ALB/healthcheck"


def health_check_path(port: Port) -> str:
    """The target group's health check path: the port's, but a grpc port's HTTP default ``/`` is AWS's gRPC default method."""
    if port.protocol == "grpc" and port.health_path == "/":
        return GRPC_DEFAULT_HEALTH_PATH
    return port.health_path


def entry_problems(topology: Topology, settings: Settings) -> Iterator[str]:
    """Every problem of every entry; names are unique across entries."""
    by_name = {service.name: service for service in topology.services}
    seen: set[str] = set()
    for index, entry in enumerate(topology.entries):
        where = f"entry {entry.name!r}"
        if not ENTRY_NAME.match(entry.name):
            yield f"entries[{index}].name: {entry.name!r} must be {ENTRY_NAME_RULE}"
        elif entry.name.startswith("internal-"):
            # ELBv2 CreateLoadBalancer.Name: "must not begin with 'internal-'" (the load balancer is named "<entry>-<project>").
            yield f"{where}: name: {entry.name!r} must not begin with 'internal-' (a load balancer's name may not)"
        if entry.name in seen:
            yield f"{where}: name: declared more than once (entry names must be unique)"
        seen.add(entry.name)
        yield from _load_balancer_problems(where, entry, settings)
        yield from _listener_problems(where, entry)
        yield from _source_problems(where, entry)
        yield from _route_problems(where, entry, by_name)
    yield from _target_group_limit(topology, by_name)
    yield from claimed_twice(topology.entries)
    yield from shared_listener_collisions([("", entry) for entry in topology.entries])
    for entry in topology.entries:
        yield from crowded_bands(entry)
    existing = settings.network.existing
    for index, subnet in enumerate(existing.public_subnet_ids if existing is not None else ()):
        if not SUBNET_ID.match(subnet):
            yield f"settings: network.existing.public_subnet_ids[{index}]: {subnet!r} is not a subnet ID (like 'subnet-0123456789abcdef0')"


def claimed_twice(entries: tuple[Entry, ...]) -> Iterator[str]:
    """Two entries routing the same host and path: only one of them can answer it (the DNS name points at one)."""
    owners: dict[tuple[str | None, str | None], str] = {}
    for entry in entries:
        for index, route in enumerate(entry.routes):
            key = (route.host, route.path)
            if key == (None, None):
                continue  # each load balancer's own default
            other = owners.setdefault(key, entry.name)
            if other != entry.name:
                yield f"entry {entry.name!r}: routes[{index}]: host {route.host!r} and path {route.path!r} are also routed by entry {other!r}"


def shared_listener_collisions(entries: list[tuple[str, Entry]]) -> Iterator[str]:
    """Rules that two entries (of any environments: ``(label, entry)``) would put on one existing listener at one priority.

    ELBv2 refuses a second rule of a priority on a listener (``PriorityInUse``), at apply, after other changes."""
    taken: dict[tuple[str, int], tuple[str, str]] = {}
    for label, entry in entries:
        if entry.existing is None:
            continue
        for index, priority in rule_priorities(entry).items():
            key = (entry.existing.listener_arn, priority)
            other = taken.setdefault(key, (label, entry.name))
            if other != (label, entry.name):
                yield (
                    f"{label}entry {entry.name!r}: routes[{index}]: rule priority {priority} on listener {entry.existing.listener_arn} "
                    f"is also taken by {other[0]}entry {other[1]!r} (give the entries first_priority values {PRIORITY_SPAN} apart)"
                )


def _target_group_limit(topology: Topology, by_name: dict[str, Service]) -> Iterator[str]:
    """One target group per (entry, routed port): ECS attaches at most five to a service."""
    groups: dict[str, set[tuple[str, str]]] = {}
    for entry in topology.entries:
        for route in entry.routes:
            service = by_name.get(route.service)
            port = routed_port(route, service) if service is not None else None
            if port is not None:
                groups.setdefault(route.service, set()).add((entry.name, port.name))
    for name, pairs in groups.items():
        if len(pairs) > TARGET_GROUPS_PER_SERVICE:
            yield (
                f"service {name!r}: entries route to it through {len(pairs)} target groups (one per entry and port); "
                f"ECS attaches at most {TARGET_GROUPS_PER_SERVICE} to a service"
            )


def _load_balancer_problems(where: str, entry: Entry, settings: Settings) -> Iterator[str]:
    if entry.existing is not None:
        yield from _existing_problems(where, entry)
        return
    if not entry.listeners:
        yield f"{where}: listeners: declare at least one Listener(...) (or attach to an existing one with existing=...)"
    # ELBv2 LoadBalancerAttribute idle_timeout.timeout_seconds: 1-4000.
    if not 1 <= entry.idle_timeout_seconds <= 4000:
        yield f"{where}: idle_timeout_seconds: {entry.idle_timeout_seconds} must be between 1 and 4000"
    if entry.web_acl_arn is not None and not WEB_ACL_ARN.match(entry.web_acl_arn):
        yield f"{where}: web_acl_arn: {entry.web_acl_arn!r} must be a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)"
    if entry.access_logs_bucket is not None and not BUCKET.match(entry.access_logs_bucket):
        yield f"{where}: access_logs_bucket: {entry.access_logs_bucket!r} is not an S3 bucket name (3-63 lowercase letters, digits, '.' or '-')"
    if entry.access_logs_prefix is not None and entry.access_logs_bucket is None:
        yield f"{where}: access_logs_prefix: set access_logs_bucket too (the prefix is a key prefix in that bucket)"
    existing_network = settings.network.existing
    # ELBv2 CreateLoadBalancer.Subnets: an Application Load Balancer needs subnets in at least two Availability Zones.
    if existing_network is None and settings.network.az_count < 2:
        yield f"{where}: an Application Load Balancer needs subnets in at least two availability zones (settings: network.availability_zones has {settings.network.az_count})"
    if entry.internet_facing and existing_network is not None and not existing_network.public_subnet_ids:
        yield (
            f"{where}: internet_facing: the network is an existing VPC and names no public subnets "
            "(set network.existing.public_subnet_ids, or internet_facing=False)"
        )


def _existing_problems(where: str, entry: Entry) -> Iterator[str]:
    existing = entry.existing
    assert existing is not None
    if not LISTENER_ARN.match(existing.listener_arn):
        yield f"{where}: existing.listener_arn: {existing.listener_arn!r} must be an Application Load Balancer listener ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<id>/<id>)"
    if not SECURITY_GROUP_ID.match(existing.security_group_id):
        yield f"{where}: existing.security_group_id: {existing.security_group_id!r} must be a security group ID like 'sg-0123456789abcdef0'"
    # ELBv2 CreateRule.Priority: 1-50000; the entry's rules take first_priority .. first_priority + PRIORITY_SPAN - 1.
    if not 1 <= existing.first_priority <= RULE_PRIORITY_MAX - PRIORITY_SPAN + 1:
        yield (
            f"{where}: existing.first_priority: {existing.first_priority} must be between 1 and {RULE_PRIORITY_MAX - PRIORITY_SPAN + 1} "
            f"(the entry's rules take up to {PRIORITY_SPAN} priorities from it; rule priorities are 1-{RULE_PRIORITY_MAX})"
        )
    for field_name in ("listeners", "web_acl_arn", "access_logs_bucket", "access_logs_prefix", "allowed_sources"):
        if getattr(entry, field_name) not in (None, ()):
            yield f"{where}: {field_name}: the load balancer belongs to another team (existing=...), so this cannot be set here"
    for index, route in enumerate(entry.routes):
        if route.host is None and route.path is None:
            yield f"{where}: routes[{index}]: give a host and/or path (the existing listener's default action is its owner's)"


def everyone_warnings(topology: Topology) -> Iterator[str]:
    """What ``everyone_intended`` lets through, said on every synth so that it stays a decision someone sees."""
    for entry in topology.entries:
        if entry.everyone_intended and not entry.internet_facing:
            admitted = [source for source in entry.allowed_sources or () if source in EVERYONE]
            if admitted:
                yield f"entry {entry.name!r}: internal, and admits {', '.join(admitted)} (everyone_intended=True): the whole VPC and what is peered to it"


def _listener_problems(where: str, entry: Entry) -> Iterator[str]:
    ports: set[int] = set()
    for index, listener in enumerate(entry.listeners):
        at = f"{where}: listeners[{index}]"
        if not 1 <= listener.effective_port <= 65535:
            yield f"{at}.port: {listener.effective_port} must be between 1 and 65535"
        if listener.effective_port in ports:
            yield f"{at}.port: {listener.effective_port} is already a listener of this entry"
        ports.add(listener.effective_port)
        if listener.protocol == "HTTPS":
            yield from _https_problems(at, listener)
        elif listener.protocol == "HTTP":
            yield from _http_problems(at, entry, listener)
        else:
            yield f"{at}.protocol: {listener.protocol!r} must be 'HTTPS' or 'HTTP' (an Application Load Balancer; tcp needs a Network Load Balancer, not supported)"


def _https_problems(at: str, listener: Listener) -> Iterator[str]:
    if listener.certificate_arn is None:
        yield f"{at}.certificate_arn: HTTPS needs an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
    elif not CERTIFICATE_ARN.match(listener.certificate_arn):
        yield f"{at}.certificate_arn: {listener.certificate_arn!r} is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
    if listener.tls_policy not in TLS_POLICIES:
        yield (
            f"{at}.tls_policy: {listener.tls_policy!r} is not an ELB TLS 1.3 policy with a TLS 1.2 or 1.3 minimum "
            f"(like 'ELBSecurityPolicy-TLS13-1-2-2021-06'; every accepted name: topology.entry.TLS_POLICIES)"
        )
    if listener.redirect_to_https:
        yield f"{at}.redirect_to_https: only an HTTP listener redirects to HTTPS"


def _http_problems(at: str, entry: Entry, listener: Listener) -> Iterator[str]:
    if listener.certificate_arn is not None:
        yield f"{at}.certificate_arn: an HTTP listener has no certificate (use protocol='HTTPS')"
    if listener.redirect_to_https and entry.https_port is None:
        yield f"{at}.redirect_to_https: the entry has no HTTPS listener to redirect to"
    if entry.internet_facing and not listener.redirect_to_https:
        yield f"{at}: plain HTTP that forwards on an internet-facing entry; set redirect_to_https=True (or internet_facing=False)"


def _source_problems(where: str, entry: Entry) -> Iterator[str]:
    if entry.existing is not None:
        return
    if entry.allowed_sources is None and not entry.internet_facing:
        yield f"{where}: allowed_sources: an internal entry must name who may connect (CIDRs or prefix list IDs like 'pl-0123456789abcdef0')"
    elif entry.allowed_sources == ():
        yield f"{where}: allowed_sources: empty, so nobody could connect (leave it unset for everyone on an internet-facing entry)"
    for index, source in enumerate(entry.allowed_sources or ()):
        if not entry.internet_facing and source in EVERYONE and not entry.everyone_intended:
            yield (
                f"{where}: allowed_sources[{index}]: {source!r} on an internal entry admits the whole VPC and everything peered "
                "or VPN-connected to it; name the sources, or set everyone_intended=True"
            )
        if PREFIX_LIST_ID.match(source):
            continue
        try:
            ipaddress.ip_network(source)
        except ValueError:
            yield f"{where}: allowed_sources[{index}]: {source!r} is not a CIDR (like '203.0.113.0/24' or '2001:db8::/32') or a prefix list ID (like 'pl-0123456789abcdef0')"


def routed_port(route: Route, service: Service) -> Port | None:
    """The port a route names, or the service's only port; None when it cannot be told."""
    if route.port is None:
        return service.ports[0] if len(service.ports) == 1 else None
    return next((port for port in service.ports if port.name == route.port), None)


# Rule priorities: each route's own band and slot, so adding, removing or reordering routes moves no other rule
# (ELBv2 ModifyRule/SetRulePriorities on a taken priority fail with PriorityInUse).
PRIORITY_SLOTS = 10
"""Slots per band: routes of one band take ``hash % 10``, the next free slot on a collision."""
_PATH_RANKS = 131
"""An exact path (0), a pattern by its literal prefix, longest first (1-129), no path (130)."""
PRIORITY_SPAN = 3 * _PATH_RANKS * PRIORITY_SLOTS
"""Priorities an entry may take from its first one: ``first_priority`` to ``first_priority + PRIORITY_SPAN - 1``."""
RULE_PRIORITY_MAX = 50000
"""ELBv2 CreateRule.Priority: 1-50000."""


def _band(route: Route) -> int:
    """More specific first: an exact host, then a wildcard host, then none; within each, an exact path, then patterns
    by the length of their literal prefix (``/api/admin/*`` before ``/api/*``), then no path."""
    host_rank = 2 if route.host is None else (1 if re.search(r"[*?]", route.host) else 0)
    if route.path is None:
        path_rank = _PATH_RANKS - 1
    else:
        literal = re.split(r"[*?]", route.path, maxsplit=1)[0]
        path_rank = 0 if literal == route.path else 1 + max(0, 128 - len(literal))
    return host_rank * _PATH_RANKS + path_rank


def rule_priorities(entry: Entry) -> dict[int, int]:
    """``{route index: priority}`` for every route with a host or path (the default route is no rule).

    A priority depends on the route alone (its band, and a hash of its host and path), so it stays
    when routes are added, removed or reordered; a hash collision takes the band's next free slot."""
    first = entry.existing.first_priority if entry.existing is not None else 1
    taken: set[int] = set()
    found: dict[int, int] = {}
    for index, route in enumerate(entry.routes):
        if route.host is None and route.path is None:
            continue
        band = _band(route) * PRIORITY_SLOTS
        start = int(hashlib.sha256(f"{route.host or ''}|{route.path or ''}".encode()).hexdigest(), 16) % PRIORITY_SLOTS
        slot = next((s for s in range(PRIORITY_SLOTS) if band + (start + s) % PRIORITY_SLOTS not in taken), None)
        offset = band + (start + (slot or 0)) % PRIORITY_SLOTS
        taken.add(offset)
        found[index] = first + offset
    return found


def crowded_bands(entry: Entry) -> Iterator[str]:
    """More than ``PRIORITY_SLOTS`` routes of one band (same host kind and literal path length) cannot all get a slot."""
    counts: dict[int, int] = {}
    for route in entry.routes:
        if route.host is not None or route.path is not None:
            counts[_band(route)] = counts.get(_band(route), 0) + 1
    if any(count > PRIORITY_SLOTS for count in counts.values()):
        yield (
            f"entry {entry.name!r}: routes: more than {PRIORITY_SLOTS} routes of one kind (host kind and literal path length) "
            "cannot each keep a stable rule priority; split them across entries"
        )


def _route_problems(where: str, entry: Entry, by_name: dict[str, Service]) -> Iterator[str]:
    if not entry.routes:
        yield f"{where}: routes: declare at least one Route(service=...)"
    matched: dict[tuple[str | None, str | None], int] = {}
    http_forwarding = any(listener.protocol == "HTTP" and listener.forwards for listener in entry.listeners)
    for index, route in enumerate(entry.routes):
        at = f"{where}: routes[{index}]"
        key = (route.host, route.path)
        if key in matched:
            what = f"host {route.host!r} and path {route.path!r}" if route.host or route.path else "the default route (no host, no path)"
            yield f"{at}: {what} already routed by routes[{matched[key]}]"
        matched.setdefault(key, index)
        if route.host is not None and not HOST.match(route.host):
            yield f"{at}.host: {route.host!r} must be 1-128 characters of letters, digits, '-', '.', '*' or '?'"
        if route.path is not None and not PATH.match(route.path):
            yield f"{at}.path: {route.path!r} must start with '/' and be at most 128 characters (wildcards '*' and '?')"
        service = by_name.get(route.service)
        if service is None:
            yield f"{at}.service: {route.service!r} is not a declared service (declared: {', '.join(sorted(by_name))})"
            continue
        if not service.ports:
            yield f"{at}.service: {route.service!r} serves no port (give it ports=... to route to it)"
            continue
        port = routed_port(route, service)
        names = ", ".join(port.name for port in service.ports)
        if port is None:
            detail = (
                f"{route.port!r} is not a port of {route.service!r}" if route.port is not None else f"{route.service!r} has several ports"
            )
            yield f"{at}.port: {detail}; name one of: {names}"
            continue
        if port.protocol == "tcp":
            yield f"{at}.port: {port.name!r} of {route.service!r} is tcp; an Application Load Balancer routes http, http2 or grpc ports only (Network Load Balancers are not supported)"
        elif port.protocol != "http" and http_forwarding:
            yield f"{at}.port: {port.name!r} of {route.service!r} is {port.protocol}, which a load balancer sends only from HTTPS listeners; this entry has a forwarding HTTP listener"
        health = f"service {service.name!r}: ports[{service.ports.index(port)}].health_path: {port.health_path!r}"
        if not PATH.match(port.health_path):
            yield f"{health} must start with '/' (at most 128 characters)"
        elif port.protocol == "grpc" and not GRPC_METHOD.match(health_check_path(port)):
            yield f"{health} must be a gRPC method, /package.service/method (a grpc port's health check calls one; '/' means AWS's {GRPC_DEFAULT_HEALTH_PATH})"
