"""Run Terraform on synthesized stacks with output a person can read, on a terminal or in a log.

cdktf's own deploy UI redraws status lines (thousands of ANSI lines in a log) and
prints every output, the cross-stack plumbing included, several times. Here each
stack is ``terraform init`` (quiet, logged to a file), then ``apply``/``destroy``
whose per-resource progress is passed through; on a terminal as Terraform colours
it, in a log without escapes and without the "Still creating..." heartbeats.
Outputs are read once at the end with ``terraform output -json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from topology.errors import UserError

from .processes import private_folder, stop, tied
from .provider_proxy import ProviderProxy, answers_folder, local_state_file, needed_by

CROSS_STACK = re.compile(r"^cross-stack-output-")
HEARTBEAT = re.compile(r": Still (creating|destroying|modifying|reading)\.\.\. \[")
PROGRESS = re.compile(
    r"^(\S+: (Creating|Creation complete|Modifying|Modifications complete|Destroying|Destruction complete|Still \w+)\b"
    r"|(Apply|Destroy) complete!|No changes\.)"
)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class StackError(UserError):
    """A Terraform command failed; the message says which stack and where its log is."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


INIT_RECORD = ".terraform/internal-api-init.json"
"""What the last successful ``terraform init`` of a stack directory was run for (see ``init_inputs``)."""


def init_inputs(workdir: Path, env: Mapping[str, str]) -> str:
    """Everything a ``terraform init`` of ``workdir`` depends on: the stack's ``terraform`` block (backend and
    required providers), the CLI configuration (where providers come from) and the Terraform binary's path.

    The synthesized JSON is rewritten by every synth while ``.terraform`` stays, so a command that runs
    after a synth would otherwise init again (0.7 CPU s) with nothing changed."""
    stack = json.loads((workdir / "cdk.tf.json").read_text(encoding="utf-8"))
    config = env.get("TF_CLI_CONFIG_FILE", "")
    cli = Path(config).read_text(encoding="utf-8") if config and Path(config).is_file() else ""
    material = {"terraform": stack.get("terraform"), "cli_config": cli, "terraform_binary": shutil.which("terraform", path=env.get("PATH"))}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


INIT_TEMPLATES = Path(__file__).resolve().parent.parent / "build" / "init-templates"
"""What ``terraform init`` wrote for each set of inputs (``init_inputs``), to copy into the next folder with the same."""
LOCK_FILE = ".terraform.lock.hcl"
PROVIDER_ANSWERS = INIT_TEMPLATES.parent / "provider-schemas"
"""The AWS provider's schema answer per binary, kept by ``provider_proxy`` (the provider builds it in a second of CPU)."""


def init(workdir: Path, env: dict[str, str], log: Path, *, templates: Path = INIT_TEMPLATES) -> None:
    """``terraform init``, unless the last one in ``workdir`` succeeded for the same inputs and left its providers,
    or an earlier one elsewhere did and what it wrote can be copied (``templates``, see ``_copy_template``)."""
    inputs, record = init_inputs(workdir, env), workdir / INIT_RECORD
    if record.is_file() and record.read_text(encoding="utf-8") == inputs and installed_provider(workdir) is not None:
        log.write_text(f"terraform init skipped: {workdir.name} was initialized for the same backend, providers and CLI config\n")
        return
    record.unlink(missing_ok=True)
    if _copy_template(templates / inputs, workdir):
        record.write_text(inputs, encoding="utf-8")
        log.write_text(
            f"terraform init reused: {workdir.name} has the same backend, providers and CLI config as a folder initialized "
            f"before; what that init wrote was copied (template {inputs[:12]})\n"
        )
        return
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(
            ["terraform", "init", "-input=false", "-no-color"], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        raise StackError(f"terraform init failed in {workdir.name} (log: {log})")
    record.write_text(inputs, encoding="utf-8")
    _keep_template(workdir, templates / inputs)


def _providers_are_links(workdir: Path) -> bool:
    """Whether every provider ``init`` installed is a link into Terraform's plugin cache (nothing big to copy)."""
    providers = workdir / ".terraform" / "providers"
    for folder, _dirs, files in os.walk(providers):  # does not descend into linked folders
        if any(not (Path(folder) / name).is_symlink() for name in files):
            return False
    return installed_provider(workdir) is not None


def _local_backend(workdir: Path) -> bool:
    """Whether the stack keeps its state in a local file (the emulator's stacks, tests).

    A remote backend's init also asks the backend (its bucket, its workspaces) and says early what is
    wrong there; that is worth its second, so those stacks always run ``terraform init``."""
    stack = json.loads((workdir / "cdk.tf.json").read_text(encoding="utf-8"))
    return local_state_file(workdir, stack) is not None


def _keep_template(workdir: Path, template: Path) -> None:
    """Keep what ``terraform init`` wrote in ``workdir`` (its ``.terraform`` folder and lock file) as ``template``.

    ``init`` hashes the whole provider (700 MB, 0.7 CPU s) to write the lock file; for the same inputs it
    writes the same files, so the next folder with the same inputs gets a copy instead. Only when the
    providers are links into the plugin cache; written under a temporary name and renamed, so that a
    parallel init never reads half a template (the second rename loses, harmlessly)."""
    if template.exists() or not (workdir / LOCK_FILE).is_file() or not _providers_are_links(workdir) or not _local_backend(workdir):
        return
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{template.name[:12]}-", dir=template.parent))
    try:
        shutil.copytree(workdir / ".terraform", partial / ".terraform", symlinks=True)
        shutil.copy2(workdir / LOCK_FILE, partial / LOCK_FILE)
        partial.rename(template)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)


