"""writers/hcl.py: readable names, faithful strings, re-rooted state paths, determinism, ``terraform validate`` of every example.

The rendering tests need terraform and the provider (schema, ``terraform fmt``,
``validate``); when either is missing they fail. The state equivalence against the
emulator is in test_hcl_e2e.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from topology import Settings
from topology.errors import USER_ERROR
from writers import hcl

from ..conftest import EXAMPLES, Synthesizer
from ..tfvalidate import Validated, validate_together

pytestmark = pytest.mark.slow  # terraform (provider schema, fmt, validate): `make test-fast` leaves it out

Converter = Callable[[str], tuple[Path, hcl.Converted]]


@pytest.fixture(scope="session")
def converted(synthesize: Synthesizer, tmp_path_factory: pytest.TempPathFactory) -> Converter:
    """``hcl/`` of an example next to a copy of its ``cdktf.out/``, once per session."""
    cache: dict[str, tuple[Path, hcl.Converted]] = {}

    def run(example: str) -> tuple[Path, hcl.Converted]:
        if example not in cache:
            root = tmp_path_factory.mktemp(f"hcl-{example}")
            shutil.copytree(
                synthesize(EXAMPLES[example], Settings()).outdir, root / "cdktf.out", ignore=shutil.ignore_patterns(".terraform*")
            )
            cache[example] = (root / "hcl", hcl.convert(root / "cdktf.out", root / "hcl"))
        return cache[example]

    return run


def test_generated_names_lose_their_hash_and_hyphens() -> None:
    assert hcl.readable("internal-nginx_task_DB6E57E3") == "internal_nginx_task"
    assert hcl.readable("vpc") == "vpc"
    assert hcl.readable("nat_0_eip") == "nat_0_eip"
    assert hcl.readable("logs_key_514bf2d1") == "logs_key_514bf2d1"  # not cdktf's upper-case hash: kept


def test_names_that_would_collide_keep_their_cdktf_names() -> None:
    stack: dict[str, Any] = {"resource": {"aws_s3_bucket": {"a-b_x_0123ABCD": {}, "a_b_x_89ABCDEF": {}, "c_1111AAAA": {}}}}
    names = hcl.plan_names(stack, {})
    assert names.resources == {
        ("resource", "aws_s3_bucket", "a-b_x_0123ABCD"): "a-b_x_0123ABCD",
        ("resource", "aws_s3_bucket", "a_b_x_89ABCDEF"): "a_b_x_89ABCDEF",
        ("resource", "aws_s3_bucket", "c_1111AAAA"): "c",
    }


def _renderer() -> hcl.Renderer:
    names = hcl.Names(resources={("resource", "aws_vpc", "main_0A0A0A0A"): "main", ("data", "aws_partition", "p_1B1B1B1B"): "p"})
    return hcl.Renderer(names=names, producers={})


def test_strings_keep_their_templates_and_escape_the_rest() -> None:
    render = _renderer()
    assert render.string("${aws_vpc.main_0A0A0A0A.id}") == "aws_vpc.main.id"
    assert render.string('a "quoted" \\ path\nnext') == '"a \\"quoted\\" \\\\ path\\nnext"'
    assert render.string("arn:${data.aws_partition.p_1B1B1B1B.partition}:iam") == '"arn:${data.aws_partition.p.partition}:iam"'
    assert render.string("literal $${not.a.reference}") == '"literal $${not.a.reference}"'
    assert render.string('${lookup(var.m, "k\\"")}') == 'lookup(var.m, "k\\"")'  # expression text is never re-escaped
    assert render.string("${aws_vpc.other.id}") == "aws_vpc.other.id"  # not renamed: unknown


def test_only_json_document_attributes_become_jsonencode() -> None:
    render = _renderer()
    assert render.attribute("policy", '{"Version": "2012-10-17", "Statement": []}', 0).startswith("policy = jsonencode({")
    assert render.attribute("name", "[1, 2]", 0) == 'name = "[1, 2]"'  # jsonencode would write "[1,2]": a different value
    assert render.attribute("policy", "not json", 0) == 'policy = "not json"'


def test_lifecycle_checks_are_blocks() -> None:
    """JSON writes ``postcondition`` as a list of objects; HCL needs one block per check (``= [...]`` does not parse)."""
    body = {"postcondition": [{"condition": "${self.id == aws_vpc.main_0A0A0A0A.id}", "error_message": "not ${self.id}"}]}
    assert "".join(_renderer().block("lifecycle", [], body, {}, 1, lifecycle=True)) == (
        "  lifecycle {\n"
        "    postcondition {\n"
        "      condition = self.id == aws_vpc.main.id\n"
        '      error_message = "not ${self.id}"\n'
        "    }\n"
        "  }\n"
    )


def test_local_state_paths_are_rerooted_for_the_hcl_layout() -> None:
    layout = hcl.Layout(json_dir="/p/cdktf.out/stacks/network", json_root="/p", hcl_dir="/p/hcl/network", hcl_root="/p")
    assert layout.relocate("../../../state/network.tfstate") == "../../state/network.tfstate"
    assert layout.relocate("../../../custom/dir/network.tfstate") == "../../custom/dir/network.tfstate"
    elsewhere = hcl.Layout(json_dir="/a/cdktf.out/stacks/s", json_root="/a", hcl_dir="/b/hcl/s", hcl_root="/b")
    assert elsewhere.relocate("../../../state/s.tfstate") == "../../state/s.tfstate"  # its own root's state/, not /a's


def test_what_cannot_be_rendered_is_an_error() -> None:
    with pytest.raises(hcl.HclError, match="module"):
        hcl.render_stack({"module": {}}, hcl.Schema({}, {}, {}), hcl.Names(), {}, hcl.Layout("/r/s", "/r", "/r/h", "/r"))
    with pytest.raises(hcl.HclError, match="dynamic"):
        _renderer().body({"dynamic": {}}, {}, 0)


def test_without_a_synth_the_command_says_so_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "writers.hcl", str(tmp_path / "nothing"), str(tmp_path / "hcl")], capture_output=True, text=True
    )
    assert done.returncode == USER_ERROR
    assert done.stderr.strip().count("\n") == 0 and "make synth" in done.stderr


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*.tf"))}


def test_output_is_deterministic_and_has_no_machine_paths(converted: Converter, tmp_path: Path, project_root: Path) -> None:
    first, done = converted("article")
    again = tmp_path / "again"
    shutil.copytree(first.parent / "cdktf.out", again / "cdktf.out")
    hcl.convert(again / "cdktf.out", again / "hcl")
    assert _files(first) == _files(again / "hcl")
    # Every file in every stack, but variables.tf only where there are variables (the images of the services stack).
    expected = [f"{s}/{f}" for s in done.stacks for f in sorted(hcl.FILES) if f != "variables.tf" or s == "services"]
    assert sorted(_files(first)) == expected
    for text in _files(first).values():
        for machine in (str(project_root), str(first.parent), str(Path.home()), "cdktf.out", tempfile.gettempdir()):
            assert machine.encode() not in text


def test_every_json_resource_and_output_is_in_the_hcl(converted: Converter) -> None:
    import json

    directory, done = converted("chain")
    assert sorted(done.stacks) == ["network", "services"]
    checked = 0
    for stack in done.stacks:
        body = json.loads((directory.parent / "cdktf.out" / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8"))
        text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((directory / stack).glob("*.tf")))
        names = done.names[stack]
        for mode in ("data", "resource"):
            for rtype, blocks in body.get(mode, {}).items():
                for old in blocks:
                    assert f'{mode} "{rtype}" "{names.resources[(mode, rtype, old)]}" {{' in text
                    checked += 1
        assert text.count('\noutput "') + text.startswith('output "') == len(body["output"])
        assert "cross-stack" not in text and "//" not in text.replace("://", "")
    assert checked > 20, "the chain's resources were compared"


@pytest.fixture(scope="session")
def terraform_env() -> dict[str, str]:
    assert shutil.which("terraform"), "terraform is not on PATH; install Terraform >= 1.10"
    return hcl._terraform_env()


@pytest.fixture(scope="session")
def every_hcl_validated(converted: Converter, terraform_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Validated:
    """Every example's HCL stacks, validated in one Terraform run (tests/tfvalidate.py says why and how)."""
    stacks = {}
    for example in sorted(EXAMPLES):
        directory, done = converted(example)
        stacks.update({f"{example}/{stack}": directory / stack for stack in done.stacks})
    return validate_together(stacks, tmp_path_factory.mktemp("validate-hcl"), terraform_env)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_hcl_of_every_example_validates(example: str, converted: Converter, every_hcl_validated: Validated) -> None:
    _, done = converted(example)
    assert done.stacks, example
    for stack in done.stacks:
        assert every_hcl_validated.problems(f"{example}/{stack}") == []  # warnings too: e.g. no deprecated quoted references


