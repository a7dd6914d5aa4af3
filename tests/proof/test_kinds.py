"""Default-deny over types (issue 19): the schema classification, acceptance by name, and forms only JSON or a plan has.

``types.json`` must be what the pinned provider's schema gives (regenerated here:
needs terraform and the provider mirror, and fails without them). Hypothesis draws
types from it: a neutral one added to the article is accepted; one that can take a
security group, placed in the server's group, is rejected naming that argument.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proof.verify import Config, declared_callers, load, verify
from proof.verify.cli import main
from proof.verify.kinds import schema
from proof.verify.modelled import MODELLED
from proof.verify.typegen import TYPES_FILE, classify, render
from topology import Accepted, Settings, validate
from topology.model import Port, Service, Topology

from ..tfjson import Synth

SERVER, CLIENT = "internal-nginx", "client-nginx"
Stacks = dict[str, dict[str, Any]]
NEUTRAL = sorted(t for t, reach in schema().resources.items() if not reach and t not in MODELLED)
TAKES_A_GROUP = sorted(t for t, paths in schema().members.items() if t not in MODELLED and any("." not in p for p in paths))


def test_types_json_is_what_the_provider_schema_gives(aws_provider_schema: dict[str, Any]) -> None:
    """Fails (does not skip) without terraform or the mirror: the classification must be reproducible.

    ``aws_provider_schema`` is ``typegen.provider_schema()``, run once for the whole test run (tests/conftest.py).
    """
    assert render(classify(aws_provider_schema)) == TYPES_FILE.read_text(encoding="utf-8")


def test_the_rule_classifies_known_types_as_documented() -> None:
    resources = schema().resources
    assert resources["aws_cloudwatch_log_group"] == ()
    assert resources["aws_instance"][:3] == ("associate_public_ip_address", "capacity_reservation_specification", "enable_primary_ipv6")
    assert "template_body" in resources["aws_cloudformation_stack"]
    assert resources["aws_lambda_invocation"] == ("function_name", "input")
    assert resources["aws_ssm_association"] != ()
    assert schema().members["aws_launch_template"] == (
        "security_group_names",
        "vpc_security_group_ids",
        "network_interfaces.security_groups",
    )
    assert len(NEUTRAL) > 200 and len(TAKES_A_GROUP) > 50


def _stacks(synth: Synth) -> Stacks:
    return {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}


def _group_ref(stacks: Stacks, service: str) -> str:
    (name,) = [
        n
        for n, b in stacks["services"]["resource"]["aws_security_group"].items()
        if b["//"]["metadata"]["path"] == f"services/{service}_sg/group"
    ]
    return f"${{aws_security_group.{name}.id}}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rtype=st.sampled_from(NEUTRAL))
def test_any_neutral_type_is_accepted(rtype: str, article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    stacks["services"]["resource"].setdefault(rtype, {})["probe"] = {"tags": {"owner": _group_ref(stacks, SERVER)}}
    assert verify(Config(stacks), declared_callers("article")) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rtype=st.sampled_from(TAKES_A_GROUP))
def test_any_type_that_takes_a_group_is_rejected(rtype: str, article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    argument = next(p for p in schema().members[rtype] if "." not in p)
    stacks["services"]["resource"].setdefault(rtype, {})["probe"] = {argument: [_group_ref(stacks, SERVER)]}
    lines = [str(v) for v in verify(Config(stacks), declared_callers("article"))]
    for service in (CLIENT, SERVER):
        assert any(
            line.startswith(
                f"service '{service}': services:{rtype}.probe: known-types-only: cannot prove: {rtype} can change who reaches {service} ("
            )
            and argument in line.split("(", 1)[1]
            for line in lines
        ), "\n".join(lines)


def test_an_accepted_resource_is_printed_with_its_reason(article_synth: Synth, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stacks = _stacks(article_synth)
    stacks["services"]["resource"]["aws_sns_topic"] = {"alerts": {"name": "alerts", "policy": "{}"}}
    for name, body in stacks.items():
        (tmp_path / "stacks" / name).mkdir(parents=True)
        (tmp_path / "stacks" / name / "cdk.tf.json").write_text(json.dumps(body), encoding="utf-8")
    assert main([str(tmp_path), "--example", "article"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"service '{s}': services:aws_sns_topic.alerts: known-types-only: cannot prove: aws_sns_topic can change who reaches {s} (policy)"
        for s in (CLIENT, SERVER)
    ]
    config = load([tmp_path])
    assert verify(config, declared_callers("article"), ["aws_sns_topic.alerts"]) == []
    assert verify(config, declared_callers("article"), ["services:aws_sns_topic.alerts"]) == []
    assert len(verify(config, declared_callers("article"), ["network:aws_sns_topic.alerts"])) == 2


def test_accepted_entries_are_validated_in_one_line() -> None:
    topology = Topology(services=(Service(name="api", ports=(Port(name="api", container_port=80),)),))
    good = Settings(accepted=(Accepted(address="aws_sns_topic.alerts", reason="alerts only; no network path"),))
    assert validate(topology, good) == []
    bad = Settings(accepted=(Accepted(address="sns topic", reason=""),))
    assert validate(topology, bad) == [
        "settings: accepted[0]: 'sns topic' needs an address like 'aws_sns_topic.alerts' (or 'data.<type>.<name>', '<stack>:' first allowed) and a reason"
    ]


def test_a_system_module_prints_what_it_accepts(
    article_synth: Synth, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types

    module = types.ModuleType("accepting_system")
    from examples import article

    module.TOPOLOGY = article.TOPOLOGY  # type: ignore[attr-defined]
    module.SETTINGS = Settings(accepted=(Accepted(address="aws_sns_topic.alerts", reason="alert fan-out, no network path"),))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "accepting_system", module)
    assert main([str(article_synth.outdir), "--system", "accepting_system"]) == 0
    assert capsys.readouterr().out == "accepted: aws_sns_topic.alerts: alert fan-out, no network path\n"


# -- forms only Terraform JSON or a plan has ------------------------------------------------------------------


def _write(root: Path, stacks: Stacks, extra: dict[str, str]) -> Path:
    for name, body in stacks.items():
        (root / name).mkdir(parents=True)
        (root / name / "cdk.tf.json").write_text(json.dumps(body), encoding="utf-8")
    for relative, text in extra.items():
        (root / relative).write_text(text, encoding="utf-8")
    return root


def _open_rule(group: str) -> dict[str, Any]:
    return {"security_group_id": group, "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 80, "to_port": 80}


def test_a_second_resource_key_in_one_json_file_is_read(article_synth: Synth, tmp_path: Path) -> None:
    stacks = _stacks(article_synth)
    rule = json.dumps({"aws_vpc_security_group_ingress_rule": {"open": _open_rule(_group_ref(stacks, SERVER))}})
    text = '{"resource": {"aws_cloudwatch_log_group": {"x": {"name": "x"}}}, "resource": ' + rule + "}"
    root = _write(tmp_path, stacks, {"services/extra.tf.json": text})
    assert [str(v) for v in verify(load([root / "network", root / "services"]), declared_callers("article"))] == [
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.open: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"
    ]


@pytest.mark.parametrize("number", [80, 80.0, "80", "8e1", 8e1, "80.0"])
def test_numbers_in_any_json_form_are_one_port(number: Any, article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    rules = stacks["services"]["resource"]["aws_vpc_security_group_ingress_rule"]
    for rule in rules.values():
        rule["from_port"] = rule["to_port"] = number
    assert verify(Config(stacks), declared_callers("article")) == []
    for rule in rules.values():
        rule["to_port"] = "81"
    assert {v.detail for v in verify(Config(stacks), declared_callers("article"))} == {
        f"opens tcp {number}-81; only tcp on [80] (its Service Connect ingress ports)"
    }


def test_the_clusters_default_namespace_is_the_namespace(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    for body in stacks["services"]["resource"]["aws_ecs_service"].values():
        body["service_connect_configuration"].pop("namespace")
    assert verify(Config(stacks), declared_callers("article")) == []


def test_distinct_for_each_keys_are_distinct_groups(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    resources = stacks["services"]["resource"]
    server_group = _group_ref(stacks, SERVER)
    resources["aws_security_group"]["pool"] = {"for_each": {"a": "a", "b": "b"}, "name": "${each.key}", "vpc_id": "vpc-1"}
    client = next(b for b in resources["aws_ecs_service"].values() if b["name"] == CLIENT)
    client["network_configuration"]["security_groups"].append('${aws_security_group.pool["a"].id}')
    resources["aws_instance"] = {"host": {"ami": "ami-1", "vpc_security_group_ids": ['${aws_security_group.pool["b"].id}']}}
    rule = {"referenced_security_group_id": '${aws_security_group.pool["a"].id}', "ip_protocol": "tcp", "from_port": 80, "to_port": 80}
    resources["aws_vpc_security_group_ingress_rule"]["from_pool"] = {"security_group_id": server_group, **rule}
    accepted = ["aws_instance.host"]
    assert verify(Config(stacks), declared_callers("article"), accepted) == []
    resources["aws_instance"]["host"]["vpc_security_group_ids"] = ['${aws_security_group.pool["a"].id}']
    assert [str(v) for v in verify(Config(stacks), declared_callers("article"), accepted)] == [
        f"service '{CLIENT}': services:aws_instance.host: ingress-callers-only: it joins "
        'services:aws_security_group.pool["a"], this service\'s security group',
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.from_pool: ingress-callers-only: ingress from "
        'services:aws_security_group.pool["a"] admits services:aws_instance.host (an aws_instance, not an ECS service), which is not a task of a declared caller',
    ]


PLANS = Path(__file__).parent / "fixtures" / "plan"


def test_a_plan_gives_the_same_verdict_for_an_unmodelled_type_and_a_provisioner(tmp_path: Path) -> None:
    plan = json.loads((PLANS / "services.json").read_text(encoding="utf-8"))
    for rtype, name, values, config_extra in (
        ("aws_cloudformation_stack", "rule", {"name": "rule", "template_body": "{}"}, {}),
        (
            "terraform_data",
            "open",
            {"input": None},
            {"provisioners": [{"type": "local-exec", "expressions": {"command": {"constant_value": "x"}}}]},
        ),
    ):
        common = {"address": f"{rtype}.{name}", "mode": "managed", "type": rtype, "name": name}
        plan["planned_values"]["root_module"]["resources"].append({**common, "values": values})
        plan["resource_changes"].append({**common, "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": {}}})
        expressions = {key: {"constant_value": value} for key, value in values.items() if value is not None}
        plan["configuration"]["root_module"]["resources"].append({**common, "expressions": expressions, **config_extra})
    (tmp_path / "services.json").write_text(json.dumps(plan), encoding="utf-8")
    lines = [str(v) for v in verify(load([PLANS / "network.json", tmp_path / "services.json"]), declared_callers("article"))]
    assert lines == [
        f"service '{s}': services:{where}: known-types-only: cannot prove: {kind} can change who reaches {s} ({argument})"
        for s in (CLIENT, SERVER)
        for where, kind, argument in (
            ("aws_cloudformation_stack.rule", "aws_cloudformation_stack", "template_body"),
            ("terraform_data.open", "terraform_data", "provisioner local-exec"),
        )
    ]


def test_remote_state_of_another_workspace_is_not_the_network_read_here(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    (remote,) = stacks["services"]["data"]["terraform_remote_state"].values()
    assert verify(Config(copy.deepcopy(stacks)), declared_callers("article")) == []
    remote["workspace"] = "staging"
    lines = [str(v) for v in verify(Config(stacks), declared_callers("article"))]
    assert lines and all("cross-stack-reference-input-network" in line for line in lines)
    assert any(
        line.endswith("the server's cluster cannot be traced: remote state cross-stack-reference-input-network reads workspace 'staging')")
        for line in lines
    )
    remote["config"]["path"] = "./" + remote["config"]["path"].replace("state/", "state/../state/")
    remote.pop("workspace")
    assert verify(Config(stacks), declared_callers("article")) == []  # the same file, written another way


ODD = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 70000)
    | st.floats(allow_nan=True)
    | st.sampled_from(["", "sg-1", "${var.x}", "${each.key}", "*", "1e0"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["local-exec", "destroy", "from", "content", "lifecycle"]), inner, max_size=3)
    ),
    max_leaves=5,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    section=st.sampled_from(["removed", "moved", "import", "check", "ephemeral", "resource", "data"]),
    rtype=st.sampled_from([*NEUTRAL[:5], *TAKES_A_GROUP[:5], "terraform_data", "external", "aws_ecs_service", "aws_eip", "nope"]),
    argument=st.sampled_from(
        ["provisioner", "dynamic", "for_each", "security_groups", "vpc_security_group_ids", "network_interface", "tags"]
    ),
    value=ODD,
)
def test_no_block_or_argument_makes_the_type_check_crash(section: str, rtype: str, argument: str, value: Any, article_synth: Synth) -> None:
    """Odd values where the type check looks (provisioners, removed blocks, members): findings or a proof, never an exception."""
    stacks = _stacks(article_synth)
    if section in ("resource", "data"):
        stacks["services"].setdefault(section, {}).setdefault(rtype, {})["odd"] = {argument: value}
    else:
        stacks["services"][section] = value
    assert isinstance(verify(Config(stacks), declared_callers("article"), ["aws_eip.odd"]), list)


def test_a_comment_inside_a_json_expression_is_read_as_terraform_reads_it(article_synth: Synth, tmp_path: Path) -> None:
    stacks = _stacks(article_synth)
    group = _group_ref(stacks, SERVER).replace(".id}", " /* the server */ .id # its id\n}")
    rules = {"resource": {"aws_vpc_security_group_ingress_rule": {"commented": _open_rule(group)}}}
    root = _write(tmp_path, stacks, {"services/extra.tf.json": "\ufeff" + json.dumps(rules)})
    assert [str(v) for v in verify(load([root / "network", root / "services"]), declared_callers("article"))] == [
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.commented: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"
    ]


def test_a_plan_that_forgets_a_resource_keeps_it_running_unchecked(tmp_path: Path) -> None:
    """``removed { lifecycle { destroy = false } }`` shows in a plan as a "forget" change: the same line as in HCL."""
    plan = json.loads((PLANS / "services.json").read_text(encoding="utf-8"))
    change: dict[str, Any] = {"actions": ["forget"], "before": {}, "after": None, "after_unknown": {}}
    plan["resource_changes"].append(
        {"address": "aws_instance.old", "mode": "managed", "type": "aws_instance", "name": "old", "change": change}
    )
    (tmp_path / "services.json").write_text(json.dumps(plan), encoding="utf-8")
    lines = [str(v) for v in verify(load([PLANS / "network.json", tmp_path / "services.json"]), declared_callers("article"))]
    assert lines == [
        f"service '{s}': services:removed[0]: known-types-only: cannot prove: removed aws_instance.old can change who reaches {s} "
        "(destroy = false keeps it running outside the configuration)"
        for s in (CLIENT, SERVER)
    ]


def test_a_data_source_outside_the_provider_in_a_check_block_is_a_finding(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    stacks["services"]["check"] = {"probe": {"data": {"external": {"x": {"program": ["sh"]}}}, "assert": {}}}
    assert [str(v) for v in verify(Config(stacks), declared_callers("article"))] == [
        f"service '{s}': services:check.probe: known-types-only: cannot prove: data.external can change who reaches {s} (not in the {'hashicorp/aws 5.100.0'} schema)"
        for s in (CLIENT, SERVER)
    ]


def _plan_lines(tmp_path: Path, plan: dict[str, Any], accepted: tuple[str, ...] = ()) -> list[str]:
    (tmp_path / "services.json").write_text(json.dumps(plan), encoding="utf-8")
    config = load([PLANS / "network.json", tmp_path / "services.json"])
    return [str(v) for v in verify(config, declared_callers("article"), accepted)]


def test_a_plan_reads_the_trust_policy_and_mentions_as_hcl_and_json_do(tmp_path: Path) -> None:
    """Two red-team edits (a role anyone may assume; a group ID in a parameter) give the same verdict in a plan."""
    plan = json.loads((PLANS / "services.json").read_text(encoding="utf-8"))
    resources = plan["planned_values"]["root_module"]["resources"]
    (role,) = [r for r in resources if r["address"] == "aws_iam_role.internal-nginx_iam_task_2CF0D602"]
    trusted = role["values"]["assume_role_policy"]
    role["values"]["assume_role_policy"] = trusted.replace('{"Service":"ecs-tasks.amazonaws.com"}', '{"AWS":"*"}')
    assert _plan_lines(tmp_path, plan) == [
        f"service '{SERVER}': services:aws_iam_role.internal-nginx_iam_task_2CF0D602.assume_role_policy: trusted-by-tasks-only: "
        'may be assumed by {"AWS": "*"} (only ecs-tasks.amazonaws.com may assume a task\'s role)'
    ]
    role["values"]["assume_role_policy"] = trusted
    parameter = {"name": "sg", "type": "String", "value": "sg-1ad7b70dee79220e6"}  # the client's group, by its ID
    common = {"address": "aws_ssm_parameter.sg", "mode": "managed", "type": "aws_ssm_parameter", "name": "sg"}
    resources.append({**common, "values": parameter})
    plan["configuration"]["root_module"]["resources"].append(
        {**common, "expressions": {k: {"constant_value": v} for k, v in parameter.items()}}
    )
    assert _plan_lines(tmp_path, plan, ("aws_ssm_parameter.sg",)) == []


@pytest.mark.parametrize(("mode", "argument"), [("bridge", "network_mode"), ("host", "network_mode"), (None, "network_mode unset")])
def test_a_task_definition_outside_awsvpc_is_a_finding(mode: str | None, argument: str, article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    tasks = stacks["services"]["resource"]["aws_ecs_task_definition"]
    (name,) = [n for n, b in tasks.items() if b["family"].endswith(SERVER)]
    tasks[name]["network_mode"] = mode
    lines = [str(v) for v in verify(Config(stacks), declared_callers("article"))]
    assert lines == [
        f"service '{s}': services:aws_ecs_task_definition.{name}: known-types-only: cannot prove: aws_ecs_task_definition can change who reaches {s} ({argument})"
        for s in (CLIENT, SERVER)
    ]


def test_an_alarm_that_notifies_a_topic_opens_nothing(article_synth: Synth) -> None:
    """An alarm reads metrics and its actions are ARNs (a topic here): no path, so no finding (a stack of your own
    with one was rejected). A type the proof cannot model beside it is still one."""
    stacks = _stacks(article_synth)
    alarm = {
        "alarm_name": "backlog",
        "comparison_operator": "GreaterThanThreshold",
        "evaluation_periods": 2,
        "alarm_actions": ["arn:aws:sns:ap-northeast-1:123456789012:oncall"],
        "insufficient_data_actions": ["arn:aws:sns:ap-northeast-1:123456789012:oncall"],
    }
    stacks["services"]["resource"]["aws_cloudwatch_metric_alarm"] = {"backlog": alarm}
    assert verify(Config(stacks), declared_callers("article")) == []
    stacks["services"]["resource"]["aws_lambda_function"] = {"probe": {"function_name": "x"}}
    assert verify(Config(stacks), declared_callers("article")) != []
