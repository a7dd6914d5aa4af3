"""Application Auto Scaling of one ECS service: a scalable target, target-tracking policies, scheduled steps."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_scheduled_action import (
    AppautoscalingScheduledAction,
    AppautoscalingScheduledActionScalableTargetAction,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from constructs import Construct

from topology import Autoscaling

from .raw import RawResource

METRICS = {
    "cpu": ("cpu_target_percent", "ECSServiceAverageCPUUtilization"),
    "memory": ("memory_target_percent", "ECSServiceAverageMemoryUtilization"),
}


class ServiceAutoscaling(Construct):
    """Scales ``service`` between ``min_count`` and ``max_count``; the ECS service ignores ``desired_count`` changes.

    With a schedule, the scalable target's min/max belong to the scheduled steps once created:
    Terraform sets them at creation and then ignores their changes.
    """

    target: AppautoscalingTarget

    def __init__(self, scope: Construct, construct_id: str, *, scaling: Autoscaling, cluster_name: str, service: RawResource) -> None:
        super().__init__(scope, construct_id)
        self.target = AppautoscalingTarget(
            self,
            "target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster_name}/{service.ref('name')}",  # the reference orders it after the service
            min_capacity=scaling.min_count,
            max_capacity=scaling.max_count,
            # A scheduled step sets min/max through RegisterScalableTarget; without this, any apply
            # during its window sets them back (terraform-aws-modules/terraform-aws-ecs#422).
            lifecycle=TerraformResourceLifecycle(ignore_changes=["min_capacity", "max_capacity"]) if scaling.schedule else None,
        )
        for metric, (field_name, metric_type) in METRICS.items():
            value = getattr(scaling, field_name)
            if value is None:
                continue
            AppautoscalingPolicy(
                self,
                metric,
                name=f"{cluster_name}-{service.ref('name')}-{metric}",
                policy_type="TargetTrackingScaling",
                service_namespace=self.target.service_namespace,
                scalable_dimension=self.target.scalable_dimension,
                resource_id=self.target.resource_id,
                target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=value,
                    scale_in_cooldown=scaling.scale_in_cooldown_seconds,
                    scale_out_cooldown=scaling.scale_out_cooldown_seconds,
                    predefined_metric_specification=AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                        predefined_metric_type=metric_type
                    ),
                ),
            )
        for step in scaling.schedule:
            AppautoscalingScheduledAction(
                self,
                f"schedule_{step.name}",
                name=f"{cluster_name}-{service.ref('name')}-{step.name}",
                service_namespace=self.target.service_namespace,
                scalable_dimension=self.target.scalable_dimension,
                resource_id=self.target.resource_id,
                schedule=step.schedule,
                timezone=step.timezone,
                scalable_target_action=AppautoscalingScheduledActionScalableTargetAction(
                    min_capacity=str(step.min_count), max_capacity=str(step.max_count)
                ),
            )
