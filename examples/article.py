"""The article's system: ``client-nginx`` calls ``internal-nginx`` at
``http://internal-nginx.serviceconnectns:80``; nothing else reaches it.

This is the default topology that ``main.py`` synthesizes.
"""

from __future__ import annotations

from topology import Port, Service, Topology

TOPOLOGY = Topology(
    services=(
        Service(
            name="internal-nginx",
            ports=(Port(name="internal-nginx", container_port=80, protocol="http"),),
        ),
        Service(name="client-nginx", calls=("internal-nginx",)),
    )
)

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY)
