"""Systems and environments: loading a module by name, resolving environments, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from topology import Environment, Port, Service, Settings, Sizing, Topology
from topology.system import SelectionError, deployments, environment_problems, load_system

from ..systems import SHOP, write_shop


def _error(module: str) -> str:
    with pytest.raises(SelectionError) as raised:
        load_system(module)
    return str(raised.value)


def test_unknown_module_is_one_line() -> None:
    assert _error("acme.nowhere") == (
        "system 'acme.nowhere': no such module on the import path "
        "(put it under the project root, e.g. acme/shop.py for 'acme.shop', or add its folder to PYTHONPATH)"
    )
    assert _error("acme shop") == "system 'acme shop': not a Python module name (write a dotted name like 'examples.chain' or 'acme.shop')"


def test_module_without_declaration_is_one_line(on_path: Path) -> None:
    write_shop(on_path, "X = 1\n")
    assert _error("acme.shop") == (
        "system 'acme.shop': the module defines no TOPOLOGY "
        "(a system module sets TOPOLOGY = Topology(...), and optionally SETTINGS and ENVIRONMENTS)"
    )


def test_a_module_that_raises_is_one_line_with_its_place(on_path: Path) -> None:
    write_shop(on_path, "from topology import Topology\n\nTOPOLOGY = Topology(services=(Servce(name='a'),))\n")
    assert _error("acme.shop") == "system 'acme.shop': importing it failed: NameError: name 'Servce' is not defined (shop.py, line 3)"


def test_a_syntax_error_names_the_users_file_line_and_column(on_path: Path) -> None:
    """Issue 20: not ``<frozen importlib._bootstrap>`` (the compiler raises it inside importlib's frames)."""
    write_shop(on_path, "from topology import Topology\n\nTOPOLOGY = Topology(services=(\n")
    assert _error("acme.shop") == (
        "system 'acme.shop': importing it failed: SyntaxError: '(' was never closed (acme/shop.py, line 3, column 30)"
    )


def test_environments_get_their_own_stacks_names_and_sizes(on_path: Path) -> None:
    write_shop(on_path)
    system = load_system("acme.shop")
    assert environment_problems(system) == []
    dev, prod = deployments(system)
    assert (dev.stacks, prod.stacks) == (("network-dev", "services-dev"), ("network-prod", "services-prod"))
    assert (dev.settings.project, prod.settings.project) == ("shop-dev", "shop-prod")
    assert (dev.settings.network.cluster_name, prod.settings.network.cluster_name) == ("ServiceConnect-dev", "ServiceConnect-prod")
    assert dev.settings.network.namespace == prod.settings.network.namespace == "ServiceConnectNS"  # same endpoints everywhere
    assert (dev.settings.network.nat, prod.settings.network.nat) == ("single", "per_az")
    assert (dev.settings.log_retention_days, prod.settings.log_retention_days) == (400, 365)
    orders_dev, orders_prod = dev.topology.service("orders"), prod.topology.service("orders")
    assert (orders_dev.desired_count, orders_dev.cpu, orders_dev.memory) == (1, 256, 512)
    assert (orders_prod.desired_count, orders_prod.cpu, orders_prod.memory) == (3, 512, 1024)
    assert [s.calls for s in prod.topology.services] == [s.calls for s in system.topology.services]  # never the call graph
    assert [d.environment for d in deployments(system, "prod")] == ["prod"]


def test_unknown_environment_is_one_line(on_path: Path) -> None:
    write_shop(on_path)
    with pytest.raises(SelectionError) as raised:
        deployments(load_system("acme.shop"), "stg")
    assert str(raised.value) == "system 'acme.shop': environment 'stg' is not declared (declared: dev, prod)"


def test_env_for_a_system_without_environments_is_one_line() -> None:
    with pytest.raises(SelectionError) as raised:
        deployments(load_system("examples.chain"), "dev")
    assert str(raised.value) == "system 'examples.chain' declares no environments, so ENV='dev' cannot be selected (drop ENV)"


def test_an_override_naming_an_undeclared_service_is_one_line(on_path: Path) -> None:
    write_shop(on_path, SHOP.replace('sizing={"orders": Sizing(desired_count=1)}', 'sizing={"order": Sizing(desired_count=1)}'))
    assert environment_problems(load_system("acme.shop")) == [
        "environment 'dev': sizing: 'order' is not a declared service (declared: catalog, orders, payments, storefront)"
    ]


def test_bad_environment_names_and_accounts() -> None:
    from topology.system import System

    system = System(
        module="m",
        topology=Topology(services=(Service(name="api", ports=(Port(name="api", container_port=80),)),)),
        settings=Settings(),
        environments=(
            Environment(name="Prod"),
            Environment(name="dev", account_id="1234"),
            Environment(name="dev", sizing={"api": Sizing(cpu=512, memory=1024)}),
        ),
    )
    assert environment_problems(system) == [
        "environments[0]: name: 'Prod' must be 1-10 lowercase letters or digits, starting with a letter",
        "environment 'dev': account_id: '1234' must be a 12-digit AWS account ID",
        "environment 'dev': name: declared more than once (environment names must be unique)",
    ]
