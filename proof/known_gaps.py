"""What the local emulator (moto 5.2.5) does not store, so that the plan review can mark it.

The table lives with the proof, which reads it, rather than with the emulator, which
only re-exports it: the emulator's commands run the review, so the arrow points one way.
"""

# What moto 5.2.5 does not store or return, so a plan right after a deploy shows these
# attributes as changes. Everything else must plan as "no changes" (tested).
KNOWN_GAPS = frozenset(
    {
        ("aws_ecs_service", "availability_zone_rebalancing"),
        ("aws_ecs_service", "enable_ecs_managed_tags"),
        ("aws_ecs_service", "enable_execute_command"),
        ("aws_ecs_service", "health_check_grace_period_seconds"),
        ("aws_vpc_security_group_egress_rule", "description"),
        ("aws_vpc_security_group_ingress_rule", "description"),
    }
)

ENTRY_GAPS = frozenset({("aws_ecs_service", "health_check_grace_period_seconds")})
"""The gaps only a system with an entry (a service behind a load balancer) shows."""

# Nothing is replaced: moto's CreateService dropped capacityProviderStrategy (so every service with one
# was planned for replacement); emulator/serve.py now keeps it. Tested: a second plan replaces nothing.
