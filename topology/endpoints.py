"""Endpoints in callers' environment variables: written as references, or checked when written out.

``Endpoint(server="orders")`` resolves at synth to what the server's port declares: the
scheme its protocol needs (``SCHEMES``: ``http://`` for http and http2; ``dns:///`` for grpc,
the target URI of gRPC's name-resolution docs, which every gRPC client library takes; none for
tcp), its DNS name and its client port. A literal such as ``http://orders.serviceconnectns:8080`` is
read for every declared server's host name; a port that is not the server's client port,
or a server the service does not call, is a problem: after a port change the value would
be stale, and the security group would refuse it at runtime.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .model import Endpoint, Port, Service, Topology

SCHEMES = {"http": "http://", "http2": "http://", "grpc": "dns:///", "tcp": ""}
"""What a caller's URL starts with, per port protocol. gRPC channels take a target URI, ``dns:///host:port``
(grpc/grpc doc/naming.md: the ``dns`` scheme, the default resolver); an ``http://`` URL is not one. Plain TCP
has no scheme to speak."""


def endpoint_host(port: Port, namespace: str) -> str:
    """The host name callers use; ECS defaults it to ``<discoveryName>.<namespace>``."""
    return port.dns_name or f"{port.effective_discovery_name}.{namespace.lower()}"


def endpoint(port: Port, namespace: str) -> str:
    """``<scheme><alias>.<namespace>:<port>``: ``http://`` for http and http2, ``dns:///`` for grpc, none for tcp (``SCHEMES``)."""
    return _with_scheme(port, endpoint_host(port, namespace))


def _with_scheme(port: Port, host: str) -> str:
    return f"{SCHEMES[port.protocol]}{host}:{port.effective_client_port}"


def referenced_port(server: Service, reference: Endpoint) -> Port | None:
    """The port a reference means: the named one, or the only one; ``None`` if that is ambiguous or unknown."""
    if reference.port is None:
        return server.ports[0] if len(server.ports) == 1 else None
    return next((port for port in server.ports if port.name == reference.port), None)


def resolved_environment(service: Service, topology: Topology, namespace: str) -> list[tuple[str, str]]:
    """The service's variables with every ``Endpoint`` replaced by its value (validated beforehand)."""
    values: list[tuple[str, str]] = []
    for key, value in service.environment:
        if isinstance(value, Endpoint):
            port = referenced_port(topology.service(value.server), value)
            assert port is not None, f"{service.name}: {key}: unvalidated endpoint reference"
            value = endpoint(port, namespace)
        values.append((key, value))
    return values


def endpoint_problems(topology: Topology, namespace: str) -> Iterator[str]:
    """References to servers the service does not call or to unknown ports; literals that disagree with a server."""
    servers = {service.name: service for service in topology.services if service.is_server}
    hosts = {endpoint_host(port, namespace): (name, port) for name, server in servers.items() for port in server.ports}
    for service in topology.services:
        for key, value in service.environment:
            where = f"service {service.name!r}: environment: {key}"
            if isinstance(value, Endpoint):
                yield from _reference_problems(where, service, value, servers)
            elif isinstance(value, str):
                yield from _literal_problems(where, service, value, hosts)


def _reference_problems(where: str, service: Service, reference: Endpoint, servers: dict[str, Service]) -> Iterator[str]:
    if reference.server not in service.calls:
        yield f"{where}: Endpoint(server={reference.server!r}) is not a server {service.name!r} calls (calls: {', '.join(service.calls) or 'none'})"
        return
    server = servers.get(reference.server)
    if server is None:
        return  # calls[] says what is wrong with it
    if referenced_port(server, reference) is None:
        names = ", ".join(port.name for port in server.ports)
        problem = "has several ports: name one" if reference.port is None else f"has no port {reference.port!r}"
        yield f"{where}: Endpoint(server={reference.server!r}): {reference.server!r} {problem} (port=..., one of: {names})"


def _literal_problems(where: str, service: Service, value: str, hosts: dict[str, tuple[str, Port]]) -> Iterator[str]:
    for host, (server, port) in hosts.items():
        pattern = rf"(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?<![a-z0-9.-]){re.escape(host)}(?![a-z0-9-])(?::(?P<port>[0-9]+))?"
        for match in re.finditer(pattern, value, flags=re.IGNORECASE):
            if server not in service.calls:
                yield (
                    f"{where}: {value!r} names {host}, the endpoint of {server!r}, which {service.name!r} does not call "
                    f"(add {server!r} to its calls, or write Endpoint(server=...) of a server it calls)"
                )
                continue
            written = int(match["port"]) if match["port"] else (80 if (match["scheme"] or "").lower() == "http" else None)
            if written is not None and written != port.effective_client_port:
                yield (
                    f"{where}: {value!r} names port {written} of {host}, but {server!r} serves it as {_with_scheme(port, host)} (write Endpoint(server={server!r}) to follow the declaration)"
                )


def namespace_problems(namespaces: dict[str, str], topology: Topology, namespace: str, environment: str) -> Iterator[str]:
    """Literals that name a server under another environment's namespace (``namespaces``: environment -> namespace).

    With a namespace per environment, ``http://api.serviceconnectns:8080`` written for one
    environment is a host that does not resolve in another; ``Endpoint(server=...)`` follows.
    """
    for other, foreign in namespaces.items():
        if foreign.lower() == namespace.lower():
            continue
        hosts = {
            endpoint_host(port, foreign): (service.name, port)
            for service in topology.services
            for port in service.ports
            if port.dns_name is None
        }
        for service in topology.services:
            for key, value in service.environment:
                if not isinstance(value, str):
                    continue
                for host, (server, port) in hosts.items():
                    if re.search(rf"(?<![a-z0-9.-]){re.escape(host)}(?![a-z0-9-])", value, flags=re.IGNORECASE):
                        yield (
                            f"environment {environment!r}: service {service.name!r}: environment: {key}: {value!r} names {host}, "
                            f"{server!r} in environment {other!r}'s namespace; here it is {endpoint(port, namespace)} "
                            f"(write Endpoint(server={server!r}))"
                        )
