"""Build the cdktf app: for each deployment, stack ``network[-<env>]``, then ``services[-<env>]`` that depends on it."""

from __future__ import annotations

from pathlib import Path

from cdktf import App, Aspects

from topology import Settings, Topology
from topology.resolved import ResolvedEnvironment

from .network import NetworkStack
from .services import ServicesStack

NETWORK = "network"
SERVICES = "services"


class DeploymentsApp:
    """The cdktf app and the stacks' raw blocks (stacks/raw.py): ``synth`` writes both."""

    def __init__(self, *, outdir: str) -> None:
        self.outdir = outdir
        Path(outdir).mkdir(parents=True, exist_ok=True)  # cdktf's App makes only the last level (ENOENT otherwise)
        self.app = App(outdir=outdir)
        self.services: list[ServicesStack] = []

    def materialize(self) -> None:
        """Put every per-service resource into the construct tree (stacks/tree.py), for ``add_override``,
        construct lookup, ``Testing`` and cross-stack references; ``synth`` then writes the same bytes."""
        from .tree import materialize

        for stack in self.services:
            materialize(stack.raw)

    def has_aspects(self) -> bool:
        """Whether an Aspect is registered on one of the stacks (cdktf applies a stack's Aspects, not the app's):
        it must see every resource. An Aspect on a construct inside a stack needs ``materialize()`` called."""
        return any(Aspects.of(stack).all for stack in self.app.node.children)

    def synth(self) -> None:
        if self.has_aspects():
            self.materialize()
        self.app.synth()
        for stack in self.services:
            stack.raw.write(Path(self.outdir))


def add_deployment(app: DeploymentsApp, deployment: ResolvedEnvironment) -> None:
    """One environment's pair of stacks; each has its own state (named after the stack)."""
    network = NetworkStack(app.app, deployment.network_stack, settings=deployment.settings)
    services = ServicesStack(
        app.app, deployment.services_stack, topology=deployment.topology, settings=deployment.settings, network=network
    )
    app.services.append(services)


def build_deployments_app(deployments: list[ResolvedEnvironment], *, outdir: str = "cdktf.out") -> DeploymentsApp:
    """The app, not yet synthesized; every deployment must already be valid (``topology.validate``)."""
    app = DeploymentsApp(outdir=outdir)
    for deployment in deployments:
        add_deployment(app, deployment)
    return app


def build_app(topology: Topology, settings: Settings, *, outdir: str = "cdktf.out") -> DeploymentsApp:
    """One topology as ``network`` + ``services``; the topology must already be valid (``topology.check``)."""
    return build_deployments_app([ResolvedEnvironment(environment=None, topology=topology, settings=settings)], outdir=outdir)
