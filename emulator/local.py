"""Deploy, plan and destroy the selected system against the local AWS emulator (or AWS, for ``plan --target aws``).

    python -m emulator.local deploy  [--system M] [--env E] [--var N=V]  # synth; apply network then services; print outputs once
    python -m emulator.local plan    [--system M] [--env E] [--var N=V]  # saved plan + JSON per stack, build/plan/review.md (exit 1 if blocking)
    python -m emulator.local destroy [--system M] [--env E]   # destroy services then network; forget the account once empty

The selection defaults to make's ``SYSTEM=``/``ENV=`` (``INTERNAL_API_SYSTEM``/
``INTERNAL_API_ENV``), else the article. Emulator runs work in ``build/emulator/``
as if it were the project root: the JSON in ``build/emulator/cdktf.out`` (synthesized
with local state and no account pin), state in ``build/emulator/state`` (never the
project's ``state/``), and the emulated account in ``build/emulator/recording.jsonl``
(see emulator/server.py), shared by every system and environment deployed there, so
two environments run side by side. Terraform runs at its default parallelism: the
emulator handles requests one at a time and records them in that order (emulator/serve.py),
so the account is replayed identically next time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from proof.plan_review import DeclaredReach, StackReview, add_route_findings, markdown, review
from toolchain import reviewed
from toolchain.errors import UserError, command
from toolchain.paths import command_env
from toolchain.processes import interrupt_on_sigterm, interrupted
from toolchain.stackrun import (
    StackError,
    format_outputs,
    init,
    one_provider,
    outputs,
    parse_variables,
    say,
    stream,
    undeclared_release_variables,
)
from topology.env import for_emulator
from topology.model import LOCAL_STATE_DIR
from topology.resolved import ResolvedEnvironment
from topology.selection import Selection, add_arguments, select
from topology.system import SelectionError

from . import standins
from .server import KNOWN_GAPS, Emulator, EmulatorError, forget, pointed

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_HOME = ROOT / "build" / "emulator"
AFTER_INTERRUPT = {
    "deploy": "the state keeps what was applied; deploy again to finish",
    "destroy": "the state keeps what is left; destroy again to finish",
    "plan": "nothing was changed",
    "apply": "the state keeps what was applied; plan again, review, and apply that plan",
}


def base_env(outdir: Path, *, emulator: bool, selection: Selection | None = None) -> dict[str, str]:
    env = command_env({**os.environ, "CDKTF_OUTDIR": str(outdir)})
    if selection is not None:
        env.update(selection.environ())
    return for_emulator(env) if emulator else env


def synth(outdir: Path, env: dict[str, str]) -> None:
    """``main.py`` for the selection, from the folder that plays the project root (state paths are relative)."""
    outdir.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=outdir.parent, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)  # main.py's problems, one line each
        raise StackError(f"synth stopped (main.py exited {done.returncode}): fix the line(s) above")


def _announce(selection: Selection, deployment: ResolvedEnvironment, verb: str) -> None:
    where = f", environment {deployment.environment}" if deployment.environment else ""
    order = reversed(deployment.stacks) if verb == "destroying" else deployment.stacks
    say(f"{verb} system {selection.system.module}{where}: stacks {' then '.join(order)}")


def _emulator_started(aws: dict[str, str], workdir: Path) -> None:
    say(f"emulator: moto listening on {aws['AWS_ENDPOINT_URL']} (account kept in {_shown(workdir / 'recording.jsonl')})")


def certificates(deployment: ResolvedEnvironment) -> tuple[str, ...]:
    """The ACM certificates the deployment's listeners name: the emulator stands one in for each (AWS needs the real one)."""
    arns = [listener.certificate_arn for entry in deployment.topology.entries for listener in entry.listeners if listener.certificate_arn]
    return tuple(sorted(set(arns)))


def _announce_certificates(deployment: ResolvedEnvironment) -> None:
    for arn in certificates(deployment):
        say(f"emulator: stand-in certificate under {arn} (a self-signed one made by the emulator; on AWS the ACM certificate must exist)")


