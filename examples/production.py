"""A production-shaped chain: ``web`` -> ``api`` -> ``worker``, using the fields a real service needs.

- ``api`` reads its database password from Secrets Manager (one JSON key, a customer-managed
  key) and a feature-flag parameter from SSM; its execution role may read exactly those.
- ``api`` reaches its PostgreSQL database through the database's security group on tcp/5432
  (the database lives in this VPC and is managed elsewhere), besides the HTTPS default.
- ``api`` may write reports to one S3 prefix and send to one SQS queue; ``worker`` may consume
  that queue: IAM statements checked against AWS's service authorization data.
- As declared (and in prod), every service scales with target tracking (CPU and/or memory)
  between a min and a max; Terraform then leaves ``desired_count`` to the scaler. ``api``
  raises its minimum on weekday office hours with scheduled steps.
- ``web`` reads ``api``'s endpoint as ``Endpoint(server="api")``: resolved at synth, it follows
  a changed port or namespace.
- ``api`` and ``worker`` run on ARM64 (Graviton); ``web`` keeps half of its tasks on Fargate
  Spot; ``api`` has 30 GiB of ephemeral storage; deployments keep 100% healthy, wait for
  steady state, and roll back through the circuit breaker.
- ``web`` answers the internet through the entry ``public``: HTTPS with an ACM certificate,
  HTTP only redirecting; the other services stay internal (``make verify`` proves it).

AWS-managed policies (``managed_policies``) are deliberately not used: they are an explicit
opt-in that ``make verify`` reports, since it cannot prove what they grant.

Two environments, ``staging`` and ``prod``, in two accounts and two regions. ``TOPOLOGY``
declares staging's values (its account, its region); prod gives ``api`` and ``worker``
its own secret, key, parameter, bucket, queue and database group, every service bigger
scaling, ``web`` the stable nginx line, and the front door its own certificate, host name,
sources (everyone; staging admits only the office) and log bucket; staging runs one task
of each without autoscaling. A prod value naming the staging account or region would be a
one-line error (``make synth``), the staging certificate in prod included. ``make deploy-local SYSTEM=examples.production ENV=prod`` (or ``staging``)
works as is: the emulator gets a stand-in for each outside reference (docs/environments.md).
"""

from __future__ import annotations

from topology import (
    EVERYONE,
    HTTPS_ANYWHERE,
    Autoscaling,
    Capacity,
    Deployment,
    Egress,
    Endpoint,
    Entry,
    EntryOverride,
    Environment,
    HealthCheck,
    Listener,
    Permission,
    Port,
    Route,
    ScheduledCapacity,
    Secret,
    Service,
    ServiceOverride,
    Topology,
)

ACCOUNT = "123456789012"
"""Staging's account (the declared values are staging's)."""
REGION = "ap-northeast-1"
DATABASE_SECURITY_GROUP = "sg-0a1b2c3d4e5f60718"
"""The PostgreSQL database's security group (it must admit ``api``'s group on tcp/5432 on its side)."""
DB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:internal-api/db-AbCdEf"
DB_SECRET_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
FLAGS_PARAMETER = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/internal-api/feature-flags"
REPORTS = "arn:aws:s3:::acme-internal-api-reports/reports/*"
JOBS_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:internal-api-jobs"
CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
"""The ACM certificate of ``HOST`` (ACM certificates are regional: each environment has its own)."""
HOST = "app.staging.example.com"
OFFICE = "203.0.113.0/24"
"""Staging's front door admits the office only."""

