"""A fan-in: ``orders`` and ``billing`` both call one gRPC API, ``catalog``.

``catalog`` serves gRPC (HTTP/2) on 50051 under the alias ``catalog.serviceconnectns``
with a longer idle timeout; its security group admits exactly the two callers.

The server must really speak gRPC on that port: it is etcd (a public image that Kubernetes'
own gRPC-probe documentation uses), whose client API is gRPC, listening on 50051, and which
implements the standard ``grpc.health.v1`` health service. Its container health check is a
gRPC call to that same port (``etcdctl endpoint health``), so Service Connect sends callers
to a task only once it answers gRPC there.
"""

from __future__ import annotations

from topology import HealthCheck, Port, Service, Topology

GRPC_PORT = 50051
GRPC_SERVER_IMAGE = "registry.k8s.io/etcd:3.5.1-0"
"""A released etcd: registry.k8s.io never moves a promoted tag."""
CLIENT_IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/fanin/nginx:1.27.3"
"""The clients' image, from an ECR repository with tag immutability on: the tag cannot move."""

TOPOLOGY = Topology(
    services=(
        Service(
            name="catalog",
            image=GRPC_SERVER_IMAGE,
            command=(
                "/usr/local/bin/etcd",
                "--data-dir=/var/lib/etcd",
                f"--listen-client-urls=http://0.0.0.0:{GRPC_PORT}",
                f"--advertise-client-urls=http://catalog.serviceconnectns:{GRPC_PORT}",
            ),
            ports=(
                Port(
                    name="catalog-grpc",
                    container_port=GRPC_PORT,
                    protocol="grpc",
                    discovery_name="catalog",
                    idle_timeout_seconds=600,
                ),
            ),
            health_check=HealthCheck(
                command=(
                    "CMD",
                    "/usr/local/bin/etcdctl",
                    f"--endpoints=http://127.0.0.1:{GRPC_PORT}",
                    "--command-timeout=3s",
                    "endpoint",
                    "health",
                ),
                start_period_seconds=10,
            ),
        ),
        Service(name="orders", image=CLIENT_IMAGE, calls=("catalog",)),
        Service(name="billing", image=CLIENT_IMAGE, calls=("catalog",)),
    )
)

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY)
