"""The front door: a load balancer that the topology lists beside its services.

An ``Entry`` is the only declared path in from outside the cluster. It routes
host names and/or paths to declared services' ports; a service reached through
an entry is an *edge* service (it may still call and be called). Everything an
entry does not route stays internal, and the checker proves it (proof/verify).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ListenerProtocol = Literal["HTTPS", "HTTP"]

DEFAULT_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 only: the ELB console's recommended policy (TLS 1.0/1.1 are not offered)."""

TLS_POLICIES = (
    *(f"ELBSecurityPolicy-TLS13-1-2{kind}-2021-06" for kind in ("", "-Res", "-Ext1", "-Ext2")),
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    *(f"ELBSecurityPolicy-TLS13-1-2{kind}-FIPS-2023-04" for kind in ("", "-Res", "-Ext0", "-Ext1", "-Ext2")),
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    *(f"ELBSecurityPolicy-TLS13-1-2{kind}-PQ-2025-09" for kind in ("", "-Res", "-Ext1", "-Ext2")),
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    *(f"ELBSecurityPolicy-TLS13-1-2{kind}-FIPS-PQ-2025-09" for kind in ("", "-Res", "-Ext0", "-Ext1", "-Ext2")),
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
)
"""Every Application Load Balancer policy that offers TLS 1.3 with a TLS 1.2 or 1.3 minimum, by its real name
(ELB "Security policies for your Application Load Balancer"); a name that looks right but does not exist is refused."""

REDIRECT_ONLY = "redirect to HTTPS only"
"""In the description of the ingress rule of a listener that only answers 301: everyone may be redirected
(proof/scan.py skips checkov's CKV_AWS_260 there, and only there besides rules naming a source group)."""

EVERYONE = ("0.0.0.0/0", "::/0")
"""What an internet-facing entry admits when ``allowed_sources`` is not given: every IPv4 and IPv6 address."""


@dataclass(frozen=True, kw_only=True)
class Listener:
    """One port the load balancer listens on: HTTPS with a certificate, or HTTP.

    On an internet-facing entry, HTTP only redirects to HTTPS (``redirect_to_https=True``);
    plain HTTP that forwards is allowed only on an internal entry.
    """

    protocol: ListenerProtocol = "HTTPS"
    """``HTTPS`` (terminates TLS with ``certificate_arn``) or ``HTTP``."""
    port: int | None = None
    """The port clients connect to; 443 for HTTPS and 80 for HTTP if unset."""
    certificate_arn: str | None = None
    """HTTPS only (required): an ACM certificate ARN, like ``arn:aws:acm:<region>:<account>:certificate/<id>``."""
    tls_policy: str = DEFAULT_TLS_POLICY
    """HTTPS only: an ELB security policy that offers TLS 1.3 (``ELBSecurityPolicy-TLS13-1-2-...`` or ``-TLS13-1-3-...``)."""
    redirect_to_https: bool = False
    """HTTP only: answer every request with a permanent redirect to the entry's HTTPS listener instead of forwarding."""

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 443 if self.protocol == "HTTPS" else 80

    @property
    def forwards(self) -> bool:
        """Whether requests on this listener reach the routed services (a redirect listener reaches none)."""
        return not self.redirect_to_https


@dataclass(frozen=True, kw_only=True)
class Route:
    """Requests matching ``host`` and/or ``path`` go to one port of one declared service.

    A route with neither is the entry's default route (at most one); without one, an
    unmatched request gets a 404 from the load balancer itself.
    """

    service: str
    """The declared service that answers (it becomes an edge service)."""
    port: str | None = None
    """Name of the service's port (``Port.name``); the service's only port if unset."""
    host: str | None = None
    """Host header to match, like ``shop.example.com`` or ``*.example.com``; any host if unset."""
    path: str | None = None
    """Path pattern to match, like ``/api/*``; any path if unset."""


@dataclass(frozen=True, kw_only=True)
class ExistingLoadBalancer:
    """A listener another team owns: this project adds only listener rules and target groups to it."""

    listener_arn: str
    """``arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<lb>/<id>/<id>``."""
    security_group_id: str
    """The load balancer's security group, like ``sg-0123456789abcdef0``: what the edge services admit."""
    first_priority: int = 1
    """Priority of the first route's listener rule; the next routes take the following numbers (keep clear of the owner's rules)."""


@dataclass(frozen=True, kw_only=True)
class Entry:
    """A front door: an Application Load Balancer (its own, or rules on an existing listener) and its routes."""

    name: str
    """Names the load balancer (``<name>-<project>``), its security group and its target groups."""
    routes: tuple[Route, ...]
    """Where requests go, matched in declaration order (that order is each rule's priority)."""
    listeners: tuple[Listener, ...] = ()
    """The ports it listens on; at least one unless ``existing`` is set (then none: the listener is the owner's)."""
    internet_facing: bool = True
    """In the public subnets with a public DNS name; ``False``: an internal load balancer in the private subnets."""
    allowed_sources: tuple[str, ...] | None = None
    """Who may connect: IPv4/IPv6 CIDRs and managed prefix list IDs (``pl-...``, e.g. CloudFront's origin-facing list).
    If unset: everyone (``0.0.0.0/0`` and ``::/0``) on an internet-facing entry; an internal entry must name them."""
    everyone_intended: bool = False
    """An internal entry whose ``allowed_sources`` include ``0.0.0.0/0`` or ``::/0`` on purpose. Everyone, on an internal
    load balancer, is the whole VPC and everything peered or VPN-connected to it, so it is refused unless this is set
    (then every synth prints it as a warning)."""
    web_acl_arn: str | None = None
    """A WAFv2 web ACL (regional) to associate, like ``arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>``."""
    access_logs_bucket: str | None = None
    """S3 bucket for the load balancer's access logs (its policy must allow ELB log delivery); no access logs if unset."""
    access_logs_prefix: str | None = None
    """Key prefix of the access logs in ``access_logs_bucket``."""
    idle_timeout_seconds: int = 60
    """Connection idle timeout, 1-4000 seconds (ELB default 60)."""
    deletion_protection: bool = True
    """The load balancer cannot be deleted (also not by ``terraform destroy``) until this is turned off."""
    drop_invalid_header_fields: bool = True
    """Drop HTTP headers whose names are not valid (request smuggling defence)."""
    existing: ExistingLoadBalancer | None = None
    """Attach the routes to a listener another team owns instead of creating a load balancer."""

    @property
    def sources(self) -> tuple[str, ...]:
        """The admitted CIDRs and prefix lists, with the internet-facing default applied."""
        if self.allowed_sources is not None:
            return self.allowed_sources
        return EVERYONE if self.internet_facing else ()

    @property
    def https_port(self) -> int | None:
        """Where a redirect listener sends clients: the first HTTPS listener's port."""
        return next((listener.effective_port for listener in self.listeners if listener.protocol == "HTTPS"), None)
