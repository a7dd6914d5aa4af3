"""One environment of a system, resolved: the type both ``topology.system`` (which builds it) and
``topology.accounts`` (which compares several) need, in a module of its own so that neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Settings, Topology


@dataclass(frozen=True, kw_only=True)
class ResolvedEnvironment:
    """One environment of a system, resolved: what one pair of stacks is built from."""

    environment: str | None
    topology: Topology
    settings: Settings

    @property
    def suffix(self) -> str:
        return f"-{self.environment}" if self.environment else ""

    @property
    def network_stack(self) -> str:
        return f"network{self.suffix}"

    @property
    def services_stack(self) -> str:
        return f"services{self.suffix}"

    @property
    def stacks(self) -> tuple[str, str]:
        return self.network_stack, self.services_stack
