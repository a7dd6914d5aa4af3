"""toolchain/stackrun.py: what a person reads while a stack applies, and when it fails."""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path

import pytest

from toolchain.stackrun import StackError, stream

FAILED_APPLY = """\
aws_ecs_service.api: Creating...
aws_ecs_service.api: Still creating... [10s elapsed]
aws_ecs_service.api: Creation complete after 12s [id=api]
aws_ecs_service.web: Creating...

Error: creating ECS Service (web): InvalidParameterException: subnets can not be empty.

  with aws_ecs_service.web,
  on cdk.tf.json line 42, in resource.aws_ecs_service.web:
"""


def _fake_terraform(tmp_path: Path, output: str, code: int) -> Path:
    """An executable that prints ``output`` and exits with ``code``, as terraform apply would."""
    fake = tmp_path / "terraform"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write({output!r})\nsys.exit({code})\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def test_a_failed_apply_says_why_without_repeating_its_progress(tmp_path: Path) -> None:
    """Issue 20: the failure tail used to repeat the progress lines, as if resources had been created twice."""
    out = io.StringIO()
    with pytest.raises(StackError, match=r"^services: terraform apply failed \(exit 1\)$"):
        stream([str(_fake_terraform(tmp_path, FAILED_APPLY, 1)), "apply"], tmp_path, {}, label="services", out=out)
    assert out.getvalue().splitlines() == [
        "services: aws_ecs_service.api: Creating...",
        "services: aws_ecs_service.api: Creation complete after 12s [id=api]",
        "services: aws_ecs_service.web: Creating...",
        "services: Error: creating ECS Service (web): InvalidParameterException: subnets can not be empty.",
        "services:   with aws_ecs_service.web,",
        "services:   on cdk.tf.json line 42, in resource.aws_ecs_service.web:",
    ]
