"""``main.py`` as users run it: whole processes, their exit codes, their output directories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from topology.errors import USER_ERROR

from .tfjson import Synth

BAD = """
from main import run
from topology import Port, Service, Topology
run(Topology(services=(
    Service(name="api", ports=(Port(name="API", container_port=80),)),
    Service(name="web", calls=("api", "db")),
)))
"""


def run_python(args: list[str], cwd: Path, project_root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run Python as a user would outside make: no CDKTF_OUTDIR, no jsii switches, the machine's own PATH.

    So the project must find its pinned Node by itself: with the machine's end-of-life Node, jsii
    prints a banner on stderr, which the tests below would see.
    """
    environ = {**os.environ, "PYTHONPATH": str(project_root), **env}
    for name in ("CDKTF_OUTDIR", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "JSII_NODE"):
        environ.pop(name, None)
    own_bin = str(project_root / "node_modules" / ".bin")
    environ["PATH"] = os.pathsep.join(part for part in environ.get("PATH", "").split(os.pathsep) if part != own_bin)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=300)


def test_bad_declaration_is_one_line_per_problem_and_writes_nothing(tmp_path: Path, project_root: Path) -> None:
    done = run_python(["-c", BAD], tmp_path, project_root)
    assert done.returncode == USER_ERROR
    assert done.stderr.splitlines() == [
        "error: service 'api': ports[0].name: 'API' must be 1-64 characters of lowercase letters, digits, '-' or '_', not starting with '-'",
        "error: service 'web': calls[1]: 'db' is not a declared service (declared: api, web)",
    ]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cdktf.out").exists()
    assert "cdktf" not in done.stdout


def _stack_bytes(outdir: Path) -> dict[str, bytes]:
    return {p.relative_to(outdir).as_posix(): p.read_bytes() for p in sorted(outdir.rglob("*.json"))}


def test_output_is_identical_across_processes_directories_and_import_modes(
    tmp_path: Path, project_root: Path, article_synth: Synth
) -> None:
    """The lazy provider import changes nothing in the output, and neither do the working directory or process."""
    fast, stock = tmp_path / "fast", tmp_path / "elsewhere" / "stock"
    fast.mkdir()
    stock.mkdir(parents=True)
    main = str(project_root / "main.py")
    done_fast = run_python([main], fast, project_root)
    done_stock = run_python([main], stock, project_root, STOCK_PROVIDER_IMPORT="1")
    assert done_fast.returncode == 0, done_fast.stderr
    assert done_stock.returncode == 0, done_stock.stderr
    # A normal run of the article prints nothing on stderr (no Node end-of-life banner, no warning for the seed's size).
    assert done_fast.stderr.splitlines() == []
    expected = _stack_bytes(article_synth.outdir)
    assert set(expected) == {"manifest.json", "stacks/network/cdk.tf.json", "stacks/services/cdk.tf.json"}
    assert _stack_bytes(fast / "cdktf.out") == expected
    assert _stack_bytes(stock / "cdktf.out") == expected


def test_env_writes_only_that_environments_stacks(tmp_path: Path, project_root: Path) -> None:
    """Issue 20: ``make synth ENV=dev`` wrote every environment; checkov then scanned them all."""
    from .systems import write_shop

    write_shop(tmp_path / "src")
    environ = {"PYTHONPATH": f"{project_root}{os.pathsep}{tmp_path / 'src'}", "INTERNAL_API_SYSTEM": "acme.shop"}
    done = run_python([str(project_root / "main.py")], tmp_path, project_root, **environ, INTERNAL_API_ENV="dev")
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(path.name for path in (tmp_path / "cdktf.out" / "stacks").iterdir()) == ["network-dev", "services-dev"]


NESTED_OUTDIR = """
from examples import article
from main import run
run(article.TOPOLOGY, outdir="deep/er/cdktf.out")
"""


def test_an_output_directory_whose_parents_do_not_exist_is_made(tmp_path: Path, project_root: Path) -> None:
    """cdktf's App makes only the last level of its outdir: this was a Node ENOENT traceback."""
    done = run_python(["-c", NESTED_OUTDIR], tmp_path, project_root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert (tmp_path / "deep" / "er" / "cdktf.out" / "stacks" / "services" / "cdk.tf.json").is_file()


def test_make_synth_validates_before_it_clears_the_last_good_output(tmp_path: Path, project_root: Path) -> None:
    """Issue 35: ``make synth`` ran ``rm -rf cdktf.out`` first, so a typo lost the last good output."""
    (tmp_path / "bad_system.py").write_text(
        "from topology import Port, Service, Topology\nTOPOLOGY = Topology(services=(Service(name='api', ports=(Port(name='API', container_port=80),)),))\n",
        encoding="utf-8",
    )
    good = tmp_path / "cdktf.out" / "manifest.json"
    good.parent.mkdir()
    good.write_text("{}", encoding="utf-8")
    done = subprocess.run(
        ["make", "-s", "-C", str(project_root), "synth", "SYSTEM=bad_system", f"OUTDIR={tmp_path / 'cdktf.out'}"],
        env={**os.environ, "PYTHONPATH": f"{project_root}{os.pathsep}{tmp_path}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "ports[0].name: 'API'" in done.stderr
    assert good.read_text(encoding="utf-8") == "{}"
