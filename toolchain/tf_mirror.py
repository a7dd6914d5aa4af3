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

import argparse
import os
import sys
from pathlib import Path

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
            raise SystemExit(f"TF_PROVIDER_MIRROR={explicit}: no hashicorp/aws {version} under it")
        return mirror
    for mirror in find_mirrors():
        if holds_provider(mirror, version):
            return mirror
    return None


def cli_config(mirror: Path | None, cache_dir: Path) -> str:
    lines = [f'plugin_cache_dir = "{cache_dir}"', ""]
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
