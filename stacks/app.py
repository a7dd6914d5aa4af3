"""Build the cdktf app: for each deployment, stack ``network[-<env>]``, then ``services[-<env>]`` that depends on it."""

from __future__ import annotations

from cdktf import App

from topology import Settings, Topology
from topology.system import Deployment

from .network import NetworkStack
from .services import ServicesStack

NETWORK = "network"
SERVICES = "services"


def add_deployment(app: App, deployment: Deployment) -> None:
    """One environment's pair of stacks; each has its own state (named after the stack)."""
    network = NetworkStack(app, deployment.network_stack, settings=deployment.settings)
    ServicesStack(app, deployment.services_stack, topology=deployment.topology, settings=deployment.settings, network=network)


def build_deployments_app(deployments: list[Deployment], *, outdir: str = "cdktf.out") -> App:
    """The app, not yet synthesized; every deployment must already be valid (``topology.validate``)."""
    app = App(outdir=outdir)
    for deployment in deployments:
        add_deployment(app, deployment)
    return app


def build_app(topology: Topology, settings: Settings, *, outdir: str = "cdktf.out") -> App:
    """One topology as ``network`` + ``services``; the topology must already be valid (``topology.check``)."""
    return build_deployments_app([Deployment(environment=None, topology=topology, settings=settings)], outdir=outdir)
