"""The call graph: who calls whom, and the order that follows from it.

Service Connect writes a client's ``/etc/hosts`` entries when the client's task
starts, so every server must exist before its callers: the deploy order is a
topological order of the call graph, servers first.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from .model import Topology

Edge = tuple[str, str]
"""(caller, server)."""


def call_edges(topology: Topology) -> list[Edge]:
    """Every declared call, in declaration order, duplicates removed (a dict keeps order: linear in calls)."""
    return list(dict.fromkeys((service.name, server) for service in topology.services for server in service.calls))


def callers_by_server(topology: Topology) -> dict[str, list[str]]:
    """``{server: [callers in declaration order]}`` for every called name, built in one pass over the edges.

    Ask this once rather than ``callers_of`` per service: that walks every edge each time.
    """
    callers: dict[str, list[str]] = {}
    for caller, server in call_edges(topology):
        callers.setdefault(server, []).append(caller)
    return callers


def callers_of(topology: Topology, server: str) -> list[str]:
    """The callers of one server; for many servers use ``callers_by_server`` (one pass for all)."""
    return callers_by_server(topology).get(server, [])


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
    index = {name: position for position, name in enumerate(names)}
    waiting = dict.fromkeys(names, 0)  # servers not yet placed, per caller
    callers: dict[str, list[str]] = {}
    for caller, server in call_edges(topology):
        if caller in waiting and server in index:
            waiting[caller] += 1
            callers.setdefault(server, []).append(caller)
    ready = [index[name] for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)  # the earliest declared of the ready services goes next: O((services + calls) log services)
    order: list[str] = []
    while ready:
        name = names[heapq.heappop(ready)]
        order.append(name)
        for caller in callers.get(name, []):
            waiting[caller] -= 1
            if waiting[caller] == 0:
                heapq.heappush(ready, index[caller])
    if len(order) < len(names):
        raise ValueError(f"call cycle: {' -> '.join(find_cycle(names, call_edges(topology)) or [])}")
    return order
