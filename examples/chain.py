"""A chain: ``web`` calls ``api``, ``api`` calls ``worker``.

Deploy order follows the calls backwards (worker, api, web); ``worker`` accepts
only ``api``, ``api`` accepts only ``web``, and ``web`` serves nobody.
"""

from __future__ import annotations

from topology import HealthCheck, Port, Service, Topology

NGINX = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/chain/nginx:1.27.3"
"""Every service's image, from an ECR repository with tag immutability on: the tag cannot move (docs/frontdoor.md, Limits)."""

TOPOLOGY = Topology(
    services=(
        Service(
            name="web",
            image=NGINX,
            calls=("api",),
            environment=(("API_URL", "http://api.serviceconnectns:8080"),),
        ),
        Service(
            name="api",
            image=NGINX,
            ports=(Port(name="api", container_port=8080, protocol="http", per_request_timeout_seconds=30),),
            calls=("worker",),
            cpu=512,
            memory=1024,
            desired_count=2,
            command=(
                "/bin/sh",
                "-c",
                "sed -i 's/listen  *80;/listen 8080;/' /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'",
            ),
            health_check=HealthCheck(command=("CMD-SHELL", "curl -fsS http://localhost:8080/ || exit 1")),
        ),
        Service(
            name="worker",
            image=NGINX,
            ports=(Port(name="worker", container_port=80, protocol="http"),),
            health_check=HealthCheck(command=("CMD-SHELL", "curl -fsS http://localhost:80/ || exit 1")),
        ),
    )
)

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY)
