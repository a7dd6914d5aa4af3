"""The proof: every check over every ECS service, as a sorted list of one-line violations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from proof.findings import Finding

from .config import Config
from .exposure import check_front_doors, check_placement
from .guarded import check_guarded
from .iam import check_role, check_trust, untraceable_attachments
from .ingress import check_group_members, check_identity, check_ingress, check_modules
from .kinds import RULE as KINDS_RULE
from .kinds import detail as kind_detail
from .kinds import unproven
from .model import Address, Unknown
from .services import Callers, Ecs, Model
from .values import truth


def check_iam(model: Model, ecs: Ecs) -> Iterator[Finding]:
    config = model.config
    if isinstance(ecs.task, Unknown) or ecs.task.type != "aws_ecs_task_definition":
        yield Finding(ecs.name, str(ecs.address), "exec-least-privilege", "task definition cannot be traced")
        return
    task_body = config.body(ecs.task)
    exec_flag = truth(config.value(ecs.address.stack, ecs.body.get("enable_execute_command")))
    exec_on = exec_flag is not False  # a computed flag is checked as if on: the stricter case
    declared = model.declared(ecs.name)
    for field in ("task_role_arn", "execution_role_arn"):
        if task_body.get(field) is None:
            continue
        role = _role(config, ecs.task.stack, task_body[field])
        if isinstance(role, Unknown):
            yield Finding(ecs.name, str(ecs.task), "exec-least-privilege", f"{field} cannot be traced to an aws_iam_role")
            continue
        yield from check_trust(config, ecs.name, role)
        yield from check_role(
            config,
            ecs.name,
            role,
            task_role=field == "task_role_arn",
            exec_on=exec_on,
            declared_actions=(declared.actions if field == "task_role_arn" else ()) if declared is not None else None,
            managed=declared.managed_policies if declared is not None else (),
            grants=declared.grants if declared is not None and field == "task_role_arn" else (),
        )
    for where, detail in untraceable_attachments(config):
        yield Finding(ecs.name, where, "exec-least-privilege", detail)


def _role(config: Config, stack: str, value: object) -> Address | Unknown:
    target = config.resolve(stack, value)
    if isinstance(target, Address) and target.type == "aws_iam_role" and target.mode == "data":
        target = config.own(target) or Unknown(f"role looked up by data source {target}")
    if isinstance(target, Address):
        return target if target.type == "aws_iam_role" and target.mode == "managed" else Unknown(f"{target} is not an aws_iam_role")
    literal = config.value(stack, value)
    if isinstance(literal, str) and ":role/" in literal:
        for address, body in config.resources("aws_iam_role"):
            if body.get("name") == literal.rsplit("/", 1)[-1]:
                return address
    return target


def verify(config: Config, callers: Callers = None, accepted: Iterable[str] = ()) -> list[Finding]:
    """Every violation, sorted. ``callers``: the full declaration (``declared_callers``), or a mapping from a
    server to its callers' names (only caller rules checked), or None (callers derived from the JSON).
    ``accepted``: addresses of resources the declaration accepts although the checker does not model them."""
    model = Model(config, callers)
    found: set[Finding] = set()
    beyond = unproven(config, accepted)
    for ecs in model.services:
        for check in (check_identity, check_placement, check_front_doors, check_ingress, check_group_members, check_iam, check_modules):
            found.update(check(model, ecs))
        found.update(Finding(ecs.name, item.where, KINDS_RULE, kind_detail(item, ecs.name)) for item in beyond)
    found.update(_missing(model))
    found.update(check_guarded(model))
    return sorted(found)


def _missing(model: Model) -> Iterator[Finding]:
    """A declared service with no ECS service, or no ECS service at all: nothing was proven, so it is a finding."""
    names = {ecs.name for ecs in model.services if ecs.name_known}
    if model.full and model.callers is not None:
        for name in sorted(set(model.callers) - names):
            yield Finding(name, "-", "declared-services-only", "cannot prove: declared, but no aws_ecs_service in the input has this name")
    if not model.services:
        yield Finding(
            "*", "-", "reads-everything", "cannot prove: the input has no aws_ecs_service (wrong folder, or nothing synthesized?)"
        )


def checked(config: Config) -> tuple[list[str], list[str]]:
    """(Service Connect servers, every ECS service) the proof covered, by name, for the summary line."""
    services = Model(config, None).services
    return sorted({e.name for e in services if e.sc_served}), sorted({e.name for e in services})
