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
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from toolchain.node import node, use_project_node
from topology import Port, Service, Topology

ROOT = Path(__file__).resolve().parent.parent


def hundred_services(count: int = 100) -> Topology:
    """Groups of ten: one gRPC hub called by a chain of four HTTP services and five leaf clients."""
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
        process = subprocess.Popen(args, cwd=ROOT, env={**env, "CDKTF_OUTDIR": outdir}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        peak, peak_python, peak_node = 0.0, 0.0, 0.0
        while process.poll() is None:
            python, other = _tree_rss(process.pid)
            if python + other > peak:
                peak, peak_python, peak_node = python + other, python, other
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        stderr = process.stderr.read().decode() if process.stderr else ""
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{stderr}")
        if not list((Path(outdir) / "stacks").glob("services*/cdk.tf.json")):
            raise SystemExit(f"{' '.join(args)} wrote no services stack")
    return elapsed, peak, peak_python, peak_node


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Synth benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synth-hundred", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.synth_hundred:
        from main import run

        run(hundred_services())
        return 0
    env = dict(os.environ)
    use_project_node(env)
    env.pop("STOCK_PROVIDER_IMPORT", None)
    scenarios = {
        "a default": ([sys.executable, "main.py"], env),
        "b hundred": ([sys.executable, "-m", "benchmarks.bench", "--synth-hundred"], env),
        "c stock": ([sys.executable, "main.py"], {**env, "STOCK_PROVIDER_IMPORT": "1"}),
    }
    samples = {name: Sample() for name in scenarios}
    for round_index in range(options.runs + 1):
        for name, (args, scenario_env) in scenarios.items():
            seconds, peak, python, node = measure(args, scenario_env)
            if round_index == 0:
                continue  # warm-up: bytecode caches, page cache
            sample = samples[name]
            sample.seconds.append(seconds)
            sample.peak_mb.append(peak)
            sample.python_mb.append(python)
            sample.node_mb.append(node)
        print(f"round {round_index}/{options.runs} done{' (warm-up)' if round_index == 0 else ''}", file=sys.stderr)
    median = {name: statistics.median(s.seconds) for name, s in samples.items()}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {_node_version()}")
    print(f"{'scenario':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'peak MB':>8} {'python MB':>10} {'node MB':>8}")
    for name, s in samples.items():
        print(
            f"{name:<12} {median[name]:>9.2f} {min(s.seconds):>7.2f} {max(s.seconds):>7.2f} "
            f"{max(s.peak_mb):>8.0f} {max(s.python_mb):>10.0f} {max(s.node_mb):>8.0f}"
        )
    refusal = statistics.median(_no_credentials_refusal() for _ in range(options.runs))
    print(f"no-credentials refusal of `make diff`: {refusal:.2f} s (median of {options.runs})")
    a_over_c = median["a default"] / median["c stock"]
    b_over_a = median["b hundred"] / median["a default"]
    peak_a = max(samples["a default"].peak_mb)
    print(f"a/c = {a_over_c:.2f} (target <= 0.30)   b/a = {b_over_a:.2f} (target <= 1.5)   peak(a) = {peak_a:.0f} MB (target <= 600)")
    return 0


def _no_credentials_refusal() -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with tempfile.TemporaryDirectory() as home:
        env["HOME"] = home
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "aws.commands", "diff"], env=env, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    if done.returncode != 2 or "no usable AWS credentials" not in done.stderr:
        raise SystemExit(f"aws.commands diff without credentials did not refuse: {done.returncode} {done.stderr[-500:]}")
    return elapsed


def _node_version() -> str:
    try:
        return "Node " + subprocess.run([node(), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "Node ?"


if __name__ == "__main__":
    raise SystemExit(main())
