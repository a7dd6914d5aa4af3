"""The call graph: who calls whom, and the order that follows from it.

Service Connect writes a client's ``/etc/hosts`` entries when the client's task
starts, so every server must exist before its callers: the deploy order is a
topological order of the call graph, servers first.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import Topology

Edge = tuple[str, str]
"""(caller, server)."""


def call_edges(topology: Topology) -> list[Edge]:
    """Every declared call, in declaration order, duplicates removed."""
    edges: list[Edge] = []
    for service in topology.services:
        for server in service.calls:
            if (service.name, server) not in edges:
                edges.append((service.name, server))
    return edges


def callers_of(topology: Topology, server: str) -> list[str]:
    return [caller for caller, callee in call_edges(topology) if callee == server]


def find_cycle(names: Iterable[str], edges: Iterable[Edge]) -> list[str] | None:
    """A call cycle as ``[a, b, ..., a]``, or ``None``; deterministic for a given input order."""
    successors: dict[str, list[str]] = {name: [] for name in names}
    for caller, server in edges:
        successors.setdefault(caller, []).append(server)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in successors.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for name in successors:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def deploy_order(topology: Topology) -> list[str]:
    """Servers before their callers; among services that are ready at once, declaration order.

    Raises ``ValueError`` on a cycle; validation reports cycles before this is reached.
    """
    names = [service.name for service in topology.services]
    pending = {name: {server for caller, server in call_edges(topology) if caller == name} for name in names}
    order: list[str] = []
    while pending:
        ready = [name for name in names if name in pending and not pending[name] - set(order)]
        if not ready:
            raise ValueError(f"call cycle: {' -> '.join(find_cycle(names, call_edges(topology)) or [])}")
        order.append(ready[0])
        del pending[ready[0]]
    return order
