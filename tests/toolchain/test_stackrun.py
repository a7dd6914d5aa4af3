"""toolchain/stackrun.py: what a person reads while a stack applies, and when it fails."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from toolchain.processes import alive
from toolchain.stackrun import INIT_RECORD, PROXY_SWITCH, StackError, init, installed_provider, one_provider, proxied, stream

ROOT = Path(__file__).resolve().parents[2]

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
    printed = json.loads(REATTACH_LINE.split("'")[1])
    with one_provider(tmp_path, {"A": "1", PROXY_SWITCH: "off"}) as env:
        assert env == {"A": "1", PROXY_SWITCH: "off", "TF_REATTACH_PROVIDERS": REATTACH_LINE.split("'")[1]}
    with one_provider(tmp_path, {"A": "1"}) as env:
        given = json.loads(env.pop("TF_REATTACH_PROVIDERS"))
        proxy = given["registry.terraform.io/hashicorp/aws"]["Addr"].pop("String")
        assert Path(proxy).is_socket() and printed["registry.terraform.io/hashicorp/aws"]["Addr"].pop("String") == "plugin1.sock"
        assert (env, given) == ({"A": "1"}, printed)  # Terraform is sent to the proxy, the rest as the provider said
        pid = int(pid_file.read_text(encoding="utf-8"))
        os.kill(pid, 0)  # running
        for _ in range(100):  # its later output is read, so it goes on
            if (tmp_path / "printed").exists():
                break
            time.sleep(0.1)
        assert (tmp_path / "printed").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped


@pytest.mark.parametrize(
    "config",
    [
        '{"registry.terraform.io/hashicorp/aws":{"Protocol":"grpc","Addr":{"Network":"tcp","String":"127.0.0.1:1234"}}}',
        '{"a":{"Addr":{"Network":"unix","String":"a.sock"}},"b":{"Addr":{"Network":"unix","String":"b.sock"}}}',
        '{"registry.terraform.io/hashicorp/aws":{"Addr":{"Network":"unix","String":7}}}',
        "[1, 2]",
        "{not json",
    ],
    ids=["tcp", "two-providers", "address-not-a-string", "not-an-object", "not-json"],
)
def test_a_reattach_line_the_proxy_cannot_stand_in_for_goes_to_terraform_unchanged(config: str) -> None:
    with proxied(config, []) as given:
        assert given == config


def test_one_provider_falls_back_to_terraform_starting_its_own(tmp_path: Path) -> None:
    with one_provider(tmp_path, {"A": "1"}) as env:  # no provider installed: nothing to share
        assert env == {"A": "1"}
    _fake_provider(tmp_path, "print('not in debug mode')\n")  # exits without a reattach line
    with one_provider(tmp_path, {"A": "1"}) as env:
        assert env == {"A": "1"}
    with one_provider(tmp_path, {"TF_REATTACH_PROVIDERS": "{}"}) as env:  # the caller shares one already
        assert env == {"TF_REATTACH_PROVIDERS": "{}"}


PROVIDER = ".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5"


def _counting_terraform(tmp_path: Path, *, fails: bool = False, cached: bool = False) -> dict[str, str]:
    """``env`` whose ``terraform`` logs each ``init`` to ``inits`` and installs a provider file, as init would.

    ``cached``: as with a plugin cache, the provider's folder is a link into ``cache/``, and init writes the
    lock file and the backend's settings (which name the ``init`` count, to tell which init wrote them)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "terraform"
    install = (
        f"cache = pathlib.Path({str(tmp_path / 'cache')!r})\ncache.mkdir(exist_ok=True)\n(cache / provider.name).write_text('')\n"
        "provider.parent.parent.mkdir(parents=True, exist_ok=True)\nprovider.parent.symlink_to(cache)\n"
        "count = len(open(INITS).read().splitlines())\n"
        "pathlib.Path('.terraform.lock.hcl').write_text('# lock\\n')\n"
        "pathlib.Path('.terraform/terraform.tfstate').write_text(f'init {count}\\n')\n"
        if cached
        else "provider.parent.mkdir(parents=True, exist_ok=True)\nprovider.write_text('')\n"
    )
    fake.write_text(
        f"#!{sys.executable}\nimport pathlib, sys\nINITS = {str(tmp_path / 'inits')!r}\n"
        "open(INITS, 'a').write('init\\n')\n"
        f"provider = pathlib.Path({PROVIDER!r})\n{install}"
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
    init(workdir, env, log, templates=tmp_path / "templates")
    init(workdir, env, log, templates=tmp_path / "templates")  # a synth in between rewrites the resources, not the terraform block
    assert _inits(tmp_path) == 1
    assert log.read_text(encoding="utf-8").startswith("terraform init skipped: network")

    _stack(workdir, "b.tfstate")  # another backend: Terraform must be told (it would refuse to plan)
    init(workdir, env, log, templates=tmp_path / "templates")
    assert _inits(tmp_path) == 2

    Path(env["TF_CLI_CONFIG_FILE"]).write_text("provider_installation { direct {} }\n", encoding="utf-8")
    init(workdir, env, log, templates=tmp_path / "templates")
    assert _inits(tmp_path) == 3

    (workdir / PROVIDER).unlink()  # someone cleaned the provider away
    init(workdir, env, log, templates=tmp_path / "templates")
    assert _inits(tmp_path) == 4
    init(workdir, env, log, templates=tmp_path / "templates")
    assert _inits(tmp_path) == 4


def test_a_failed_init_is_not_remembered(tmp_path: Path) -> None:
    workdir, log = _stack(tmp_path / "services", "s.tfstate"), tmp_path / "init.log"
    failing = _counting_terraform(tmp_path, fails=True)
    for _ in range(2):
        with pytest.raises(StackError, match=r"^terraform init failed in services \(log: "):
            init(workdir, failing, log, templates=tmp_path / "templates")
    assert _inits(tmp_path) == 2
    assert not (workdir / INIT_RECORD).exists()


def _init_files(workdir: Path) -> dict[str, str]:
    """What init leaves that Terraform reads: the lock file, the backend settings, where the provider link points."""
    provider_folder = workdir / PROVIDER.rsplit("/", 1)[0]
    return {
        "lock": (workdir / ".terraform.lock.hcl").read_text(encoding="utf-8"),
        "backend": (workdir / ".terraform/terraform.tfstate").read_text(encoding="utf-8"),
        "provider": os.readlink(provider_folder),
    }


def test_a_folder_with_the_same_inputs_gets_a_copy_of_what_init_wrote(tmp_path: Path) -> None:
    env, templates, log = _counting_terraform(tmp_path, cached=True), tmp_path / "templates", tmp_path / "init.log"
    first, second = _stack(tmp_path / "home1", "n.tfstate"), _stack(tmp_path / "home2", "n.tfstate")
    init(first, env, log, templates=templates)
    init(second, env, log, templates=templates)
    assert _inits(tmp_path) == 1
    assert log.read_text(encoding="utf-8").startswith("terraform init reused: home2 has the same backend")
    assert _init_files(second) == _init_files(first) == {"lock": "# lock\n", "backend": "init 1\n", "provider": str(tmp_path / "cache")}
    init(second, env, log, templates=templates)  # and it counts as initialized
    assert _inits(tmp_path) == 1 and log.read_text(encoding="utf-8").startswith("terraform init skipped: home2")

    other = _stack(tmp_path / "home3", "other.tfstate")  # another backend: a real init, and its own template
    init(other, env, log, templates=templates)
    assert _inits(tmp_path) == 2 and _init_files(other)["backend"] == "init 2\n"
    assert len([t for t in templates.iterdir() if not t.name.startswith(".")]) == 2


def test_no_template_is_kept_when_the_provider_is_a_copy(tmp_path: Path) -> None:
    """Without a plugin cache init copies the 700 MB provider into the folder: copying that is no saving."""
    env, templates, log = _counting_terraform(tmp_path), tmp_path / "templates", tmp_path / "init.log"
    for home in ("home1", "home2"):
        init(_stack(tmp_path / home, "n.tfstate"), env, log, templates=templates)
    assert _inits(tmp_path) == 2
    assert not templates.exists() or list(templates.iterdir()) == []


def test_a_lock_file_of_its_own_is_left_to_terraform(tmp_path: Path) -> None:
    """init keeps the hashes of a lock file it finds (other platforms'); a copy would drop them."""
    env, templates, log = _counting_terraform(tmp_path, cached=True), tmp_path / "templates", tmp_path / "init.log"
    init(_stack(tmp_path / "home1", "n.tfstate"), env, log, templates=templates)
    second = _stack(tmp_path / "home2", "n.tfstate")
    (second / ".terraform.lock.hcl").write_text("# a lock with more hashes\n", encoding="utf-8")
    init(second, env, log, templates=templates)
    assert _inits(tmp_path) == 2


def test_a_template_whose_plugin_cache_was_emptied_is_dropped(tmp_path: Path) -> None:
    env, templates, log = _counting_terraform(tmp_path, cached=True), tmp_path / "templates", tmp_path / "init.log"
    init(_stack(tmp_path / "home1", "n.tfstate"), env, log, templates=templates)
    for cached in (tmp_path / "cache").iterdir():
        cached.unlink()
    second = _stack(tmp_path / "home2", "n.tfstate")
    init(second, env, log, templates=templates)
    assert _inits(tmp_path) == 2  # a real init, which installs the provider into the cache again
    assert _init_files(second)["backend"] == "init 2\n" and installed_provider(second) is not None


def test_a_stack_with_a_remote_backend_always_runs_init(tmp_path: Path) -> None:
    """A remote backend's init asks the backend (bucket, workspaces) and says early what is wrong there."""
    env, templates, log = _counting_terraform(tmp_path, cached=True), tmp_path / "templates", tmp_path / "init.log"
    for home in ("home1", "home2"):
        workdir = tmp_path / home
        workdir.mkdir()
        stack = {"terraform": {"backend": {"s3": {"bucket": "b", "key": "network.tfstate"}}}, "resource": {}}
        (workdir / "cdk.tf.json").write_text(json.dumps(stack), encoding="utf-8")
        init(workdir, env, log, templates=templates)
    assert _inits(tmp_path) == 2
    assert not templates.exists() or list(templates.iterdir()) == []


def test_the_shared_provider_stops_when_its_command_is_killed_and_keeps_its_socket_in_a_folder_of_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL runs no ``finally``: the provider (not ours to change) is tied to the command by the kernel, and its socket
    (go-plugin's, in ``$TMPDIR``, which a stopped provider leaves behind) is in the command's own folder, swept next time.

    The folders go in a temporary root of this test's: other workers' commands sweep the system's."""
    said, root = tmp_path / "said", tmp_path / "tmp"
    root.mkdir()
    _fake_provider(
        tmp_path,
        "import os, time\n"
        f"open({str(said)!r}, 'w').write(f\"{{os.getpid()}} {{os.environ['TMPDIR']}}\")\n"
        f"print({REATTACH_LINE!r}, flush=True)\n"
        "time.sleep(300)\n",
    )
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom toolchain.stackrun import one_provider\n"
        f"with one_provider(Path({str(tmp_path)!r}), {{}}):\n"
        "    print('ready', flush=True)\n    time.sleep(300)\n"
    )
    command = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(root)},
        stdout=subprocess.PIPE,
        text=True,
        process_group=0,
    )
    assert command.stdout is not None and command.stdout.readline() == "ready\n"
    pid, folder = said.read_text(encoding="utf-8").split(" ", 1)
    assert Path(folder).parent == root and Path(folder).name.startswith("internal-api-provider-")
    command.kill()
    command.wait()
    deadline = time.monotonic() + 5
    while alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(int(pid))
    assert Path(folder).is_dir()  # nothing ran to remove it
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    with one_provider(tmp_path / "nothing-installed", {}):  # starts no provider: sweeps nothing
        assert Path(folder).is_dir()
    with one_provider(tmp_path, {PROXY_SWITCH: "off"}):  # starts one: the killed command's folder goes first
        assert not Path(folder).exists()
    assert list(root.iterdir()) == []  # and its own after it