def test_services_reads_network_through_the_hcl_layouts_state_path(converted: Converter) -> None:
    directory, _ = converted("article")
    services = (directory / "services" / "main.tf").read_text(encoding="utf-8")
    assert 'data "terraform_remote_state" "network" {' in services
    assert 'path = "../../state/network.tfstate"' in services
    assert 'path = "../../state/services.tfstate"' in (directory / "services" / "terraform.tf").read_text(encoding="utf-8")
    assert "data.terraform_remote_state.network.outputs.cross_stack_vpc_id" in services
    assert 'output "cross_stack_vpc_id" {' in (directory / "network" / "outputs.tf").read_text(encoding="utf-8")


def test_cross_stack_names_follow_environment_suffixed_stacks() -> None:
    """With ``ENV=dev`` stacks may be ``network-dev``/``services-dev``: names come from the manifest's stacks, not a fixed list."""
    network: dict[str, Any] = {
        "resource": {"aws_vpc": {"vpc": {}}},
        "output": {"cross-stack-output-aws_vpcvpcid": {"value": "${aws_vpc.vpc.id}", "sensitive": True}, "vpc_id": {"value": "x"}},
    }
    producers = {"network-dev": hcl.plan_names(network, {})}
    assert producers["network-dev"].outputs == {"cross-stack-output-aws_vpcvpcid": "cross_stack_vpc_id"}
    services: dict[str, Any] = {"data": {"terraform_remote_state": {"cross-stack-reference-input-network-dev": {}}}}
    names = hcl.plan_names(services, producers)
    reference = "data.terraform_remote_state.cross-stack-reference-input-network-dev.outputs.cross-stack-output-aws_vpcvpcid"
    assert hcl.rename_expression(reference, names, producers) == "data.terraform_remote_state.network_dev.outputs.cross_stack_vpc_id"
    with pytest.raises(hcl.HclError, match="cross-stack reference"):
        hcl.plan_names({"data": {"terraform_remote_state": {"cross-stack-reference-input-elsewhere": {}}}}, producers)