def _copy_template(template: Path, workdir: Path) -> bool:
    """Put ``template`` in ``workdir`` as ``terraform init`` would have written it; ``False`` when it cannot stand in.

    Not when ``workdir`` has a lock file of its own that differs (init keeps the hashes of a lock it finds),
    nor when the plugin cache it links to was emptied since (then the template is dropped)."""
    lock = workdir / LOCK_FILE
    if not (template / LOCK_FILE).is_file():
        return False
    if lock.is_file() and lock.read_bytes() != (template / LOCK_FILE).read_bytes():
        return False
    shutil.rmtree(workdir / ".terraform", ignore_errors=True)
    shutil.copytree(template / ".terraform", workdir / ".terraform", symlinks=True)
    shutil.copy2(template / LOCK_FILE, lock)
    if installed_provider(workdir) is None:  # a link into a plugin cache that was emptied since
        shutil.rmtree(workdir / ".terraform", ignore_errors=True)
        shutil.rmtree(template, ignore_errors=True)
        return False
    return True


REATTACH = re.compile(r"TF_REATTACH_PROVIDERS='(?P<config>\{.*\})'")
PROVIDER_BINARY = "providers/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*"


def installed_provider(workdir: Path) -> Path | None:
    """The AWS provider binary ``terraform init`` installed for ``workdir``; ``None`` unless exactly one."""
    found = sorted((workdir / ".terraform").glob(PROVIDER_BINARY))
    return found[0] if len(found) == 1 else None


PROXY_SWITCH = "INTERNAL_API_PROVIDER_PROXY"
"""``off`` leaves ``provider_proxy`` out of ``one_provider``: Terraform then talks to the shared provider itself."""


@contextmanager
def one_provider(workdir: Path, env: dict[str, str], *, stacks: Sequence[Path] = ()) -> Iterator[dict[str, str]]:
    """``env`` for a run of Terraform commands that all talk to one AWS provider process, started here.

    Each Terraform command starts the AWS provider two or three times, and each start costs
    about a second of CPU (the provider builds the schema of ~1,600 resource types). Terraform's
    documented way to use a provider it did not start is ``TF_REATTACH_PROVIDERS`` (the
    provider's ``-debug`` mode prints it), so the commands of one deploy, plan or destroy share
    one. The provider reads its AWS settings (endpoint, credentials, region) from its own
    environment, so it is started with ``env`` itself; commands must run one at a time, as here.
    If ``workdir`` has no single installed provider, or it does not start, the commands start
    their own as usual.

    Terraform reaches the provider through ``provider_proxy``, which asks a provider binary for its
    schema once (the answer is kept in ``PROVIDER_ANSWERS``) and hands each command only the types
    that ``stacks`` (the folders the commands run in) name; with no ``stacks``, or a folder it cannot
    read whole, the whole schema.
    ``INTERNAL_API_PROVIDER_PROXY=off`` in ``env`` leaves the proxy out.
    """
    binary = installed_provider(workdir)
    if binary is None or "TF_REATTACH_PROVIDERS" in env:
        yield env
        return
    with private_folder("provider") as sockets:
        process = subprocess.Popen(
            tied([str(binary.absolute()), "-debug"]),
            cwd=workdir,
            env={**env, "TMPDIR": str(sockets)},  # its socket goes in our folder: in /tmp it outlives a stopped provider
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            process_group=0,  # out of the terminal's reach: Ctrl-C must not stop it under an interrupted Terraform
        )
        try:
            config = _reattach_config(process)
            if config is None:
                yield env
                return
            if env.get(PROXY_SWITCH, "").lower() in ("off", "0", "false", "no"):
                yield {**env, "TF_REATTACH_PROVIDERS": config}
                return
            with proxied(config, stacks, kept=answers_folder(PROVIDER_ANSWERS, binary), folder=sockets) as reattach:
                yield {**env, "TF_REATTACH_PROVIDERS": reattach}
        finally:
            stop(process)


