"""The article's system: ``client-nginx`` calls ``internal-nginx`` at
``http://internal-nginx.serviceconnectns:80``; nothing else reaches it.

This is the default topology that ``main.py`` synthesizes. Beyond the article, the
server has a container health check: Service Connect gates traffic to new tasks on it.
"""

from __future__ import annotations

from topology import HealthCheck, Port, Service, Topology

TOPOLOGY = Topology(
    services=(
        Service(
            name="internal-nginx",
            ports=(Port(name="internal-nginx", container_port=80, protocol="http"),),
            health_check=HealthCheck(command=("CMD-SHELL", "curl -fsS http://localhost:80/ || exit 1")),
        ),
        Service(name="client-nginx", calls=("internal-nginx",)),
    )
)

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY)
