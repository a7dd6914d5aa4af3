"""The command: read every config, convert, report, write the module (or nothing, with one line)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from topology import AdoptedService, Adoption, ExistingNetwork, Service, Settings, Topology, validate
from topology.errors import USER_ERROR, CommandLine

from .convert import CARRY_SECRETS, Collector, Draft, Edge, ImportNote, import_service, infer_calls
from .gotemplate import Use, Values
from .module import formatted, module_text
from .sources import InputError, Options, Source, read_config, read_definition

SECTIONS: tuple[tuple[str, str], ...] = (
    ("not-internal", "Not internal-only: not carried over (this project admits only declared callers)"),
    ("cannot", "Cannot be expressed in the declaration: not carried over"),
    ("derived", "Derived by this project instead"),
    ("default", "Not set in the files: this project's default applies"),
    ("ignored", "Ignored (ecspresso-only options, read-only status fields, empty values)"),
)


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"{flag} {item!r}: expected NAME=VALUE")
        out[key] = value
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = CommandLine(prog="python -m importers.ecspresso", description=(__package__ or "").split(".")[-1])
    parser.add_argument("configs", nargs="+", type=Path, metavar="CONFIG", help="ecspresso config files (one service each)")
    parser.add_argument("--out", required=True, type=Path, help="the module to write, like systems/legacy.py")
    parser.add_argument("--ext-str", action="append", default=[], metavar="NAME=VALUE", help="Jsonnet external variable")
    parser.add_argument("--ext-code", action="append", default=[], metavar="NAME=CODE", help="Jsonnet external code")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="value of {{ env }} / {{ must_env }}")
    parser.add_argument("--ssm", action="append", default=[], metavar="PATH=VALUE", help="value of {{ ssm `PATH` }}")
    parser.add_argument("--secretsmanager-arn", action="append", default=[], metavar="NAME=ARN", help="value of {{ secretsmanager_arn }}")
    parser.add_argument("--tfstate", action="append", default=[], metavar="ADDRESS=VALUE", help="value of {{ tfstate `ADDRESS` }}")
    parser.add_argument("--calls", action="append", default=[], metavar="CALLER=SERVER[,SERVER]", help="a call the files cannot show")
    parser.add_argument(
        "--adopt-vpc", metavar="VPC_ID", help="adopt the running services in this VPC: write network.existing with Adoption"
    )
    return parser.parse_args(argv)


@dataclass
class Result:
    topology: Topology
    settings: Settings
    collector: Collector
    drafts: list[Draft]
    inferred: list[Edge]
    declared: list[Edge]
    by_hand: dict[str, list[str]]
    template_uses: list[tuple[str, str, Use, bool]] = field(default_factory=list)
    config_uses: list[tuple[str, int, Use]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    adoption_notes: list[str] = field(default_factory=list)


def run_import(configs: list[Path], options: Options, calls: dict[str, list[str]], *, adopt_vpc: str | None = None) -> Result:
    """Everything but writing: raises ``InputError`` for bad input."""
    out = Collector()
    drafts: list[Draft] = []
    sources: list[tuple[str, Source]] = []
    config_uses: list[tuple[str, int, Use]] = []
    for path in configs:
        config, lined = read_config(path, options)
        config_uses += [(config.name, line, use) for line, use in lined]
        service, service_file, task_file = (config.get(key) for key in ("service", "service_definition", "task_definition"))
        for key, value in (("service", service), ("service_definition", service_file), ("task_definition", task_file)):
            if not isinstance(value, str) or not value:
                raise InputError(f"{config.name}: {key}: must name {'the service' if key == 'service' else 'a file'}")
        service_def = read_definition(path.parent / service_file, service_file, options)
        task_def = read_definition(path.parent / task_file, task_file, options)
        if any(d.name == service for d in drafts):
            raise InputError(f"{config.name}: service {service!r} is imported twice")
        drafts.append(import_service(config, service_def, task_def, out))
        sources += [(service, service_def), (service, task_def)]
    settings = _settings(drafts, out)
    declared = _declared_calls(calls, drafts)
    inferred = [edge for edge in infer_calls(drafts, settings.network.namespace) if (edge.caller, edge.server) not in _pairs_of(declared)]
    edges = declared + inferred
    by_hand = _by_hand(drafts, edges)
    services = tuple(_service(draft, [e.server for e in edges if e.caller == draft.name]) for draft in drafts)
    topology = Topology(services=services)
    notes: list[str] = []
    if adopt_vpc is not None:
        settings = _adopting(settings, drafts, adopt_vpc, notes)
    result = Result(topology, settings, out, drafts, inferred, declared, by_hand, config_uses=config_uses, adoption_notes=notes)
    for service_name, source in sources:
        result.template_uses += [(service_name, where, use, carried) for where, use, carried in out.template_uses([source])]
    result.problems = validate(topology, settings)
    return result


def _pairs_of(edges: list[Edge]) -> set[tuple[str, str]]:
    return {(edge.caller, edge.server) for edge in edges}


def _declared_calls(calls: dict[str, list[str]], drafts: list[Draft]) -> list[Edge]:
    names = [draft.name for draft in drafts]
    edges = []
    for caller, servers in calls.items():
        for server in servers:
            for name in (caller, server):
                if name not in names:
                    raise InputError(f"--calls {caller}={server}: {name!r} is not an imported service (imported: {', '.join(names)})")
            edges.append(Edge(caller, server, "--calls"))
    return edges


def _by_hand(drafts: list[Draft], edges: list[Edge]) -> dict[str, list[str]]:
    """Services with no call the files show, and the servers they could be calling."""
    servers = [draft.name for draft in drafts if draft.ports]
    result: dict[str, list[str]] = {}
    for draft in drafts:
        if any(edge.caller == draft.name for edge in edges):
            continue
        candidates = [name for name in servers if name != draft.name]
        if candidates:
            result[draft.name] = candidates
    return result


def _service(draft: Draft, calls: list[str]) -> Service:
    defaults = Service(name=draft.name)
    service = Service(
        name=draft.name,
        image=draft.image or defaults.image,
        ports=tuple(draft.ports),
        calls=tuple(calls),
        cpu=draft.cpu if draft.cpu is not None else defaults.cpu,
        memory=draft.memory if draft.memory is not None else defaults.memory,
        desired_count=draft.desired_count if draft.desired_count is not None else defaults.desired_count,
        environment=tuple(draft.environment),
        command=draft.command,
        health_check=draft.health_check,
        enable_execute_command=draft.enable_execute_command,
        proxy_logs=draft.proxy_logs,
    )
    if CARRY_SECRETS:
        service = replace(service, secrets=tuple(draft.secrets))
    return service


def _settings(drafts: list[Draft], out: Collector) -> Settings:
    """Region, cluster and namespace from the first service that names them; a different one is a finding."""
    chosen: dict[str, str] = {}
    for draft in drafts:
        for key, value, where in (
            ("region", draft.region, f"{draft.config}: region"),
            ("cluster", draft.cluster, f"{draft.config}: cluster"),
            ("namespace", draft.namespace, f"{draft.name}: serviceConnectConfiguration.namespace"),
        ):
            if value is None:
                continue
            if key not in chosen:
                chosen[key] = value
            elif chosen[key].lower() != value.lower():
                detail = f"{value!r} differs from {chosen[key]!r}: one system has one {key}; {chosen[key]!r} is used"
                out.notes.append(ImportNote(draft.name, "cannot", where, detail))
    defaults = Settings()
    for key, default in (
        ("region", defaults.region),
        ("cluster", defaults.network.cluster_name),
        ("namespace", defaults.network.namespace),
    ):
        if key not in chosen:
            detail = f"no imported file names the {key}: this project's default {default!r} applies"
            out.notes.append(ImportNote("(system)", "default", "(settings)", detail))
    network = replace(
        defaults.network,
        cluster_name=chosen.get("cluster", defaults.network.cluster_name),
        namespace=chosen.get("namespace", defaults.network.namespace),
    )
    return replace(defaults, region=chosen.get("region", defaults.region), network=network)


def _adopting(settings: Settings, drafts: list[Draft], vpc_id: str, notes: list[str]) -> Settings:
    """``network.existing`` with an ``Adoption`` of what the files say the services run with.

    Only what the files name exactly is adopted: a security group when a service has
    exactly one, roles and log groups by name unless another service (or slot) uses
    the same one (one resource cannot be imported twice). The rest is said.
    """
    subnets: list[str] = []
    for draft in drafts:
        subnets += [subnet for subnet in draft.running.get("subnets", []) if subnet not in subnets]
    usage: dict[str, int] = {}
    for draft in drafts:
        for key in ("executionRoleArn", "taskRoleArn", "log_group", "proxy_log_group"):
            for used in draft.running.get(key, [])[:1]:
                usage[used] = usage.get(used, 0) + 1
    adopted = []
    for draft in drafts:
        groups = draft.running.get("securityGroups", [])
        if len(groups) != 1:
            notes.append(f"{draft.name}: {len(groups)} security groups in its files: name the one to adopt (security_group_id) by hand")
        names: dict[str, str | None] = {}
        for key, field_name in (
            ("executionRoleArn", "execution_role_name"),
            ("taskRoleArn", "task_role_name"),
            ("log_group", "log_group_name"),
            ("proxy_log_group", "proxy_log_group_name"),
        ):
            found = draft.running.get(key) or []
            value = found[0] if found else None
            if value is not None and usage.get(value, 0) > 1:
                notes.append(
                    f"{draft.name}: {field_name}: {value!r} is shared with another service or role: not adopted (one resource, one owner)"
                )
                value = None
            if value is not None and key.endswith("RoleArn"):
                value = value.rsplit("/", 1)[-1] if ":role/" in value else None
            names[field_name] = value
        adopted.append(
            AdoptedService(
                name=draft.name,
                security_group_id=groups[0] if len(groups) == 1 else None,
                execution_role_name=names["execution_role_name"],
                task_role_name=names["task_role_name"],
                log_group_name=names["log_group_name"],
                proxy_log_group_name=names["proxy_log_group_name"],
            )
        )
        if draft.ports:
            notes.append(
                f"{draft.name}: ingress_rule_ids: the files do not show the rules admitting its callers; add them (aws ec2 describe-security-group-rules)"
            )
    namespace = settings.network.namespace
    # The files name the namespace, not its ID; a lookup by name fails once two namespaces share it (issue 20).
    notes.append(
        f"network.existing.namespace_id: the files name namespace {namespace!r}, not its ID: set it "
        f"(aws servicediscovery list-namespaces --query \"Namespaces[?Name=='{namespace}'].[Id,Type]\"); "
        "until then this project would create a namespace of that name"
    )
    existing = ExistingNetwork(
        vpc_id=vpc_id,
        private_subnet_ids=tuple(subnets),
        use_existing_cluster=True,
        adopt=Adoption(services=tuple(adopted)),
    )
    return replace(settings, network=replace(settings.network, existing=existing))


def _display(path: Path) -> str:
    return path.name


def report(result: Result, *, out_name: str, configs: list[str]) -> list[str]:
    """The notes, by section; the first line says what became of ``out_name`` (never "imported into" when nothing is written)."""
    read = f"{len(result.drafts)} service(s) from {', '.join(configs)}"
    if result.collector.blocking:
        first = f"Read {read}; {out_name} not written: {len(result.collector.blocking)} carried value(s) unresolved (below)"
    else:
        first = f"Imported {read} into {out_name}"
    lines = [first, ""]
    net = result.settings.network
    lines += [f"Settings: region {result.settings.region!r}, cluster {net.cluster_name!r}, namespace {net.namespace!r}", ""]
    lines.append("Carried over:")
    for service in result.topology.services:
        lines.append(f"  {service.name}: {_carried(service)}")
    lines += ["", "Calls the files show:"]
    lines += [f"  {e.caller} -> {e.server} ({e.evidence})" for e in result.inferred] or ["  none"]
    if result.declared:
        lines += ["", "Calls declared with --calls:"]
        lines += [f"  {e.caller} -> {e.server}" for e in result.declared]
    lines += ["", "Calls to declare by hand (ecspresso's files do not say whom a service calls):"]
    for caller, candidates in result.by_hand.items():
        target = candidates[0] if len(candidates) == 1 else f"one or more of {', '.join(candidates)}"
        lines.append(f"  {caller} -> {target}")
    if not result.by_hand:
        lines.append("  none")
    for kind, title in SECTIONS:
        items = [f for f in result.collector.notes if f.kind == kind]
        if items:
            lines += ["", f"{title}:"]
            lines += [f"  {f.service}: {f.where}: {f.detail}" for f in items]
    same = [f for f in result.collector.notes if f.kind == "same"]
    if same:
        lines += ["", f"Same as this project writes ({len(same)} fields):"]
        lines += [f"  {f.service}: {f.where}: {f.detail}" for f in same]
    uses = [(f"{name}: line {line}", use, True) for name, line, use in result.config_uses]
    uses += [(f"{service}: {where}", use, carried) for service, where, use, carried in result.template_uses]
    if uses:
        lines += ["", "Template functions:"]
        for where, use, carried in uses:
            state = use.outcome if use.resolved or carried else f"{use.outcome}, in a field not carried over"
            lines.append(f"  {where}: {{{{ {use.call} }}}}: {state}{': ' + use.note if use.note else ''}")
    if result.settings.network.existing is not None:
        lines += ["", "Adoption (network.existing.adopt: import what runs instead of recreating it):"]
        lines += [f"  {note}" for note in result.adoption_notes] or ["  everything the files name is adopted"]
    if result.problems:
        lines += ["", "The declaration does not validate yet; fix these in the module:"]
        lines += [f"  {problem}" for problem in result.problems]
    return lines


def _carried(service: Service) -> str:
    parts = [f"image {service.image}", f"cpu {service.cpu}", f"memory {service.memory}", f"desired_count {service.desired_count}"]
    for port in service.ports:
        extra: list[str] = [port.protocol]
        extra += [f"discovery {port.discovery_name}"] if port.discovery_name else []
        extra += [f"alias {port.dns_name}"] if port.dns_name else []
        extra += [f"client port {port.client_port}"] if port.client_port is not None else []
        parts.append(f"port {port.name}:{port.container_port} ({', '.join(extra)})")
    if service.environment:
        parts.append(f"environment {', '.join(key for key, _ in service.environment)}")
    if service.command is not None:
        parts.append("command")
    if service.health_check is not None:
        parts.append("health check")
    parts.append(f"exec {'on' if service.enable_execute_command else 'off'}")
    parts.append(f"proxy logs {'on' if service.proxy_logs else 'off'}")
    return ", ".join(parts)


def _header(result: Result, configs: list[str]) -> list[str]:
    lines = [
        f"System imported from ecspresso ({', '.join(configs)}) by `make import-ecspresso`.",
        "",
        "Review before deploying: the import report lists every field and what became of it.",
    ]
    dropped = [f for f in result.collector.notes if f.kind in ("not-internal", "cannot")]
    if dropped:
        lines += ["", "Not carried over:", ""]
        lines += [f"- {f.service}: {f.where}: {f.detail}" for f in dropped]
    return lines


def _notes(result: Result) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {}
    for caller, candidates in result.by_hand.items():
        example = ", ".join(f'"{name}"' for name in candidates)
        notes[caller] = [f"calls: its ecspresso files do not show them; declare by hand, e.g. calls=({example},)"]
    return notes


def write_module(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.out.suffix != ".py" or not args.out.stem.isidentifier():
            raise InputError(f"--out {args.out}: must be a Python module file like systems/legacy.py")
        values = Values(
            env=_pairs(args.env, "--env"),
            lookups={
                "ssm": _pairs(args.ssm, "--ssm"),
                "secretsmanager_arn": _pairs(args.secretsmanager_arn, "--secretsmanager-arn"),
                "tfstate": _pairs(args.tfstate, "--tfstate"),
            },
        )
        options = Options(values=values, ext_str=_pairs(args.ext_str, "--ext-str"), ext_code=_pairs(args.ext_code, "--ext-code"))
        calls = {caller: [s for s in servers.split(",") if s] for caller, servers in _pairs(args.calls, "--calls").items()}
        result = run_import(list(args.configs), options, calls, adopt_vpc=args.adopt_vpc)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
    configs = [_display(path) for path in args.configs]
    lines = report(result, out_name=args.out.as_posix(), configs=configs)
    if result.collector.blocking:
        print("\n".join(lines))
        for line in result.collector.blocking:
            print(f"error: {line}", file=sys.stderr)
        print(
            f"error: {len(result.collector.blocking)} carried value(s) unresolved: supply them and run again; nothing written",
            file=sys.stderr,
        )
        return USER_ERROR
    text = module_text(result.topology, result.settings, header=_header(result, configs), service_notes=_notes(result))
    write_module(args.out, formatted(text))
    print("\n".join(lines))
    return 1 if result.problems else 0


__all__ = ["main", "run_import"]
