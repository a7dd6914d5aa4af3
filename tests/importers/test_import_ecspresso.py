"""``python -m importers.ecspresso``: the article's files, a Jsonnet variant, and ecspresso's own CI files.

The CI files are real-world input nobody here wrote (the team's ``shared/fixtures/ecspresso-ci``, copied
unchanged with its licence into ``tests/fixtures/ecspresso-ci``); these tests fail, not skip, when it is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from examples import article
from importers.ecspresso import main
from importers.ecspresso.gotemplate import Values, render
from importers.ecspresso.module import formatted
from topology import Secret, Settings
from topology.errors import USER_ERROR

from ..conftest import Synthesizer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ecspresso"
ARTICLE = FIXTURES / "article"
ARTICLE_JSONNET = FIXTURES / "article-jsonnet"
ACCOUNT = ("--env", "AWS_ACCOUNT_ID=123456789012")  # ecspresso's CI files read it with must_env
CI = Path(__file__).resolve().parent.parent / "fixtures" / "ecspresso-ci"
"""ecspresso's own CI files (MIT, KAYAC Inc.; LICENSE kept), copied unchanged from the team's shared fixtures so a
clone that does not sit beside ``shared/`` tests them too."""


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, list[str], list[str]]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _section(lines: list[str], title: str) -> list[str]:
    """The indented lines under the report heading that starts with ``title``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    out = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        out.append(line.strip())
    return out


# --- the article ------------------------------------------------------------------------------

# The article's files have no container health check; examples/article.py adds one beyond the article (issue 11).
ARTICLE_AS_WRITTEN = replace(
    article.TOPOLOGY,
    services=tuple(replace(service, health_check=None) for service in article.TOPOLOGY.services),
)
assert ARTICLE_AS_WRITTEN != article.TOPOLOGY  # the example still differs from the article only by its health check


def test_article_import_equals_the_article_example_once_the_one_hidden_call_is_declared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, synthesize: Synthesizer
) -> None:
    out = tmp_path / "legacy.py"
    code, report, errors = _run(capsys, "--out", out, ARTICLE / "internal.yml", ARTICLE / "client.yml")
    assert (code, errors) == (0, [])
    assert _section(report, "Calls to declare by hand") == ["client-nginx -> internal-nginx"]
    assert _section(report, "Calls the files show") == ["none"]
    module = _load(out, "legacy")
    assert Settings() == module.SETTINGS
    internal, client = module.TOPOLOGY.services
    assert client.calls == ()
    assert '# calls: its ecspresso files do not show them; declare by hand, e.g. calls=("internal-nginx",)' in out.read_text()
    completed = replace(module.TOPOLOGY, services=(internal, replace(client, calls=("internal-nginx",))))
    assert completed == ARTICLE_AS_WRITTEN
    expected = synthesize(ARTICLE_AS_WRITTEN, Settings())
    imported = synthesize(completed, module.SETTINGS)
    for stack in ("network", "services"):
        assert imported.text(stack) == expected.text(stack)


