"""Build the cdktf app: stack ``network``, then stack ``services`` that depends on it."""

from __future__ import annotations

from cdktf import App

from topology import Settings, Topology

from .network import NetworkStack
from .services import ServicesStack

NETWORK = "network"
SERVICES = "services"


def build_app(topology: Topology, settings: Settings, *, outdir: str = "cdktf.out") -> App:
    """The app, not yet synthesized; the topology must already be valid (``topology.check``)."""
    app = App(outdir=outdir)
    fargate_spot = any(service.capacity.spot_percent > 0 for service in topology.services)
    network = NetworkStack(app, NETWORK, settings=settings, fargate_spot=fargate_spot)
    ServicesStack(app, SERVICES, topology=topology, settings=settings, network=network)
    return app
