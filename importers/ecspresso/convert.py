"""ecspresso definitions -> this project's declaration, with an account of every field.

Each field of each file ends in exactly one of these, and the report says which:

- **carried**: it becomes part of the declaration (name, image, ports, Service Connect, cpu/memory, ...);
- ``same``: it equals what this project writes anyway (Fargate, circuit breaker with rollback, ...);
- ``derived``: this project derives its own (subnets, security groups, roles, log groups, family);
- ``not-internal``: it makes the service reachable from outside (load balancer, public IP): not carried;
- ``cannot``: the declaration cannot express it: not carried;
- ``ignored``: an ecspresso-only option, a read-only status field, or an empty value;
- ``default``: the file does not say, so this project's default applies.

Whatever no rule consumed is ``cannot`` with its path: nothing is dropped silently.
Who calls whom is not in ecspresso's files; ``infer_calls`` finds it where an
environment value or a command names ``<alias>.<namespace>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from topology import HealthCheck, Port, Secret, Tls
from topology.endpoints import endpoint_host
from topology.patterns import SECRETS_MANAGER_VALUE, SSM_PARAMETER_ARN

from .gotemplate import Use
from .sources import MISSING, PathKey, Source, Unresolved, show_path

Kind = Literal["not-internal", "cannot", "derived", "same", "ignored", "default"]

CARRY_SECRETS = True
"""Secrets (``valueFrom``) are carried as ``Service.secrets`` (``Secret(name=..., arn=...)``). A value that is
not a full Secrets Manager or SSM parameter ARN (a bare parameter name, say) is listed as ``cannot``."""


APP_PROTOCOLS = ("http", "http2", "grpc")
STATUS_NOTE = "read-only status field (as `ecspresso init` writes it), not a setting"

# Values this project writes itself for every service; equal values are "same", others "cannot".
SERVICE_SAME: dict[PathKey, tuple[Any, ...]] = {
    ("launchType",): ("FARGATE", ""),
    ("platformVersion",): ("LATEST",),
    ("schedulingStrategy",): ("REPLICA",),
    ("propagateTags",): ("SERVICE",),
    ("enableECSManagedTags",): (True,),
    ("healthCheckGracePeriodSeconds",): (0,),
    ("deploymentConfiguration", "maximumPercent"): (200,),
    ("deploymentConfiguration", "minimumHealthyPercent"): (100,),
    ("deploymentConfiguration", "deploymentCircuitBreaker", "enable"): (True,),
    ("deploymentConfiguration", "deploymentCircuitBreaker", "rollback"): (True,),
    ("deploymentController", "type"): ("ECS",),
}
SERVICE_STATUS = (
    "runningCount",
    "pendingCount",
    "status",
    "events",
    "deployments",
    "createdAt",
    "createdBy",
    "serviceArn",
    "serviceName",
    "clusterArn",
    "roleArn",
    "taskDefinition",
    "taskSets",
    "platformFamily",
)
TASK_SAME: dict[PathKey, tuple[Any, ...]] = {
    ("networkMode",): ("awsvpc",),
    ("requiresCompatibilities",): (["FARGATE"],),
    ("runtimePlatform", "operatingSystemFamily"): ("LINUX",),
    ("runtimePlatform", "cpuArchitecture"): ("X86_64",),
}
TASK_STATUS = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
)
CONFIG_ONLY = {
    "timeout": "ecspresso's deploy timeout",
    "required_version": "ecspresso version constraint",
    "plugins": "ecspresso plugins: they only resolve template functions (supply the values instead)",
    "filter_command": "ecspresso's interactive filter",
    "ignore": "ecspresso's diff ignore list",
    "sdk_options": "ecspresso's AWS SDK options",
    "codedeploy": "ecspresso's CodeDeploy options (this project deploys through ECS)",
    "appspec": "ecspresso's CodeDeploy appspec",
}


@dataclass(frozen=True)
class ImportNote:
    """How one setting of an ecspresso file was (or was not) carried into the declaration: the report's line."""

    service: str
    kind: Kind
    where: str
    detail: str