def test_article_with_the_call_declared_on_the_command_line_is_complete(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "legacy.py"
    code, report, _ = _run(capsys, "--out", out, "--calls", "client-nginx=internal-nginx", ARTICLE / "internal.yml", ARTICLE / "client.yml")
    assert code == 0
    assert _section(report, "Calls declared with --calls") == ["client-nginx -> internal-nginx"]
    assert _section(report, "Calls to declare by hand") == ["none"]
    assert _load(out, "legacy_complete").TOPOLOGY == ARTICLE_AS_WRITTEN


def test_article_report_accounts_for_what_is_not_carried(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, report, _ = _run(capsys, "--out", tmp_path / "m.py", ARTICLE / "internal.yml", ARTICLE / "client.yml")
    assert code == 0
    derived = _section(report, "Derived by this project instead")
    assert any(line.startswith("internal-nginx: internal-ecs-task-def.json: taskRoleArn: ") for line in derived)
    assert any(
        line.startswith("client-nginx: client-ecs-service-def.json: networkConfiguration.awsvpcConfiguration.securityGroups: ")
        for line in derived
    )
    assert not any(line.startswith(("Not internal-only", "Cannot be expressed")) for line in report)


def test_jsonnet_variant_with_an_external_variable_imports_the_same_module(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from_json, from_jsonnet = tmp_path / "a.py", tmp_path / "b.py"
    assert _run(capsys, "--out", from_json, ARTICLE / "internal.yml", ARTICLE / "client.yml")[0] == 0
    code, _, errors = _run(
        capsys, "--out", from_jsonnet, "--ext-str", "NGINX_TAG=latest", ARTICLE_JSONNET / "internal.yml", ARTICLE_JSONNET / "client.yml"
    )
    assert (code, errors) == (0, [])
    assert from_jsonnet.read_text() == from_json.read_text()
    code, _, _ = _run(capsys, "--out", from_jsonnet, "--ext-str", "NGINX_TAG=1.27", ARTICLE_JSONNET / "internal.yml")
    assert 'image="public.ecr.aws/nginx/nginx:1.27"' in from_jsonnet.read_text()


def test_missing_external_variable_is_one_line_and_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "m.py"
    code, report, errors = _run(capsys, "--out", out, ARTICLE_JSONNET / "internal.yml")
    assert code == USER_ERROR and report == []
    assert errors == [
        "error: internal-ecs-task-def.jsonnet: jsonnet: RUNTIME ERROR: Undefined external variable: NGINX_TAG (pass --ext-str NGINX_TAG=VALUE)"
    ]
    assert not out.exists()


def test_generated_module_is_ruff_clean_deterministic_and_free_of_local_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first, second = tmp_path / "one" / "m.py", tmp_path / "two" / "m.py"
    for out in (first, second):
        assert _run(capsys, "--out", out, *ACCOUNT, CI / "nginx.yml", CI / "bash.yml")[0] == 0
    text = first.read_text()
    assert second.read_text() == text
    assert str(tmp_path) not in text and str(Path(__file__).resolve().parents[2]) not in text
    assert formatted(text) == text
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", str(first)], capture_output=True, text=True, cwd=Path(__file__).parents[2]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(first)], capture_output=True, text=True, cwd=Path(__file__).parents[2]
    )
    assert lint.returncode == 0, lint.stdout


def test_module_is_selectable_by_dotted_name(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "systems"
    package.mkdir()
    (package / "__init__.py").write_text("")
    assert _run(capsys, "--out", package / "legacy_article.py", ARTICLE / "internal.yml", ARTICLE / "client.yml")[0] == 0
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("systems.legacy_article")
    assert {service.name for service in module.TOPOLOGY.services} == {"internal-nginx", "client-nginx"}
    assert isinstance(module.SETTINGS, Settings)


def test_written_module_is_a_system_that_make_synth_selects(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``make synth SYSTEM=<module>`` runs ``main.py`` with INTERNAL_API_SYSTEM; the module must be such a system."""
    package = tmp_path / "imported_systems"
    package.mkdir()
    (package / "__init__.py").write_text("")
    out = package / "legacy_article.py"
    args = ("--calls", "client-nginx=internal-nginx", ARTICLE / "internal.yml", ARTICLE / "client.yml")
    assert _run(capsys, "--out", out, *args)[0] == 0
    root = Path(__file__).resolve().parents[2]
    outdir = tmp_path / "cdktf.out"
    env = dict(os.environ, INTERNAL_API_SYSTEM="imported_systems.legacy_article", PYTHONPATH=str(tmp_path), CDKTF_OUTDIR=str(outdir))
    env.pop("INTERNAL_API_ENV", None)
    done = subprocess.run([sys.executable, "main.py"], cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == ["network", "services"]
    services = json.loads((outdir / "stacks" / "services" / "cdk.tf.json").read_text())
    names = sorted(body["name"] for body in services["resource"]["aws_ecs_service"].values())
    assert names == ["client-nginx", "internal-nginx"]


# --- ecspresso's own CI configuration -----------------------------------------------------------


def test_ci_fixture_is_present() -> None:
    assert (CI / "nginx.yml").is_file(), f"{CI} is missing"


def test_ci_server_and_client_only_service(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "ci.py"
    code, report, errors = _run(capsys, "--out", out, *ACCOUNT, CI / "nginx.yml", CI / "bash.yml")
    assert (code, errors) == (0, [])
    module = _load(out, "ci_system")
    nginx, bash = module.TOPOLOGY.services
    (port,) = nginx.ports
    assert (port.name, port.container_port, port.protocol, port.discovery_name, port.dns_name) == (
        "nginx",
        80,
        "http",
        "nginx-server",
        "nginx.local",
    )
    assert port.client_port is None  # the alias port equals the container port
    assert nginx.image == "nginx:latest" and (nginx.cpu, nginx.memory, nginx.desired_count) == (512, 1024, 1)
    assert nginx.proxy_logs and not bash.proxy_logs  # only nginx configures Service Connect logs
    assert bash.ports == () and bash.command == ("tail", "-f", "/dev/null") and bash.image == "debian:buster-slim"
    assert (module.SETTINGS.network.namespace, module.SETTINGS.network.cluster_name) == ("ecspresso-test", "ecspresso-test")
    assert _section(report, "Calls to declare by hand") == ["bash -> nginx"]
    not_internal = _section(report, "Not internal-only")
    assert [line.split(": ", 3)[:3] for line in not_internal] == [
        ["nginx", "nginx-service.jsonnet", "networkConfiguration.awsvpcConfiguration.assignPublicIp"],
        ["nginx", "nginx-service.jsonnet", "loadBalancers[0]"],
        ["bash", "bash-service.jsonnet", "networkConfiguration.awsvpcConfiguration.assignPublicIp"],
    ]
    # Secrets are carried as secrets (never as plain environment variables); a bare parameter name is not an ARN.
    assert nginx.secrets == (
        Secret(name="BAR", arn="arn:aws:ssm:ap-northeast-1:123456789012:parameter/ecspresso-test/bar"),
        Secret(name="BAZ", arn="arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ecspresso-test/baz-06XQOH"),
    )
    cannot = _section(report, "Cannot be expressed")
    secrets = [line for line in cannot if ".secrets[" in line]
    assert [line.split(": ")[2] for line in secrets] == ["containerDefinitions[0].secrets[0]"]
    assert "secret FOO from '/ecspresso-test/foo': not a Secrets Manager or SSM parameter ARN" in secrets[0]
    assert nginx.environment == () and bash.secrets == ()


def test_ci_unresolved_values_in_dropped_fields_are_named_not_invented(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "ci.py"
    # Secrets are carried, so their unresolved ARNs stop the import and are named.
    code, report, errors = _run(capsys, "--out", out, CI / "nginx.yml")
    assert code == USER_ERROR and not out.exists()
    # Issue 20: the report's first line does not say "Imported ... into" what is not written.
    assert report[0] == f"Read 1 service(s) from nginx.yml; {out.as_posix()} not written: 2 carried value(s) unresolved (below)"
    assert errors == [
        f"error: service 'nginx': nginx-taskdef.jsonnet: containerDefinitions[0].secrets[{i}].valueFrom: {{{{ must_env `AWS_ACCOUNT_ID` }}}} unresolved in a carried field"
        for i in (1, 2)
    ] + ["error: 2 carried value(s) unresolved: supply them and run again; nothing written"]
    # Without the secrets, the same unresolved call in fields not carried over is named, not invented.
    project = tmp_path / "ci"
    shutil.copytree(CI, project)
    taskdef = project / "nginx-taskdef.jsonnet"
    taskdef.write_text(re.sub(r"secrets: \[.*?\],\n", "secrets: [],\n", taskdef.read_text(), count=1, flags=re.S))
    code, report, errors = _run(capsys, "--out", out, project / "nginx.yml")
    assert (code, errors) == (0, [])
    uses = _section(report, "Template functions")
    assert (
        "nginx: nginx-taskdef.jsonnet: taskRoleArn: {{ must_env `AWS_ACCOUNT_ID` }}: unresolved, in a field not carried over: supply it with --env AWS_ACCOUNT_ID=VALUE"
        in uses
    )
    assert any("containerDefinitions[0].image: {{ env `NGINX_VERSION` `latest` }}: default" in line for line in uses)
    assert "AWS_ACCOUNT_ID" not in out.read_text().split('"""')[2]  # only the docstring may quote the template text


def test_general_case_names_each_unresolved_input_one_step_at_a_time(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "general.py"
    code, report, errors = _run(capsys, "--out", out, CI / "ecspresso.yml")
    assert (code, report) == (USER_ERROR, [])
    assert errors == ["error: ecspresso.yml: unresolved template calls: line 3: must_env `SERVICE` (supply it with --env SERVICE=VALUE)"]
    code, _, errors = _run(capsys, "--out", out, "--env", "SERVICE=nginx", CI / "ecspresso.yml")
    assert code == USER_ERROR and errors == [
        "error: ecs-task-def.jsonnet: jsonnet: RUNTIME ERROR: Undefined external variable: DEPLOYMENT_CONTROLLER (pass --ext-str DEPLOYMENT_CONTROLLER=VALUE)"
    ]
    code, report, errors = _run(
        capsys, "--out", out, "--env", "SERVICE=nginx", "--ext-str", "DEPLOYMENT_CONTROLLER=ECS", CI / "ecspresso.yml"
    )
    assert code == USER_ERROR
    assert errors == [
        "error: service 'nginx': ecs-task-def.jsonnet: containerDefinitions[0].environment[0].value: {{ ssm `/ecspresso-test/foo` }} unresolved in a carried field",
        "error: service 'nginx': ecs-task-def.jsonnet: containerDefinitions[0].environment[1].value: {{ secretsmanager_arn `ecspresso-test/baz` }} unresolved in a carried field",
        "error: service 'nginx': ecs-task-def.jsonnet: containerDefinitions[0].secrets[1].valueFrom: {{ must_env `AWS_ACCOUNT_ID` }} unresolved in a carried field",
        "error: service 'nginx': ecs-task-def.jsonnet: containerDefinitions[0].secrets[2].valueFrom: {{ must_env `AWS_ACCOUNT_ID` }} unresolved in a carried field",
        "error: 4 carried value(s) unresolved: supply them and run again; nothing written",
    ]
    assert "Traceback" not in "\n".join(report + errors)
    assert not out.exists()


def test_general_case_imports_with_supplied_values_and_lists_what_it_cannot_express(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "general.py"
    baz = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ecspresso-test/baz-06XQOH"
    code, report, errors = _run(
        capsys,
        "--out",
        out,
        "--env",
        "SERVICE=nginx",
        "--ext-str",
        "DEPLOYMENT_CONTROLLER=ECS",
        "--ssm",
        "/ecspresso-test/foo=foo-value",
        "--secretsmanager-arn",
        f"ecspresso-test/baz={baz}",
        *ACCOUNT,
        CI / "ecspresso.yml",
    )
    assert (code, errors) == (0, [])
    (service,) = _load(out, "general").TOPOLOGY.services
    assert service.name == "nginx" and service.environment == (("FOO_ENV", "foo-value"), ("BAZ_ARN", baz))
    assert service.secrets == (
        Secret(name="BAR", arn="arn:aws:ssm:ap-northeast-1:123456789012:parameter/ecspresso-test/bar"),
        Secret(name="BAZ", arn=baz),
    )
    assert (service.cpu, service.memory, service.desired_count, service.ports) == (256, 512, 2, ())
    cannot = {line.split(": ")[2] for line in _section(report, "Cannot be expressed")}
    assert {
        "containerDefinitions[1]",  # the bash sidecar
        "capacityProviderStrategy",  # FARGATE_SPOT
        "volumes",  # the EBS volume configured at launch
        "ephemeralStorage",
        "containerDefinitions[0].portMappings[0]",  # not served through Service Connect
    } <= cannot
    not_internal = {line.split(": ")[2] for line in _section(report, "Not internal-only")}
    assert not_internal == {"loadBalancers[0]", "loadBalancers[1]", "networkConfiguration.awsvpcConfiguration.assignPublicIp"}
    assert "(system): (settings): no imported file names the namespace: this project's default 'ServiceConnectNS' applies" in _section(
        report, "Not set in the files"
    )


def test_code_deploy_branch_of_the_jsonnet_is_followed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["--env", "SERVICE=nginx", *ACCOUNT, "--ssm", "/ecspresso-test/foo=f", "--secretsmanager-arn", "ecspresso-test/baz=b"]
    _, report, _ = _run(capsys, "--out", tmp_path / "g.py", *args, "--ext-str", "DEPLOYMENT_CONTROLLER=CODE_DEPLOY", CI / "ecspresso.yml")
    cannot = {line.split(": ")[2] for line in _section(report, "Cannot be expressed")}
    assert "volumes" not in cannot and "containerDefinitions[1]" in cannot  # volumes are null with CodeDeploy
    assert "nginx: ecs-task-def.jsonnet: volumes: empty: nothing to carry" in _section(report, "Ignored")


# --- calls the files show, and fields nobody anticipated -----------------------------------------


def _article_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(ARTICLE, copy)
    return copy


def test_calls_are_inferred_from_environment_and_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project = _article_copy(tmp_path)
    task = json.loads((project / "client-ecs-task-def.json").read_text())
    task["containerDefinitions"][0]["environment"] = [{"name": "API_URL", "value": "http://INTERNAL-NGINX.ServiceConnectNS:80/v1"}]
    (project / "client-ecs-task-def.json").write_text(json.dumps(task))
    code, report, _ = _run(capsys, "--out", tmp_path / "m.py", project / "internal.yml", project / "client.yml")
    assert code == 0
    assert _section(report, "Calls the files show") == [
        "client-nginx -> internal-nginx (client-ecs-task-def.json: containerDefinitions[0].environment[0].value names internal-nginx.serviceconnectns)"
    ]
    assert _section(report, "Calls to declare by hand") == ["none"]
    task["containerDefinitions"][0]["environment"] = [{"name": "API_URL", "value": "http://internal-nginx.serviceconnectns.example.com"}]
    task["containerDefinitions"][0]["command"] = ["sh", "-c", "curl -fsS internal-nginx.serviceconnectns:80"]
    (project / "client-ecs-task-def.json").write_text(json.dumps(task))
    _, report, _ = _run(capsys, "--out", tmp_path / "m.py", project / "internal.yml", project / "client.yml")
    assert _section(report, "Calls the files show") == [
        "client-nginx -> internal-nginx (client-ecs-task-def.json: containerDefinitions[0].command[2] names internal-nginx.serviceconnectns)"
    ]


def test_unknown_fields_are_listed_with_their_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project = _article_copy(tmp_path)
    service = json.loads((project / "internal-ecs-service-def.json").read_text())
    service["availabilityZoneRebalancing"] = "ENABLED"
    service["serviceConnectConfiguration"]["services"][0]["clientAliases"].append({"port": 8080, "dnsName": "second"})
    (project / "internal-ecs-service-def.json").write_text(json.dumps(service))
    task = json.loads((project / "internal-ecs-task-def.json").read_text())
    task["containerDefinitions"][0]["entryPoint"] = ["/docker-entrypoint.sh"]
    (project / "internal-ecs-task-def.json").write_text(json.dumps(task))
    _, report, _ = _run(capsys, "--out", tmp_path / "m.py", project / "internal.yml")
    cannot = [line.split(": ")[1:3] for line in _section(report, "Cannot be expressed")]
    assert cannot == [
        ["internal-ecs-service-def.json", "serviceConnectConfiguration.services[0].clientAliases[1]"],
        ["internal-ecs-service-def.json", "availabilityZoneRebalancing"],
        ["internal-ecs-task-def.json", "containerDefinitions[0].entryPoint"],
    ]


def test_json_with_comments_as_the_article_prints_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project = _article_copy(tmp_path)
    text = (project / "internal-ecs-service-def.json").read_text()
    text = text.replace('"namespace": "ServiceConnectNS",', '"namespace": "ServiceConnectNS", // クラスタ時に指定した名前空間名')
    (project / "internal-ecs-service-def.json").write_text(text)
    assert "//" in text
    code, _, errors = _run(capsys, "--out", tmp_path / "m.py", project / "internal.yml")
    assert (code, errors) == (0, [])


# --- bad input: one line, exit 1 (USER_ERROR), nothing written ---------------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing-config", "error: nope.yml: cannot read: No such file or directory"),
        ("bad-yaml", "error: internal.yml: not valid YAML at line 2"),
        ("bad-json", "error: internal-ecs-task-def.json: not valid JSON: Expecting value at line 1 column 1"),
        ("no-service", "error: internal.yml: service: must name the service"),
        ("bad-out", "error: --out m.txt: must be a Python module file like systems/legacy.py"),
        ("bad-calls", "error: --calls client-nginx=db: 'db' is not an imported service (imported: internal-nginx, client-nginx)"),
        ("bad-flag", "error: --env 'X': expected NAME=VALUE"),
        ("twice", "error: internal.yml: service 'internal-nginx' is imported twice"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, expected: str
) -> None:
    project = _article_copy(tmp_path)
    configs = [project / "internal.yml", project / "client.yml"]
    out = tmp_path / "m.py"
    extra: list[str | Path] = []
    if case == "missing-config":
        configs = [project / "nope.yml"]
    elif case == "bad-yaml":
        (project / "internal.yml").write_text("region: [unclosed\ncluster: x\n")
    elif case == "bad-json":
        (project / "internal-ecs-task-def.json").write_text("not json at all")
    elif case == "no-service":
        (project / "internal.yml").write_text("region: ap-northeast-1\nservice_definition: a.json\ntask_definition: b.json\n")
    elif case == "bad-out":
        out = tmp_path / "m.txt"
    elif case == "bad-calls":
        extra = ["--calls", "client-nginx=db"]
    elif case == "bad-flag":
        extra = ["--env", "X"]
    elif case == "twice":
        configs = [project / "internal.yml", project / "internal.yml"]
    code, report, errors = _run(capsys, "--out", out, *extra, *configs)
    assert (code, report, errors) == (USER_ERROR, [], [expected.replace("--out m.txt", f"--out {out}")])
    assert not out.exists()


# --- the template subset ------------------------------------------------------------------------------


def test_template_functions() -> None:
    values = Values(env={"A": "1"}, lookups={"tfstate": {"aws_vpc.main.id": "vpc-1"}})
    assert render("{{ env `B` `dflt` }}-{{ must_env `A` }}", values).text == "dflt-1"
    assert render("{{- if (env `A` ``) -}} on {{- else -}} off {{- end }}", values).text == "on"
    assert render("{{ if (env `A` ``) }} on {{- else }} off {{ end }}", values).text == " on"  # as Go trims
    assert render("{{ if env `B` }}on{{ else }}off{{ end }}", values).text == "off"
    assert render('{{ tfstatef "aws_vpc.%s.id" "main" }}', values).text == "vpc-1"
    unresolved = render("x{{ must_env `B` }}y{{ ssm `/p` }}", values)
    assert unresolved.text is None
    assert [(use.call, use.outcome) for use in unresolved.uses] == [("must_env `B`", "unresolved"), ("ssm `/p`", "unresolved")]
    piped = render("{{ env `A` | upper }}", values)
    assert piped.text is None and piped.uses[0].outcome == "unsupported"


# --- adoption settings from what the files say the services run with ---------------------------------


def test_adopt_vpc_writes_the_adoption_of_what_the_files_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "adopt.py"
    code, report, _ = _run(
        capsys,
        "--out",
        out,
        "--adopt-vpc",
        "vpc-0a1b2c3d4e5f60001",
        "--calls",
        "client-nginx=internal-nginx",
        ARTICLE / "internal.yml",
        ARTICLE / "client.yml",
    )
    assert code == 0
    module = _load(out, "adopting")
    existing = module.SETTINGS.network.existing
    assert (existing.vpc_id, existing.private_subnet_ids) == (
        "vpc-0a1b2c3d4e5f60001",
        ("subnet-0a1b2c3d4e5f60010", "subnet-0a1b2c3d4e5f60011"),
    )
    assert existing.use_existing_cluster and existing.namespace_id is None  # the files do not give its ID: a note says so
    internal = existing.adopt.service("internal-nginx")
    assert (internal.security_group_id, internal.execution_role_name, internal.task_role_name) == (
        "sg-0a1b2c3d4e5f60002",
        "internal-nginx-execution",
        "internal-nginx-task",
    )
    assert (internal.log_group_name, internal.proxy_log_group_name) == (
        "/ecs/ServiceConnect/internal-nginx",
        "/ecs/ServiceConnect/internal-nginx/service-connect",
    )
    assert _section(report, "Adoption") == [
        "internal-nginx: ingress_rule_ids: the files do not show the rules admitting its callers; add them (aws ec2 describe-security-group-rules)",
        "network.existing.namespace_id: the files name namespace 'ServiceConnectNS', not its ID: set it "
        "(aws servicediscovery list-namespaces --query \"Namespaces[?Name=='ServiceConnectNS'].[Id,Type]\"); "
        "until then this project would create a namespace of that name",
    ]
    assert module.TOPOLOGY == ARTICLE_AS_WRITTEN


def test_adopt_vpc_never_imports_a_shared_resource_twice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "adopt_ci.py"
    code, report, _ = _run(
        capsys,
        "--out",
        out,
        "--adopt-vpc",
        "vpc-0a1b2c3d4e5f60001",
        "--env",
        "AWS_ACCOUNT_ID=123456789012",
        CI / "nginx.yml",
        CI / "bash.yml",
    )
    assert code == 0
    adopt = _load(out, "adopting_ci").SETTINGS.network.existing.adopt
    for service in adopt.services:  # both services share ecsTaskRole and the log group 'ecspresso-test', and have two SGs each
        assert (service.security_group_id, service.execution_role_name, service.task_role_name, service.log_group_name) == (
            None,
            None,
            None,
            None,
        )
    notes = _section(report, "Adoption")
    assert "nginx: 2 security groups in its files: name the one to adopt (security_group_id) by hand" in notes
    assert (
        "nginx: execution_role_name: 'arn:aws:iam::123456789012:role/ecsTaskRole' is shared with another service or role: not adopted (one resource, one owner)"
        in notes
    )
