"""Draw a topology: Mermaid (renders where Markdown renders) and SVG via Graphviz.

Drawn from the same declaration the stacks are built from (topology + settings),
never from a hand-kept list. Graphviz is the WebAssembly build pinned in
package.json (``@hpcc-js/wasm-graphviz``), run by ``writers/render_svg.mjs``, so no
system package is needed and the SVG is byte-stable.

    python -m writers.diagram                  # every example -> docs/diagrams/, and the README block
    python -m writers.diagram --check          # exit 1 if a committed file is out of date
    python -m writers.diagram --system acme.shop [--env dev] [--out build/diagrams]
                                             # one system, one drawing per environment
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from examples import NAMES
from toolchain.node import node as node_executable
from topology import Egress, Entry, OwnResource, Service, Settings, Topology, call_edges, callers_of, deploy_order
from topology.endpoints import endpoint
from topology.entry_rules import routed_port
from topology.errors import USER_ERROR, CommandLine, UserError, command
from topology.selection import select
from topology.system import SelectionError

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "diagrams"
README_BLOCK = re.compile(r"(<!-- diagram:article:start -->\n)(.*?)(<!-- diagram:article:end -->)", re.S)
NO_INGRESS = "no ingress: no load balancer, no public IP, no CIDR rule"
NO_OTHER_INGRESS = "no other ingress: no public IP, no CIDR rule"
"""With entries: the internet reaches the cluster only through them."""


def _entry_id(entry: Entry) -> str:
    return "entry_" + re.sub(r"[^A-Za-z0-9_]", "_", entry.name)


def _listeners(entry: Entry) -> str:
    return ", ".join(
        f"{item.protocol} {item.effective_port}" + (" (redirect)" if item.redirect_to_https else "") for item in entry.listeners
    )


def _entry_label(entry: Entry) -> str:
    """The entry, what it listens on and whom it admits."""
    if entry.existing is not None:
        return f"Entry {entry.name}<br/>rules on an existing listener<br/>(another team's load balancer, not created here)"
    kind = "internet-facing" if entry.internet_facing else "internal"
    return f"Entry {entry.name}: {kind} ALB<br/>{_listeners(entry)}<br/>from {', '.join(entry.sources)}"


def _route_labels(entry: Entry, topology: Topology) -> list[tuple[str, str]]:
    """(service, 'host/path -> service:port') per route, declaration order."""
    labels = []
    for route in entry.routes:
        port = routed_port(route, topology.service(route.service))
        where = f"{route.host or '*'}{route.path or ''}"
        labels.append((route.service, f"{where} -> {route.service}:{port.container_port if port else '?'}"))
    return labels


def _entries_of(topology: Topology, service: Service) -> list[Entry]:
    return [entry for entry in topology.entries if any(route.service == service.name for route in entry.routes)]


def _id(name: str) -> str:
    """A node ID that is never a DOT or Mermaid keyword (a service may be called ``edge`` or ``end``)."""
    return "svc_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _endpoint(service: Service, namespace: str) -> list[str]:
    """What a caller dials, as its environment gets it (``topology.endpoints.endpoint``)."""
    return [endpoint(port, namespace) for port in service.ports]


def _ports(egress: Egress) -> str:
    return f"{egress.protocol}/{egress.port}" + (f"-{egress.last_port}" if egress.last_port != egress.port else "")


def nat_egress_label(topology: Topology) -> str:
    """Egress to CIDRs (through the NAT gateways), as declared: ``egress tcp/443 to 0.0.0.0/0``, not an assumed 443."""
    rules = sorted({f"{_ports(rule)} to {rule.cidr}" for service in topology.services for rule in service.egress if rule.cidr})
    return f"egress {', '.join(rules)}" if rules else "no egress through NAT"


def direct_egress(topology: Topology) -> list[tuple[str, str, str, str]]:
    """``(service, node id, destination label, ports)`` for egress to a security group or prefix list (a database on 5432)."""
    found = []
    for service in topology.services:
        for rule in service.egress:
            target = rule.security_group_id or rule.prefix_list_id
            if target:
                node = "egress_" + re.sub(r"[^A-Za-z0-9_]", "_", f"{service.name}_{rule.name}")
                found.append((service.name, node, f"{target} ({rule.name})", _ports(rule)))
    return found


KIND_NAMES = {
    "queue": "SQS queue",
    "topic": "SNS topic",
    "bucket": "S3 bucket",
    "table": "DynamoDB table",
    "secret": "secret",
    "parameter": "SSM parameter",
    "guarded": "security group of",
}
"""How a kind of own resource is drawn; a kind not listed here is drawn with its own name (``cache sessions``)."""
OWN_LABEL = "own resources (services stack)"


def _own_id(resource: OwnResource) -> str:
    return "own_" + re.sub(r"[^A-Za-z0-9_]", "_", resource.name)


def own_label(resource: OwnResource) -> str:
    """``SQS queue orders``: the kind, as AWS names it where known, and the declared name."""
    return f"{KIND_NAMES.get(resource.kind, resource.kind)} {resource.name}"


def grant_edges(topology: Topology) -> list[tuple[str, str, str]]:
    """``(service, resource node id, access)`` per grant, in declaration order: who may do what to which resource."""
    return [
        (service.name, _own_id(grant.resource), grant.access)
        for service in topology.services
        for grant in service.grants
        if grant.resource in topology.resources
    ]


def _service_label(service: Service) -> str:
    served = ", ".join(f"{port.name}:{port.container_port} ({port.protocol})" for port in service.ports)
    return f"{service.name}<br/>serves {served}" if served else f"{service.name}<br/>client only"


def _node_label(service: Service, namespace: str) -> str:
    """The service and, for a server, the URLs its callers use."""
    return "<br/>".join([service.name, *_endpoint(service, namespace)] if service.is_server else [service.name, "client only"])


def _group_label(topology: Topology, service: Service) -> str:
    callers = callers_of(topology, service.name)
    entries = _entries_of(topology, service)
    if not service.is_server or not (callers or entries):
        return f"SG {service.name}: no ingress"
    numbers = [port.ingress_port for port in service.ports] if callers else []
    for entry in entries:
        numbers += [
            port.container_port for route in entry.routes if (port := routed_port(route, service)) and route.service == service.name
        ]
    ports = ", ".join(f"tcp/{number}" for number in dict.fromkeys(numbers))
    sources = [*callers, *(f"entry {entry.name}" for entry in entries)]
    return f"SG {service.name}: {ports}<br/>from {', '.join(sources)} only"


def _vpc_label(settings: Settings) -> str:
    """The VPC the system creates, or the existing one it only uses (drawn dashed and labelled so)."""
    existing = settings.network.existing
    if existing is not None:
        return f"existing VPC {existing.vpc_id}, {settings.region}<br/>(not created here)"
    return f"VPC {settings.network.cidr}, {settings.region}"


def _subnet_blocks(settings: Settings) -> tuple[str, str]:
    """The public and private subnets' labels: the created blocks and zones, or the existing subnets' IDs."""
    existing = settings.network.existing
    if existing is not None:
        return (
            "existing public subnets<br/>" + ("<br/>".join(existing.public_subnet_ids) or "none named"),
            "existing private subnets<br/>" + "<br/>".join(existing.private_subnet_ids),
        )
    public, private = settings.network.subnet_cidrs()
    return _subnets_label("public", public, settings), _subnets_label("private", private, settings)


def _nat_label(settings: Settings) -> str:
    net = settings.network
    if net.existing is not None:
        return "the VPC's own routes<br/>(not created here)"
    count = net.az_count if net.nat == "per_az" else 1
    return f"NAT gateway{'s' if count > 1 else ''} ({count})"


def _subnets_label(tier: str, blocks: list[str], settings: Settings) -> str:
    zones = "<br/>".join(f"{block} {zone}" for block, zone in zip(blocks, settings.network.availability_zones, strict=True))
    return f"{tier} subnets<br/>{zones}"


def longest_chain(topology: Topology) -> int:
    """Services on the longest call path: past a few, a left-to-right drawing outgrows a page."""
    depth: dict[str, int] = {}
    for name in deploy_order(topology):  # servers first, so every callee is known
        callees = topology.service(name).calls
        depth[name] = 1 + max((depth[callee] for callee in callees), default=0)
    return max(depth.values(), default=0)


def direction(topology: Topology) -> str:
    """Left to right for short chains (the article), top-down from four services in a row."""
    return "TB" if longest_chain(topology) >= 4 else "LR"


def mermaid(topology: Topology, settings: Settings) -> str:
    net = settings.network
    public, private = _subnet_blocks(settings)
    lines = [
        f"flowchart {direction(topology)}",
        '  internet(["Internet"])',
        f'  subgraph vpc["{_vpc_label(settings)}"]',
        f'    subgraph public["{public}"]',
        f'      nat["{_nat_label(settings)}"]',
        *(f'      {_entry_id(e)}["{_entry_label(e)}"]' for e in topology.entries if e.existing is None and e.internet_facing),
        "    end",
        *(f'    {_entry_id(e)}["{_entry_label(e)}"]' for e in topology.entries if e.existing is not None),
        f'    subgraph private["{private}"]',
        *(f'      {_entry_id(e)}["{_entry_label(e)}"]' for e in topology.entries if e.existing is None and not e.internet_facing),
        f'      subgraph cluster["ECS cluster {net.cluster_name}<br/>Service Connect namespace {net.namespace}"]',
    ]
    for service in topology.services:
        lines += [
            f'        subgraph sg_{_id(service.name)}["{_group_label(topology, service)}"]',
            f'          {_id(service.name)}["{_service_label(service)}"]',
            "        end",
        ]
    lines += ["      end", "    end", "  end"]
    if topology.resources:
        lines += [f'  subgraph own["{OWN_LABEL}"]', *(f'    {_own_id(r)}[("{own_label(r)}")]' for r in topology.resources), "  end"]
    for caller, server in call_edges(topology):
        label = " ".join(_endpoint(topology.service(server), net.namespace))
        lines.append(f'  {_id(caller)} -- "{label}" --> {_id(server)}')
    lines += [f'  {_id(name)} -- "{access}" --> {node}' for name, node, access in grant_edges(topology)]
    for name, node, target, ports in direct_egress(topology):
        lines += [f'  {node}["{target}"]', f'  {_id(name)} -- "{ports}" --> {node}']
    for entry in topology.entries:
        if entry.existing is None and entry.internet_facing:
            lines.append(f'  internet -- "{_listeners(entry)}" --> {_entry_id(entry)}')
        for routed, label in _route_labels(entry, topology):
            lines.append(f'  {_entry_id(entry)} -- "{label}" --> {_id(routed)}')
    lines += [
        f'  private -- "{nat_egress_label(topology)}" --> nat --> internet',
        f'  internet -. "{NO_OTHER_INGRESS if topology.entries else NO_INGRESS}" .-x cluster',
    ]
    existing = [_entry_id(entry) for entry in topology.entries if entry.existing is not None]
    if net.existing is not None:  # what the system does not create: dashed
        existing = ["vpc", "public", "private", "nat", *existing]
    lines += [f"  style {name} stroke-dasharray: 5 5" for name in existing]
    return "\n".join(lines) + "\n"


ENTRY_FILL = "#e3f2fd"
FONT = "Courier"
"""Graphviz sizes boxes from its own font metrics; only for Courier are they exact for every
renderer's substitute (monospace fonts share the 0.6 em advance), so no label outgrows its box."""