@dataclass(frozen=True)
class Edge:
    caller: str
    server: str
    evidence: str


@dataclass
class Draft:
    """One service as read from its files, before it becomes a ``Service``."""

    config: str
    name: str
    image: str = ""
    cpu: int | None = None
    memory: int | None = None
    desired_count: int | None = None
    ports: list[Port] = field(default_factory=list)
    environment: list[tuple[str, str]] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    command: tuple[str, ...] | None = None
    health_check: HealthCheck | None = None
    enable_execute_command: bool = False
    proxy_logs: bool = False
    region: str | None = None
    cluster: str | None = None
    namespace: str | None = None
    texts: list[tuple[str, str]] = field(default_factory=list)
    """(where, text) of the values that may name a server: environment values and the command."""
    running: dict[str, list[str]] = field(default_factory=dict)
    """What the running service uses, for adopting it: subnets, security groups, role ARNs, log groups."""

    def note_running(self, key: str, value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        self.running.setdefault(key, []).extend(v for v in values if isinstance(v, str))


@dataclass
class Collector:
    """Notes, template calls and unresolved carried values of one import."""

    notes: list[ImportNote] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    carried: dict[str, set[PathKey]] = field(default_factory=dict)

    def add(self, service: str, kind: Kind, source: Source, path: PathKey, detail: str) -> None:
        source.consume(*path)
        self.notes.append(ImportNote(service, kind, source.where(*path), detail))

    def take(self, service: str, source: Source, *path: str | int) -> Any:
        """A carried value: consumed, and if any string in it is unresolved, the import cannot be written."""
        value = source.consume(*path)
        self.carried.setdefault(source.name, set()).add(tuple(path))
        for inner, unresolved in _unresolved_in(value, tuple(path)):
            calls = ", ".join(f"{{{{ {use.call} }}}}" for use in unresolved.uses if not use.resolved)
            self.blocking.append(f"service {service!r}: {source.where(*inner)}: {calls} unresolved in a carried field")
        return value

    def expect(self, service: str, source: Source, path: PathKey, allowed: tuple[Any, ...]) -> None:
        value = source.get(*path)
        if value is MISSING:
            return
        if value in allowed:
            self.add(service, "same", source, path, f"{_show(value)}: what this project writes")
        else:
            self.add(service, "cannot", source, path, f"{_show(value)}: this project writes {_show(allowed[0])}")

    def finish(self, service: str, source: Source) -> None:
        """Everything no rule consumed: empty values are ignored, the rest cannot be expressed."""
        for path, value in list(source.leftovers()):
            if value in ([], {}, None, ""):
                self.add(service, "ignored", source, path, "empty: nothing to carry")
            else:
                self.add(service, "cannot", source, path, f"{_show(value)}: the declaration has no field for it")

    def template_uses(self, sources: list[Source]) -> Iterator[tuple[str, Use, bool]]:
        """(where, call, carried) for every template call met in a definition file."""
        for source in sources:
            carried = self.carried.get(source.name, set())
            for path, uses in sorted(source.uses.items(), key=lambda item: show_path(item[0])):
                in_carried = any(path[: len(done)] == done for done in carried)
                for use in uses:
                    yield source.where(*path), use, in_carried


def _unresolved_in(value: Any, path: PathKey) -> Iterator[tuple[PathKey, Unresolved]]:
    if isinstance(value, Unresolved):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _unresolved_in(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _unresolved_in(inner, (*path, index))


def _show(value: Any) -> str:
    if isinstance(value, Unresolved):
        return repr(value.text)
    text = repr(value) if not isinstance(value, (dict, list)) else _compact(value)
    return text if len(text) <= 160 else text[:157] + "..."


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=False, ensure_ascii=False, default=lambda v: v.text if isinstance(v, Unresolved) else str(v))


def _text(value: Any) -> str:
    return value.text if isinstance(value, Unresolved) else str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    return None


def import_service(config: Source, service_def: Source, task_def: Source, out: Collector) -> Draft:
    """One ecspresso service (its config, service definition and task definition) as a draft."""
    name = _text(config.get("service"))
    draft = Draft(config=config.name, name=name)
    _config(draft, config, out)
    main = _main_container(draft, service_def, task_def, out)
    _task(draft, task_def, out)
    if main is not None:
        _container(draft, task_def, main, service_def, out)
    _service(draft, service_def, out)
    for source in (config, service_def, task_def):
        out.finish(name, source)
    return draft


def _config(draft: Draft, config: Source, out: Collector) -> None:
    out.take(draft.name, config, "service")
    for key in ("service_definition", "task_definition"):
        config.consume(key)
    region, cluster = config.get("region"), config.get("cluster")
    if region is not MISSING:
        draft.region = _text(out.take(draft.name, config, "region"))
    if cluster is not MISSING:
        draft.cluster = _text(out.take(draft.name, config, "cluster"))
    for key, why in CONFIG_ONLY.items():
        if config.get(key) is not MISSING:
            out.add(draft.name, "ignored", config, (key,), why)


def _main_container(draft: Draft, service_def: Source, task_def: Source, out: Collector) -> int | None:
    """The container this service is: the one named like the service, else the one serving its
    Service Connect ports, else the first. Every other container is a sidecar: not expressible."""
    containers = task_def.get("containerDefinitions")
    if not isinstance(containers, list) or not containers:
        out.add(draft.name, "cannot", task_def, ("containerDefinitions",), "no container definitions: nothing to run")
        return None
    entries = service_def.get("serviceConnectConfiguration", "services")
    served = {entry.get("portName") for entry in entries if isinstance(entry, dict)} if isinstance(entries, list) else set()
    names = [c.get("name") if isinstance(c, dict) else None for c in containers]
    index = next((i for i, n in enumerate(names) if n == draft.name), None)
    if index is None:
        index = next(
            (
                i
                for i, c in enumerate(containers)
                if isinstance(c, dict) and any(isinstance(m, dict) and m.get("name") in served for m in c.get("portMappings") or [])
            ),
            0,
        )
    for other, container_name in enumerate(names):
        if other != index:
            out.add(
                draft.name,
                "cannot",
                task_def,
                ("containerDefinitions", other),
                f"container {container_name!r}: a second container (sidecar); the declaration has one container per service",
            )
    if names[index] != draft.name:
        out.add(
            draft.name,
            "derived",
            task_def,
            ("containerDefinitions", index, "name"),
            f"{names[index]!r}: this project names the container after the service ({draft.name!r})",
        )
    else:
        task_def.consume("containerDefinitions", index, "name")
    return index


def _task(draft: Draft, task: Source, out: Collector) -> None:
    for key in ("cpu", "memory"):
        raw = task.get(key)
        if raw is MISSING:
            out.notes.append(ImportNote(draft.name, "default", task.where(key), f"not set: this project's default applies ({key})"))
            continue
        value = _int(out.take(draft.name, task, key))
        if value is None:
            out.notes.append(ImportNote(draft.name, "cannot", task.where(key), f"{_show(raw)}: not a number of {key} units"))
        elif key == "cpu":
            draft.cpu = value
        else:
            draft.memory = value
    for path, allowed in TASK_SAME.items():
        out.expect(draft.name, task, path, allowed)
    for key in ("executionRoleArn", "taskRoleArn"):
        draft.note_running(key, task.get(key))
    for key, detail in (
        ("family", "this project names the family '<project>-<service>'"),
        ("executionRoleArn", "this project creates the execution role (image pull, its own log groups)"),
        ("taskRoleArn", "this project creates the task role (ECS Exec only)"),
    ):
        if task.get(key) is not MISSING:
            out.add(draft.name, "derived", task, (key,), f"{_show(task.get(key))}: {detail}")
    for key in TASK_STATUS:
        if task.get(key) is not MISSING:
            out.add(draft.name, "ignored", task, (key,), STATUS_NOTE)


def _container(draft: Draft, task: Source, index: int, service_def: Source, out: Collector) -> None:
    base: PathKey = ("containerDefinitions", index)
    image = task.get(*base, "image")
    if image is MISSING:
        out.notes.append(ImportNote(draft.name, "cannot", task.where(*base, "image"), "no image: the declaration needs one"))
    else:
        draft.image = _text(out.take(draft.name, task, *base, "image"))
    out.expect(draft.name, task, (*base, "essential"), (True,))
    out.expect(draft.name, task, (*base, "cpu"), (0,))
    _environment(draft, task, base, out)
    _secrets(draft, task, base, out)
    command = task.get(*base, "command")
    if isinstance(command, list) and command:
        values = out.take(draft.name, task, *base, "command")
        draft.command = tuple(_text(part) for part in values)
        draft.texts += [(task.where(*base, "command", i), _text(part)) for i, part in enumerate(values)]
    _health_check(draft, task, base, out)
    _logs(draft, task, base, out)
    init = task.get(*base, "linuxParameters", "initProcessEnabled")
    if init is True and service_def.get("enableExecuteCommand") is True:
        out.add(draft.name, "same", task, (*base, "linuxParameters", "initProcessEnabled"), "true: this project sets it with ECS Exec")
    _ports(draft, task, base, service_def, out)


def _environment(draft: Draft, task: Source, base: PathKey, out: Collector) -> None:
    for i, entry in enumerate(task.get(*base, "environment") or []):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and "value" in entry:
            out.take(draft.name, task, *base, "environment", i)
            value = _text(entry["value"])
            draft.environment.append((entry["name"], value))
            draft.texts.append((task.where(*base, "environment", i, "value"), value))


def secret_from(name: str, value_from: str) -> Secret | None:
    """ECS ``valueFrom`` -> ``Secret``: a Secrets Manager ARN (with ``:json-key:stage:version-id`` when present)
    or an SSM parameter ARN; None for anything else (a bare parameter name needs the account to become an ARN)."""
    managed = SECRETS_MANAGER_VALUE.match(value_from)
    if managed:
        return Secret(
            name=name,
            arn=managed["arn"],
            json_key=managed["json_key"] or None,
            version_stage=managed["version_stage"] or None,
            version_id=managed["version_id"] or None,
        )
    return Secret(name=name, arn=value_from) if SSM_PARAMETER_ARN.match(value_from) else None


def _secrets(draft: Draft, task: Source, base: PathKey, out: Collector) -> None:
    for i, entry in enumerate(task.get(*base, "secrets") or []):
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str) and "valueFrom" in entry):
            continue
        path = (*base, "secrets", i)
        value = entry["valueFrom"]
        secret = secret_from(entry["name"], value) if CARRY_SECRETS and isinstance(value, str) else None
        if CARRY_SECRETS and (secret is not None or isinstance(value, Unresolved)):
            out.take(draft.name, task, *path)  # an unresolved ARN stops the import, like any carried value
            if secret is not None:
                draft.secrets.append(secret)
            continue
        out.add(
            draft.name,
            "cannot",
            task,
            path,
            f"secret {entry['name']} from {_text(value)!r}: not a Secrets Manager or SSM parameter ARN; "
            "declare it by hand as Secret(name=..., arn=<full ARN>)",
        )


