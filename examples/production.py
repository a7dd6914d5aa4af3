"""A production-shaped chain: ``web`` -> ``api`` -> ``worker``, using the fields a real service needs.

- ``api`` reads its database password from Secrets Manager (one JSON key, a customer-managed
  key) and a feature-flag parameter from SSM; its execution role may read exactly those.
- ``api`` reaches its PostgreSQL database through the database's security group on tcp/5432
  (the database lives in this VPC and is managed elsewhere), besides the HTTPS default.
- ``api`` may write reports to one S3 prefix and send to one SQS queue; ``worker`` may consume
  that queue: IAM statements checked against AWS's service authorization data.
- Every service scales with target tracking (CPU and/or memory) between a min and a max;
  Terraform then leaves ``desired_count`` to the scaler. ``api`` raises its minimum on
  weekday office hours (Tokyo time) with scheduled steps.
- ``api`` and ``worker`` run on ARM64 (Graviton); ``web`` keeps half of its tasks on Fargate
  Spot; ``api`` has 30 GiB of ephemeral storage; deployments keep 100% healthy, wait for
  steady state, and roll back through the circuit breaker.

AWS-managed policies (``managed_policies``) are deliberately not used: they are an explicit
opt-in that ``make verify`` reports, since it cannot prove what they grant.
"""

from __future__ import annotations

from topology import (
    HTTPS_ANYWHERE,
    Autoscaling,
    Capacity,
    Deployment,
    Egress,
    HealthCheck,
    Permission,
    Port,
    ScheduledCapacity,
    Secret,
    Service,
    Topology,
)

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
DATABASE_SECURITY_GROUP = "sg-0a1b2c3d4e5f60718"
"""The PostgreSQL database's security group (it must admit ``api``'s group on tcp/5432 on its side)."""
DB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:internal-api/db-AbCdEf"
DB_SECRET_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
FLAGS_PARAMETER = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/internal-api/feature-flags"
REPORTS = "arn:aws:s3:::acme-internal-api-reports/reports/*"
JOBS_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:internal-api-jobs"

NGINX = "public.ecr.aws/nginx/nginx:latest"  # multi-architecture: amd64 and arm64
STEADY = Deployment(minimum_healthy_percent=100, maximum_percent=200)


def _nginx_on(port: int) -> tuple[str, ...]:
    return ("/bin/sh", "-c", f"sed -i 's/listen  *80;/listen {port};/' /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'")


def _http_check(port: int) -> HealthCheck:
    return HealthCheck(command=("CMD-SHELL", f"curl -fsS http://localhost:{port}/ || exit 1"), start_period_seconds=10)


TOPOLOGY = Topology(
    services=(
        Service(
            name="web",
            image=NGINX,
            calls=("api",),
            cpu=512,
            memory=1024,
            desired_count=2,
            environment=(("API_URL", "http://api.serviceconnectns:8080"),),
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
            secrets=(
                Secret(name="DB_PASSWORD", arn=DB_SECRET, json_key="password", kms_key_arn=DB_SECRET_KEY),
                Secret(name="FEATURE_FLAGS", arn=FLAGS_PARAMETER),
            ),
            permissions=(
                Permission(sid="Reports", actions=("s3:GetObject", "s3:PutObject"), resources=(REPORTS,)),
                Permission(sid="Jobs", actions=("sqs:SendMessage",), resources=(JOBS_QUEUE,)),
            ),
            egress=(
                HTTPS_ANYWHERE,
                Egress(
                    name="postgres",
                    port=5432,
                    security_group_id=DATABASE_SECURITY_GROUP,
                    description="PostgreSQL: the database's security group",
                ),
            ),
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
            permissions=(
                Permission(
                    sid="Jobs",
                    actions=("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"),
                    resources=(JOBS_QUEUE,),
                ),
            ),
            autoscaling=Autoscaling(min_count=1, max_count=4, memory_target_percent=70),
            capacity=Capacity(architecture="ARM64"),
            deployment=STEADY,
        ),
    )
)

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY)
