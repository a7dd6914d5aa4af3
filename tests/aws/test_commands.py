"""aws/preflight.py's preflight: what it says when AWS cannot be asked who the caller is."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from aws.preflight import PreflightError, preflight
from examples import chain
from topology import Settings
from topology.resolved import ResolvedEnvironment


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port nothing listens on: bound and held, not listening, so a connection is refused at once.

    Held for the test: a port released at once was taken by another worker's emulator before the test
    connected to it (the preflight then met moto, and found a caller)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        yield port


def test_credentials_without_a_route_say_the_endpoint_is_unreachable(closed_port: int) -> None:
    """Issue 20: not "no usable AWS credentials" when the credentials are there and the network is not."""
    endpoint = f"http://127.0.0.1:{closed_port}"
    env = {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_ENDPOINT_URL_STS": endpoint,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "PATH": "/usr/bin:/bin",
    }
    deployment = ResolvedEnvironment(environment=None, topology=chain.TOPOLOGY, settings=Settings())
    with pytest.raises(PreflightError) as raised:
        preflight(deployment, env)
    assert str(raised.value) == (
        f'the AWS endpoint is unreachable (Could not connect to the endpoint URL: "{endpoint}/"): credentials were found, '
        "but there is no network route to AWS STS; check the network (proxy, VPN, firewall, AWS_ENDPOINT_URL), "
        "or try it locally with `make deploy-local`"
    )