def entry_lines(deployment: ResolvedEnvironment, services_outputs: dict[str, object]) -> list[str]:
    """Each entry's DNS name and a curl to its first route; the emulator names the load balancer but serves no traffic."""
    lines = []
    for entry in deployment.topology.entries:
        dns, curl = services_outputs.get(f"entry_{entry.name}_dns_name"), services_outputs.get(f"entry_{entry.name}_curl")
        if isinstance(dns, str) and isinstance(curl, str):
            lines.append(f"entry {entry.name}: {dns}")
            lines.append(f"  {curl}    # on AWS; the emulator creates the load balancer but does not answer on it")
    return lines


def _without_entries(result: dict[str, dict[str, object]], deployment: ResolvedEnvironment) -> dict[str, dict[str, object]]:
    """The outputs less each entry's DNS name and curl, which ``entry_lines`` prints: every output once."""
    shown = {f"entry_{e.name}_{what}" for e in deployment.topology.entries for what in ("dns_name", "curl")}
    return {stack: {k: v for k, v in values.items() if k not in shown} for stack, values in result.items()}


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def deploy(selection: Selection, outdir: Path, workdir: Path, variables: list[str] | None = None) -> dict[str, dict[str, object]]:
    """Apply the selected environment's stacks in the emulator; ``variables`` (``NAME=VALUE``) as ``-var`` (a release)."""
    deployment = selection.one()
    env = base_env(outdir, emulator=True, selection=selection)
    _announce(selection, deployment, "deploying")
    synth(outdir, env)
    var_args = parse_variables(variables or [], outdir, deployment.stacks)
    for line in undeclared_release_variables(env, outdir, deployment.stacks):
        say(line)
    result: dict[str, dict[str, object]] = {}
    with Emulator(workdir, region=deployment.settings.region, certificates=certificates(deployment)) as aws:
        _emulator_started(aws, workdir)
        _announce_certificates(deployment)
        try:
            for line in standins.create(standins.stand_ins(deployment), aws["AWS_ENDPOINT_URL"], _stand_in_record(workdir, deployment)):
                say(line)
            for stack in deployment.stacks:
                init(outdir / "stacks" / stack, pointed(env, aws), workdir / f"{stack}.init.log")
            with one_provider(
                outdir / "stacks" / deployment.stacks[0], pointed(env, aws), stacks=_folders(outdir, deployment.stacks)
            ) as run_env:
                for stack in deployment.stacks:
                    stack_dir = outdir / "stacks" / stack
                    apply = ["terraform", "apply", "-input=false", "-auto-approve", *var_args[stack]]
                    stream(apply, stack_dir, run_env, label=stack)
                    result[stack] = outputs(stack_dir, run_env)
        finally:
            say("emulator: stopped")
    _merge_outputs(workdir / "outputs.json", result)
    return result


def _folders(outdir: Path, stacks: tuple[str, ...]) -> list[Path]:
    """The synthesized folders of ``stacks``: what their commands' shared provider may be asked about."""
    return [outdir / "stacks" / stack for stack in stacks]


def _stand_in_record(workdir: Path, deployment: ResolvedEnvironment) -> Path:
    """Which stand-ins a deployment of this emulator home created, so that its destroy removes exactly those."""
    return workdir / f"stand-ins{deployment.suffix}.json"


def _merge_outputs(path: Path, result: dict[str, dict[str, object]]) -> None:
    """``outputs.json`` holds every stack deployed in this emulator home (environments side by side)."""
    known: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    known.update(result)
    path.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# Provider errors that a precondition cannot pre-empt, put in words a person can act on. An existing
# private DNS namespace is checked through its Route 53 private zone, read by name in the VPC; when
# there is none, the read itself fails (no data source lists zones by name and VPC beforehand).
MISSING_ZONE = re.compile(r"no matching Route 53 Hosted Zone found")


def explain_plan_failure(stderr: str) -> list[str]:
    """One line per failure this project can explain better than the provider does."""
    if MISSING_ZONE.search(stderr) and "existing_namespace" in stderr:
        return [
            "error: the existing namespace is not a private DNS namespace of network.existing.vpc_id under network.namespace's "
            "name (Cloud Map's private zone of that name is not in that VPC): check network.namespace, "
            "network.namespace_type and network.existing.namespace_id"
        ]
    return []


