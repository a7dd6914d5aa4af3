"""``terraform init`` + ``terraform validate`` on every synthesized stack (all in one run: tests/tfvalidate.py).

Needs terraform on PATH and hashicorp/aws 5.100.0 from the registry or a local
mirror (found by toolchain/tf_mirror.py). When either is missing these tests fail:
they never skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import grpc
import pytest

from toolchain import tf_mirror
from toolchain.provider_proxy import (
    DATA_SOURCE_SCHEMAS,
    RESOURCE_SCHEMAS,
    SCHEMA_METHODS,
    UNLIMITED,
    ProviderProxy,
    _fields,
    _map_key,
    needed_by,
)
from toolchain.stackrun import PROXY_SWITCH, one_provider
from topology import Settings

from ..conftest import EXAMPLES, Synthesizer
from ..tfvalidate import Validated, validate_together

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


@pytest.fixture(scope="session")
def every_stack_validated(synthesize: Synthesizer, terraform_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Validated:
    """Every example's two stacks, validated in one Terraform run (tests/tfvalidate.py says why and how)."""
    stacks = {
        f"{example}/{stack}": synthesize(EXAMPLES[example], Settings()).outdir / "stacks" / stack
        for example in sorted(EXAMPLES)
        for stack in ("network", "services")
    }
    return validate_together(stacks, tmp_path_factory.mktemp("validate"), terraform_env)


@pytest.mark.parametrize("stack", ["network", "services"])
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_stack_validates(example: str, stack: str, every_stack_validated: Validated) -> None:
    assert every_stack_validated.problems(f"{example}/{stack}") == []
    lock = every_stack_validated.lock
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock and 'version     = "5.100.0"' in lock


def test_a_broken_stack_is_reported_against_that_stack_alone(
    every_stack_validated: Validated, synthesize: Synthesizer, terraform_env: dict[str, str], tmp_path: Path
) -> None:
    """The wrapping must not hide an error, nor blame the wrong stack: break one copy and validate it beside a good one."""
    good = synthesize(EXAMPLES["article"], Settings()).outdir / "stacks"
    broken = tmp_path / "broken"
    shutil.copytree(good / "network", broken, ignore=shutil.ignore_patterns(".terraform*"))
    document = json.loads((broken / "cdk.tf.json").read_text(encoding="utf-8"))
    document["resource"]["aws_vpc"]["vpc"]["no_such_argument"] = True
    (broken / "cdk.tf.json").write_text(json.dumps(document), encoding="utf-8")
    found = validate_together({"good": good / "services", "broken": broken}, tmp_path / "root", terraform_env)
    assert found.problems("good") == []
    assert [line.split(" (")[0] for line in found.problems("broken")] == ["error: Extraneous JSON object property"]


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


