"""Deploy, plan and destroy against the local AWS emulator (or AWS, for ``plan --target aws``).

    python -m tools.local deploy      # synth; cdktf deploy network services against the emulator; print outputs
    python -m tools.local plan        # saved plan + JSON per stack, and build/plan/review.md (exit 1 if blocking)
    python -m tools.local destroy     # cdktf destroy services network; forget the emulated account

Emulator runs work in ``build/emulator/`` as if it were the project root: the same
synthesized JSON in ``build/emulator/cdktf.out``, whose relative state paths then
land in ``build/emulator/state`` (never the project's ``state/``, which is for a
real account), and the emulated account in ``build/emulator/recording.jsonl``
(see tools/emulator.py). Terraform runs with
``-parallelism=1`` there, so the account can be replayed identically next time.

Offline: if build/terraform.rc installs providers from a local mirror, the cdktf
CLI is told ``--skip-provider-lock`` (``terraform providers lock`` would ask the
registry); with registry access it locks as usual.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from topology import Settings
from topology.env import with_env_overrides

from . import tf_mirror
from .emulator import KNOWN_GAPS, Emulator, EmulatorError, forget, pointed
from .plan_review import add_route_findings, markdown, review

ROOT = Path(__file__).resolve().parent.parent
CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"
EMULATOR_HOME = ROOT / "build" / "emulator"
STACKS = ("network", "services")


def base_env(outdir: Path, *, emulator: bool) -> dict[str, str]:
    env = dict(os.environ, CHECKPOINT_DISABLE="1", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", CDKTF_OUTDIR=str(outdir))
    if not Path(env.get("TF_CLI_CONFIG_FILE", "")).is_file():  # outside make: the config make would write
        config = ROOT / "build" / "terraform.rc"
        if not config.is_file():
            tf_mirror.main([str(config)])
        env["TF_CLI_CONFIG_FILE"] = str(config)
    if emulator:
        for name in ("INTERNAL_API_STATE_BUCKET", "INTERNAL_API_LOCAL_STATE_DIR"):
            env.pop(name, None)  # never point an emulator run at a real account's state
    return env


def _lock_flags(env: dict[str, str]) -> list[str]:
    config = Path(env["TF_CLI_CONFIG_FILE"])
    return ["--skip-provider-lock"] if config.is_file() and "filesystem_mirror" in config.read_text(encoding="utf-8") else []


def _run(args: list[str], env: dict[str, str], *, cwd: Path = ROOT, capture: Path | None = None) -> None:
    """Run with output streamed to the terminal (progress stays visible); raise on failure."""
    print(f"$ {' '.join(args)}", file=sys.stderr, flush=True)
    if capture is None:
        done = subprocess.run(args, env=env, cwd=cwd)
    else:
        with open(capture, "w", encoding="utf-8") as out:
            done = subprocess.run(args, env=env, cwd=cwd, stdout=out)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(args)}")


def _region(env: dict[str, str]) -> str:
    return with_env_overrides(Settings(), env).region


def deploy(outdir: Path, workdir: Path) -> dict[str, object]:
    env = base_env(outdir, emulator=True)
    outputs = workdir / "outputs.json"
    with Emulator(workdir, region=_region(env)) as aws:
        _run(
            [
                str(CDKTF),
                "deploy",
                *STACKS,
                "--auto-approve",
                "--terraform-parallelism",
                "1",
                "--output",
                str(outdir),
                "--outputs-file",
                str(outputs),
                *_lock_flags(env),
            ],
            pointed(env, aws),
        )
    result: dict[str, object] = json.loads(outputs.read_text(encoding="utf-8"))
    return result


def destroy(outdir: Path, workdir: Path) -> None:
    env = base_env(outdir, emulator=True)
    with Emulator(workdir, region=_region(env)) as aws:
        _run(
            [
                str(CDKTF),
                "destroy",
                "services",
                "network",
                "--auto-approve",
                "--terraform-parallelism",
                "1",
                "--output",
                str(outdir),
                *_lock_flags(env),
            ],
            pointed(env, aws),
        )
    forget(workdir)
    for stack in STACKS:
        (outdir.parent / "state" / f"{stack}.tfstate").unlink(missing_ok=True)


def plan_stacks(outdir: Path, plandir: Path, env: dict[str, str], stacks: tuple[str, ...] = STACKS) -> list[Path]:
    plandir.mkdir(parents=True, exist_ok=True)
    planned: list[Path] = []
    for stack in stacks:
        workdir = outdir / "stacks" / stack
        _run(["terraform", "init", "-input=false", "-no-color"], env, cwd=workdir, capture=plandir / f"{stack}.init.log")
        plan_file = plandir / f"{stack}.tfplan"
        done = subprocess.run(
            ["terraform", "plan", "-input=false", "-no-color", "-parallelism=1", f"-out={plan_file}"],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
        )
        (plandir / f"{stack}.plan.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            if stack == "services" and "network" in {p.stem for p in planned} and "Unable to find remote state" in done.stderr:
                print("services: not planned: it reads network's outputs, so network must be applied first", file=sys.stderr)
                continue
            raise SystemExit(f"terraform plan failed in {workdir}:\n{done.stderr[-3000:]}")
        shown = subprocess.run(
            ["terraform", "show", "-json", str(plan_file)], env=env, cwd=workdir, capture_output=True, text=True, check=True
        )
        target = plandir / f"{stack}.json"
        target.write_text(shown.stdout, encoding="utf-8")
        planned.append(target)
    return planned


def plan(outdir: Path, workdir: Path, plandir: Path, *, target: str) -> int:
    env = base_env(outdir, emulator=target == "emulator")
    _run([sys.executable, str(ROOT / "main.py")], env, cwd=outdir.parent)
    if target == "emulator":
        with Emulator(workdir, region=_region(env), record=False) as aws:
            planned = plan_stacks(outdir, plandir, pointed(env, aws))
    else:
        planned = plan_stacks(outdir, plandir, env)
    gaps = KNOWN_GAPS if target == "emulator" else frozenset()
    plans = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in planned}
    reviews = [review(stack, data, gaps=gaps) for stack, data in plans.items()]
    add_route_findings(reviews, plans)
    text = markdown(reviews)
    (plandir / "review.md").write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    print(f"\nreview written to {plandir / 'review.md'}", file=sys.stderr)
    return 1 if any(r.blocking for r in reviews) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["deploy", "plan", "destroy"])
    parser.add_argument("--target", choices=["emulator", "aws"], default="emulator", help="plan only: where to plan against")
    parser.add_argument("--home", type=Path, default=EMULATOR_HOME, help="emulator runs: cdktf.out/, state/, recording")
    parser.add_argument("--plandir", type=Path, default=ROOT / "build" / "plan")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    outdir = ROOT / "cdktf.out" if args.command == "plan" and args.target == "aws" else home / "cdktf.out"
    try:
        if args.command == "deploy":
            outputs = deploy(outdir, home)
            print(json.dumps(outputs, indent=2, sort_keys=True))
            return 0
        if args.command == "destroy":
            destroy(outdir, home)
            return 0
        return plan(outdir, home, args.plandir.resolve(), target=args.target)
    except EmulatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
