"""The storefront's front door in the local emulator: one deployment, proven from the emulator's request log, destroyed.

``make deploy-local SYSTEM=examples.storefront`` must create the load balancer in the
public subnets, both listeners (HTTPS with the declared certificate, which the emulator
stands in; HTTP as a redirect), the host rule and the IP target group, all before the
``web`` service registers with it, and print the entry's DNS name and a curl. Fails (never
skips) when moto, terraform or the provider is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from examples import storefront
from runner.run import ROOT

from .test_local_e2e import _first, _requests

SYSTEM = "examples.storefront"


def _local(command: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator.local", command, "--system", SYSTEM, "--home", str(home)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def storefront_deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    home = tmp_path_factory.mktemp("storefront-home")
    done = _local("deploy", home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield home, done.stdout + done.stderr, json.loads((home / "outputs.json").read_text(encoding="utf-8"))
    if (home / "recording.jsonl").exists():  # the destroy test did not run or failed: clean up anyway
        _local("destroy", home)


def test_the_entry_is_created_before_the_edge_service(storefront_deployed: tuple[Path, str, dict[str, Any]]) -> None:
    home, printed, outputs = storefront_deployed
    lines = [unquote_plus(line) for line in _requests(home / "recording.jsonl")]
    balancer = _first(lines, "Action=CreateLoadBalancer", "Name=shop-internal-api")
    assert "Scheme=internal" not in lines[balancer]
    group = _first(lines, "Action=CreateTargetGroup", "Name=internal-api-shop-web-web", "TargetType=ip", "Port=8080", "HealthCheckPath=/")
    https = _first(lines, "Action=CreateListener", "Protocol=HTTPS", "Port=443", f"CertificateArn={storefront.CERTIFICATE}")
    assert "SslPolicy=ELBSecurityPolicy-TLS13-1-2-2021-06" in lines[https]
    http = _first(lines, "Action=CreateListener", "Protocol=HTTP&", "Port=80", "RedirectConfig.Protocol=HTTPS")
    rule = _first(lines, "Action=CreateRule", "shop.example.com", "internal-api-shop-web-web")
    web = _first(lines, "CreateService", '"serviceName":"web"', '"containerPort":8080', "internal-api-shop-web-web")
    assert max(balancer, group, https, http, rule) < web
    for internal in ("orders", "catalog", "payments"):
        assert '"loadBalancers"' not in lines[_first(lines, "CreateService", f'"serviceName":"{internal}"')]
    dns = outputs["services"]["entry_shop_dns_name"]
    assert dns.startswith("shop-internal-api-") and dns.endswith(".elb.amazonaws.com")
    curl = f"curl --connect-to shop.example.com:443:{dns}:443 https://shop.example.com:443/"
    assert outputs["services"]["entry_shop_curl"] == curl
    assert f"entry shop: {dns}\n  {curl}" in printed
    assert f"emulator: stand-in certificate under {storefront.CERTIFICATE}" in printed


def test_destroy_removes_the_entry(storefront_deployed: tuple[Path, str, dict[str, Any]]) -> None:
    """Last in this file: destroys the module's one deployment, and reads the order from the emulator's log."""
    home, _, _ = storefront_deployed
    done = _local("destroy", home)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [unquote_plus(line) for line in _requests(home / "last-recording.jsonl")]
    web = _first(lines, "DeleteService", 'service/ServiceConnect/web"')
    rule = _first(lines, "Action=DeleteRule")
    listeners = [i for i, line in enumerate(lines) if "Action=DeleteListener" in line]
    balancer = _first(lines, "Action=DeleteLoadBalancer")
    group = _first(lines, "Action=DeleteTargetGroup")
    assert len(listeners) == 2
    assert web < rule < max(listeners) < balancer and web < group
    assert not (home / "recording.jsonl").exists()