def _health_check(draft: Draft, task: Source, base: PathKey, out: Collector) -> None:
    check = task.get(*base, "healthCheck")
    if not isinstance(check, dict) or not isinstance(check.get("command"), list):
        return
    out.take(draft.name, task, *base, "healthCheck")
    draft.health_check = HealthCheck(
        command=tuple(_text(part) for part in check["command"]),
        interval_seconds=_or(_int(check.get("interval")), 30),
        timeout_seconds=_or(_int(check.get("timeout")), 5),
        retries=_or(_int(check.get("retries")), 3),
        start_period_seconds=_or(_int(check.get("startPeriod")), 0),
    )


def _or(value: int | None, ecs_default: int) -> int:
    """A health check value, or ECS's own default for it when the file leaves it out."""
    return ecs_default if value is None else value


def _awslogs(logs: Any) -> Any:
    """The group of a plain ``awslogs`` log configuration (the app's or the Service Connect proxy's: the only kind the
    project derives its own for), ``"?"`` when it names none; ``MISSING`` for any other configuration."""
    if isinstance(logs, dict) and logs.get("logDriver") == "awslogs" and set(logs) <= {"logDriver", "options"}:
        return (logs.get("options") or {}).get("awslogs-group", "?")
    return MISSING


def _logs(draft: Draft, task: Source, base: PathKey, out: Collector) -> None:
    logs = task.get(*base, "logConfiguration")
    if logs is MISSING:
        return
    path = (*base, "logConfiguration")
    group = _awslogs(logs)
    if group is not MISSING:
        draft.note_running("log_group", group)
        out.add(
            draft.name,
            "derived",
            task,
            path,
            f"awslogs to {_text(group)!r}: this project logs to its own encrypted group '/ecs/<cluster>/{draft.name}'",
        )