@pytest.fixture
def network_workdir(synthesize: Synthesizer, terraform_env: dict[str, str], tmp_path: Path) -> Path:
    """The article's network stack in a folder of its own, initialized without its backend."""
    workdir = tmp_path / "network"
    shutil.copytree(
        synthesize(EXAMPLES["article"], Settings()).outdir / "stacks" / "network", workdir, ignore=shutil.ignore_patterns(".terraform*")
    )
    init = subprocess.run(
        ["terraform", "init", "-input=false", "-backend=false", "-no-color"], cwd=workdir, env=terraform_env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    return workdir


def proxy_on(env: dict[str, str]) -> dict[str, str]:
    """``env`` without ``INTERNAL_API_PROVIDER_PROXY``: these tests are about the proxy, whatever the run's setting."""
    return {name: value for name, value in env.items() if name != PROXY_SWITCH}


def _validate(workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["terraform", "validate", "-no-color"], cwd=workdir, env=env, capture_output=True, text=True)


def _provider_address(env: dict[str, str]) -> str:
    address: str = json.loads(env["TF_REATTACH_PROVIDERS"])["registry.terraform.io/hashicorp/aws"]["Addr"]["String"]
    return address


def test_the_commands_of_a_deploy_share_one_real_provider(network_workdir: Path, terraform_env: dict[str, str]) -> None:
    """toolchain.stackrun.one_provider with the mirror's provider: its -debug line is read, and Terraform uses it."""
    with one_provider(network_workdir, proxy_on(terraform_env), stacks=[network_workdir]) as env:
        pid = json.loads(env["TF_REATTACH_PROVIDERS"])["registry.terraform.io/hashicorp/aws"]["Pid"]
        done = _validate(network_workdir, env)
        assert done.returncode == 0 and "The configuration is valid." in done.stdout, done.stderr
        os.kill(pid, 0)  # Terraform did not stop the shared provider
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # one_provider did


def _schema(address: str) -> bytes:
    """The answer to ``GetSchema`` (protocol 5) of whatever listens on ``address``, as bytes."""
    with grpc.insecure_channel(f"unix:{address}", options=UNLIMITED) as channel:
        ask: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(SCHEMA_METHODS[0])
        return ask(b"", timeout=60)


def _names(answer: bytes, number: int) -> set[str]:
    return {_map_key(answer, body) for found, _start, _end, body in _fields(answer, 0, len(answer)) if found == number}


def _other_fields(answer: bytes) -> list[bytes]:
    """Every field but the two maps the proxy trims, sorted: Go writes a map's entries in random order."""
    return sorted(
        answer[start:end]
        for found, start, end, _ in _fields(answer, 0, len(answer))
        if found not in (RESOURCE_SCHEMAS, DATA_SOURCE_SCHEMAS)
    )


def test_through_the_proxy_terraform_gets_the_schemas_of_only_the_types_the_stacks_name(
    network_workdir: Path, terraform_env: dict[str, str]
) -> None:
    stack = json.loads((network_workdir / "cdk.tf.json").read_text(encoding="utf-8"))
    with one_provider(network_workdir, {**terraform_env, PROXY_SWITCH: "off"}) as env:
        upstream = _provider_address(env)
        full = _schema(upstream)
        proxy = ProviderProxy(upstream, lambda: needed_by([network_workdir]))
        proxy.start()
        try:
            trimmed, again = _schema(proxy.address), _schema(proxy.address)
        finally:
            proxy.stop()
    assert len(_names(full, RESOURCE_SCHEMAS)) > 1000 and len(_names(full, DATA_SOURCE_SCHEMAS)) > 500
    assert _names(trimmed, RESOURCE_SCHEMAS) == set(stack["resource"]) and len(stack["resource"]) > 10
    assert _names(trimmed, DATA_SOURCE_SCHEMAS) == set(stack["data"])
    assert _other_fields(trimmed) == _other_fields(full) != []  # the provider's own settings, capabilities, functions: whole
    assert again == trimmed
    assert len(trimmed) * 20 < len(full)


def test_terraform_reads_the_trimmed_schema_and_the_named_types_again_at_each_command(
    network_workdir: Path, terraform_env: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "only-a-vpc"  # names fewer types than the network stack uses
    elsewhere.mkdir()
    (elsewhere / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_vpc": {"v": {}}}}), encoding="utf-8")
    with one_provider(network_workdir, proxy_on(terraform_env), stacks=[elsewhere]) as env:
        refused = _validate(network_workdir, env)
        assert refused.returncode != 0 and "does not support resource type" in refused.stderr, refused.stderr
        stack = json.loads((network_workdir / "cdk.tf.json").read_text(encoding="utf-8"))
        (elsewhere / "cdk.tf.json").write_text(json.dumps({k: stack[k] for k in ("resource", "data")}), encoding="utf-8")
        done = _validate(network_workdir, env)  # the same proxy: the folders are read again
        assert done.returncode == 0, done.stderr


def test_setup_fills_the_plugin_cache_so_parallel_inits_do_not_race(tmp_path: Path) -> None:
    """Terraform's plugin cache is unsafe for concurrent first writers ("mkdir ...: file exists"): tf_mirror fills it first."""
    config = tmp_path / "terraform.rc"
    assert tf_mirror.main([str(config)]) == 0
    assert list((tmp_path / "plugin-cache").glob("registry.terraform.io/hashicorp/aws/5.100.0/*/terraform-provider-aws_*"))
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(config), CHECKPOINT_DISABLE="1")
    requirement = {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}}}
    inits = []
    for index in range(6):
        workdir = tmp_path / f"stack{index}"
        workdir.mkdir()
        (workdir / "main.tf.json").write_text(json.dumps(requirement), encoding="utf-8")
        command = ["terraform", "init", "-backend=false", "-input=false", "-no-color"]
        inits.append(subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    results = [(process.wait(timeout=300), process.stdout.read() if process.stdout else "") for process in inits]
    assert [code for code, _ in results] == [0] * 6, [text for code, text in results if code]