def destroy(selection: Selection, outdir: Path, workdir: Path) -> None:
    deployment = selection.one()
    env = base_env(outdir, emulator=True, selection=selection)
    _announce(selection, deployment, "destroying")
    synth(outdir, env)
    state_dir = outdir.parent / LOCAL_STATE_DIR
    if not any((state_dir / f"{stack}.tfstate").exists() for stack in deployment.stacks):
        say(f"nothing to destroy: no state for {', '.join(deployment.stacks)} in {_shown(state_dir)}")
        return
    with Emulator(workdir, region=deployment.settings.region, certificates=certificates(deployment)) as aws:
        _emulator_started(aws, workdir)
        try:
            for stack in deployment.stacks:
                init(outdir / "stacks" / stack, pointed(env, aws), workdir / f"{stack}.init.log")
            with one_provider(
                outdir / "stacks" / deployment.stacks[0], pointed(env, aws), stacks=_folders(outdir, deployment.stacks)
            ) as run_env:
                for stack in reversed(deployment.stacks):
                    stream(["terraform", "destroy", "-input=false", "-auto-approve"], outdir / "stacks" / stack, run_env, label=stack)
            for line in standins.remove(aws["AWS_ENDPOINT_URL"], _stand_in_record(workdir, deployment)):
                say(line)
        finally:
            say("emulator: stopped")
    for stack in deployment.stacks:
        for leftover in (state_dir / f"{stack}.tfstate", state_dir / f"{stack}.tfstate.backup"):
            leftover.unlink(missing_ok=True)
    _drop_outputs(workdir / "outputs.json", deployment.stacks)
    if not any(state_dir.glob("*.tfstate")):
        forget(workdir)
        say("emulator: nothing deployed any more; the emulated account was forgotten")


