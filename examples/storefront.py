"""A storefront with a front door: the internet reaches ``web`` over HTTPS, and nothing else.

``web`` answers ``shop.example.com`` behind an internet-facing Application Load
Balancer (HTTPS with a TLS 1.3 policy; HTTP only redirects to HTTPS). ``web`` calls
``orders`` and ``catalog`` through Service Connect, and ``orders`` calls
``payments``. None of those three is routed by the entry, so they stay internal:
``make verify SYSTEM=examples.storefront`` proves that the load balancer is the
only path in, and that it reaches only ``web`` on its declared port.
"""

from __future__ import annotations

from topology import Entry, HealthCheck, Listener, Port, Route, Service, Topology

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
"""The ACM certificate of shop.example.com (the emulator stands one in under this ARN)."""
NGINX = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/storefront/nginx:1.27.3"
"""Every service's image: the team's own ECR repository with tag immutability on (``image_tag_mutability = "IMMUTABLE"``),
so ``1.27.3`` always names the same image. A mutable tag (``:latest``, ``:stable``) would be pulled again, and
could be another image, whenever ECS starts a task (docs/frontdoor.md, Limits)."""


def _nginx_on(port: int) -> tuple[str, ...]:
    return ("/bin/sh", "-c", f"sed -i 's/listen  *80;/listen {port};/' /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'")


def _http_check(port: int) -> HealthCheck:
    return HealthCheck(command=("CMD-SHELL", f"curl -fsS http://localhost:{port}/ || exit 1"), start_period_seconds=10)


def _api(name: str, *, calls: tuple[str, ...] = ()) -> Service:
    return Service(
        name=name,
        image=NGINX,
        ports=(Port(name=name, container_port=8080, protocol="http"),),
        calls=calls,
        cpu=512,
        memory=1024,
        command=_nginx_on(8080),
        health_check=_http_check(8080),
    )


TOPOLOGY = Topology(
    services=(
        Service(
            name="web",
            image=NGINX,
            ports=(Port(name="web", container_port=8080, protocol="http", health_path="/"),),
            calls=("orders", "catalog"),
            cpu=512,
            memory=1024,
            desired_count=2,
            command=_nginx_on(8080),
            health_check=_http_check(8080),
            environment=(
                ("ORDERS_URL", "http://orders.serviceconnectns:8080"),
                ("CATALOG_URL", "http://catalog.serviceconnectns:8080"),
            ),
        ),
        _api("orders", calls=("payments",)),
        _api("catalog"),
        _api("payments"),
    ),
    entries=(
        Entry(
            name="shop",
            listeners=(
                Listener(protocol="HTTPS", certificate_arn=CERTIFICATE),
                Listener(protocol="HTTP", redirect_to_https=True),
            ),
            routes=(Route(service="web", host="shop.example.com"),),
            access_logs_bucket="acme-storefront-alb-logs",
            access_logs_prefix="shop",
        ),
    ),
)

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY)