def _ports(draft: Draft, task: Source, base: PathKey, service_def: Source, out: Collector) -> None:
    mappings = task.get(*base, "portMappings")
    mappings = mappings if isinstance(mappings, list) else []
    by_name = {m.get("name"): i for i, m in enumerate(mappings) if isinstance(m, dict) and isinstance(m.get("name"), str)}
    entries = service_def.get("serviceConnectConfiguration", "services")
    used: set[int] = set()
    for e, entry in enumerate(entries if isinstance(entries, list) else []):
        spath: PathKey = ("serviceConnectConfiguration", "services", e)
        if not isinstance(entry, dict) or entry.get("portName") not in by_name:
            out.add(
                draft.name,
                "cannot",
                service_def,
                spath,
                f"portName {entry.get('portName') if isinstance(entry, dict) else entry!r} names no port mapping of the container",
            )
            continue
        m = by_name[entry["portName"]]
        used.add(m)
        port = _port(draft, task, (*base, "portMappings", m), service_def, spath, out)
        if port is not None:
            draft.ports.append(port)
    for m, mapping in enumerate(mappings):
        if m not in used:
            out.add(
                draft.name,
                "cannot",
                task,
                (*base, "portMappings", m),
                f"{_show(mapping)}: no Service Connect entry serves it; the declaration has only Service Connect ports",
            )