@contextmanager
def proxied(config: str, stacks: Sequence[Path], *, kept: Path | None = None, folder: Path | None = None) -> Iterator[str]:
    """``config`` (the provider's reattach JSON) pointed at a ``ProviderProxy`` in front of it; unchanged when
    the provider is not on a Unix socket or the proxy does not start (the commands then talk to the provider).
    ``kept``: where its schema answer is kept for the next runs of the same provider binary; ``folder``: where its socket goes."""
    try:
        reattach = json.loads(config)
        addresses = [provider.get("Addr") or {} for provider in reattach.values()]
    except (ValueError, AttributeError):  # not the shape this code knows: Terraform reads it as it is
        addresses = []
    if len(addresses) != 1 or addresses[0].get("Network") != "unix" or not isinstance(addresses[0].get("String"), str):
        yield config
        return
    try:
        proxy = ProviderProxy(addresses[0]["String"], lambda: needed_by(stacks) if stacks else None, kept=kept, folder=folder)
        proxy.start()
    except (OSError, RuntimeError) as error:
        say(f"note: the provider's schema proxy did not start ({error}); Terraform talks to the provider directly")
        yield config
        return
    try:
        addresses[0]["String"] = proxy.address
        yield json.dumps(reattach)
    finally:
        proxy.stop()


def _reattach_config(process: subprocess.Popen[str]) -> str | None:
    """The JSON the provider prints for ``TF_REATTACH_PROVIDERS``; then its stdout is drained so it never blocks."""
    assert process.stdout is not None
    for line in process.stdout:
        match = REATTACH.search(line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return match["config"]
    return None  # it exited without printing it


def stream(args: list[str], workdir: Path, env: dict[str, str], *, label: str, out: TextIO = sys.stdout) -> None:
    """Run ``args`` (apply/destroy) and pass on its per-resource progress; on failure, the tail that says why.

    The plan body and Terraform's "Outputs:" block are left out: the plan is what
    ``make plan`` reviews, and the outputs are printed once, after every stack.
    """
    terminal = _is_terminal(out)
    command = args if terminal else [*args, "-no-color"]
    # A process group of its own: Ctrl-C at the terminal reaches this command only, which interrupts Terraform once.
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        process_group=0,
    )
    assert process.stdout is not None
    in_outputs = False
    tail: list[str] = []  # what was not passed on: on failure, the part that says why (progress is not said twice)
    try:
        for line in process.stdout:
            plain = ANSI.sub("", line).rstrip("\n")
            if plain.strip() == "Outputs:":
                in_outputs = True
            if in_outputs or not PROGRESS.match(plain) or (not terminal and HEARTBEAT.search(plain)):
                if not HEARTBEAT.search(plain):
                    tail = [*tail[-30:], plain]
                continue
            out.write(f"{label}: {line if terminal else plain + chr(10)}")
            out.flush()
    except KeyboardInterrupt:
        _interrupt(process, label, out)
        raise
    if process.wait() != 0:
        out.write("".join(f"{label}: {text}\n" for text in tail if text.strip()))
        raise StackError(f"{label}: terraform {args[1]} failed (exit {process.returncode})")


