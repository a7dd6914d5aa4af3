"""Shared fixtures: one synth per example per test session, written to a temporary outdir; one emulator
deployment per system and environment per session (``deployed``, see tests/deployments.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import examples
from emulator.server import EMULATOR_PYTHON
from emulator.variables import FORK_SERVER
from examples import article
from topology import Settings, Topology

from .deployments import Deploy, Deployments, ForkServer, one_worker_at_a_time
from .tfjson import Synth

# Tests name their systems themselves: `make test SYSTEM=...` must not change what they check.
for _name in ("INTERNAL_API_SYSTEM", "INTERNAL_API_ENV", "CDKTF_OUTDIR"):
    os.environ.pop(_name, None)

EXAMPLES: dict[str, Topology] = {name: examples.load(name) for name in examples.NAMES}
FORK_SERVER_KEY = pytest.StashKey["ForkServer"]()

Synthesizer = Callable[[Topology, Settings], Synth]


def pytest_configure(config: pytest.Config) -> None:
    """One emulator fork server for the whole run (emulator/forkserver.py), started before xdist's workers so that
    they, and the ``emulator.local`` commands they run, inherit its socket: each emulator is then forked from a
    process that imported moto once, instead of importing it again (1.4 CPU s, about thirty times a run)."""
    if hasattr(config, "workerinput") or "not slow" in (config.getoption("markexpr") or ""):
        return  # a worker: the controller started it; ``make test-fast``: no emulator runs
    if not EMULATOR_PYTHON.is_file():
        return  # no emulator installed: the fast tests still run, and each emulator test fails saying what is missing
    config.stash[FORK_SERVER_KEY] = ForkServer.start()
    os.environ[FORK_SERVER] = str(config.stash[FORK_SERVER_KEY].socket)


def pytest_unconfigure(config: pytest.Config) -> None:
    if FORK_SERVER_KEY in config.stash:
        config.stash[FORK_SERVER_KEY].stop()
        os.environ.pop(FORK_SERVER, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` and ``deploys``, and queue the files that deploy first.

    ``slow`` (left out by ``make test-fast``) and ``deploys``: every test under tests/emulator/ and
    every user of ``deployed``; other tests that need terraform, make or checkov carry ``pytestmark =
    pytest.mark.slow`` in their file (and ``deploys`` when they deploy to the emulator). ``make test`` runs ``pytest -n N --dist loadscope``: each
    file goes whole to one worker, so its module-scoped fixtures (an emulator account, a checkov
    run) are built once, and the files that deploy are queued first so that the long ones do not start last.
    """
    for item in items:
        if "emulator" in item.path.parts[-2:-1] or "deployed" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.deploys)
    items.sort(key=_queue_position)  # stable: each file stays in order


ONE_UNIT_PER_CASE = frozenset({"tests/writers/test_hcl_e2e.py"})
"""Files whose cases share no module-scoped fixture and each take minutes: each case may go to its own worker."""


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``--dist loadscope`` as ``make test`` wants it: a file is one unit, in the queue order set above.

    xdist's own loadscope puts the files with the most tests first, which starts the few long
    deploying tests last; and it keeps a parametrized file together, which for the HCL
    equivalence (two deploys, minutes each) serializes what could run side by side.
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class FilesInQueueOrder(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in ONE_UNIT_PER_CASE else path

    config.option.loadscopereorder = False
    return FilesInQueueOrder(config, log)


LONGEST_FIRST = (
    "tests/test_your_system.py",
    "tests/emulator/test_ci_e2e.py",
    "tests/writers/test_hcl_e2e.py",
    "tests/emulator/test_production_e2e.py",
    "tests/emulator/test_ledger_e2e.py",
    "tests/emulator/test_existing_vpc_e2e.py",
    "tests/emulator/test_local_e2e.py",
    "tests/aws/test_cli_e2e.py",
    "tests/emulator/test_adopt_e2e.py",
    "tests/emulator/test_live_e2e.py",
    "tests/emulator/test_frontdoor_day_two_e2e.py",
)
"""The deploying files that take longest (2 to 6 minutes each under ``make test``, docs/speed.md), in
that order: started first, so the run does not end with one of them alone on a worker. A file that
only reads a shared deployment (the CLI's diff) would otherwise hold a worker while the longest waits.
test_your_system deploys two environments and destroys them, one after the other (about 6 minutes on
one worker), and the CI chain plans, applies and plans again after the production deployment: the
two longest chains of the run start first."""


def _queue_position(item: pytest.Item) -> tuple[int, int]:
    """The longest deploying files first, then the other deploying files, the other slow ones, the rest."""
    path = item.path.relative_to(Path(__file__).resolve().parent.parent).as_posix()
    if path in LONGEST_FIRST:
        return (0, LONGEST_FIRST.index(path))
    if item.get_closest_marker("deploys") is not None:
        return (1, 0)
    return (2, 0) if item.get_closest_marker("slow") is not None else (3, 0)


@pytest.fixture(scope="session")
def synthesize(tmp_path_factory: pytest.TempPathFactory) -> Synthesizer:
    """Synthesize a topology in this process (the jsii runtime starts once per session); cached by input."""
    from stacks.app import build_app

    cache: dict[tuple[Topology, Settings], Synth] = {}

    def run(topology: Topology, settings: Settings) -> Synth:
        key = (topology, settings)
        if key not in cache:
            outdir = tmp_path_factory.mktemp("cdktf.out")
            build_app(topology, settings, outdir=str(outdir)).synth()
            cache[key] = Synth(outdir)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def article_synth(synthesize: Synthesizer) -> Synth:
    return synthesize(article.TOPOLOGY, Settings())


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's ``acme.shop`` written into a package outside the project (tests/systems.py): put it on PYTHONPATH."""
    from .systems import write_shop

    return write_shop(tmp_path_factory.mktemp("team"))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for one test file's ``make`` output (``tests.systems.make`` points OUTDIR and the rest into it)."""
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary root, the same folder for every xdist worker: what is made once per run lives here."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # each worker's basetemp is <run's basetemp>/popen-gwN: share the run's
    return base


@pytest.fixture(scope="session")
def deployed(run_root: Path) -> Deploy:
    """``deployed("examples.article")`` (or ``deployed(system, env)``): deployed once per session, shared; never change it.

    Tests that apply, import or destroy work on ``.copy(tmp_path / "x")``. See tests/deployments.py.
    """
    root = run_root / "deployed"
    root.mkdir(exist_ok=True)
    return Deployments(root).get


@pytest.fixture(scope="session")
def aws_provider_schema(run_root: Path) -> dict[str, Any]:
    """``terraform providers schema -json`` of the pinned AWS provider, read once per run (4 CPU s each time).

    What ``proof/verify/typegen.provider_schema`` returns; the first worker to ask writes it under a file
    lock and every other reads that file. Fails, as the function does, without terraform or the mirror.
    """
    from proof.verify.typegen import provider_schema

    path = run_root / "aws-provider-schema.json"
    with one_worker_at_a_time(run_root / "aws-provider-schema.lock"):
        if not path.exists():
            partial = path.with_suffix(".partial")
            partial.write_text(json.dumps(provider_schema()), encoding="utf-8")
            partial.replace(path)
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
