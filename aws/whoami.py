"""Ask AWS STS who the caller is, as one JSON line: ``{"account", "arn"}``, ``{"unreachable"}`` or ``{"error"}``.

Run as its own process (``python aws/whoami.py REGION``) by ``aws.preflight.whoami``, so that the credentials
and endpoints it uses are exactly the environment the command hands it, not this process's. It needs only
botocore, which the project's own environment pins (Pipfile.lock), so it runs without the emulator's.
"""

from __future__ import annotations

import json
import sys

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ConnectTimeoutError, EndpointConnectionError


def answer(region: str) -> dict[str, str]:
    """Who the caller is, or why that cannot be known (one line of botocore's words)."""
    config = Config(connect_timeout=10, retries={"max_attempts": 2})
    try:
        identity = botocore.session.get_session().create_client("sts", region_name=region, config=config).get_caller_identity()
    except (EndpointConnectionError, ConnectTimeoutError, ConnectionError) as error:
        return {"unreachable": " ".join(str(error).split())}
    except (BotoCoreError, ClientError) as error:
        return {"error": " ".join(str(error).split())}
    return {"account": identity["Account"], "arn": identity["Arn"]}


if __name__ == "__main__":
    print(json.dumps(answer(sys.argv[1])))
