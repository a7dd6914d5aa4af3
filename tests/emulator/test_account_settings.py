"""emulator/server.py: a replay runs under the moto settings its recording was made with (``account_settings``).

A new account has none of moto's default AMIs (the stacks use none, and moto makes 1,347 per region,
each with a volume and a snapshot, drawing thousands of IDs from the seeded generator). A recording made
before the settings were kept was made with them, so it is replayed with them: otherwise every ID drawn
after the EC2 backend started would come back different and the Terraform state written then would not match.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from emulator.server import NEW_ACCOUNT, RECORDED_BEFORE_SETTINGS, SETTINGS, Emulator, forget

from .test_retries import CREATE, REGION, _ec2, _group_ids

AMAZON_IMAGES = "Action=DescribeImages&Owner.1=amazon&Version=2016-11-15"


def _image_count(endpoint: str) -> int:
    status, answer = _ec2(endpoint, AMAZON_IMAGES, "images", 1)
    assert status == 200, answer
    return len(re.findall(r"<imageId>", answer))


def test_a_new_account_has_no_default_images_and_keeps_its_settings(tmp_path: Path) -> None:
    with Emulator(tmp_path, region=REGION) as aws:
        assert _image_count(aws["AWS_ENDPOINT_URL"]) == 0
    assert json.loads((tmp_path / SETTINGS).read_text(encoding="utf-8")) == NEW_ACCOUNT
    forget(tmp_path)  # the next account is new; the last recording's settings stay beside it
    assert not (tmp_path / SETTINGS).exists()
    assert json.loads((tmp_path / f"last-{SETTINGS}").read_text(encoding="utf-8")) == NEW_ACCOUNT


def test_a_recording_made_before_settings_were_kept_replays_with_the_default_images(tmp_path: Path) -> None:
    (tmp_path / SETTINGS).write_text(json.dumps(RECORDED_BEFORE_SETTINGS), encoding="utf-8")  # as every earlier version ran
    with Emulator(tmp_path, region=REGION) as aws:
        status, created = _ec2(aws["AWS_ENDPOINT_URL"], CREATE, "call-1", 1)
    assert status == 200
    (tmp_path / SETTINGS).unlink()  # what such a home looks like: a recording and no settings

    with Emulator(tmp_path, region=REGION, record=False) as aws:
        status, described = _ec2(aws["AWS_ENDPOINT_URL"], "Action=DescribeSecurityGroups&GroupName.1=web&Version=2016-11-15", "call-2", 1)
        images = _image_count(aws["AWS_ENDPOINT_URL"])
    assert status == 200 and _group_ids(described) == _group_ids(created), "the same ID: the images were made as before"
    assert images > 1000
    assert json.loads((tmp_path / SETTINGS).read_text(encoding="utf-8")) == RECORDED_BEFORE_SETTINGS
