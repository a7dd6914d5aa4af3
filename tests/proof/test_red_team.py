"""Red team, round two (issue 19): each edit is applied to one system written in HCL and in Terraform JSON.

The HCL system is ``fixtures/hcl``; its JSON twin is the same stacks written as
``main.tf.json`` by the checker's own reader, and each edit's JSON form is its
HCL snippet read by HashiCorp's parser. Both forms must give the same verdict,
and each attack its exact line. ``ATTACKS`` must be rejected, ``HARMLESS``
accepted; ``test_red_team_figures`` counts both (the figures in the report).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from proof.verify import Declared, load, verify
from proof.verify.hcl import parse_hcl
from proof.verify.load import read_stack

HCL_SYSTEM = Path(__file__).parent / "fixtures" / "hcl"
SERVER, CLIENT = "internal-nginx", "client-nginx"
DECLARED = {SERVER: Declared(callers=(CLIENT,), server=True), CLIENT: Declared()}
SCHEMA = "hashicorp/aws 5.100.0"
OPEN = '  cidr_ipv4 = "0.0.0.0/0"\n  ip_protocol = "tcp"\n  from_port = 80\n  to_port = 80\n'


@dataclass(frozen=True)
class Edit:
    """Extra files for the services stack (HCL text by file name) and the lines the checker must print."""

    name: str
    files: dict[str, str]
    lines: tuple[str, ...]
    accepted: tuple[str, ...] = ()


def both(where: str, kind: str, argument: str) -> tuple[str, ...]:
    """A type finding: one line per service, as every service may be reached through it."""
    return tuple(
        f"service '{s}': services:{where}: known-types-only: cannot prove: {kind} can change who reaches {s} ({argument})"
        for s in (CLIENT, SERVER)
    )


def server(where: str, rule: str, detail: str) -> str:
    return f"service '{SERVER}': services:{where}: {rule}: {detail}"


CIDR = "ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"
TRUST = "trusted-by-tasks-only"
CHANNEL = "the ssmmessages channel actions"
UNREADABLE = "a managed or unreadable policy is attached; cannot prove its actions"
WIDE = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})

ATTACKS = [
    Edit(
        "provisioner_opens_the_group",
        {
            "x.tf": 'resource "terraform_data" "open" {\n  provisioner "local-exec" {\n    command = "aws ec2 authorize-security-group-ingress '
            '--group-id ${aws_security_group.server.id} --protocol tcp --port 80 --cidr 0.0.0.0/0"\n  }\n}\n'
        },
        both("terraform_data.open", "terraform_data", "provisioner local-exec"),
    ),
    Edit(
        "remote_exec_on_a_null_resource",
        {"x.tf": 'resource "null_resource" "r" {\n  provisioner "remote-exec" {\n    inline = ["iptables -F"]\n  }\n}\n'},
        both("null_resource.r", "null_resource", "provisioner remote-exec"),
    ),
    Edit(
        "cloudformation_template_adds_ingress",
        {
            "x.tf": 'resource "aws_cloudformation_stack" "rule" {\n  name = "rule"\n  template_body = jsonencode({ Resources = { R = { '
            'Type = "AWS::EC2::SecurityGroupIngress", Properties = { GroupId = aws_security_group.server.id, CidrIp = "0.0.0.0/0", '
            'IpProtocol = "tcp", FromPort = 80, ToPort = 80 } } } })\n}\n'
        },
        both("aws_cloudformation_stack.rule", "aws_cloudformation_stack", "template_body"),
    ),
    Edit(
        "ssm_document_run_by_an_association",
        {
            "x.tf": 'resource "aws_ssm_document" "d" {\n  name = "d"\n  document_type = "Command"\n  content = "{}"\n}\n'
            'resource "aws_ssm_association" "a" {\n  name = aws_ssm_document.d.name\n}\n'
        },
        both("aws_ssm_association.a", "aws_ssm_association", "association_name")
        + both("aws_ssm_document.d", "aws_ssm_document", "content, document_type"),
    ),
    Edit(
        "external_program_as_a_data_source",
        {"x.tf": 'data "external" "x" {\n  program = ["sh", "-c", "aws ec2 authorize-security-group-ingress"]\n}\n'},
        both("data.external.x", "data.external", f"not in the {SCHEMA} schema"),
    ),
    Edit(
        "another_runner_of_the_task_definition",
        {
            "x.tf": 'resource "aws_cloudwatch_event_target" "run" {\n  rule = "every-minute"\n  arn = local.net.cluster_arn\n'
            "  role_arn = aws_iam_role.server_task.arn\n  ecs_target {\n    task_definition_arn = aws_ecs_task_definition.server.arn\n"
            "    network_configuration {\n      subnets = local.subnets\n      assign_public_ip = true\n    }\n  }\n}\n"
        },
        both("aws_cloudwatch_event_target.run", "aws_cloudwatch_event_target", "arn, ecs_target, role_arn"),
    ),
    Edit(
        "a_type_from_another_provider",
        {"x.tf": 'resource "random_id" "x" {\n  byte_length = 4\n}\n'},
        both("random_id.x", "random_id", f"not in the {SCHEMA} schema"),
    ),
    Edit(
        "anyone_may_assume_the_task_role",
        {
            "role_override.tf": 'resource "aws_iam_role" "server_task" {\n  assume_role_policy = jsonencode({ Version = "2012-10-17", '
            'Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "sts:AssumeRole" }] })\n}\n'
        },
        (
            server(
                "aws_iam_role.server_task.assume_role_policy",
                TRUST,
                'may be assumed by {"AWS": "*"} (only ecs-tasks.amazonaws.com may assume a task\'s role)',
            ),
        ),
    ),
    Edit(
        "a_tag_read_as_the_group",
        {
            "x.tf": 'resource "aws_vpc_security_group_ingress_rule" "tagged" {\n  security_group_id = aws_security_group.server.id\n'
            '  referenced_security_group_id = aws_security_group.client.tags.peer\n  ip_protocol = "tcp"\n  from_port = 80\n  to_port = 80\n}\n'
        },
        (
            server(
                "aws_vpc_security_group_ingress_rule.tagged",
                "ingress-callers-only",
                "cannot prove: ingress from ${aws_security_group.client.tags.peer}: ${aws_security_group.client.tags.peer} is the tags.peer "
                "attribute of aws_security_group.client, not the resource",
            ),
        ),
    ),
    Edit(
        "a_comment_inside_the_target_expression",
        {
            "x.tf": f'resource "aws_vpc_security_group_ingress_rule" "c" {{\n  security_group_id = aws_security_group /* hi */ .server.id\n{OPEN}}}\n'
        },
        (server("aws_vpc_security_group_ingress_rule.c", "ingress-callers-only", CIDR),),
    ),
    Edit(
        "a_file_with_a_byte_order_mark",
        {
            "x.tf": f'\ufeffresource "aws_vpc_security_group_ingress_rule" "bom" {{\n  security_group_id = aws_security_group.server.id\n{OPEN}}}\n'
        },
        (server("aws_vpc_security_group_ingress_rule.bom", "ingress-callers-only", CIDR),),
    ),
    Edit(
        "a_lookup_of_the_servers_own_group",
        {
            "x.tf": 'data "aws_security_group" "mine" {\n  name = "internal-nginx"\n}\n'
            f'resource "aws_vpc_security_group_ingress_rule" "via_lookup" {{\n  security_group_id = data.aws_security_group.mine.id\n{OPEN}}}\n'
        },
        (server("aws_vpc_security_group_ingress_rule.via_lookup", "ingress-callers-only", CIDR),),
    ),
    Edit(
        "an_aws_managed_policy_named_like_a_harmless_one",
        {
            "x.tf": 'resource "aws_iam_policy" "decoy" {\n  name = "AdministratorAccess"\n  policy = jsonencode({ Version = "2012-10-17", '
            'Statement = [{ Effect = "Allow", Action = "ssmmessages:OpenDataChannel", Resource = "*" }] })\n}\n'
            'resource "aws_iam_role_policy_attachment" "admin" {\n  role = aws_iam_role.server_task.name\n'
            '  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n'
        },
        (server("aws_iam_role_policy_attachment.admin", "exec-least-privilege", UNREADABLE),),
    ),
    Edit(
        "a_role_named_through_a_list_local",
        {
            "x.tf": 'locals {\n  roles = [aws_iam_role.server_task.name]\n}\nresource "aws_iam_policy" "wide" {\n  name = "wide"\n'
            f"  policy = {json.dumps(WIDE)}\n}}\n"
            'resource "aws_iam_policy_attachment" "wide" {\n  name = "wide"\n  roles = local.roles\n  policy_arn = aws_iam_policy.wide.arn\n}\n'
        },
        (
            server("aws_iam_policy_attachment.wide", "exec-least-privilege", f"task role allows s3:* beyond {CHANNEL}"),
            server("aws_iam_policy_attachment.wide", "no-wildcard-action", "allows 's3:*'"),
        ),
    ),
    Edit(
        "a_role_named_through_a_data_lookup",
        {
            "x.tf": 'data "aws_iam_role" "task" {\n  name = "internal-nginx-task"\n}\n'
            f'resource "aws_iam_role_policy" "wide" {{\n  name = "wide"\n  role = data.aws_iam_role.task.name\n  policy = {json.dumps(WIDE)}\n}}\n'
        },
        (
            server("aws_iam_role_policy.wide", "exec-least-privilege", f"task role allows s3:* beyond {CHANNEL}"),
            server("aws_iam_role_policy.wide", "no-wildcard-action", "allows 's3:*'"),
        ),
    ),
    Edit(
        "an_object_kept_by_a_removed_block",
        {"x.tf": "removed {\n  from = aws_instance.old\n  lifecycle {\n    destroy = false\n  }\n}\n"},
        tuple(
            f"service '{s}': services:removed[0]: known-types-only: cannot prove: removed aws_instance.old can change who reaches {s} "
            "(destroy = false keeps it running outside the configuration)"
            for s in (CLIENT, SERVER)
        ),
    ),
    Edit(
        "a_host_launched_without_a_group_when_the_default_group_is_admitted",
        {
            "x.tf": 'data "aws_security_group" "default" {\n  name = "default"\n  vpc_id = local.net.vpc_id\n}\n'
            'resource "aws_vpc_security_group_ingress_rule" "from_default" {\n  security_group_id = aws_security_group.server.id\n'
            '  referenced_security_group_id = data.aws_security_group.default.id\n  ip_protocol = "tcp"\n  from_port = 80\n  to_port = 80\n}\n'
            'resource "aws_instance" "bare" {\n  ami = "ami-1"\n  instance_type = "t3.micro"\n}\n'
        },
        (
            server(
                "aws_vpc_security_group_ingress_rule.from_default",
                "ingress-callers-only",
                "ingress from network:aws_vpc.vpc.default_security_group_id, which is not the security group of a declared caller "
                "(services:aws_instance.bare: an aws_instance, not an ECS service)",
            ),
        ),
        accepted=("aws_instance.bare",),
    ),
    Edit(
        "a_dynamic_route_on_a_modelled_type",
        {
            "x.tf": 'resource "aws_route_table" "extra" {\n  vpc_id = local.net.vpc_id\n  dynamic "route" {\n    for_each = ["0.0.0.0/0"]\n'
            '    content {\n      cidr_block = route.value\n      gateway_id = "igw-1"\n    }\n  }\n}\n'
        },
        both("aws_route_table.extra", "aws_route_table", "dynamic"),
    ),
    Edit(
        "an_external_program_inside_a_check_block",
        {
            "x.tf": 'check "probe" {\n  data "external" "x" {\n    program = ["sh"]\n  }\n  assert {\n    condition = true\n    error_message = "x"\n  }\n}\n'
        },
        both("check.probe", "data.external", f"not in the {SCHEMA} schema"),
    ),
    Edit(
        "a_block_type_the_checker_does_not_read",
        {"x.tf": 'ephemeral "aws_secretsmanager_secret_version" "s" {\n  secret_id = "x"\n}\n'},
        tuple(
            f"service '{s}': services:ephemeral: known-types-only: cannot prove: a ephemeral block can change who reaches {s} "
            "(not a block type the checker reads)"
            for s in (CLIENT, SERVER)
        ),
    ),
]

HARMLESS = [
    Edit("a_neutral_type", {"x.tf": 'resource "aws_cloudwatch_log_group" "extra" {\n  name = "extra"\n}\n'}, ()),
    Edit(
        "a_group_id_kept_in_a_parameter_is_no_member",
        {
            "x.tf": 'resource "aws_ssm_parameter" "sg" {\n  name = "sg"\n  type = "String"\n  value = aws_security_group.client.id\n}\n'
            'output "client_sg" {\n  value = aws_security_group.client.id\n}\n'
        },
        (),
        accepted=("aws_ssm_parameter.sg",),
    ),
    Edit(
        "a_group_id_in_a_tag_is_no_member",
        {
            "x.tf": 'resource "aws_security_group" "own" {\n  name = "own"\n  vpc_id = "vpc-1"\n}\n'
            'resource "aws_instance" "tagged" {\n  ami = "ami-1"\n  instance_type = "t3.micro"\n'
            "  vpc_security_group_ids = [aws_security_group.own.id]\n  tags = { peer = aws_security_group.client.id, server = aws_security_group.server.id }\n}\n"
        },
        (),
        accepted=("aws_instance.tagged",),
    ),
    Edit(
        "an_accepted_topic",
        {"x.tf": 'resource "aws_sns_topic" "alerts" {\n  name = "alerts"\n  policy = "{}"\n}\n'},
        (),
        ("aws_sns_topic.alerts",),
    ),
    Edit(
        "comments_everywhere_in_an_equivalent_rule",
        {
            "rule_override.tf": 'resource "aws_vpc_security_group_ingress_rule" "client_to_server" {\n'
            "  referenced_security_group_id = (aws_security_group # the caller\n    .client.id /* still it */)\n"
            "  from_port = 80 # port\n  to_port = 80\n}\n"
        },
        (),
    ),
    Edit("a_bom_and_a_comment", {"x.tf": '\ufeff# notes\noutput "note" {\n  value = "x" # trailing\n}\n'}, ()),
    Edit(
        "ports_as_a_string_and_a_float",
        {
            "rule_override.tf": 'resource "aws_vpc_security_group_ingress_rule" "client_to_server" {\n  from_port = "80"\n  to_port = 80.0\n}\n'
        },
        (),
    ),
    Edit("moved_and_import_blocks", {"x.tf": "moved {\n  from = aws_security_group.old\n  to = aws_security_group.server\n}\n"}, ()),
    Edit(
        "an_indented_heredoc_policy",
        {
            "x.tf": 'resource "aws_iam_role_policy" "more" {\n  name = "more"\n  role = aws_iam_role.server_task.id\n  policy = <<-EOT\n'
            '    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssmmessages:OpenDataChannel", "Resource": "*"}]}\n'
            "  EOT\n}\n"
        },
        (),
    ),
    Edit(
        "a_removed_block_that_destroys",
        {"x.tf": "removed {\n  from = aws_instance.old\n  lifecycle {\n    destroy = true\n  }\n}\n"},
        (),
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _parsed_in_one_batch(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every edit's files and the system's own, parsed by one node process (``parse_hcl`` keeps each text's result):
    parsed edit by edit, the file started 32 node processes, 25 CPU s of a test run."""
    root = tmp_path_factory.mktemp("edits")
    paths = sorted(HCL_SYSTEM.glob("*/*.tf"))
    for index, edit in enumerate(ATTACKS + HARMLESS):
        for name, text in edit.files.items():
            (root / str(index)).mkdir(exist_ok=True)
            (root / str(index) / name).write_text(text, encoding="utf-8")
            paths.append(root / str(index) / name)
    parse_hcl(paths)


