"""An SDK retry of a request the emulator answered gets the same answer, not a second run (emulator/serve.py, 8).

The AWS SDK sends every attempt of one call with the same ``Amz-Sdk-Invocation-Id``; when
the provider loses an answer (a transport error under load) it sends ``attempt=2``. moto
would run the create again and fail it as a duplicate of itself.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

from emulator.server import Emulator

REGION = "ap-northeast-1"
CREATE = "Action=CreateSecurityGroup&GroupName=web&GroupDescription=web&Version=2016-11-15"
DESCRIBE = "Action=DescribeSecurityGroups&Filter.1.Name=group-name&Filter.1.Value.1=web&Version=2016-11-15"


def _ec2(endpoint: str, body: str, invocation: str, attempt: int) -> tuple[int, str]:
    """One EC2 query-protocol call as the SDK sends it (moto reads the service and region from the credential scope)."""
    request = urllib.request.Request(
        f"{endpoint}/",
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=emulator/20261203/{REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0",
            "Amz-Sdk-Invocation-Id": invocation,
            "Amz-Sdk-Request": f"attempt={attempt}; max=25",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _group_ids(text: str) -> list[str]:
    return re.findall(r"<groupId>(sg-[0-9a-f]+)</groupId>", text)


def test_a_retried_create_gets_its_first_answer_and_a_new_call_still_runs(tmp_path: Path) -> None:
    with Emulator(tmp_path, region=REGION) as aws:
        endpoint = aws["AWS_ENDPOINT_URL"]
        first = _ec2(endpoint, CREATE, "call-1", 1)
        retried = _ec2(endpoint, CREATE, "call-1", 2)
        another = _ec2(endpoint, CREATE, "call-2", 1)
        another_retried = _ec2(endpoint, CREATE, "call-2", 2)
        status, described = _ec2(endpoint, DESCRIBE, "call-3", 1)
    assert first[0] == 200 and _group_ids(first[1])
    assert retried == first, "the retry got the first attempt's answer"
    assert another[0] == 400 and "InvalidGroup.Duplicate" in another[1], "a new call is run: moto's own answer"
    assert another_retried[0] == 400 and "InvalidGroup.Duplicate" in another_retried[1], "a failed call's retry is run again"
    assert status == 200 and _group_ids(described) == _group_ids(first[1])

    attempts = [
        (json.loads(line)["headers"]["Amz-Sdk-Invocation-Id"], json.loads(line)["headers"]["Amz-Sdk-Request"])
        for line in (tmp_path / "recording.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert ("call-1", "attempt=2; max=25") not in attempts, "an answered retry never reaches moto (nor the recording)"
    assert ("call-2", "attempt=2; max=25") in attempts

    with Emulator(tmp_path, region=REGION, record=False) as aws:  # the replayed account: one group, the same ID
        status, described = _ec2(aws["AWS_ENDPOINT_URL"], DESCRIBE, "call-4", 1)
    assert status == 200 and _group_ids(described) == _group_ids(first[1])
