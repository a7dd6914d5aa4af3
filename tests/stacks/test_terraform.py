"""``terraform init`` + ``terraform validate`` on every synthesized stack.

Needs terraform on PATH and hashicorp/aws 5.100.0 from the registry or a local
mirror (found by toolchain/tf_mirror.py). When either is missing these tests fail:
they never skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from toolchain import tf_mirror
from topology import Settings

from ..conftest import EXAMPLES, Synthesizer

pytestmark = pytest.mark.slow  # terraform init + validate: `make test-fast` leaves it out


@pytest.fixture(scope="session")
def terraform_env(tmp_path_factory: pytest.TempPathFactory, project_root: Path) -> dict[str, str]:
    assert shutil.which("terraform"), "terraform is not on PATH; install Terraform >= 1.10"
    env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    config = Path(env.get("TF_CLI_CONFIG_FILE", ""))
    if not config.is_file():  # outside make: write our own, as the Makefile does
        config = tmp_path_factory.mktemp("tf") / "terraform.rc"
        assert tf_mirror.main([str(config)]) == 0
    env["TF_CLI_CONFIG_FILE"] = str(config)
    return env


def terraform(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"terraform {' '.join(args)} in {cwd.name}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize("stack", ["network", "services"])
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_stack_validates(example: str, stack: str, synthesize: Synthesizer, terraform_env: dict[str, str]) -> None:
    workdir = synthesize(EXAMPLES[example], Settings()).outdir / "stacks" / stack
    terraform(["init", "-input=false", "-backend=false"], workdir, terraform_env)
    assert "The configuration is valid." in terraform(["validate"], workdir, terraform_env)
    lock = (workdir / ".terraform.lock.hcl").read_text(encoding="utf-8")
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock and 'version     = "5.100.0"' in lock


def test_mirror_config_points_at_a_mirror_holding_the_provider(terraform_env: dict[str, str]) -> None:
    text = Path(terraform_env["TF_CLI_CONFIG_FILE"]).read_text(encoding="utf-8")
    mirror = tf_mirror.choose_mirror("5.100.0", dict(os.environ))
    if mirror is None:  # a machine with registry access: plain direct installation
        assert "filesystem_mirror" not in text
    else:
        assert f'path    = "{mirror}"' in text
        assert tf_mirror.holds_provider(mirror, "5.100.0")


def test_find_mirrors_stops_at_max_depth(tmp_path: Path) -> None:
    (tmp_path / "a" / "registry.terraform.io").mkdir(parents=True)
    (tmp_path / "b" / "c" / "d" / "e" / "registry.terraform.io").mkdir(parents=True)
    assert tf_mirror.find_mirrors(tmp_path, max_depth=4) == [tmp_path / "a"]