def _interrupt(process: subprocess.Popen[str], label: str, out: TextIO) -> None:
    """Ctrl-C or SIGTERM during an apply or destroy: interrupt Terraform once, as Ctrl-C would, and let it finish.

    Interrupted, Terraform waits for the calls under way, saves its state and exits, so nothing it
    created is left out of the state (killed, it saves nothing). Its lines are passed on meanwhile; a
    second Ctrl-C kills it, as two do when it runs in a terminal of its own."""
    say(f"{label}: interrupted: Terraform is stopping and saving its state (Ctrl-C again kills it)")
    assert process.stdout is not None
    try:
        process.send_signal(signal.SIGINT)
        for line in process.stdout:
            out.write(f"{label}: {ANSI.sub('', line)}")
        process.wait()
    except KeyboardInterrupt:
        process.kill()
        process.wait()


def outputs(workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    """The stack's outputs, without cdktf's ``cross-stack-output-*`` plumbing."""
    done = subprocess.run(["terraform", "output", "-json"], cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise StackError(f"{workdir.name}: terraform output failed: {done.stderr.strip()[-500:]}")
    raw: dict[str, Any] = json.loads(done.stdout or "{}")
    return {name: body["value"] for name, body in sorted(raw.items()) if not CROSS_STACK.match(name)}


def resources_in_state(workdir: Path, env: dict[str, str]) -> list[str]:
    """Addresses in the stack's state (after ``init``); empty when there is no state."""
    done = subprocess.run(["terraform", "state", "list"], cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        if "No state file was found" in done.stderr:
            return []
        raise StackError(f"{workdir.name}: terraform state list failed: {done.stderr.strip()[-500:]}")
    return [line for line in done.stdout.splitlines() if line.strip()]


def format_outputs(per_stack: dict[str, dict[str, Any]]) -> str:
    """``stack.name = value`` lines, one per output, values as JSON when not plain strings."""
    lines = []
    for stack, values in per_stack.items():
        for name, value in values.items():
            shown = value if isinstance(value, str) else json.dumps(value)
            lines.append(f"{stack}.{name} = {shown}")
    return "\n".join(lines) + ("\n" if lines else "")


def declared_variables(stack_dir: Path) -> list[str]:
    """The input variables a synthesized stack declares (``image_<service>`` in a services stack)."""
    document = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    return sorted(document.get("variable", {}))


def parse_variables(given: list[str], outdir: Path, stacks: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    """``NAME=VALUE`` pairs (make's ``VARS=``) as ``-var`` arguments per stack: each goes to the stack that declares it.

    Terraform refuses ``-var`` for a variable a stack does not declare, and a release must not be
    a silent no-op, so a name no selected stack declares is a ``StackError`` (one line).
    """
    declared = {stack: declared_variables(outdir / "stacks" / stack) for stack in stacks}
    per_stack: dict[str, list[str]] = {stack: [] for stack in stacks}
    for item in given:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise StackError(
                f"VARS: {item!r} is not NAME=VALUE (like image_orders=123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/orders:v2)"
            )
        owners = [stack for stack, names in declared.items() if name in names]
        if not owners:
            known = ", ".join(sorted({n for names in declared.values() for n in names})) or "none"
            raise StackError(f"VARS: {name!r} is not a variable of {', '.join(stacks)} (variables: {known})")
        for stack in owners:
            per_stack[stack].append(f"-var={name}={value}")
    return per_stack


def undeclared_release_variables(environ: Mapping[str, str], outdir: Path, stacks: tuple[str, ...] | list[str]) -> list[str]:
    """A warning per ``TF_VAR_image_<name>`` in ``environ`` that no selected stack declares.

    Terraform ignores a ``TF_VAR_`` it has no variable for (the environment is shared by every
    configuration), so a misspelt release would deploy the old image without a word. Only this
    project's own ``image_`` names are checked: other ``TF_VAR_`` values may be meant for other tools.
    """
    declared = sorted({name for stack in stacks for name in declared_variables(outdir / "stacks" / stack)})
    known = ", ".join(name for name in declared if name.startswith("image_")) or "none"
    return [
        f"warning: TF_VAR_{name} is set, but no stack of {', '.join(stacks)} declares {name!r}, so Terraform ignores it "
        f"(image variables: {known})"
        for name in sorted(key.removeprefix("TF_VAR_") for key in environ if key.startswith("TF_VAR_image_"))
        if name not in declared
    ]
