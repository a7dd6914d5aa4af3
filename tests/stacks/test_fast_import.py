"""The provider import hook: it loads only what is used, and refuses a package layout it does not know."""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks import fast_import


def _real_init() -> Path:
    spec = importlib.machinery.PathFinder.find_spec(fast_import.PACKAGE)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin)


ARTICLE_SYNTH = """
import json, sys, tempfile
from examples import article
from stacks.app import build_app
from topology import Settings
build_app(article.TOPOLOGY, Settings(), outdir=tempfile.mkdtemp()).synth()
print(json.dumps(sorted(n for n in sys.modules if n.startswith("cdktf_cdktf_provider_aws.") and n.count(".") == 1)))
"""


def test_a_default_synth_loads_a_handful_of_submodules(project_root: Path) -> None:
    # In a process of its own: this session also synthesizes other modes (existing network, adoption) that load more.
    done = subprocess.run([sys.executable, "-c", ARTICLE_SYNTH], cwd=project_root, capture_output=True, text=True, timeout=300, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "cdktf_cdktf_provider_aws.ecs_cluster" in loaded  # the network stack; services are plain JSON (stacks/raw.py)
    assert "cdktf_cdktf_provider_aws.wafv2_web_acl" not in loaded
    assert not [name for name in loaded if name.startswith("cdktf_cdktf_provider_aws.data_aws_ecs")]  # existing-mode only
    assert len(loaded) < 40, loaded


def test_attribute_access_still_reaches_every_submodule() -> None:
    # Through importlib, not an import statement: mypy would otherwise analyse all ~2,100 submodules (~1 min).
    aws = importlib.import_module(fast_import.PACKAGE)
    assert aws.vpc.Vpc.__name__ == "Vpc"
    assert "xray_group" in aws.__all__
    with pytest.raises(AttributeError):
        aws.no_such_resource  # noqa: B018


def test_layout_check_accepts_the_installed_release() -> None:
    names = fast_import.submodules_of(_real_init())
    assert len(names) > 2000 and "ecs_service" in names


def test_layout_check_rejects_new_code_in_the_init(tmp_path: Path) -> None:
    pkg = tmp_path / fast_import.PACKAGE
    pkg.mkdir()
    (pkg / "__init__.py").write_text(_real_init().read_text(encoding="utf-8") + "\nclass NewTopLevelThing:\n    pass\n", encoding="utf-8")
    with pytest.raises(fast_import.ProviderLayoutError, match="NewTopLevelThing"):
        fast_import.submodules_of(pkg / "__init__.py")


def test_layout_check_rejects_a_missing_submodule(tmp_path: Path) -> None:
    pkg = tmp_path / fast_import.PACKAGE
    pkg.mkdir()
    (pkg / "__init__.py").write_text('__all__ = ["gone"]\nfrom . import gone\n', encoding="utf-8")
    with pytest.raises(fast_import.ProviderLayoutError, match="no package directory"):
        fast_import.submodules_of(pkg / "__init__.py")


def _fake_provider(root: Path, extra_line: str = "") -> Path:
    lib = root / "node_modules" / "@cdktf" / "provider-aws" / "lib"
    lib.mkdir(parents=True)
    names = [f"res{i}" for i in range(1200)]
    lines = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });', "exports.res0 = exports.res1 = void 0;"]
    lines += [f'exports.{name} = require("./{name}");' for name in names]
    if extra_line:
        lines.append(extra_line)
    (lib / "index.js").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in names:
        (lib / f"{name}.js").write_text(f'globalThis.loaded = (globalThis.loaded || 0) + 1; exports.name = "{name}";\n', encoding="utf-8")
    return lib / "index.js"


def _node(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NODE_OPTIONS=f'--require "{fast_import.NODE_PRELOAD}"')
    return subprocess.run(["node", "-e", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_node_hook_requires_submodules_on_first_access(tmp_path: Path) -> None:
    index = _fake_provider(tmp_path)
    done = _node(
        f"const p = require({str(index)!r}); const before = globalThis.loaded || 0; console.log(before, p.res7.name, globalThis.loaded)",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "res7", "1"]


def test_node_hook_rejects_an_unknown_line(tmp_path: Path) -> None:
    index = _fake_provider(tmp_path, extra_line="exports.helper = function () {};")
    done = _node(f"require({str(index)!r})", tmp_path)
    assert done.returncode != 0
    assert "is a line this hook does not know" in done.stderr and "exports.helper" in done.stderr
