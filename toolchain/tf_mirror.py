"""Write a Terraform CLI config that installs the AWS provider from a local mirror, if this machine has one.

Our machines cannot reach the Terraform registry; they hold hashicorp/aws in a
filesystem mirror somewhere near the root (a ``registry.terraform.io``
directory). This finds it (or takes ``TF_PROVIDER_MIRROR``), and writes a CLI
config with ``provider_installation { filesystem_mirror {...} direct {...} }``
and a shared plugin cache, for the project's commands to use through
``TF_CLI_CONFIG_FILE``. On a machine without a mirror the config has only the
plugin cache, so ``terraform init`` downloads from the registry as usual.

    python -m toolchain.tf_mirror build/terraform.rc
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from topology.errors import CommandLine, UserError, command

PROVIDER = ("hashicorp", "aws")
SKIP = {"/proc", "/sys", "/dev", "/run"}


def find_mirrors(root: Path = Path("/"), max_depth: int = 4) -> list[Path]:
    """Directories that contain ``registry.terraform.io/`` within ``max_depth`` levels, like ``find -maxdepth``."""
    found: list[Path] = []
    root_dev = root.stat().st_dev
    for current, dirs, _ in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        keep = []
        for name in sorted(dirs):
            path = Path(current) / name
            if str(path) in SKIP or path.is_symlink():
                continue
            try:
                if path.stat().st_dev != root_dev:  # like find -xdev
                    continue
            except OSError:
                continue
            if name == "registry.terraform.io":
                found.append(Path(current))
            elif depth + 1 < max_depth:
                keep.append(name)
        dirs[:] = keep
    return found


def holds_provider(mirror: Path, version: str) -> bool:
    return (mirror / "registry.terraform.io" / PROVIDER[0] / PROVIDER[1] / version).is_dir()


def choose_mirror(version: str, environ: dict[str, str]) -> Path | None:
    explicit = environ.get("TF_PROVIDER_MIRROR")
    if explicit:
        mirror = Path(explicit)
        if mirror.name == "registry.terraform.io":
            mirror = mirror.parent
        if not holds_provider(mirror, version):
            raise UserError(f"TF_PROVIDER_MIRROR={explicit}: no hashicorp/aws {version} under it")
        return mirror
    for mirror in find_mirrors():
        if holds_provider(mirror, version):
            return mirror
    return None


def cli_config(mirror: Path | None, cache_dir: Path) -> str:
    """The Terraform CLI config: the plugin cache, and the local mirror when there is one.

    A directory without a lock file (every freshly synthesized stack) would otherwise make
    Terraform install the provider into the cache again at each ``init``, and Terraform's
    cache is unsafe for concurrent writers: parallel inits (the test workers, two commands
    at once) failed with "mkdir ...: file exists". With the cache trusted for unlocked
    directories, ``init`` only links from it, and ``warm_cache`` fills it once, first.
    """
    lines = [f'plugin_cache_dir = "{cache_dir}"', "plugin_cache_may_break_dependency_lock_file = true", ""]
    if mirror is not None:
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            '    include = ["registry.terraform.io/hashicorp/*"]',
            "  }",
            "  direct {",
            '    exclude = ["registry.terraform.io/hashicorp/*"]',
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="CLI config file to write (in an ignored build folder)")
    parser.add_argument("--version", default="5.100.0", help="hashicorp/aws version the mirror must hold")
    args = parser.parse_args(argv)
    mirror = choose_mirror(args.version, dict(os.environ))
    cache = (args.output.parent / "plugin-cache").resolve()
    cache.mkdir(parents=True, exist_ok=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(cli_config(mirror, cache), encoding="utf-8")
    where = f"mirror {mirror}" if mirror else "no local mirror: providers come from the registry"
    print(f"wrote {args.output} ({where})", file=sys.stderr)
    problem = warm_cache(args.output, args.version)
    if problem:
        print(f"warning: the plugin cache {cache} was not filled ({problem}); the first terraform init will fill it", file=sys.stderr)
    return 0


def warm_cache(config: Path, version: str) -> str | None:
    """Install hashicorp/aws ``version`` into the plugin cache once, now; the reason if that failed, else ``None``.

    Terraform's plugin cache is not safe for concurrent writers: two ``terraform init`` that
    both find it empty race to create the provider's directory, and one fails ("file exists").
    The test suite runs inits in parallel workers, and a person may run two commands at once, so
    the cache is filled here, by the one step (``make setup``) that runs before any of them.
    """
    if shutil.which("terraform") is None:
        return "terraform is not on PATH"
    requirement = {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": version}}}}
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(config.resolve()), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    with tempfile.TemporaryDirectory() as workdir:
        (Path(workdir) / "main.tf.json").write_text(json.dumps(requirement), encoding="utf-8")
        done = subprocess.run(
            ["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=workdir, env=env, capture_output=True, text=True
        )
    if done.returncode != 0:
        return " ".join(done.stderr.split())[-300:] or f"terraform init exited {done.returncode}"
    return None


if __name__ == "__main__":
    raise SystemExit(command(main))
