"""Settings a team sets per environment without editing code: state backend and region."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .model import S3State, Settings

PREFIX = "INTERNAL_API_"


def with_env_overrides(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """Apply ``INTERNAL_API_REGION``, ``_AVAILABILITY_ZONES`` (comma-separated) and ``_STATE_BUCKET`` (+ ``_STATE_REGION``, ``_STATE_KEY_PREFIX``).

    A bucket selects the S3 backend; without one, state stays local.
    """
    region = environ.get(f"{PREFIX}REGION") or settings.region
    settings = replace(settings, region=region)
    zones = environ.get(f"{PREFIX}AVAILABILITY_ZONES")
    if zones:
        names = tuple(zone.strip() for zone in zones.split(",") if zone.strip())
        settings = replace(settings, network=replace(settings.network, availability_zones=names))
    local_dir = environ.get(f"{PREFIX}LOCAL_STATE_DIR")
    if local_dir:
        settings = replace(settings, local_state_dir=local_dir)
    bucket = environ.get(f"{PREFIX}STATE_BUCKET")
    if bucket:
        settings = replace(
            settings,
            state=S3State(
                bucket=bucket,
                region=environ.get(f"{PREFIX}STATE_REGION") or region,
                key_prefix=environ.get(f"{PREFIX}STATE_KEY_PREFIX") or "internal-api",
            ),
        )
    return settings