def _drop_outputs(path: Path, stacks: tuple[str, ...]) -> None:
    if path.exists():
        known = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({k: v for k, v in known.items() if k not in stacks}, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def plan_stacks(
    outdir: Path,
    plandir: Path,
    env: dict[str, str],
    stacks: tuple[str, ...] = ("network", "services"),
    variables: list[str] | None = None,
    *,
    share_provider: bool = False,
) -> list[Path]:
    """A saved plan and its JSON per stack; ``services`` before its ``network`` exists is skipped with a note.

    ``share_provider``: the stacks' commands talk to one provider process (``one_provider``); the emulator's
    plans do, AWS's start their own as Terraform always does.
    """
    plandir.mkdir(parents=True, exist_ok=True)
    var_args = parse_variables(variables or [], outdir, stacks)
    for stack in stacks:
        init(outdir / "stacks" / stack, env, plandir / f"{stack}.init.log")
    if not share_provider:
        return _plan_each(outdir, plandir, env, stacks, var_args)
    with one_provider(outdir / "stacks" / stacks[0], env, stacks=_folders(outdir, stacks)) as run_env:
        return _plan_each(outdir, plandir, run_env, stacks, var_args)


def _plan_each(outdir: Path, plandir: Path, env: dict[str, str], stacks: tuple[str, ...], var_args: dict[str, list[str]]) -> list[Path]:
    planned: list[Path] = []
    for stack in stacks:
        workdir = outdir / "stacks" / stack
        plan_file = plandir / f"{stack}.tfplan"
        done = subprocess.run(
            ["terraform", "plan", "-input=false", "-no-color", f"-out={plan_file}", *var_args[stack]],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
        )
        (plandir / f"{stack}.plan.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            if stack.startswith("services") and planned and "Unable to find remote state" in done.stderr:
                say(f"{stack}: not planned: it reads {planned[-1].stem}'s outputs, so that stack must be applied first")
                continue
            explained = "".join(f"{line}\n" for line in explain_plan_failure(done.stderr))
            raise StackError(f"{explained}terraform plan failed in {workdir}:\n{done.stderr[-3000:]}")
        shown = subprocess.run(
            ["terraform", "show", "-json", str(plan_file)], env=env, cwd=workdir, capture_output=True, text=True, check=True
        )
        target = plandir / f"{stack}.json"
        target.write_text(shown.stdout, encoding="utf-8")
        planned.append(target)
    return planned


def plan(selection: Selection, outdir: Path, workdir: Path, plandir: Path, *, target: str, variables: list[str] | None = None) -> int:
    deployment = selection.one()
    env = base_env(outdir, emulator=target == "emulator", selection=selection)
    _announce(selection, deployment, f"planning ({target})")
    synth(outdir, env)
    parse_variables(variables or [], outdir, deployment.stacks)  # a bad VARS is one line before moto or AWS is asked
    warnings = undeclared_release_variables(env, outdir, deployment.stacks)
    for line in warnings:
        say(line)
    if target == "emulator":
        with Emulator(workdir, region=deployment.settings.region, record=False, certificates=certificates(deployment)) as aws:
            _emulator_started(aws, workdir)
            try:
                planned = plan_stacks(outdir, plandir, pointed(env, aws), deployment.stacks, variables, share_provider=True)
                read = _read_outputs(outdir, pointed(env, aws), deployment.stacks)
            finally:
                say("emulator: stopped")
    else:
        from aws.commands import preflight

        preflight(deployment, env)
        planned = plan_stacks(outdir, plandir, env, deployment.stacks, variables)
        read = _read_outputs(outdir, env, deployment.stacks)
    reviewed.record(plandir, list(deployment.stacks), reviewed.git_tree(ROOT), read)
    gaps = KNOWN_GAPS if target == "emulator" else frozenset()
    plans = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in planned}
    declared = DeclaredReach.calls(deployment.topology)  # a widening the declaration asks for is listed, not blocking
    reviews = [review(stack, data, gaps=gaps, declared=declared) for stack, data in plans.items()]
    add_route_findings(reviews, plans)
    text = markdown(reviews, warnings)
    (plandir / "review.md").write_text(text, encoding="utf-8")
    (plandir / "review.full.md").write_text(markdown(reviews, warnings, limit=sys.maxsize), encoding="utf-8")
    sys.stdout.write(text)
    say(f"\nreview written to {_shown(plandir / 'review.md')}")
    return verdict(reviews)


def verdict(reviews: list[StackReview]) -> int:
    """``terraform plan -detailed-exitcode``'s scheme: 1 a blocking finding, 2 changes, 0 none (toolchain.reviewed)."""
    if any(r.blocking for r in reviews):
        return reviewed.BLOCKED
    return reviewed.CHANGES if any(sum(r.counts.values()) for r in reviews) else reviewed.NO_CHANGES


def _read_outputs(outdir: Path, env: dict[str, str], stacks: tuple[str, ...]) -> dict[str, dict[str, object]]:
    """The outputs of every stack another one reads (all but the last), as the reader's plan saw them."""
    return {stack: outputs(outdir / "stacks" / stack, env) for stack in stacks[:-1]}


def apply_reviewed(selection: Selection, outdir: Path, workdir: Path, plandir: Path, *, target: str) -> None:
    """Apply the saved plans in ``plandir`` in stack order, after checking they are the reviewed ones (``toolchain.reviewed``)."""
    deployment = selection.one()
    manifest = reviewed.load(plandir)
    problem = reviewed.refusal(manifest, plandir, reviewed.git_tree(ROOT))
    if problem:
        raise reviewed.ReviewedPlanError(problem)
    env = base_env(outdir, emulator=target == "emulator", selection=selection)
    _announce(selection, deployment, f"applying the reviewed plans ({target})")
    synth(outdir, env)
    if target == "emulator":
        with Emulator(workdir, region=deployment.settings.region, certificates=certificates(deployment)) as aws:
            _emulator_started(aws, workdir)
            try:
                _apply_each(outdir, plandir, pointed(env, aws), deployment.stacks, manifest)
            finally:
                say("emulator: stopped")
        return
    from aws.commands import preflight

    preflight(deployment, env)
    _apply_each(outdir, plandir, env, deployment.stacks, manifest)


STALE = re.compile(r"Saved plan is stale")


def _apply_each(outdir: Path, plandir: Path, env: dict[str, str], stacks: tuple[str, ...], manifest: reviewed.Manifest) -> None:
    for stack in stacks:
        if stack not in manifest.plans:
            say(f"{stack}: no reviewed plan (it was not planned); plan again after this apply")
            return
        stack_dir = outdir / "stacks" / stack
        init(stack_dir, env, plandir / f"{stack}.init.log")
        done = subprocess.run(
            ["terraform", "apply", "-input=false", "-no-color", str(reviewed.plan_file(plandir, stack))],
            env=env,
            cwd=stack_dir,
            capture_output=True,
            text=True,
        )
        sys.stdout.write(done.stdout)
        if done.returncode != 0:
            if STALE.search(done.stderr):
                raise reviewed.ReviewedPlanError(
                    f"refused: Terraform says the {stack} plan is stale (the state changed since the review); plan again"
                )
            raise StackError(f"{stack}: terraform apply failed: {done.stderr.strip()[-1500:]}")
        problem = reviewed.outputs_refusal(manifest, stack, outputs(stack_dir, env))
        if problem:
            raise reviewed.ReviewedPlanError(problem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=["deploy", "plan", "destroy", "apply"])
    parser.add_argument("--target", choices=["emulator", "aws"], default="emulator", help="plan/apply: where to plan or apply")
    parser.add_argument("--verdict", action="store_true", help="plan: exit 0 and write the verdict to <plandir>/verdict.txt (for make)")
    parser.add_argument("--home", type=Path, default=EMULATOR_HOME, help="emulator runs: cdktf.out/, state/, recording")
    parser.add_argument("--plandir", type=Path, default=ROOT / "build" / "plan")
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="deploy/plan: a Terraform variable (image_<service>=...)"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    interrupt_on_sigterm()
    home = args.home.resolve()
    real_outdir = Path(os.environ.get("CDKTF_OUTDIR") or ROOT / "cdktf.out").resolve()
    outdir = real_outdir if args.command in ("plan", "apply") and args.target == "aws" else home / "cdktf.out"
    try:
        selection = select(args.system, args.env)
        if args.command == "deploy":
            result = deploy(selection, outdir, home, args.var)
            deployment = selection.one()
            services = result.get(deployment.stacks[-1], {})
            entries = entry_lines(deployment, services)
            sys.stdout.write(format_outputs(_without_entries(result, deployment) if entries else result))
            sys.stdout.write("".join(f"{line}\n" for line in entries))
            return 0
        if args.command == "destroy":
            destroy(selection, outdir, home)
            return 0
        if args.command == "apply":
            apply_reviewed(selection, outdir, home, args.plandir.resolve(), target=args.target)
            return 0
        code = plan(selection, outdir, home, args.plandir.resolve(), target=args.target, variables=args.var)
    except reviewed.ReviewedPlanError as refused:
        print(str(refused), file=sys.stderr)
        return reviewed.BLOCKED
    except (EmulatorError, SelectionError, UserError) as error:
        print(f"error: {error}", file=sys.stderr)
        return _failed(args, 2)
    except KeyboardInterrupt as stopped:
        return interrupted(args.command, stopped, then=AFTER_INTERRUPT[args.command])
    if args.verdict:
        reviewed.write_verdict(args.plandir.resolve(), code)
        return 0
    return reviewed.BLOCKED if code == reviewed.BLOCKED else 0  # `make plan`: changes are not a failure


def _failed(args: argparse.Namespace, code: int) -> int:
    """A failed ``plan --verdict`` still leaves its verdict (1) for the CI, and fails so that make stops."""
    if args.command == "plan" and args.verdict:
        args.plandir.mkdir(parents=True, exist_ok=True)
        reviewed.write_verdict(args.plandir.resolve(), reviewed.BLOCKED)
    return code


if __name__ == "__main__":
    raise SystemExit(command(main))
