"""Build the cdktf app: for each deployment, stack ``network[-<env>]``, then ``services[-<env>]`` that depends on it,
then what the system's ``STACKS`` functions add (``Built``: the team's own constructs, and stacks of its own)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cdktf import App, Aspects, TerraformStack

from topology import Settings, Topology, TopologyError
from topology.resolved import ResolvedEnvironment
from topology.system import System, one_line

from .common import configure_stack
from .extras import OwnResourceHandle
from .network import NetworkStack
from .raw import RawResource
from .service import EcsServiceUnit
from .services import ServicesStack

NETWORK = "network"
SERVICES = "services"
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
STACK_NAME_RULE = "1-30 lowercase letters, digits or '-', starting with a letter"


class StackNameError(TopologyError):
    """A stack name ``Built.stack`` cannot give: the line says which and why."""

    def __init__(self, line: str) -> None:
        super().__init__([line])


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
        for stack in self.services:
            _materialize(stack)

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


def _materialize(stack: ServicesStack) -> None:
    from .tree import materialize  # only when asked: the fast path never loads the tree's assembly

    materialize(stack.raw)


@dataclass
class Built:
    """One environment's stacks as a function of the system's ``STACKS`` sees them, with their typed handles.

    A function adds constructs to ``services`` (they land in the services stack), or makes a stack of its own
    with ``stack(name)``: named like the pair (``<name>-<env>``), with the pair's provider, tags and state, and
    deployed by every runner command in the order its dependencies say (after ``network``; after ``services``
    when it references it, before when ``services.add_dependency(it)``).
    """

    app: App
    deployment: ResolvedEnvironment
    network: NetworkStack
    services: ServicesStack
    made: list[TerraformStack] = field(default_factory=list)
    """The stacks ``stack`` made, in order."""

    @property
    def environment(self) -> str | None:
        """The environment's name; ``None`` for a system that declares none."""
        return self.deployment.environment

    @property
    def settings(self) -> Settings:
        """This environment's resolved settings (``project``, ``region``, ``tags``...)."""
        return self.deployment.settings

    @property
    def own(self) -> dict[str, OwnResourceHandle]:
        """The team's own resources (``Topology.resources``) by name, in the services stack."""
        return self.services.own

    @property
    def units(self) -> dict[str, EcsServiceUnit]:
        """Each service's task definition and ECS service (``.task_definition``, ``.service``) by service name."""
        return self.services.units

    def stack(self, name: str) -> TerraformStack:
        """A stack of the team's own, ``<name>`` (``<name>-<env>`` in an environment), after ``network``."""
        if not isinstance(name, str) or not STACK_NAME.match(name):
            raise StackNameError(f"stack name {name!r} must be {STACK_NAME_RULE}")
        if name in (NETWORK, SERVICES):
            raise StackNameError(f"stack name {name!r} is one of the pair's ({NETWORK}, {SERVICES}); choose another")
        stack_id = f"{name}{self.deployment.suffix}"
        if self.app.node.try_find_child(stack_id) is not None:
            raise StackNameError(f"stack name {name!r}: a stack {stack_id!r} is already made")
        stack = TerraformStack(self.app, stack_id)
        configure_stack(stack, stack_id, self.settings)
        stack.add_dependency(self.network)
        self.made.append(stack)
        return stack

    def reference(self, resource: RawResource, attribute: str) -> str:
        """``resource``'s ``attribute`` (a resource of the services stack: ``own["orders"].resource``,
        ``units["api"].service``) as a token a stack of the team's own can use: cdktf makes it a remote-state
        read of the services stack's output, and the stack then deploys after ``services``."""
        _materialize(self.services)
        return str(resource.node.get_string_attribute(attribute))


def _run_hooks(app: DeploymentsApp, built: Built, system: System) -> None:
    """Each ``STACKS`` function on ``built``; what one raises, or a stack it makes by hand, is one line."""
    for index, hook in enumerate(system.stacks):
        where = f"system {system.module!r}: STACKS[{index}] ({getattr(hook, '__name__', type(hook).__name__)})"
        before = set(_stack_ids(app))
        try:
            hook(built)
        except StackNameError as error:
            raise TopologyError([f"{where}: {line}" for line in error.lines]) from None
        except Exception as error:  # the team's code raised: say where, in one line
            raise TopologyError([f"{where}: raised {one_line(error)}"]) from None
        by_hand = sorted(set(_stack_ids(app)) - before - {stack.node.id for stack in built.made})
        if by_hand:
            raise TopologyError(
                [
                    f"{where}: stack {by_hand[0]!r} was made with TerraformStack(...); make it with built.stack(name), "
                    "which names it per environment and gives it the pair's provider, tags and state"
                ]
            )


def _stack_ids(app: DeploymentsApp) -> list[str]:
    return [child.node.id for child in app.app.node.children if isinstance(child, TerraformStack)]


def add_deployment(app: DeploymentsApp, deployment: ResolvedEnvironment, system: System | None = None) -> None:
    """One environment's pair of stacks, each with its own state (named after the stack), then the system's ``STACKS``."""
    network = NetworkStack(app.app, deployment.network_stack, settings=deployment.settings)
    services = ServicesStack(
        app.app, deployment.services_stack, topology=deployment.topology, settings=deployment.settings, network=network
    )
    app.services.append(services)
    if system is not None and system.stacks:
        _run_hooks(app, Built(app=app.app, deployment=deployment, network=network, services=services), system)


def build_deployments_app(
    deployments: list[ResolvedEnvironment], *, outdir: str = "cdktf.out", system: System | None = None
) -> DeploymentsApp:
    """The app, not yet synthesized; every deployment must already be valid (``topology.validate``). With ``system``,
    its ``STACKS`` functions run for each deployment; ``TopologyError`` (one line) if one fails."""
    app = DeploymentsApp(outdir=outdir)
    for deployment in deployments:
        add_deployment(app, deployment, system)
    return app


def build_app(topology: Topology, settings: Settings, *, outdir: str = "cdktf.out") -> DeploymentsApp:
    """One topology as ``network`` + ``services``; the topology must already be valid (``topology.check``)."""
    return build_deployments_app([ResolvedEnvironment(environment=None, topology=topology, settings=settings)], outdir=outdir)
