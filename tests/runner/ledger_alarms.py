"""examples.ledger with a stack of the team's own: ``alarms``, an alarm on the orders queue's depth.

The system module the runner's tests deploy (``SYSTEM=tests.runner.ledger_alarms``): the ledger's topology and
settings (the proof told the alarm is accepted), so it deploys into a copy of the ledger's emulator home with
nothing to change in the pair, and ``STACKS`` adds ``alarms``, which reads the queue's name from the services
stack and so is applied after it.
"""

from __future__ import annotations

from stacks.app import Built

# isort: split
from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm

from examples import ledger

TOPOLOGY = ledger.TOPOLOGY
SETTINGS = ledger.SETTINGS  # the proof reads the alarm with the pair: it only watches a metric, and opens nothing


def alarms(built: Built) -> None:
    """Orders waiting on the queue for ten minutes: the worker is not keeping up."""
    stack = built.stack("alarms")
    alarm = CloudwatchMetricAlarm(
        stack,
        "orders_backlog",
        alarm_name=f"{built.settings.project}-orders-backlog",
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": built.reference(built.own["orders"].resource, "name")},
        statistic="Maximum",
        period=300,
        evaluation_periods=2,
        threshold=100,
        comparison_operator="GreaterThanThreshold",
    )
    TerraformOutput(stack, "orders_backlog_alarm", value=alarm.arn)


STACKS = (alarms,)
