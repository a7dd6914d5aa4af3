"""``make bench``: whole-process synth timings and peak memory, with the stock baseline in the same run.

Scenarios, each a fresh process writing to a temporary outdir:
  (a) default  - ``python main.py`` (the article's two services, lazy provider import)
  (b) hundred  - a generated 100-service topology (chains and fan-outs), same app
  (c) stock    - (a) with ``STOCK_PROVIDER_IMPORT=1``: the provider imported the usual way

(a) and (c) synthesize the selected system (``SYSTEM=``/``ENV=``, the article by
default). Then, once per round: how long ``make diff`` takes to refuse when there
are no AWS credentials (``python -m aws.commands diff`` with every AWS variable unset
and an empty home, so no profile).

Runs are interleaved (a, b, c, a, b, c, ...) after one warm-up round, so a noisy
machine slows all three alike; the ratios a/c and b/a are what to read. Peak
memory is the largest sum of RSS over the process tree (Python + the jsii Node
process), sampled every 20 ms.

Then scale: whole-process synth of generated systems of 10, 100 and 1,000 services
(``--sizes``; each a fresh process, median of ``--scale-runs``), with validation alone
timed in this process, and the cost per service added beyond 10 services: what
"linear" means here is that this last column stays flat. Then the proof (load + verify)
of the generated systems of 100 and 1,000 services, and the ratio of the two. The scale
table is printed and written to ``docs/bench.md`` (``--out``), the page the docs quote.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from toolchain.node import node, use_project_node
from topology import Port, Service, Topology
from topology.errors import CommandLine, UserError, command

ROOT = Path(__file__).resolve().parent.parent


def hundred_services(count: int = 100) -> Topology:
    """Groups of ten: one gRPC hub called by a chain of four HTTP services and five leaf clients (``count`` // 10 groups)."""
    services: list[Service] = []
    for group in range(count // 10):
        hub = f"g{group}-hub"
        services.append(Service(name=hub, ports=(Port(name=hub, container_port=50051, protocol="grpc"),)))
        previous = hub
        for step in range(4):
            name = f"g{group}-chain{step}"
            services.append(Service(name=name, ports=(Port(name=name, container_port=8080),), calls=(previous,)))
            previous = name
        for leaf in range(5):
            services.append(Service(name=f"g{group}-leaf{leaf}", calls=(hub, previous)))
    return Topology(services=tuple(services))


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    python_mb: list[float] = field(default_factory=list)
    node_mb: list[float] = field(default_factory=list)


def _tree_rss(root: int) -> tuple[float, float]:
    """(python MB, other MB) summed over ``root`` and its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        rss[pid] = (stat.split("(", 1)[1].rsplit(")", 1)[0], kb / 1024)
    python = other = 0.0
    for pid, (name, mb) in rss.items():
        ancestor = pid
        while ancestor not in (0, 1, root):
            ancestor = parents.get(ancestor, 0)
        if ancestor == root:
            if name.startswith("python"):
                python += mb
            else:
                other += mb
    return python, other


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory() as outdir:
        start = time.perf_counter()
        errors = Path(outdir) / "stderr.txt"
        with open(errors, "wb") as sink:  # a file, not a pipe: 1,000 services print more warnings than a pipe holds
            process = subprocess.Popen(args, cwd=ROOT, env={**env, "CDKTF_OUTDIR": outdir}, stdout=subprocess.DEVNULL, stderr=sink)
            peak, peak_python, peak_node = 0.0, 0.0, 0.0
            while process.poll() is None:
                python, other = _tree_rss(process.pid)
                if python + other > peak:
                    peak, peak_python, peak_node = python + other, python, other
                time.sleep(0.02)
        elapsed = time.perf_counter() - start
        stderr = errors.read_text(encoding="utf-8", errors="replace")
        if process.returncode != 0:
            raise UserError(f"{' '.join(args)} failed:\n{stderr}")
        if not list((Path(outdir) / "stacks").glob("services*/cdk.tf.json")):
            raise UserError(f"{' '.join(args)} wrote no services stack")
    return elapsed, peak, peak_python, peak_node


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description="Synth benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synth-hundred", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--synth", type=int, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--tree", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="10,100,1000", help="service counts of the scale table (comma-separated)")
    parser.add_argument("--scale-runs", type=int, default=3)
    parser.add_argument(
        "--tree-sizes", default="10,100,1000", help="sizes also timed with the construct tree (stacks/tree.py), median of --scale-runs"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench.md", help="where the scale table is written")
    parser.add_argument("--scale-only", action="store_true", help="skip the default/hundred/stock scenarios")
    options = parser.parse_args(argv)
    if options.synth and options.tree:
        _synth_with_tree(options.synth)
        return 0
    if options.synth_hundred or options.synth:
        from main import run

        run(hundred_services(options.synth or 100))
        return 0
    if not options.scale_only:
        _scenarios(options.runs)
    trees = {int(size) for size in options.tree_sizes.split(",") if size}
    table = scale([int(size) for size in options.sizes.split(",")], options.scale_runs, trees)
    print(table, end="")
    options.out.write_text(table, encoding="utf-8")
    print(f"scale table written to {_shown(options.out)}", file=sys.stderr)
    return 0


def _synth_with_tree(count: int) -> None:
    """The generated system with every per-service resource in the construct tree (stacks/tree.py), as an Aspect
    or a ``materialize()`` call makes it: what the escape hatches cost."""
    from stacks.app import build_app
    from topology import Settings

    app = build_app(hundred_services(count), Settings(), outdir=os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    app.materialize()
    app.synth()


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s of the process tree) of one synth; stderr (warnings) kept in a file, shown on failure."""
    with tempfile.TemporaryDirectory() as outdir:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        with open(Path(outdir) / "stderr.txt", "wb") as sink:
            done = subprocess.run(args, cwd=ROOT, env={**env, "CDKTF_OUTDIR": outdir}, stdout=subprocess.DEVNULL, stderr=sink)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0 or not list((Path(outdir) / "stacks").glob("services*/cdk.tf.json")):
            raise UserError(f"{' '.join(args)} failed:\n{(Path(outdir) / 'stderr.txt').read_text(encoding='utf-8')[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def validation_seconds(count: int) -> float:
    """``validate`` (types, rules, the 60-rule quota) of a generated system, in this process."""
    from topology import Settings, validate

    topology = hundred_services(count)
    start = time.perf_counter()
    problems = validate(topology, Settings())
    elapsed = time.perf_counter() - start
    if problems:
        raise UserError(f"the generated {count}-service system is invalid: {problems[0]}")
    return elapsed


PROOF_SIZES = (100, 1000)
"""The proof's rows: its targets are 1,000 services in at most 3 s, and at most ten times the time of 100."""


def proof_seconds(count: int, runs: int, env: dict[str, str]) -> tuple[int, float, float, float]:
    """(findings, median wall s and CPU s of a whole ``python -m proof.verify`` process, median CPU s of load +
    verify with the declaration in this process) for a generated system's synth; the synth itself is not timed."""
    from proof.verify import load, verify
    from proof.verify.declaration import from_topology

    declared = from_topology(hundred_services(count))
    with tempfile.TemporaryDirectory() as outdir:
        args = [sys.executable, "-m", "benchmarks.bench", "--synth", str(count)]
        subprocess.run(
            args, cwd=ROOT, env={**env, "CDKTF_OUTDIR": outdir}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        whole, checks, findings = [], [], 0
        for _ in range(max(runs, 1)):
            before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run([sys.executable, "-m", "proof.verify", outdir], cwd=ROOT, env=env, capture_output=True, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            whole.append((time.perf_counter() - start, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)))
            cpu = time.process_time()
            findings = len(verify(load([Path(outdir)]), declared))
            checks.append(time.process_time() - cpu)
    return findings, statistics.median(w for w, _ in whole), statistics.median(c for _, c in whole), statistics.median(checks)


def proof_table(runs: int, env: dict[str, str]) -> list[str]:
    """The proof's rows at 100 and 1,000 services, with the ratio the linearity target reads."""
    rows = [(count, *proof_seconds(count, runs, env)) for count in PROOF_SIZES]
    for count, findings, wall, cpu, checks in rows:
        print(
            f"proof of {count} services: {wall:.2f} s, {cpu:.2f} CPU s ({checks:.2f} in the checks), {findings} finding(s)", file=sys.stderr
        )
    base_cpu = rows[0][3]
    lines = [
        "",
        "# The proof at scale",
        "",
        "The proof (`python -m proof.verify <synth output>`, a whole process: start, load, every check, report) of the",
        f"same generated systems, median of {max(runs, 1)} run(s); the synth is not timed. *Checks CPU s* is load + every",
        "check with the declaration, in one process (no start-up). Targets: 1,000 services in at most 3 s, and at most",
        "10 times the time of 100 (*x 100* reads the whole process's CPU time).",
        "",
        "| services | proof wall s | proof CPU s | checks CPU s | findings | x 100 |",
        "|---|---|---|---|---|---|",
    ]
    for count, findings, wall, cpu, checks in rows:
        lines.append(f"| {count:,} | {wall:.2f} | {cpu:.2f} | {checks:.2f} | {findings} | {cpu / base_cpu:.1f} |")
    return lines


def scale(sizes: list[int], runs: int, trees: set[int] | None = None) -> str:
    """The markdown table of whole-process synth time per system size; for ``trees``, also with the construct tree."""
    env = dict(os.environ)
    use_project_node(env)
    env.pop("STOCK_PROVIDER_IMPORT", None)
    rows = []
    for count in sizes:
        samples = [_timed([sys.executable, "-m", "benchmarks.bench", "--synth", str(count)], env) for _ in range(max(runs, 1))]
        wall, cpu = statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)
        tree_args = [sys.executable, "-m", "benchmarks.bench", "--synth", str(count), "--tree"]
        tree = statistics.median(_timed(tree_args, env)[1] for _ in range(max(runs, 1))) if count in (trees or set()) else None
        rows.append((count, wall, cpu, validation_seconds(count), tree))
        print(f"{count} services: {wall:.2f} s, {cpu:.2f} CPU s", file=sys.stderr)
    base_count, base_cpu = rows[0][0], rows[0][2]
    lines = [
        "# Synth at scale",
        "",
        "Written by `make bench` (benchmarks/bench.py): whole-process `python main.py`-equivalent synth of a generated",
        f"system (groups of ten: a gRPC hub, a chain of four, five leaf clients), median of {max(runs, 1)} fresh process(es);",
        "validation alone timed in-process. CPU s is user + system time of Python and its jsii Node process, which take",
        "turns (each call waits for the other), so on an idle machine the wall time is about the CPU time; on a busy one",
        "only the CPU time is comparable. *Per service* is the CPU time each service adds beyond the smallest size.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {_node_version()}.",
        "",
        "*With the tree*: the same synth with every per-service resource in the construct tree (an Aspect on a stack,",
        "or `materialize()`; stacks/tree.py, docs/notes/construct-tree.md), CPU s, same median; *tree x* is its ratio",
        "to the synth CPU s beside it (target: at most 3).",
        "",
        "| services | synth wall s | synth CPU s | validation s | per service CPU ms | with the tree CPU s | tree x |",
        "|---|---|---|---|---|---|---|",
    ]
    for count, wall, cpu, validation, tree in rows:
        per = "" if count == base_count else f"{1000 * (cpu - base_cpu) / (count - base_count):.1f}"
        with_tree, ratio = ("", "") if tree is None else (f"{tree:.2f}", f"{tree / cpu:.1f}")
        lines.append(f"| {count:,} | {wall:.2f} | {cpu:.2f} | {validation:.3f} | {per} | {with_tree} | {ratio} |")
    lines += proof_table(runs, env)
    return "\n".join(lines) + "\n"


def _scenarios(runs: int) -> None:
    env = dict(os.environ)
    use_project_node(env)
    env.pop("STOCK_PROVIDER_IMPORT", None)
    scenarios = {
        "a default": ([sys.executable, "main.py"], env),
        "b hundred": ([sys.executable, "-m", "benchmarks.bench", "--synth-hundred"], env),
        "c stock": ([sys.executable, "main.py"], {**env, "STOCK_PROVIDER_IMPORT": "1"}),
    }
    samples = {name: Sample() for name in scenarios}
    for round_index in range(runs + 1):
        for name, (args, scenario_env) in scenarios.items():
            seconds, peak, python, node = measure(args, scenario_env)
            if round_index == 0:
                continue  # warm-up: bytecode caches, page cache
            sample = samples[name]
            sample.seconds.append(seconds)
            sample.peak_mb.append(peak)
            sample.python_mb.append(python)
            sample.node_mb.append(node)
        print(f"round {round_index}/{runs} done{' (warm-up)' if round_index == 0 else ''}", file=sys.stderr)
    median = {name: statistics.median(s.seconds) for name, s in samples.items()}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {_node_version()}")
    print(f"{'scenario':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'peak MB':>8} {'python MB':>10} {'node MB':>8}")
    for name, s in samples.items():
        print(
            f"{name:<12} {median[name]:>9.2f} {min(s.seconds):>7.2f} {max(s.seconds):>7.2f} "
            f"{max(s.peak_mb):>8.0f} {max(s.python_mb):>10.0f} {max(s.node_mb):>8.0f}"
        )
    refusal = statistics.median(_no_credentials_refusal() for _ in range(runs))
    print(f"no-credentials refusal of `make diff`: {refusal:.2f} s (median of {runs})")
    a_over_c = median["a default"] / median["c stock"]
    b_over_a = median["b hundred"] / median["a default"]
    peak_a = max(samples["a default"].peak_mb)
    print(f"a/c = {a_over_c:.2f} (target <= 0.30)   b/a = {b_over_a:.2f} (target <= 1.5)   peak(a) = {peak_a:.0f} MB (target <= 600)")


def _no_credentials_refusal() -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with tempfile.TemporaryDirectory() as home:
        env["HOME"] = home
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "aws.commands", "diff"], env=env, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    if done.returncode != 2 or "no usable AWS credentials" not in done.stderr:
        raise UserError(f"aws.commands diff without credentials did not refuse: {done.returncode} {done.stderr[-500:]}")
    return elapsed


def _node_version() -> str:
    try:
        return "Node " + subprocess.run([node(), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "Node ?"


if __name__ == "__main__":
    raise SystemExit(command(main))
