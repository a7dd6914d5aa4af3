"""toolchain/stackrun.py: what a person reads while a stack applies, and when it fails."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from toolchain.stackrun import INIT_RECORD, StackError, init, one_provider, stream

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
    '"Pid":1,"Test":true,"Addr":{"Network":"unix","String":"plugin1.sock"}}}\''
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


PROVIDER = ".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5"


def _counting_terraform(tmp_path: Path, *, fails: bool = False) -> dict[str, str]:
    """``env`` whose ``terraform`` logs each ``init`` to ``inits`` and installs a provider file, as init would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "terraform"
    fake.write_text(
        f"#!{sys.executable}\nimport pathlib, sys\n"
        f"open({str(tmp_path / 'inits')!r}, 'a').write('init\\n')\n"
        f"provider = pathlib.Path({PROVIDER!r})\nprovider.parent.mkdir(parents=True, exist_ok=True)\nprovider.write_text('')\n"
        f"sys.exit({1 if fails else 0})\n",
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    config = tmp_path / "terraform.rc"
    config.write_text(f'provider_installation {{ filesystem_mirror {{ path = "{tmp_path / "mirror"}" }} }}\n', encoding="utf-8")
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "TF_CLI_CONFIG_FILE": str(config)}


def _stack(workdir: Path, backend_path: str) -> Path:
    workdir.mkdir(exist_ok=True)
    stack = {"terraform": {"backend": {"local": {"path": backend_path}}}, "resource": {}}
    (workdir / "cdk.tf.json").write_text(json.dumps(stack), encoding="utf-8")
    return workdir


def _inits(tmp_path: Path) -> int:
    record = tmp_path / "inits"
    return len(record.read_text(encoding="utf-8").splitlines()) if record.exists() else 0


def test_init_runs_again_only_when_what_it_depends_on_changed(tmp_path: Path) -> None:
    env, workdir, log = _counting_terraform(tmp_path), _stack(tmp_path / "network", "a.tfstate"), tmp_path / "init.log"
    init(workdir, env, log)
    init(workdir, env, log)  # a synth in between rewrites the resources, not the terraform block
    assert _inits(tmp_path) == 1
    assert log.read_text(encoding="utf-8").startswith("terraform init skipped: network")

    _stack(workdir, "b.tfstate")  # another backend: Terraform must be told (it would refuse to plan)
    init(workdir, env, log)
    assert _inits(tmp_path) == 2

    Path(env["TF_CLI_CONFIG_FILE"]).write_text("provider_installation { direct {} }\n", encoding="utf-8")
    init(workdir, env, log)
    assert _inits(tmp_path) == 3

    (workdir / PROVIDER).unlink()  # someone cleaned the provider away
    init(workdir, env, log)
    assert _inits(tmp_path) == 4
    init(workdir, env, log)
    assert _inits(tmp_path) == 4


def test_a_failed_init_is_not_remembered(tmp_path: Path) -> None:
    workdir, log = _stack(tmp_path / "services", "s.tfstate"), tmp_path / "init.log"
    failing = _counting_terraform(tmp_path, fails=True)
    for _ in range(2):
        with pytest.raises(StackError, match=r"^terraform init failed in services \(log: "):
            init(workdir, failing, log)
    assert _inits(tmp_path) == 2
    assert not (workdir / INIT_RECORD).exists()
