"""Over random valid topologies: the security-group graph and the ordering graph *are* the call graph."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topology import Port, Service, Settings, Topology, call_edges, validate

from ..conftest import Synthesizer
from ..tfjson import Synth, ref

PROTOCOLS = ("http", "http2", "grpc", "tcp")


@st.composite
def topologies(draw: st.DrawFn) -> Topology:
    """A DAG: service i may only call servers with a larger index; declaration order is shuffled."""
    count = draw(st.integers(min_value=2, max_value=6))
    names = [f"svc{i}" for i in range(count)]
    serves = [draw(st.booleans()) for _ in range(count - 1)] + [True]
    services = []
    for i, name in enumerate(names):
        ports: tuple[Port, ...] = ()
        if serves[i]:
            container = draw(st.integers(min_value=1, max_value=65535))
            override = draw(st.none() | st.integers(min_value=1, max_value=65535))
            ports = (Port(name=name, container_port=container, protocol=draw(st.sampled_from(PROTOCOLS)), ingress_port_override=override),)
        servers = [names[j] for j in range(i + 1, count) if serves[j]]
        calls = tuple(draw(st.lists(st.sampled_from(servers), unique=True, max_size=3))) if servers else ()
        services.append(Service(name=name, ports=ports, calls=calls))
    return Topology(services=tuple(draw(st.permutations(services))))


def _owner(synth: Synth, rtype: str, resource: str, suffix: str) -> str:
    path: str = synth.resources("services", rtype)[resource]["//"]["metadata"]["path"]
    assert path.startswith("services/") and path.endswith(suffix)
    return path[len("services/") : -len(suffix)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(topology=topologies())
def test_security_groups_and_order_follow_the_calls(topology: Topology, synthesize: Synthesizer) -> None:
    assert validate(topology, Settings()) == []
    synth = synthesize(topology, Settings())
    expected_edges = set(call_edges(topology))

    ingress = set()
    for rule in synth.resources("services", "aws_vpc_security_group_ingress_rule").values():
        server = _owner(synth, "aws_security_group", ref(rule["security_group_id"])[1], "_sg/group")
        caller = _owner(synth, "aws_security_group", ref(rule["referenced_security_group_id"])[1], "_sg/group")
        assert "cidr_ipv4" not in rule
        assert rule["from_port"] == rule["to_port"] == topology.service(server).ports[0].ingress_port
        ingress.add((caller, server))
    assert ingress == expected_edges

    ordering = set()
    for name, body in synth.resources("services", "aws_ecs_service").items():
        caller = _owner(synth, "aws_ecs_service", name, "/service")
        for dependency in body.get("depends_on", []):
            rtype, rname = dependency.split(".")
            if rtype == "aws_ecs_service":
                ordering.add((caller, _owner(synth, "aws_ecs_service", rname, "/service")))
        assert set(body.get("triggers", {})) == {f"service_connect_{server}" for server in topology.service(caller).calls}
    assert ordering == expected_edges
