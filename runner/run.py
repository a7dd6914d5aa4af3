"""The stack runner: every action on the selected stacks, in order, on any target (``runner.target``).

Each action is the same sequence whatever the target: synthesize, announce, open the target's session,
``terraform init`` each stack, then the stacks in order (network, services and the team's own stacks as their
dependencies say, ``runner.order``; destroy the other way), and the outputs read once at the end. ``deploy`` and ``destroy`` apply and destroy; ``plan`` saves a plan
per stack, its JSON, ``review.md`` and the manifest the apply is bound to; ``apply_reviewed`` applies
exactly those plans (``toolchain.reviewed``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from proof.plan_review import DeclaredReach, StackReview, add_route_findings, markdown, review
from toolchain import reviewed
from toolchain.stackrun import (
    StackError,
    init,
    one_provider,
    outputs,
    parse_variables,
    resources_in_state,
    say,
    stream,
    undeclared_release_variables,
)
from topology.resolved import ResolvedEnvironment
from topology.selection import Selection

from .order import deploy_order
from .target import Target

ROOT = Path(__file__).resolve().parent.parent
Outputs = dict[str, dict[str, object]]


def synth(outdir: Path, env: dict[str, str]) -> None:
    """``main.py`` for the selection, from the folder that plays the project root (state paths are relative)."""
    outdir.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=outdir.parent, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)  # main.py's problems, one line each
        raise StackError(f"synth stopped (main.py exited {done.returncode}): fix the line(s) above")


def shown(path: Path) -> str:
    """``path`` as a person reads it in a message: relative to the project when it is inside."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _announce(selection: Selection, deployment: ResolvedEnvironment, verb: str, stacks: tuple[str, ...]) -> None:
    where = f", environment {deployment.environment}" if deployment.environment else ""
    order = reversed(stacks) if verb == "destroying" else stacks
    say(f"{verb} system {selection.system.module}{where}: stacks {' then '.join(order)}")


def _folders(outdir: Path, stacks: tuple[str, ...]) -> list[Path]:
    """The synthesized folders of ``stacks``: what their commands' shared provider may be asked about."""
    return [outdir / "stacks" / stack for stack in stacks]


