"""AWS's limits that the declaration is checked against and the stacks stay within, each defined once.

Each names the API field or quota whose documentation states it; ``validate``, ``entry_rules`` and
``stacks`` import them, so a one-line error and the generated names always agree on the number.
"""

from __future__ import annotations

# Fargate task sizes (ECS developer guide, "Task CPU and memory"): cpu units -> allowed MiB.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# CloudWatch Logs PutRetentionPolicy.retentionInDays accepts exactly these values.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

# VPC quota "Inbound or outbound rules per security group": 60 by default (adjustable; rules per group
# times groups per network interface may not exceed 1,000). Each caller adds one inbound rule per server port.
RULES_PER_SECURITY_GROUP = 60

# ECS HealthCheck limits.
HEALTH_CHECK_LIMITS = {
    "interval_seconds": (5, 300),
    "timeout_seconds": (2, 120),
    "retries": (1, 10),
    "start_period_seconds": (0, 300),
}

# ECS CreateService.loadBalancers: "you can specify up to five target groups per service".
TARGET_GROUPS_PER_SERVICE = 5

ELB_NAME_LIMIT = 32
"""CreateLoadBalancer / CreateTargetGroup: names of at most 32 characters."""