def dot(topology: Topology, settings: Settings) -> str:
    net = settings.network
    public, private = _subnet_blocks(settings)

    def label(text: str) -> str:
        return '"' + text.replace("<br/>", "\\l").replace('"', '\\"') + '\\l"'

    def centred(text: str) -> str:
        return '"' + text.replace("<br/>", "\\n").replace('"', '\\"') + '"'

    lines = [
        "digraph topology {",
        f'  graph [rankdir={direction(topology)}, fontname="{FONT}", fontsize=11, compound=true, newrank=true,'
        " labeljust=l, nodesep=0.4, ranksep=0.6, margin=0.2];",
        f'  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="{FONT}", fontsize=10, margin="0.2,0.08"];',
        f'  edge [fontname="{FONT}", fontsize=9];',
        '  internet [label="Internet", shape=ellipse, fillcolor="#eeeeee"];',
        f"  subgraph cluster_vpc {{ label={label(_vpc_label(settings))}; style=dashed; margin=14;",
        f"  subgraph cluster_public {{ label={label(public)}; style=dashed; margin=12;",
        f'    nat [label={centred(_nat_label(settings))}, fillcolor="#eeeeee"{", style=dashed" if net.existing else ""}];',
        *(
            f"    {_entry_id(e)} [label={centred(_entry_label(e))}, fillcolor={centred(ENTRY_FILL)}];"
            for e in topology.entries
            if e.existing is None and e.internet_facing
        ),
        "  }",
        *(  # another team's load balancer: not created here, dashed like an existing VPC
            f'  {_entry_id(e)} [label={centred(_entry_label(e))}, fillcolor={centred(ENTRY_FILL)}, style="rounded,filled,dashed"];'
            for e in topology.entries
            if e.existing is not None
        ),
        f"  subgraph cluster_private {{ label={label(private)}; style=dashed; margin=12;",
        *(
            f"    {_entry_id(e)} [label={centred(_entry_label(e))}, fillcolor={centred(ENTRY_FILL)}];"
            for e in topology.entries
            if e.existing is None and not e.internet_facing
        ),
        f"  subgraph cluster_ecs {{ label={label(f'ECS cluster {net.cluster_name}<br/>Service Connect namespace {net.namespace}')};"
        ' style="rounded,filled"; fillcolor="#f4f8ff"; margin=12;',
    ]
    for service in topology.services:
        fill = "#e8f5e9" if service.is_server else "#fff8e1"
        lines += [
            f"    subgraph cluster_sg_{_id(service.name)} {{ label={label(_group_label(topology, service))}; style=rounded; margin=10;",
            f"      {_id(service.name)} [label={centred(_node_label(service, net.namespace))}, fillcolor={centred(fill)}];",
            "    }",
        ]
    anchor = _id(topology.services[0].name) if topology.services else "nat"
    lines += ["  }", "  }", "  }"]
    if topology.resources:
        lines += [
            f"  subgraph cluster_own {{ label={label(OWN_LABEL)}; style=dashed; margin=12;",
            *(f'    {_own_id(r)} [label={centred(own_label(r))}, shape=cylinder, fillcolor="#fce4ec"];' for r in topology.resources),
            f"    {{ rank=same; {' '.join(f'{_own_id(r)};' for r in topology.resources)} }}",  # one column beside the services
            "  }",
        ]
    for caller, server in call_edges(topology):  # the endpoint is in the server's box: edge labels overrun clusters
        lines.append(f"  {_id(caller)} -> {_id(server)};")
    for name, node, access in grant_edges(topology):
        lines.append(f'  {_id(name)} -> {node} [label={centred(access)}, color="#ad1457", fontcolor="#ad1457", constraint=false];')
    for name, node, target, ports in direct_egress(topology):
        lines += [
            f'  {node} [label={centred(target)}, shape=cylinder, fillcolor="#eeeeee"];',
            f"  {_id(name)} -> {node} [label={centred(ports)}, style=dotted];",
        ]
    for entry in topology.entries:
        if entry.existing is None and entry.internet_facing:
            lines.append(f'  internet -> {_entry_id(entry)} [label={centred(_listeners(entry))}, color="#1565c0"];')
        for routed, route in _route_labels(entry, topology):
            lines.append(f'  {_entry_id(entry)} -> {_id(routed)} [label={centred(route)}, color="#1565c0"];')
    no_ingress = NO_OTHER_INGRESS if topology.entries else NO_INGRESS
    lines += [
        f'  blocked [label={centred(no_ingress.replace(": ", ":<br/>").replace(", ", "<br/>"))}, shape=note, color="#c62828", fontcolor="#c62828"];',
        '  internet -> blocked [style=dashed, color="#c62828", arrowhead=none];',
        f'  blocked -> {anchor} [lhead=cluster_ecs, style=dashed, color="#c62828", arrowhead=tee];',
        f"  {anchor} -> nat [ltail=cluster_private, lhead=cluster_public, label={centred(nat_egress_label(topology))}, style=dotted, constraint=false];",
        "  { rank=same; blocked; nat; }",
        "  nat -> internet [style=dotted, constraint=false];",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _last_error(stderr: str) -> str:
    errors = [line.strip() for line in stderr.splitlines() if line.strip().startswith("Error")]
    return errors[-1] if errors else (stderr.strip().splitlines() or ["no output"])[-1][:300]


def render_svg(dot_text: str, output_format: str = "svg") -> str:
    """Graphviz (WebAssembly) on ``dot_text``; ``output_format="json"`` gives the layout's coordinates instead."""
    done = subprocess.run(
        [node_executable(), str(ROOT / "writers" / "render_svg.mjs"), output_format],
        input=dot_text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    if done.returncode != 0:
        raise UserError(f"Graphviz (node writers/render_svg.mjs) failed: {_last_error(done.stderr)}")
    return done.stdout


def drawings(out: Path, stem: str, topology: Topology, settings: Settings) -> dict[Path, str]:
    return {out / f"{stem}.mmd": mermaid(topology, settings), out / f"{stem}.svg": render_svg(dot(topology, settings))}


def expected_files() -> dict[Path, str]:
    """The committed drawings: every example, as its module declares it (settings included)."""
    files: dict[Path, str] = {}
    for name in NAMES:
        for deployment in select(f"examples.{name}").chosen:
            files.update(drawings(OUT, name + deployment.suffix, deployment.topology, deployment.settings))
    return files


def system_files(system: str, env: str | None, out: Path) -> dict[Path, str]:
    """One system's drawings, one pair per selected environment: ``<module>[-<env>].mmd/.svg``."""
    files: dict[Path, str] = {}
    for deployment in select(system, env).chosen:
        files.update(drawings(out, system + deployment.suffix, deployment.topology, deployment.settings))
    return files


def readme_with_diagram(readme: str, diagram: str) -> str:
    if not README_BLOCK.search(readme):
        raise UserError("README has no <!-- diagram:article:start --> ... <!-- diagram:article:end --> block")
    return README_BLOCK.sub(lambda m: f"{m[1]}```mermaid\n{diagram}```\n{m[3]}", readme, count=1)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description="Draw a system (default: every example into docs/diagrams/)")
    parser.add_argument("--check", action="store_true", help="fail if a committed diagram is out of date")
    parser.add_argument("--system", help="draw this system module instead of the examples (e.g. acme.shop)")
    parser.add_argument("--env", help="with --system: only this environment")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "diagrams", help="with --system: output folder")
    args = parser.parse_args(argv)
    try:
        if args.system:
            files = system_files(args.system, args.env, args.out.resolve())
        else:
            files = expected_files()
            article = select("examples.article").chosen[0]
            for readme in (ROOT / "README.md", ROOT / "README.ja.md"):
                if readme.exists():
                    text = readme.read_text(encoding="utf-8")
                    files[readme] = readme_with_diagram(text, mermaid(article.topology, article.settings))
    except SelectionError as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
    stale = [path for path, text in files.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"out of date: {_shown(path)} (run make diagram)")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
    for path in files:
        print(f"{'wrote' if path in stale else 'unchanged'} {_shown(path)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(command(main))
