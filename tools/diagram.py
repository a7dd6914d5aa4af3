"""Draw a topology: Mermaid (renders where Markdown renders) and SVG via Graphviz.

Drawn from the same declaration the stacks are built from (topology + settings),
never from a hand-kept list. Graphviz is the WebAssembly build pinned in
package.json (``@hpcc-js/wasm-graphviz``), run by ``tools/render_svg.mjs``, so no
system package is needed and the SVG is byte-stable.

    python -m tools.diagram                  # every example -> docs/diagrams/, and the README block
    python -m tools.diagram --check          # exit 1 if a committed file is out of date
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from examples import NAMES, load
from topology import Service, Settings, Topology, call_edges, callers_of, endpoint_host

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "diagrams"
README_BLOCK = re.compile(r"(<!-- diagram:article:start -->\n)(.*?)(<!-- diagram:article:end -->)", re.S)
NO_INGRESS = "no ingress: no load balancer, no public IP, no CIDR rule"


def _id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _endpoint(service: Service, namespace: str) -> list[str]:
    return [f"http://{endpoint_host(port, namespace)}:{port.effective_client_port}" for port in service.ports]


def _service_label(service: Service) -> str:
    served = ", ".join(f"{port.name}:{port.container_port} ({port.protocol})" for port in service.ports)
    return f"{service.name}<br/>serves {served}" if served else f"{service.name}<br/>client only"


def _group_label(topology: Topology, service: Service) -> str:
    callers = callers_of(topology, service.name)
    if not service.is_server or not callers:
        return f"SG {service.name}: no ingress"
    ports = ", ".join(f"tcp/{port.ingress_port}" for port in service.ports)
    return f"SG {service.name}: {ports} from {', '.join(callers)} only"


def _private_label(settings: Settings) -> str:
    _, private = settings.network.subnet_cidrs()
    zones = ", ".join(f"{block} {zone}" for block, zone in zip(private, settings.network.availability_zones, strict=True))
    return f"private subnets: {zones}"


def mermaid(topology: Topology, settings: Settings) -> str:
    net = settings.network
    lines = [
        "flowchart LR",
        '  internet(["Internet"])',
        f'  nat["NAT gateway{"s" if net.nat == "per_az" and net.az_count > 1 else ""} in public subnets"]',
        f'  subgraph vpc["VPC {net.cidr}, {settings.region}"]',
        f'    subgraph private["{_private_label(settings)}"]',
        f'      subgraph cluster["ECS cluster {net.cluster_name}, Service Connect namespace {net.namespace}"]',
    ]
    for service in topology.services:
        lines += [
            f'        subgraph sg_{_id(service.name)}["{_group_label(topology, service)}"]',
            f'          {_id(service.name)}["{_service_label(service)}"]',
            "        end",
        ]
    lines += ["      end", "    end", "  end"]
    for caller, server in call_edges(topology):
        label = " ".join(_endpoint(topology.service(server), net.namespace))
        lines.append(f'  {_id(caller)} -- "{label}" --> {_id(server)}')
    lines += [
        '  private -- "egress tcp/443 only" --> nat --> internet',
        f'  internet -. "{NO_INGRESS}" .-x cluster',
    ]
    return "\n".join(lines) + "\n"


def dot(topology: Topology, settings: Settings) -> str:
    net = settings.network

    def label(text: str) -> str:
        return '"' + text.replace("<br/>", "\\n").replace('"', '\\"') + '"'

    lines = [
        "digraph topology {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, compound=true, newrank=true, labeljust=l];',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
        '  internet [label="Internet", shape=ellipse, fillcolor="#eeeeee"];',
        f'  nat [label={label("NAT gateway(s)<br/>in public subnets")}, fillcolor="#eeeeee"];',
        f"  subgraph cluster_vpc {{ label={label(f'VPC {net.cidr}, {settings.region}')}; style=dashed;",
        f"  subgraph cluster_private {{ label={label(_private_label(settings))}; style=dashed;",
        f'  subgraph cluster_ecs {{ label={label(f"ECS cluster {net.cluster_name}, Service Connect namespace {net.namespace}")}; style="rounded,filled"; fillcolor="#f4f8ff";',
    ]
    for service in topology.services:
        fill = "#e8f5e9" if service.is_server else "#fff8e1"
        lines += [
            f"    subgraph cluster_sg_{_id(service.name)} {{ label={label(_group_label(topology, service))}; style=rounded;",
            f"      {_id(service.name)} [label={label(_service_label(service))}, fillcolor={label(fill)}];",
            "    }",
        ]
    anchor = _id(topology.services[0].name) if topology.services else "nat"
    lines += ["  }", "  }", "  }"]
    for caller, server in call_edges(topology):
        lines.append(f"  {_id(caller)} -> {_id(server)} [label={label(' '.join(_endpoint(topology.service(server), net.namespace)))}];")
    lines += [
        f'  blocked [label={label(NO_INGRESS.replace(": ", ":<br/>").replace(", ", "<br/>"))}, shape=note, color="#c62828", fontcolor="#c62828"];',
        "  { rank=same; blocked; nat; }",
        '  internet -> blocked [style=dashed, color="#c62828", arrowhead=none];',
        f'  blocked -> {anchor} [lhead=cluster_ecs, style=dashed, color="#c62828", arrowhead=tee];',
        f'  {anchor} -> nat [ltail=cluster_private, label="egress tcp/443 only", style=dotted, constraint=false];',
        "  nat -> internet [style=dotted, constraint=false];",
        "}",
    ]
    return "\n".join(lines) + "\n"


def render_svg(dot_text: str) -> str:
    done = subprocess.run(
        ["node", str(ROOT / "tools" / "render_svg.mjs")], input=dot_text, capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    if done.returncode != 0:
        raise SystemExit(f"Graphviz (node tools/render_svg.mjs) failed: {done.stderr.strip()} (run `make setup`)")
    return done.stdout


def expected_files(settings: Settings) -> dict[Path, str]:
    files: dict[Path, str] = {}
    for name in NAMES:
        topology = load(name)
        files[OUT / f"{name}.mmd"] = mermaid(topology, settings)
        files[OUT / f"{name}.svg"] = render_svg(dot(topology, settings))
    return files


def readme_with_diagram(readme: str, diagram: str) -> str:
    if not README_BLOCK.search(readme):
        raise SystemExit("README has no <!-- diagram:article:start --> ... <!-- diagram:article:end --> block")
    return README_BLOCK.sub(lambda m: f"{m[1]}```mermaid\n{diagram}```\n{m[3]}", readme, count=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the example topologies")
    parser.add_argument("--check", action="store_true", help="fail if a committed diagram is out of date")
    args = parser.parse_args(argv)
    settings = Settings()
    files = expected_files(settings)
    for readme in (ROOT / "README.md", ROOT / "README.ja.md"):
        if readme.exists():
            files[readme] = readme_with_diagram(readme.read_text(encoding="utf-8"), mermaid(load("article"), settings))
    stale = [path for path, text in files.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run make diagram)")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