PROD_ACCOUNT = "210987654321"
PROD_REGION = "us-west-2"
PROD_DATABASE_SECURITY_GROUP = "sg-0f1e2d3c4b5a69788"
PROD_DB_SECRET = f"arn:aws:secretsmanager:{PROD_REGION}:{PROD_ACCOUNT}:secret:internal-api/db-ZyXwVu"
PROD_DB_SECRET_KEY = f"arn:aws:kms:{PROD_REGION}:{PROD_ACCOUNT}:key/9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b"
PROD_FLAGS_PARAMETER = f"arn:aws:ssm:{PROD_REGION}:{PROD_ACCOUNT}:parameter/internal-api/feature-flags"
PROD_REPORTS = "arn:aws:s3:::acme-internal-api-reports-prod/reports/*"
PROD_JOBS_QUEUE = f"arn:aws:sqs:{PROD_REGION}:{PROD_ACCOUNT}:internal-api-jobs"
PROD_CERTIFICATE = f"arn:aws:acm:{PROD_REGION}:{PROD_ACCOUNT}:certificate/9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b"
PROD_HOST = "app.example.com"

NGINX = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/internal-api/nginx:1.27.3"  # multi-architecture: amd64 and arm64
PROD_NGINX = f"{PROD_ACCOUNT}.dkr.ecr.{PROD_REGION}.amazonaws.com/internal-api/nginx:1.26.2"
"""The team's own ECR repositories, with tag immutability on (``image_tag_mutability = "IMMUTABLE"``): a tag names one
image for good, where ``:latest`` or ``:stable`` would be pulled again, and could be another image, whenever ECS starts
a task. Prod runs the stable line from its own account; a release overrides either with ``-var image_<service>=...``
(an immutable tag or a digest, ``<repository>@sha256:...``)."""
STEADY = Deployment(minimum_healthy_percent=100, maximum_percent=200)


def _nginx_on(port: int) -> tuple[str, ...]:
    return ("/bin/sh", "-c", f"sed -i 's/listen  *80;/listen {port};/' /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'")


def _http_check(port: int) -> HealthCheck:
    return HealthCheck(command=("CMD-SHELL", f"curl -fsS http://localhost:{port}/ || exit 1"), start_period_seconds=10)


def _api_secrets(secret: str, key: str, flags: str) -> tuple[Secret, ...]:
    return (
        Secret(name="DB_PASSWORD", arn=secret, json_key="password", kms_key_arn=key),
        Secret(name="FEATURE_FLAGS", arn=flags),
    )


def _api_permissions(reports: str, queue: str) -> tuple[Permission, ...]:
    return (
        Permission(sid="Reports", actions=("s3:GetObject", "s3:PutObject"), resources=(reports,)),
        Permission(sid="Jobs", actions=("sqs:SendMessage",), resources=(queue,)),
    )


def _api_egress(database_group: str) -> tuple[Egress, ...]:
    return (
        HTTPS_ANYWHERE,
        Egress(name="postgres", port=5432, security_group_id=database_group, description="PostgreSQL: the database's security group"),
    )


def _worker_permissions(queue: str) -> tuple[Permission, ...]:
    return (Permission(sid="Jobs", actions=("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"), resources=(queue,)),)


