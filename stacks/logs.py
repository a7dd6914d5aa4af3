"""CloudWatch log groups for one service: the app's and its Service Connect proxy's."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct

from topology import AdoptedService, Service


class ServiceLogs(Construct):
    """``/ecs/<cluster>/<service>`` for the app and ``.../service-connect`` for the proxy.

    Both exist before the service (the service depends on them through the task
    definition and its Service Connect block), so the first task can log.
    """

    app: CloudwatchLogGroup
    proxy: CloudwatchLogGroup | None

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: Service,
        cluster_name: str,
        retention_days: int,
        kms_key_arn: str,
        adopted: AdoptedService | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        base = f"/ecs/{cluster_name}/{service.name}"
        app_name = adopted.log_group_name if adopted and adopted.log_group_name else base
        self.app = CloudwatchLogGroup(self, "app", name=app_name, retention_in_days=retention_days, kms_key_id=kms_key_arn)
        if adopted and adopted.log_group_name:
            self.app.import_from(adopted.log_group_name)
        self.proxy = None
        if service.proxy_logs:
            proxy_name = adopted.proxy_log_group_name if adopted and adopted.proxy_log_group_name else f"{base}/service-connect"
            self.proxy = CloudwatchLogGroup(self, "proxy", name=proxy_name, retention_in_days=retention_days, kms_key_id=kms_key_arn)
            if adopted and adopted.proxy_log_group_name:
                self.proxy.import_from(adopted.proxy_log_group_name)

    @property
    def groups(self) -> list[CloudwatchLogGroup]:
        return [self.app] + ([self.proxy] if self.proxy is not None else [])
