"""Import only the AWS provider submodules the app uses, in Python and in the jsii Node process.

``cdktf_cdktf_provider_aws/__init__.py`` imports all of its ~2,100 submodules
(about 10 s on our machines) although an app uses a dozen. This module installs
an import hook that creates the package module *without* running that
``__init__`` and resolves submodules on first use (PEP 562 ``__getattr__``), so
``from cdktf_cdktf_provider_aws.ecs_service import EcsService`` and
``cdktf_cdktf_provider_aws.ecs_service`` keep working and load one file each.

The jsii runtime's Node process has the same problem on its side (the
provider's ``lib/index.js`` requires every resource module, ~1.9 s and ~400 MB);
``lazy_provider.js``, preloaded into that process through ``NODE_OPTIONS``, turns
those requires into getters in the same way.

Nothing installed is edited. The hook checks, once per process, that the real
``__init__`` still has the shape it skips (imports, ``check_type``, ``__all__``
and one ``from . import <sub>`` per submodule, nothing else); if a future
release defines anything more there, the import fails with ``ProviderLayoutError``
rather than silently producing different objects. Set
``STOCK_PROVIDER_IMPORT=1`` to import the package the usual way (the benchmark
baseline and the byte-identical-output test use it).
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "cdktf_cdktf_provider_aws"
OPT_OUT = "STOCK_PROVIDER_IMPORT"

# Statements the real __init__ may contain besides "from . import <submodule>".
_ALLOWED_NAMES = {"__path__", "TYPEGUARD_MAJOR_VERSION", "__all__", "check_type"}
_ALLOWED_MODULES = {
    "pkgutil",
    "importlib.metadata",
    "abc",
    "builtins",
    "datetime",
    "enum",
    "typing",
    "jsii",
    "publication",
    "typing_extensions",
    "typeguard",
}


class ProviderLayoutError(ImportError):
    """The installed provider package no longer looks like the one this hook was written for."""


def submodules_of(init_file: Path) -> list[str]:
    """The submodule names the real ``__init__`` would import, after checking it defines nothing else."""
    tree = ast.parse(init_file.read_text(encoding="utf-8"))
    imported: list[str] = []
    declared: list[str] | None = None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
            imported.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module == "_jsii":
            continue  # loads the jsii assembly; every submodule does the same itself
        elif isinstance(node, ast.Assign) and _assigned(node) == {"__all__"}:
            declared = list(ast.literal_eval(node.value))
        elif _harmless(node):
            continue
        else:
            raise ProviderLayoutError(
                f"{init_file}: line {node.lineno} ({ast.unparse(node)[:80]!r}) is new to the provider's __init__; "
                f"stacks/fast_import.py cannot skip it safely. Update the hook or set {OPT_OUT}=1."
            )
    if declared is None or sorted(declared) != sorted(imported):
        raise ProviderLayoutError(f"{init_file}: __all__ no longer lists exactly the imported submodules; update stacks/fast_import.py")
    missing = [name for name in imported if not (init_file.parent / name / "__init__.py").is_file()]
    if missing:
        raise ProviderLayoutError(f"{init_file}: submodules {missing[:5]} have no package directory; update stacks/fast_import.py")
    return imported


def _assigned(node: ast.Assign) -> set[str]:
    return {target.id for target in node.targets if isinstance(target, ast.Name)}


def _harmless(node: ast.stmt) -> bool:
    if isinstance(node, ast.Expr):  # the docstring and publication.publish()
        return isinstance(node.value, ast.Constant) or ast.unparse(node) == "publication.publish()"
    if isinstance(node, ast.Import):
        return all(alias.name in _ALLOWED_MODULES for alias in node.names)
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        return node.module in _ALLOWED_MODULES
    if isinstance(node, ast.Assign):
        return _assigned(node) <= _ALLOWED_NAMES
    if isinstance(node, ast.FunctionDef):
        return node.name in _ALLOWED_NAMES
    return False


class _LazyPackageLoader(importlib.abc.Loader):
    def __init__(self, init_file: Path) -> None:
        self._init_file = init_file

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        names = submodules_of(self._init_file)
        module.__all__ = names  # type: ignore[attr-defined]
        known = frozenset(names)

        def __getattr__(name: str) -> Any:
            if name in known:
                return importlib.import_module(f"{PACKAGE}.{name}")
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")

        setattr(module, "__getattr__", __getattr__)  # noqa: B010 - PEP 562 hook on a module object


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != PACKAGE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname)
        if spec is None or spec.origin is None or spec.submodule_search_locations is None:
            raise ProviderLayoutError(f"{PACKAGE} is not installed as a regular package; update stacks/fast_import.py")
        spec.loader = _LazyPackageLoader(Path(spec.origin))
        return spec


NODE_PRELOAD = Path(__file__).with_name("lazy_provider.js")


def _node_options_with_preload(current: str) -> str:
    """NODE_OPTIONS plus ``--require <lazy_provider.js>``, quoted as Node parses it."""
    flag = f'--require "{NODE_PRELOAD}"'
    return current if flag in current else f"{current} {flag}".strip()


def install() -> bool:
    """Install both hooks unless opted out or the package is already imported; True when active.

    The Python hook acts in this process; the Node hook is passed to the jsii
    runtime process through ``NODE_OPTIONS``, so it must be set before jsii
    starts that process (the first import of ``cdktf`` or ``constructs``).
    """
    if os.environ.get(OPT_OUT) == "1" or PACKAGE in sys.modules:
        return False
    if "constructs._jsii" in sys.modules and NODE_PRELOAD.as_posix() not in os.environ.get("NODE_OPTIONS", ""):
        raise RuntimeError("stacks.fast_import.install() must run before cdktf/constructs start the jsii runtime")
    os.environ["NODE_OPTIONS"] = _node_options_with_preload(os.environ.get("NODE_OPTIONS", ""))
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    return True