def _port(draft: Draft, task: Source, mpath: PathKey, service_def: Source, spath: PathKey, out: Collector) -> Port | None:
    mapping, entry = task.get(*mpath), service_def.get(*spath)
    container_port = _int(out.take(draft.name, task, *mpath, "containerPort"))
    if container_port is None:
        out.add(draft.name, "cannot", task, mpath, "no containerPort")
        return None
    out.take(draft.name, task, *mpath, "name")
    out.take(draft.name, service_def, *spath, "portName")
    host_port = mapping.get("hostPort")
    if host_port is not None:
        out.expect(draft.name, task, (*mpath, "hostPort"), (container_port,))
    out.expect(draft.name, task, (*mpath, "protocol"), ("tcp",))
    app = mapping.get("appProtocol")
    protocol = "tcp"
    if app is not None:
        out.take(draft.name, task, *mpath, "appProtocol")
        if app in APP_PROTOCOLS:
            protocol = app
        else:
            out.notes.append(ImportNote(draft.name, "cannot", task.where(*mpath, "appProtocol"), f"{app!r}: one of {APP_PROTOCOLS}"))
    aliases = entry.get("clientAliases") if isinstance(entry.get("clientAliases"), list) else []
    client_port: int | None = None
    dns_name: str | None = None
    if aliases:
        first = aliases[0] if isinstance(aliases[0], dict) else {}
        alias_port = _int(first.get("port"))
        if alias_port is not None:
            out.take(draft.name, service_def, *spath, "clientAliases", 0, "port")
            client_port = alias_port if alias_port != container_port else None
        if isinstance(first.get("dnsName"), str):
            dns_name = _text(out.take(draft.name, service_def, *spath, "clientAliases", 0, "dnsName"))
        for extra in range(1, len(aliases)):
            out.add(draft.name, "cannot", service_def, (*spath, "clientAliases", extra), "a second client alias: one per port is declared")
    else:
        out.notes.append(
            ImportNote(
                draft.name, "default", service_def.where(*spath, "clientAliases"), "none: this project gives the port a client alias"
            )
        )
    discovery = entry.get("discoveryName")
    if isinstance(discovery, str):
        out.take(draft.name, service_def, *spath, "discoveryName")
    ingress = _int(entry.get("ingressPortOverride"))
    if ingress is not None:
        out.take(draft.name, service_def, *spath, "ingressPortOverride")
    timeout = entry.get("timeout") if isinstance(entry.get("timeout"), dict) else {}
    idle, per_request = _int(timeout.get("idleTimeoutSeconds")), _int(timeout.get("perRequestTimeoutSeconds"))
    for key, value in (("idleTimeoutSeconds", idle), ("perRequestTimeoutSeconds", per_request)):
        if value is not None:
            out.take(draft.name, service_def, *spath, "timeout", key)
    return Port(
        name=_text(entry["portName"]),
        container_port=container_port,
        protocol=protocol,  # type: ignore[arg-type]  # checked against APP_PROTOCOLS above
        discovery_name=discovery if isinstance(discovery, str) else None,
        dns_name=dns_name,
        client_port=client_port,
        ingress_port_override=ingress,
        idle_timeout_seconds=idle,
        per_request_timeout_seconds=per_request,
        tls=_tls(draft, service_def, spath, out),
    )