@contextmanager
def _commands_env(target: Target, env: dict[str, str], stacks: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """``env`` for one action's Terraform commands: with one shared provider when the target wants it."""
    if not target.share_provider:
        yield env
        return
    with one_provider(target.outdir / "stacks" / stacks[0], env, stacks=_folders(target.outdir, stacks)) as run_env:
        yield run_env


def _init_all(target: Target, env: dict[str, str], stacks: tuple[str, ...], logs: Path) -> None:
    logs.mkdir(parents=True, exist_ok=True)
    for stack in stacks:
        init(target.outdir / "stacks" / stack, env, logs / f"{stack}.init.log")


def _run(args: list[str], stack_dir: Path, env: dict[str, str], *, label: str, approve: bool) -> None:
    """``terraform apply``/``destroy``: its progress passed on (``stream``), or, to be approved, Terraform's own prompt."""
    if approve:
        stream([*args, "-input=false", "-auto-approve"], stack_dir, env, label=label)
        return
    if subprocess.run(args, cwd=stack_dir, env=env).returncode != 0:
        raise StackError(f"{label}: terraform {args[1]} failed or was not approved")


@dataclass(frozen=True)
class Prepared:
    """What every action starts from: the one environment, the environment variables, its synthesized stacks in
    deploy order (``runner.order``), their ``-var`` arguments per stack (a release) and the warnings about release
    variables no stack declares."""

    deployment: ResolvedEnvironment
    env: dict[str, str]
    stacks: tuple[str, ...]
    var_args: dict[str, list[str]]
    warnings: list[str]


def prepare(selection: Selection, target: Target, verb: str | None, variables: list[str] | None = None) -> Prepared:
    """Synthesize, announce ``verb`` (unless None) with the stacks in order, and check ``variables`` (``NAME=VALUE``):
    one line for a bad one, before the target is asked anything; each warning is said here too."""
    deployment = selection.one()
    env = target.environment(selection)
    synth(target.outdir, env)
    stacks = deploy_order(target.outdir, deployment.stacks)
    if verb is not None:
        _announce(selection, deployment, verb, stacks)
    var_args = parse_variables(variables or [], target.outdir, stacks)
    warnings = undeclared_release_variables(env, target.outdir, stacks)
    for line in warnings:
        say(line)
    return Prepared(deployment, env, stacks, var_args, warnings)


def deploy(selection: Selection, target: Target, variables: list[str] | None = None, *, approve: bool = True) -> Outputs:
    """Apply the selected environment's stacks in order; ``variables`` (``NAME=VALUE``) as ``-var`` (a release)."""
    ready = prepare(selection, target, "deploying", variables)
    deployment, env, var_args, stacks = ready.deployment, ready.env, ready.var_args, ready.stacks
    result: Outputs = {}
    with target.session(deployment, env, record=True) as session_env:
        target.before_deploy(deployment, session_env)
        _init_all(target, session_env, stacks, target.logs)
        with _commands_env(target, session_env, stacks) as run_env:
            for stack in stacks:
                stack_dir = target.outdir / "stacks" / stack
                _run(["terraform", "apply", *var_args[stack]], stack_dir, run_env, label=stack, approve=approve)
                result[stack] = outputs(stack_dir, run_env)
    target.after_deploy(deployment, result)
    return result


def destroy(selection: Selection, target: Target, *, approve: bool = True) -> None:
    """Destroy the selected environment's stacks, the last first; says so when there is nothing to destroy."""
    ready = prepare(selection, target, "destroying")
    deployment, env, stacks = ready.deployment, ready.env, ready.stacks
    nothing = target.nothing_to_destroy(deployment, stacks)
    if nothing:
        say(nothing)
        return
    with target.session(deployment, env, record=True) as session_env:
        _init_all(target, session_env, stacks, target.logs)
        if not any(resources_in_state(target.outdir / "stacks" / stack, session_env) for stack in stacks):
            say(f"nothing to destroy: the state of {', '.join(stacks)} holds no resources")
            return
        target.before_destroy(deployment, session_env)
        with _commands_env(target, session_env, stacks) as run_env:
            for stack in reversed(stacks):
                _run(["terraform", "destroy"], target.outdir / "stacks" / stack, run_env, label=stack, approve=approve)
        target.after_destroy(deployment, session_env)
    target.destroyed(deployment, stacks)


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


def plan_stacks(
    outdir: Path,
    plandir: Path,
    env: dict[str, str],
    stacks: tuple[str, ...] = ("network", "services"),
    variables: list[str] | None = None,
    *,
    share_provider: bool = False,
) -> list[Path]:
    """A saved plan and its JSON per stack; a stack that reads the outputs of one not yet applied (``services``
    before its ``network`` exists) is skipped with a note.

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
        plan_file = reviewed.plan_file(plandir, stack)
        done = subprocess.run(
            ["terraform", "plan", "-input=false", "-no-color", f"-out={plan_file}", *var_args[stack]],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
        )
        (plandir / f"{stack}.plan.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            if planned and "Unable to find remote state" in done.stderr:
                say(f"{stack}: not planned: it reads the outputs of a stack before it, which must be applied first")
                continue
            explained = "".join(f"{line}\n" for line in explain_plan_failure(done.stderr))
            raise StackError(f"{explained}terraform plan failed in {workdir}:\n{done.stderr[-3000:]}")
        shown_plan = subprocess.run(
            ["terraform", "show", "-json", str(plan_file)], env=env, cwd=workdir, capture_output=True, text=True, check=True
        )
        target = plandir / f"{stack}.json"
        target.write_text(shown_plan.stdout, encoding="utf-8")
        planned.append(target)
    return planned


def plan(selection: Selection, target: Target, plandir: Path, variables: list[str] | None = None) -> int:
    """Saved plans, their review and the manifest; the verdict (``toolchain.reviewed``: 0 none, 2 changes, 1 blocking)."""
    ready = prepare(selection, target, f"planning ({target.name})", variables)  # a bad VARS is one line before moto or AWS is asked
    deployment, env, warnings, stacks = ready.deployment, ready.env, ready.warnings, ready.stacks
    with target.session(deployment, env, record=False) as run_env:
        planned = plan_stacks(target.outdir, plandir, run_env, stacks, variables, share_provider=target.share_provider)
        read = _read_outputs(target.outdir, run_env, stacks)
    reviewed.record(plandir, list(stacks), reviewed.git_tree(ROOT), read)
    plans = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in planned}
    declared = DeclaredReach.of(deployment.topology, plans)  # a widening the declaration asks for is listed, not blocking
    reviews = [review(stack, data, gaps=target.gaps, declared=declared) for stack, data in plans.items()]
    add_route_findings(reviews, plans)
    text = markdown(reviews, warnings)
    (plandir / "review.md").write_text(text, encoding="utf-8")
    (plandir / "review.full.md").write_text(markdown(reviews, warnings, limit=sys.maxsize), encoding="utf-8")
    sys.stdout.write(text)
    say(f"\nreview written to {shown(plandir / 'review.md')}")
    return verdict(reviews)


def verdict(reviews: list[StackReview]) -> int:
    """``terraform plan -detailed-exitcode``'s scheme: 1 a blocking finding, 2 changes, 0 none (toolchain.reviewed)."""
    if any(r.blocking for r in reviews):
        return reviewed.BLOCKED
    return reviewed.CHANGES if any(sum(r.counts.values()) for r in reviews) else reviewed.NO_CHANGES


def _read_outputs(outdir: Path, env: dict[str, str], stacks: tuple[str, ...]) -> Outputs:
    """The outputs of every stack another one reads (all but the last), as the reader's plan saw them."""
    return {stack: outputs(outdir / "stacks" / stack, env) for stack in stacks[:-1]}


def apply_reviewed(selection: Selection, target: Target, plandir: Path) -> None:
    """Apply the saved plans in ``plandir`` in stack order, after checking they are the reviewed ones (``toolchain.reviewed``)."""
    deployment = selection.one()
    manifest = reviewed.load(plandir)
    problem = reviewed.refusal(manifest, plandir, reviewed.git_tree(ROOT))
    if problem:
        raise reviewed.ReviewedPlanError(problem)
    ready = prepare(selection, target, f"applying the reviewed plans ({target.name})")
    with target.session(deployment, ready.env, record=True) as run_env:
        _apply_each(target.outdir, plandir, run_env, ready.stacks, manifest)


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


def entry_lines(deployment: ResolvedEnvironment, services_outputs: dict[str, object], note: str = "") -> list[str]:
    """Each entry's DNS name and a curl to its first route (``note``: what the target does not do with it)."""
    lines = []
    for entry in deployment.topology.entries:
        dns, curl = services_outputs.get(f"entry_{entry.name}_dns_name"), services_outputs.get(f"entry_{entry.name}_curl")
        if isinstance(dns, str) and isinstance(curl, str):
            lines.append(f"entry {entry.name}: {dns}")
            lines.append(f"  {curl}{note}")
    return lines


def without_entries(result: Outputs, deployment: ResolvedEnvironment) -> Outputs:
    """The outputs less each entry's DNS name and curl, which ``entry_lines`` prints: every output once."""
    shown_names = {f"entry_{e.name}_{what}" for e in deployment.topology.entries for what in ("dns_name", "curl")}
    return {stack: {k: v for k, v in values.items() if k not in shown_names} for stack, values in result.items()}
