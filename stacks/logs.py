"""CloudWatch log groups for one service: the app's and its Service Connect proxy's."""

from __future__ import annotations

from topology import AdoptedService, Service

from .raw import RawBlocks, RawResource


class ServiceLogs:
    """``/ecs/<cluster>/<service>`` for the app and ``.../service-connect`` for the proxy (construct path ``<service>_logs``).

    Both exist before the service (the service depends on them through the task
    definition and its Service Connect block), so the first task can log.
    """

    app: RawResource
    proxy: RawResource | None

    def __init__(
        self,
        raw: RawBlocks,
        construct_id: str,
        *,
        service: Service,
        cluster_name: str,
        retention_days: int,
        kms_key_arn: str,
        adopted: AdoptedService | None = None,
    ) -> None:
        base = f"/ecs/{cluster_name}/{service.name}"
        app_name = adopted.log_group_name if adopted and adopted.log_group_name else base
        settings = {"retention_in_days": retention_days, "kms_key_id": kms_key_arn}
        self.app = raw.resource([construct_id, "app"], "aws_cloudwatch_log_group", {"name": app_name, **settings})
        if adopted and adopted.log_group_name:
            self.app.import_from(adopted.log_group_name)
        self.proxy = None
        if service.proxy_logs:
            proxy_name = adopted.proxy_log_group_name if adopted and adopted.proxy_log_group_name else f"{base}/service-connect"
            self.proxy = raw.resource([construct_id, "proxy"], "aws_cloudwatch_log_group", {"name": proxy_name, **settings})
            if adopted and adopted.proxy_log_group_name:
                self.proxy.import_from(adopted.proxy_log_group_name)

    @property
    def groups(self) -> list[RawResource]:
        return [self.app] + ([self.proxy] if self.proxy is not None else [])
