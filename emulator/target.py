"""The local emulator as a target of the stack runner (``runner.target``): moto started per command, its stand-ins.

Emulator runs work in the emulator home (``build/emulator/``) as if it were the project root: the JSON in
``<home>/cdktf.out`` (synthesized with local state and no account pin), state in ``<home>/state`` (never
the project's ``state/``), and the emulated account in ``<home>/recording.jsonl`` (emulator/server.py),
shared by every system and environment deployed there, so two environments run side by side.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.run import shown
from runner.target import Target
from toolchain.paths import command_env
from toolchain.stackrun import say
from topology.env import for_emulator
from topology.model import LOCAL_STATE_DIR
from topology.resolved import ResolvedEnvironment
from topology.selection import Selection

from . import standins
from .server import KNOWN_GAPS, Emulator, forget, pointed


def certificates(deployment: ResolvedEnvironment) -> tuple[str, ...]:
    """The ACM certificates the deployment's listeners name: the emulator stands one in for each (AWS needs the real one)."""
    arns = [listener.certificate_arn for entry in deployment.topology.entries for listener in entry.listeners if listener.certificate_arn]
    return tuple(sorted(set(arns)))


def base_env(outdir: Path, *, selection: Selection | None = None) -> dict[str, str]:
    """The environment of an emulator run that synthesizes into ``outdir``: flagged for the emulator, no real state."""
    env = command_env({**os.environ, "CDKTF_OUTDIR": str(outdir)})
    if selection is not None:
        env.update(selection.environ())
    return for_emulator(env)


class EmulatorTarget(Target):
    """moto, started for each command from the home's recording, with stand-ins for what the system names outside it."""

    name = "emulator"
    gaps = KNOWN_GAPS
    share_provider = True
    entry_note = "    # on AWS; the emulator creates the load balancer but does not answer on it"

    def __init__(self, home: Path) -> None:
        super().__init__(home / "cdktf.out", home)
        self.home = home

    def environment(self, selection: Selection) -> dict[str, str]:
        return base_env(self.outdir, selection=selection)

    @contextmanager
    def session(self, deployment: ResolvedEnvironment, env: dict[str, str], *, record: bool) -> Iterator[dict[str, str]]:
        with Emulator(self.home, region=deployment.settings.region, record=record, certificates=certificates(deployment)) as aws:
            say(f"emulator: moto listening on {aws['AWS_ENDPOINT_URL']} (account kept in {shown(self.home / 'recording.jsonl')})")
            try:
                yield pointed(env, aws)
            finally:
                say("emulator: stopped")

    def before_deploy(self, deployment: ResolvedEnvironment, env: dict[str, str]) -> None:
        for arn in certificates(deployment):
            say(
                f"emulator: stand-in certificate under {arn} (a self-signed one made by the emulator; on AWS the ACM certificate must exist)"
            )
        for line in standins.create(standins.stand_ins(deployment), env["AWS_ENDPOINT_URL"], self._stand_in_record(deployment)):
            say(line)

    def after_deploy(self, deployment: ResolvedEnvironment, result: dict[str, dict[str, object]]) -> None:
        """``outputs.json`` holds every stack deployed in this emulator home (environments side by side)."""
        path = self.home / "outputs.json"
        known: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        known.update(result)
        path.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def nothing_to_destroy(self, deployment: ResolvedEnvironment, stacks: tuple[str, ...]) -> str | None:
        state_dir = self.home / LOCAL_STATE_DIR
        if any((state_dir / f"{stack}.tfstate").exists() for stack in stacks):
            return None
        return f"nothing to destroy: no state for {', '.join(stacks)} in {shown(state_dir)}"

    def after_destroy(self, deployment: ResolvedEnvironment, env: dict[str, str]) -> None:
        for line in standins.remove(env["AWS_ENDPOINT_URL"], self._stand_in_record(deployment)):
            say(line)

    def destroyed(self, deployment: ResolvedEnvironment, stacks: tuple[str, ...]) -> None:
        """The destroyed stacks' state files and outputs dropped; the account forgotten once nothing is deployed."""
        state_dir = self.home / LOCAL_STATE_DIR
        for stack in stacks:
            for leftover in (state_dir / f"{stack}.tfstate", state_dir / f"{stack}.tfstate.backup"):
                leftover.unlink(missing_ok=True)
        path = self.home / "outputs.json"
        if path.exists():
            known = json.loads(path.read_text(encoding="utf-8"))
            kept = {k: v for k, v in known.items() if k not in stacks}
            path.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if not any(state_dir.glob("*.tfstate")):
            forget(self.home)
            say("emulator: nothing deployed any more; the emulated account was forgotten")

    def _stand_in_record(self, deployment: ResolvedEnvironment) -> Path:
        """Which stand-ins a deployment of this emulator home created, so that its destroy removes exactly those."""
        return self.home / f"stand-ins{deployment.suffix}.json"
