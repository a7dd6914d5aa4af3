"""A fan-in: ``orders`` and ``billing`` both call one gRPC API, ``catalog``.

``catalog`` serves gRPC (HTTP/2) on 50051 under the alias ``catalog.serviceconnectns``
with a longer idle timeout; its security group admits exactly the two callers.
"""

from __future__ import annotations

from topology import Port, Service, Topology

TOPOLOGY = Topology(
    services=(
        Service(
            name="catalog",
            image="public.ecr.aws/nginx/nginx:latest",
            ports=(
                Port(
                    name="catalog-grpc",
                    container_port=50051,
                    protocol="grpc",
                    discovery_name="catalog",
                    idle_timeout_seconds=600,
                ),
            ),
        ),
        Service(name="orders", calls=("catalog",)),
        Service(name="billing", calls=("catalog",)),
    )
)

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY)