def test_json_strings_keeps_json_documents_as_the_jsons_strings() -> None:
    document = '{"Statement": [], "Version": "2012-10-17"}'
    plain = hcl.Renderer(names=hcl.Names(), producers={}, jsonencode=False)
    assert plain.attribute("policy", document, 0) == 'policy = "{\\"Statement\\": [], \\"Version\\": \\"2012-10-17\\"}"'


def test_object_keys_are_bare_only_when_hcl_reads_them_literally() -> None:
    render = _renderer()
    assert render.value({"Name": 1, "awslogs-group": 2, "aws:SourceAccount": 3, "null": 4}, 0) == (
        '{\n  Name = 1\n  awslogs-group = 2\n  "aws:SourceAccount" = 3\n  "null" = 4\n}'
    )


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_the_checker_proves_the_hcl_of_every_example(example: str, converted: Converter) -> None:
    """Leaving the Python side keeps the proof: the checker reads the generated HCL directories as Terraform does."""
    from proof.verify.cli import main as verify

    directory, _ = converted(example)
    assert verify([str(directory), "--example", example]) == 0


def test_the_checker_rejects_an_exposing_edit_of_the_hcl(converted: Converter, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from proof.verify.cli import main as verify

    directory, _ = converted("article")
    edited = tmp_path / "hcl"
    shutil.copytree(directory, edited, ignore=shutil.ignore_patterns(".terraform*"))
    (edited / "services" / "open.tf").write_text(
        'resource "aws_vpc_security_group_ingress_rule" "open" {\n'
        "  security_group_id = aws_security_group.internal_nginx_sg_group.id\n"
        '  cidr_ipv4         = "0.0.0.0/0"\n'
        '  ip_protocol       = "tcp"\n'
        "  from_port         = 80\n"
        "  to_port           = 80\n"
        "}\n",
        encoding="utf-8",
    )
    assert verify([str(edited), "--example", "article"]) == 1
    assert (
        "service 'internal-nginx': services:aws_vpc_security_group_ingress_rule.open: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0"
        in capsys.readouterr().out
    )
