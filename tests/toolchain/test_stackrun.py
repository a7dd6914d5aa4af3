"""toolchain/stackrun.py: what a person reads while a stack applies, and when it fails."""

from __future__ import annotations

import io
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from toolchain.stackrun import StackError, one_provider, stream

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


REATTACH_LINE = (
    '\tTF_REATTACH_PROVIDERS=\'{"registry.terraform.io/hashicorp/aws":{"Protocol":"grpc","ProtocolVersion":5,'
    '"Pid":1,"Test":true,"Addr":{"Network":"unix","String":"/tmp/plugin1"}}}\''
)


def _fake_provider(workdir: Path, script: str) -> Path:
    """An executable where ``terraform init`` puts the AWS provider, running ``script`` (Python)."""
    binary = workdir / ".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5"
    binary.parent.mkdir(parents=True)
    binary.write_text(f"#!{sys.executable}\n{script}", encoding="utf-8")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    return binary


def test_one_provider_hands_its_reattach_config_to_the_commands_then_stops_it(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    _fake_provider(
        tmp_path,
        "import os, sys, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        f"print('Provider started.', flush=True)\nprint({REATTACH_LINE!r}, flush=True)\n"
        "print('more output ' * 10000, flush=True)\n"  # more than a pipe holds: it must not block
        f"open({str(tmp_path / 'printed')!r}, 'w').close()\n"
        "time.sleep(600)\n",
    )
    with one_provider(tmp_path, {"A": "1"}) as env:
        assert env == {"A": "1", "TF_REATTACH_PROVIDERS": REATTACH_LINE.split("'")[1]}
        pid = int(pid_file.read_text(encoding="utf-8"))
        os.kill(pid, 0)  # running
        for _ in range(100):  # its later output is read, so it goes on
            if (tmp_path / "printed").exists():
                break
            time.sleep(0.1)
        assert (tmp_path / "printed").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped


def test_one_provider_falls_back_to_terraform_starting_its_own(tmp_path: Path) -> None:
    with one_provider(tmp_path, {"A": "1"}) as env:  # no provider installed: nothing to share
        assert env == {"A": "1"}
    _fake_provider(tmp_path, "print('not in debug mode')\n")  # exits without a reattach line
    with one_provider(tmp_path, {"A": "1"}) as env:
        assert env == {"A": "1"}
    with one_provider(tmp_path, {"TF_REATTACH_PROVIDERS": "{}"}) as env:  # the caller shares one already
        assert env == {"TF_REATTACH_PROVIDERS": "{}"}
