"""Per-environment overrides from the environment."""

from __future__ import annotations

from topology import S3State, Settings, Topology, validate
from topology.env import with_env_overrides

from .test_validate import CLIENT, SERVER


def test_no_variables_change_nothing() -> None:
    assert with_env_overrides(Settings(), {}) == Settings()


def test_bucket_selects_s3_state_in_the_region() -> None:
    settings = with_env_overrides(
        Settings(),
        {
            "INTERNAL_API_REGION": "us-east-1",
            "INTERNAL_API_AVAILABILITY_ZONES": "us-east-1a, us-east-1b",
            "INTERNAL_API_STATE_BUCKET": "tf",
        },
    )
    assert settings.region == "us-east-1"
    assert settings.network.availability_zones == ("us-east-1a", "us-east-1b")
    assert settings.state == S3State(bucket="tf", region="us-east-1", key_prefix="internal-api")
    assert validate(Topology(services=(SERVER, CLIENT)), settings) == []


def test_region_without_zones_is_reported() -> None:
    settings = with_env_overrides(Settings(), {"INTERNAL_API_REGION": "eu-west-1"})
    assert validate(Topology(services=(SERVER, CLIENT)), settings) == [
        "settings: network.availability_zones: 'ap-northeast-1a', 'ap-northeast-1c' not in region 'eu-west-1' (name zones like 'eu-west-1a')"
    ]
