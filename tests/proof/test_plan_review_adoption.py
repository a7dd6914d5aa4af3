"""The plan review of an adoption: imports listed, every replacement explained, a running ECS service never replaced silently."""

from __future__ import annotations

from typing import Any

from proof.plan_review import markdown, review


def _change(address: str, actions: list[str], *, name: str, importing: str | None = None, replace_paths: Any = None) -> dict[str, Any]:
    rtype = address.split(".")[0]
    change: dict[str, Any] = {"actions": actions, "before": {"name": name}, "after": {"name": name}, "after_unknown": {}}
    if importing is not None:
        change["importing"] = {"id": importing}
    if replace_paths is not None:
        change["replace_paths"] = replace_paths
    return {"address": address, "type": rtype, "change": change}


def _plan(*changes: dict[str, Any], prior: tuple[str, ...] = ()) -> dict[str, Any]:
    resources = [{"address": address, "values": {"id": address}} for address in prior]
    return {"resource_changes": list(changes), "prior_state": {"values": {"root_module": {"resources": resources}}}, "configuration": {}}


def test_clean_adoption_says_no_running_service_is_replaced() -> None:
    plan = _plan(
        _change("aws_ecs_service.api", ["update"], name="api", importing="ServiceConnect/api"),
        _change("aws_security_group.api", ["no-op"], name="legacy-sg", importing="sg-0123456789abcdef0"),
        _change("aws_ecs_task_definition.api", ["create"], name="internal-api-api"),
    )
    result = review("services", plan)
    assert result.blocking == [] and result.forced == []
    assert result.imports == [
        "`aws_ecs_service.api` (api): imported (ServiceConnect/api), updated in place",
        "`aws_security_group.api` (legacy-sg): imported (sg-0123456789abcdef0), no change",
    ]
    text = markdown([result])
    assert "**No replacement or destruction of a running ECS service** (api)." in text
    assert "### Adopted (imported) resources" in text


def test_replacing_an_imported_service_is_blocking_and_says_why() -> None:
    plan = _plan(
        _change("aws_ecs_service.api", ["delete", "create"], name="api", importing="ServiceConnect/api", replace_paths=[["launch_type"]]),
        _change(
            "aws_security_group.api", ["delete", "create"], name="legacy-sg", importing="sg-1", replace_paths=[["description"], ["name"]]
        ),
    )
    result = review("services", plan)
    assert result.blocking == [
        "`aws_ecs_service.api`: the running ECS service api would be replaced (`launch_type` cannot change in place): "
        "its tasks stop and its endpoint changes"
    ]
    assert result.forced == [
        "`aws_ecs_service.api` (api): replaced because `launch_type` cannot change in place",
        "`aws_security_group.api` (legacy-sg): replaced because `description`, `name` cannot change in place",
    ]
    text = markdown([result])
    assert "**BLOCKING: the plan replaces or destroys 1 running ECS service(s).**" in text
    assert "No change widens who can reach a service." in text  # a replacement is not a wider reach


def test_destroying_a_managed_running_service_is_blocking() -> None:
    plan = _plan(_change("aws_ecs_service.api", ["delete"], name="api"), prior=("aws_ecs_service.api",))
    result = review("services", plan)
    assert result.blocking == [
        "`aws_ecs_service.api`: the running ECS service api would be destroyed: its tasks stop and its endpoint changes"
    ]


def test_a_plan_without_services_says_nothing_about_them() -> None:
    text = markdown([review("network", _plan(_change("aws_kms_key.k", ["create"], name="k")))])
    assert "running ECS service" not in text and "Adopted" not in text
