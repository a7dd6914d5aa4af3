"""The environment protocol: which variables select what a command acts on, and which settings they override.

``SYSTEM=``/``ENV=`` (make) travel as ``INTERNAL_API_SYSTEM``/``INTERNAL_API_ENV`` to plain ``cdktf`` and every
command; the state backend and region can be set per environment without editing code; and
the emulator's runs (``emulator.target``) are marked with ``INTERNAL_API_EMULATOR=1`` so that ``main.py`` synthesizes for the emulator.
Every name is defined here once, and read or written through this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .model import LOCAL_STATE_DIR, S3State, Settings

PREFIX = "INTERNAL_API_"
SYSTEM_VARIABLE = f"{PREFIX}SYSTEM"
"""The system module every command acts on (make's ``SYSTEM=``)."""
ENV_VARIABLE = f"{PREFIX}ENV"
"""Its one environment (make's ``ENV=``); unset: every environment."""
EMULATOR_FLAG = f"{PREFIX}EMULATOR"
"""``1``: an emulator run (set by ``emulator.target``): local state, no account pin."""
STATE_BUCKET_VARIABLE = f"{PREFIX}STATE_BUCKET"
LOCAL_STATE_DIR_VARIABLE = f"{PREFIX}LOCAL_STATE_DIR"


def emulated(environ: Mapping[str, str]) -> bool:
    """Whether ``environ`` is an emulator run's."""
    return environ.get(EMULATOR_FLAG) == "1"


def for_emulator(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` as an emulator run's: flagged, and never pointing at a real account's state."""
    return {**{k: v for k, v in environ.items() if k not in (STATE_BUCKET_VARIABLE, LOCAL_STATE_DIR_VARIABLE)}, EMULATOR_FLAG: "1"}


def for_this_run(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """``settings`` with ``environ``'s overrides; in an emulator run, local state in ``state/`` and no account pin."""
    settings = with_env_overrides(settings, environ)
    if emulated(environ):
        settings = replace(settings, state=None, account_id=None, local_state_dir=LOCAL_STATE_DIR)
    return settings


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
    local_dir = environ.get(LOCAL_STATE_DIR_VARIABLE)
    if local_dir:
        settings = replace(settings, local_state_dir=local_dir)
    bucket = environ.get(STATE_BUCKET_VARIABLE)
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