INTERRUPTIBLE_APPLY = """\
import signal, sys, time
interrupts = 0
def interrupted(number, frame):
    global interrupts
    interrupts += 1
signal.signal(signal.SIGINT, interrupted)
print("aws_vpc.vpc: Creating...", flush=True)
while not interrupts:
    time.sleep(0.05)
print("Interrupt received.", flush=True)
time.sleep(1)  # it would be killed here if it were not waited for
print(f"state saved after {interrupts} interrupt(s)", flush=True)
sys.exit(1)
"""


def test_an_interrupted_apply_interrupts_terraform_once_and_waits_for_it_to_save_its_state(tmp_path: Path) -> None:
    """SIGTERM (or Ctrl-C) stops the command as Terraform's own Ctrl-C would: one interrupt, then it finishes."""
    fake = tmp_path / "terraform"
    fake.write_text(f"#!{sys.executable}\n{INTERRUPTIBLE_APPLY}", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    script = (
        "import sys\nfrom pathlib import Path\nfrom toolchain.processes import interrupt_on_sigterm, interrupted\n"
        "from toolchain.stackrun import stream\ninterrupt_on_sigterm()\n"
        f"try:\n    stream([{str(fake)!r}, 'apply'], Path({str(tmp_path)!r}), {{}}, label='network')\n"
        "except KeyboardInterrupt as stopped:\n    raise SystemExit(interrupted('deploy', stopped))\n"
    )
    command = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert command.stdout is not None and command.stdout.readline() == "network: aws_vpc.vpc: Creating...\n"
    command.terminate()
    out, err = command.communicate(timeout=15)
    assert command.returncode == 143
    assert out.splitlines() == ["network: Interrupt received.", "network: state saved after 1 interrupt(s)"]
    assert err.splitlines() == [
        "network: interrupted: Terraform is stopping and saving its state (Ctrl-C again kills it)",
        "deploy: stopped by SIGTERM",
    ]