def _tls(draft: Draft, service_def: Source, spath: PathKey, out: Collector) -> Tls | None:
    tls = service_def.get(*spath, "tls")
    ca = service_def.get(*spath, "tls", "issuerCertificateAuthority", "awsPcaAuthorityArn")
    if not isinstance(tls, dict) or not isinstance(ca, str):
        return None
    out.take(draft.name, service_def, *spath, "tls", "issuerCertificateAuthority", "awsPcaAuthorityArn")
    kms, role = tls.get("kmsKey"), tls.get("roleArn")
    if isinstance(kms, str):
        out.take(draft.name, service_def, *spath, "tls", "kmsKey")
    if isinstance(role, str):
        out.take(draft.name, service_def, *spath, "tls", "roleArn")
    return Tls(ca_arn=ca, kms_key=kms if isinstance(kms, str) else None, role_arn=role if isinstance(role, str) else None)


def _service(draft: Draft, svc: Source, out: Collector) -> None:
    count = svc.get("desiredCount")
    if _int(count) is not None:
        draft.desired_count = _int(out.take(draft.name, svc, "desiredCount"))
    else:
        draft.desired_count = None
        out.notes.append(ImportNote(draft.name, "default", svc.where("desiredCount"), "not set: this project's default applies"))
    exec_on = svc.get("enableExecuteCommand")
    draft.enable_execute_command = exec_on is True
    if exec_on is not MISSING:
        out.take(draft.name, svc, "enableExecuteCommand")
    _service_connect(draft, svc, out)
    _network(draft, svc, out)
    for path, allowed in SERVICE_SAME.items():
        out.expect(draft.name, svc, path, allowed)
    for i, balancer in enumerate(svc.get("loadBalancers") or []):
        out.add(
            draft.name,
            "not-internal",
            svc,
            ("loadBalancers", i),
            f"{_show(balancer)}: a load balancer makes the service reachable from outside the system; not carried over",
        )
    strategy = svc.get("capacityProviderStrategy")
    if isinstance(strategy, list) and strategy:
        out.add(
            draft.name,
            "cannot",
            svc,
            ("capacityProviderStrategy",),
            f"{_show(strategy)}: this project runs launch type FARGATE; moving an existing service between a capacity "
            "provider strategy and a launch type replaces it",
        )
    for key in SERVICE_STATUS:
        if svc.get(key) is not MISSING:
            out.add(draft.name, "ignored", svc, (key,), STATUS_NOTE)