def _json_twin(root: Path) -> Path:
    """The HCL system written as Terraform JSON, one ``main.tf.json`` per stack."""
    twin = root / "json"
    for stack in ("network", "services"):
        (twin / stack).mkdir(parents=True)
        (twin / stack / "main.tf.json").write_text(json.dumps(read_stack(HCL_SYSTEM / stack)), encoding="utf-8")
    return twin


def _apply(edit: Edit, root: Path) -> tuple[list[str], list[str]]:
    """(HCL lines, JSON lines) for one edit."""
    hcl = root / "hcl"
    shutil.copytree(HCL_SYSTEM, hcl)
    twin = _json_twin(root)
    for name, text in edit.files.items():
        (hcl / "services" / name).write_text(text, encoding="utf-8")
        parsed = parse_hcl([hcl / "services" / name])[hcl / "services" / name]
        assert isinstance(parsed, dict), parsed
        (twin / "services" / f"{name}.json").write_text(json.dumps(parsed), encoding="utf-8")
    result = []
    for system in (hcl, twin):
        config = load([system / "network", system / "services"])
        result.append([str(v) for v in verify(config, DECLARED, edit.accepted)])
    return result[0], result[1]


@pytest.mark.parametrize("edit", ATTACKS, ids=[e.name for e in ATTACKS])
def test_each_attack_is_rejected_with_its_lines_in_hcl_and_json(edit: Edit, tmp_path: Path) -> None:
    hcl, twin = _apply(edit, tmp_path)
    assert hcl == sorted(edit.lines)
    assert twin == hcl


@pytest.mark.parametrize("edit", HARMLESS, ids=[e.name for e in HARMLESS])
def test_each_harmless_edit_is_accepted_in_hcl_and_json(edit: Edit, tmp_path: Path) -> None:
    assert _apply(edit, tmp_path) == ([], [])


def test_red_team_figures(tmp_path: Path) -> None:
    """Every attack caught, every harmless edit accepted: the figures of the report (20 attacks, 10 harmless)."""
    caught = sum(bool(_apply(e, tmp_path / e.name)[0]) for e in ATTACKS)
    accepted = sum(_apply(e, tmp_path / e.name)[0] == [] for e in HARMLESS)
    assert (caught, len(ATTACKS), accepted, len(HARMLESS)) == (20, 20, 10, 10)
