"""A team's own system, written by tests into a temporary package outside the project (``acme/shop.py``), and ``make``.

Four services, two environments: what a newcomer writes after the README's
"Your own system" section. Tests put the package's parent folder on PYTHONPATH
and select it with ``SYSTEM=acme.shop``, exactly as a user would.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHOP = '''"""Acme's shop: the storefront calls orders and catalog; orders calls payments."""

from topology import Environment, Port, Service, Settings, Sizing, Topology

TOPOLOGY = Topology(
    services=(
        Service(name="storefront", calls=("orders", "catalog")),
        Service(name="orders", ports=(Port(name="orders", container_port=80),), calls=("payments",)),
        Service(name="catalog", ports=(Port(name="catalog", container_port=80),)),
        Service(name="payments", ports=(Port(name="payments", container_port=80),)),
    )
)
SETTINGS = Settings(project="shop")
ENVIRONMENTS = (
    Environment(name="dev", nat="single", log_retention_days=400, sizing={"orders": Sizing(desired_count=1)}),
    Environment(name="prod", cidr="10.1.0.0/16", sizing={"orders": Sizing(desired_count=3, cpu=512, memory=1024)}),
)
'''

SERVICES = ("storefront", "orders", "catalog", "payments")


def write_shop(root: Path, body: str = SHOP) -> Path:
    """``root/acme/shop.py``; returns ``root`` (the folder to put on PYTHONPATH)."""
    package = root / "acme"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "shop.py").write_text(body, encoding="utf-8")
    return root


def make(
    target: str, tmp: Path, *variables: str, pythonpath: Path | None = None, without_aws: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    """``make <target>`` as a user runs it: no variables inherited from an outer make."""
    environ = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    if without_aws:
        environ = {k: v for k, v in environ.items() if not k.startswith("AWS_")}
    if pythonpath is not None:
        environ["PYTHONPATH"] = str(pythonpath)
    environ.update(env)
    paths = [f"OUTDIR={tmp / 'cdktf.out'}", f"EMULATOR_HOME={tmp / 'emulator'}", f"PLANDIR={tmp / 'plan'}", f"DIAGRAMS={tmp / 'diagrams'}"]
    return subprocess.run(
        ["make", "--no-print-directory", target, *paths, *variables],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=1800,
    )