TOPOLOGY = Topology(
    services=(
        Service(
            name="web",
            image=NGINX,
            ports=(Port(name="web", container_port=80, protocol="http", health_path="/"),),
            calls=("api",),
            cpu=512,
            memory=1024,
            desired_count=2,
            environment=(("API_URL", Endpoint(server="api")),),
            health_check=_http_check(80),
            autoscaling=Autoscaling(min_count=2, max_count=6, cpu_target_percent=60),
            capacity=Capacity(spot_percent=50),
            deployment=STEADY,
        ),
        Service(
            name="api",
            image=NGINX,
            ports=(Port(name="api", container_port=8080, protocol="http", per_request_timeout_seconds=30),),
            calls=("worker",),
            cpu=1024,
            memory=2048,
            desired_count=2,
            command=_nginx_on(8080),
            health_check=_http_check(8080),
            environment=(("DB_HOST", "db.internal.example"), ("DB_PORT", "5432")),
            secrets=_api_secrets(DB_SECRET, DB_SECRET_KEY, FLAGS_PARAMETER),
            permissions=_api_permissions(REPORTS, JOBS_QUEUE),
            egress=_api_egress(DATABASE_SECURITY_GROUP),
            autoscaling=Autoscaling(
                min_count=2,
                max_count=10,
                cpu_target_percent=60,
                memory_target_percent=75,
                schedule=(
                    ScheduledCapacity(
                        name="office-hours", schedule="cron(0 9 ? * MON-FRI *)", min_count=4, max_count=10, timezone="Asia/Tokyo"
                    ),
                    ScheduledCapacity(name="night", schedule="cron(0 20 ? * MON-FRI *)", min_count=2, max_count=10, timezone="Asia/Tokyo"),
                ),
            ),
            capacity=Capacity(architecture="ARM64", ephemeral_storage_gib=30),
            deployment=STEADY,
        ),
        Service(
            name="worker",
            image=NGINX,
            ports=(Port(name="worker", container_port=80, protocol="http"),),
            cpu=512,
            memory=1024,
            health_check=_http_check(80),
            permissions=_worker_permissions(JOBS_QUEUE),
            autoscaling=Autoscaling(min_count=1, max_count=4, memory_target_percent=70),
            capacity=Capacity(architecture="ARM64"),
            deployment=STEADY,
        ),
    ),
    entries=(
        Entry(
            name="public",
            listeners=(Listener(protocol="HTTPS", certificate_arn=CERTIFICATE), Listener(protocol="HTTP", redirect_to_https=True)),
            routes=(Route(service="web", host=HOST),),
            allowed_sources=(OFFICE,),
            access_logs_bucket="acme-internal-api-alb-logs-staging",
            access_logs_prefix="public",
        ),
    ),
)

FIXED = ServiceOverride(autoscaling=False, desired_count=1)
"""Staging: one task, no scaler."""

ENVIRONMENTS = (
    Environment(
        name="staging",
        account_id=ACCOUNT,
        region=REGION,
        log_retention_days=30,
        nat="single",
        services={"web": FIXED, "api": FIXED, "worker": FIXED},
    ),
    Environment(
        name="prod",
        account_id=PROD_ACCOUNT,
        region=PROD_REGION,
        availability_zones=("us-west-2a", "us-west-2b"),
        cidr="10.1.0.0/16",
        entries={
            "public": EntryOverride(
                certificate_arn=PROD_CERTIFICATE,
                hosts={HOST: PROD_HOST},
                allowed_sources=EVERYONE,
                access_logs_bucket="acme-internal-api-alb-logs-prod",
            )
        },
        services={
            "web": ServiceOverride(
                image=PROD_NGINX,
                desired_count=3,
                autoscaling=Autoscaling(min_count=3, max_count=12, cpu_target_percent=50),
                capacity=Capacity(spot_percent=30),
            ),
            "api": ServiceOverride(
                image=PROD_NGINX,
                desired_count=4,
                secrets=_api_secrets(PROD_DB_SECRET, PROD_DB_SECRET_KEY, PROD_FLAGS_PARAMETER),
                permissions=_api_permissions(PROD_REPORTS, PROD_JOBS_QUEUE),
                egress=_api_egress(PROD_DATABASE_SECURITY_GROUP),
                environment=(("DB_HOST", "db.prod.internal.example"),),
                autoscaling=Autoscaling(
                    min_count=4,
                    max_count=20,
                    cpu_target_percent=60,
                    memory_target_percent=75,
                    schedule=(
                        ScheduledCapacity(
                            name="office-hours",
                            schedule="cron(0 9 ? * MON-FRI *)",
                            min_count=8,
                            max_count=20,
                            timezone="America/Los_Angeles",
                        ),
                        ScheduledCapacity(
                            name="night", schedule="cron(0 20 ? * MON-FRI *)", min_count=4, max_count=20, timezone="America/Los_Angeles"
                        ),
                    ),
                ),
            ),
            "worker": ServiceOverride(
                image=PROD_NGINX,
                desired_count=2,
                permissions=_worker_permissions(PROD_JOBS_QUEUE),
                autoscaling=Autoscaling(min_count=2, max_count=8, memory_target_percent=70),
            ),
        },
    ),
)
"""Staging declares no autoscaling and one task each; prod its own ARNs, database group, scaling and front door."""

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY)