def _service_connect(draft: Draft, svc: Source, out: Collector) -> None:
    config = svc.get("serviceConnectConfiguration")
    if not isinstance(config, dict) or config.get("enabled") is not True:
        where = svc.where("serviceConnectConfiguration")
        out.notes.append(ImportNote(draft.name, "default", where, "Service Connect is off: this project turns it on (as a client)"))
        if isinstance(config, dict):
            svc.consume("serviceConnectConfiguration", "enabled")
        return
    out.take(draft.name, svc, "serviceConnectConfiguration", "enabled")
    namespace = config.get("namespace")
    if isinstance(namespace, str) and not namespace.startswith("arn:"):
        draft.namespace = _text(out.take(draft.name, svc, "serviceConnectConfiguration", "namespace"))
    elif namespace is not None:
        out.add(
            draft.name,
            "cannot",
            svc,
            ("serviceConnectConfiguration", "namespace"),
            f"{_show(namespace)}: name the namespace in Settings.network.namespace by hand",
        )
    group = _awslogs(config.get("logConfiguration"))
    if group is not MISSING:
        draft.proxy_logs = True
        out.take(draft.name, svc, "serviceConnectConfiguration", "logConfiguration", "logDriver")
        draft.note_running("proxy_log_group", group)
        out.add(
            draft.name,
            "derived",
            svc,
            ("serviceConnectConfiguration", "logConfiguration", "options"),
            f"proxy logs to {_text(group)!r}: this project writes them to '/ecs/<cluster>/{draft.name}/service-connect'",
        )


def _network(draft: Draft, svc: Source, out: Collector) -> None:
    base = ("networkConfiguration", "awsvpcConfiguration")
    public = svc.get(*base, "assignPublicIp")
    if public == "ENABLED":
        out.add(
            draft.name,
            "not-internal",
            svc,
            (*base, "assignPublicIp"),
            "'ENABLED': a public IP makes the service reachable from outside; not carried over (this project assigns none)",
        )
    elif public is not MISSING:
        out.expect(draft.name, svc, (*base, "assignPublicIp"), ("DISABLED",))
    for key, detail in (
        ("subnets", "this project places tasks in the network stack's private subnets"),
        ("securityGroups", "this project gives each service its own group, open only to its declared callers"),
    ):
        if svc.get(*base, key) is not MISSING:
            draft.note_running(key, svc.get(*base, key))
            out.add(draft.name, "derived", svc, (*base, key), f"{_show(svc.get(*base, key))}: {detail}")


def infer_calls(drafts: list[Draft], namespace: str) -> list[Edge]:
    """Calls that an environment value or command of a service shows: it names a server's ``<alias>``.

    Only hosts callers really use count: each server port's client alias, or
    ``<discoveryName>.<namespace>`` (case-insensitive, as DNS is).
    """
    hosts: list[tuple[str, str]] = []
    for draft in drafts:
        for port in draft.ports:
            hosts.append((endpoint_host(port, namespace).lower(), draft.name))
    edges: list[Edge] = []
    for draft in drafts:
        for where, text in draft.texts:
            for host, server in hosts:
                if server == draft.name or any(e.caller == draft.name and e.server == server for e in edges):
                    continue
                if re.search(rf"(?<![A-Za-z0-9.-]){re.escape(host)}(?![A-Za-z0-9-]|\.[A-Za-z0-9])", text, re.IGNORECASE):
                    edges.append(Edge(draft.name, server, f"{where} names {host}"))
    return edges
