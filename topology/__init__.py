"""The project's declaration language: typed, cdktf-free, validated on its own."""

from .graph import call_edges, callers_of, deploy_order, find_cycle
from .model import (
    DEFAULT_IMAGE,
    HealthCheck,
    NetworkSettings,
    Port,
    S3State,
    Service,
    Settings,
    Tls,
    Topology,
)
from .system import Environment, Sizing
from .validate import TopologyError, check, endpoint_host, validate

__all__ = [
    "DEFAULT_IMAGE",
    "Environment",
    "HealthCheck",
    "NetworkSettings",
    "Port",
    "S3State",
    "Service",
    "Settings",
    "Sizing",
    "Tls",
    "Topology",
    "TopologyError",
    "call_edges",
    "callers_of",
    "check",
    "deploy_order",
    "endpoint_host",
    "find_cycle",
    "validate",
]
