"""The docs stay true: both READMEs in sync, the committed diagrams current, every make target documented."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from topology import Egress, NetworkSettings, Port, Service, Settings, Topology
from writers import diagram

FENCE = re.compile(r"^```.*?^```$", re.S | re.M)


def _headings(text: str) -> list[tuple[int, str]]:
    without_code = FENCE.sub("", text)
    return [(len(m[1]), m[2].strip()) for m in re.finditer(r"^(#{1,3}) (.+)$", without_code, re.M)]


def _code_blocks(text: str) -> list[list[str]]:
    """Code blocks with trailing `#` comments removed from sh lines (those may be translated)."""
    blocks = []
    for block in FENCE.findall(text):
        lines = block.splitlines()
        if lines[0].startswith("```sh"):
            lines = [re.sub(r"\s+# .*$", "", line) if not line.lstrip().startswith("#") else line for line in lines]
        blocks.append(lines)
    return blocks


@pytest.fixture(scope="module")
def readmes(project_root: Path) -> tuple[str, str]:
    return (project_root / "README.md").read_text(encoding="utf-8"), (project_root / "README.ja.md").read_text(encoding="utf-8")


def test_every_section_has_its_japanese_counterpart(readmes: tuple[str, str]) -> None:
    english, japanese = readmes
    ja = _headings(japanese)
    assert len(ja) == len(_headings(english))
    for (level, title), (ja_level, ja_title) in zip(_headings(english), ja, strict=True):
        assert ja_level == level and ja_title.endswith(f"({title})"), f"{'#' * level} {title} <-> {'#' * ja_level} {ja_title}"


def test_every_command_and_code_block_is_in_both(readmes: tuple[str, str]) -> None:
    english, japanese = readmes
    assert _code_blocks(japanese) == _code_blocks(english)
    make_targets = set(re.findall(r"`(make [a-z-]+(?: [A-Z]+=[a-z_]+)?)`", english))
    assert make_targets and all(f"`{target}`" in japanese for target in make_targets)


def test_committed_diagrams_are_current() -> None:
    assert diagram.main(["--check"]) == 0, "run `make diagram` and commit the result"


def test_diagram_is_drawn_from_the_declaration() -> None:
    from examples import chain

    text = diagram.mermaid(chain.TOPOLOGY, Settings())
    assert 'svc_web -- "http://api.serviceconnectns:8080" --> svc_api' in text
    assert 'svc_api -- "http://worker.serviceconnectns:80" --> svc_worker' in text
    assert "SG worker: tcp/80<br/>from api only" in text and "SG web: no ingress" in text
    assert ".-x cluster" in text  # the absent internet ingress is drawn


def test_tcp_endpoints_and_egress_beyond_https_are_drawn() -> None:
    """Issue 20: a tcp port is dialled as host:port (no http://); the database on 5432 and the NAT egress as declared."""
    from examples import production

    redis = Service(name="cache", ports=(Port(name="redis", container_port=6379, protocol="tcp"),), egress=())
    app = Service(name="app", calls=("cache",), egress=(Egress(name="s3", port=443, prefix_list_id="pl-61a54008"),))
    text = diagram.mermaid(Topology(services=(app, redis)), Settings())
    assert 'svc_app -- "redis.serviceconnectns:6379" --> svc_cache' in text
    assert "cache<br/>serves redis:6379 (tcp)" in text
    assert 'egress_app_s3["pl-61a54008 (s3)"]' in text and 'svc_app -- "tcp/443" --> egress_app_s3' in text
    assert 'private -- "no egress through NAT" --> nat' in text  # neither reaches a CIDR
    drawn = diagram.mermaid(production.TOPOLOGY, Settings())
    assert 'svc_api -- "tcp/5432" --> egress_api_postgres' in drawn
    assert 'egress_api_postgres["sg-0a1b2c3d4e5f60718 (postgres)"]' in drawn
    assert 'private -- "egress tcp/443 to 0.0.0.0/0" --> nat --> internet' in drawn
    dot = diagram.dot(production.TOPOLOGY, Settings())
    assert 'svc_api -> egress_api_postgres [label="tcp/5432", style=dotted];' in dot


def _chain(names: list[str]) -> Topology:
    return Topology(
        services=tuple(
            Service(
                name=name,
                ports=(Port(name=name, container_port=8080),) if index else (),
                calls=(names[index + 1],) if index + 1 < len(names) else (),
            )
            for index, name in enumerate(names)
        )
    )


def test_a_chain_of_five_is_drawn_top_down_and_keywords_are_safe_names() -> None:
    """Five services in a row outgrow a page left to right; ``edge`` and ``end`` are DOT/Mermaid keywords."""
    five = _chain(["edge", "gateway", "end", "ledger", "archive"])
    assert diagram.direction(five) == "TB" and diagram.direction(_chain(["a", "b", "c"])) == "LR"
    svg = diagram.render_svg(diagram.dot(five, Settings()))
    size = re.search(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', svg)
    assert size is not None
    width, height = float(size[1]), float(size[2])
    assert width < 800 < height, (width, height)
    assert diagram.mermaid(five, Settings()).startswith("flowchart TB\n")


def test_nat_gateways_are_drawn_inside_the_public_subnets() -> None:
    text = diagram.mermaid(_chain(["a", "b"]), Settings(network=NetworkSettings(nat="single")))
    public = text.index('subgraph public["public subnets<br/>10.0.0.0/20 ap-northeast-1a')
    assert text.index('nat["NAT gateway (1)"]') > public and text.index("subgraph private") > text.index('nat["')
    svg = diagram.render_svg(diagram.dot(_chain(["a", "b"]), Settings()))
    assert 'font-family="Courier,monospace"' in svg  # sized by exact metrics: no label outgrows its box


def test_make_help_lists_every_target(project_root: Path) -> None:
    makefile = (project_root / "Makefile").read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY: (.+)$", makefile, re.M)[1].split())  # type: ignore[index]
    documented = set(re.findall(r"^([a-z-]+):.*## ", makefile, re.M))
    assert phony - documented <= {"pytest"}, f"targets without a help line: {sorted(phony - documented - {'pytest'})}"
    shown = subprocess.run(["make", "--no-print-directory", "help"], cwd=project_root, capture_output=True, text=True, check=True).stdout
    assert all(f"make {target} " in shown for target in documented)


def test_every_example_module_is_discovered(project_root: Path) -> None:
    """Nothing to register: a new file in examples/ is covered by snapshots, diagrams and the checker."""
    import examples

    modules = sorted(p.stem for p in (project_root / "examples").glob("*.py") if p.stem != "__init__")
    assert modules == sorted(examples.NAMES) == sorted(examples.discover())


def test_the_readme_fits_a_newcomer(project_root: Path) -> None:
    """README.md is read to the end: at most 20 KB; the reference and design notes live in docs/."""
    assert (project_root / "README.md").stat().st_size <= 20 * 1024


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_relative_link_in_the_docs_resolves(project_root: Path) -> None:
    pages = [project_root / "README.md", project_root / "README.ja.md", *sorted((project_root / "docs").rglob("*.md"))]
    broken = [
        f"{page.relative_to(project_root)}: {target}"
        for page in pages
        for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8")))
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert broken == []
