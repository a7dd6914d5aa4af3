"""toolchain/provider_proxy.py: the wire-level trim of the schema answer, and what the stacks are read to need.

The real provider behind the proxy: tests/stacks/test_terraform.py (what Terraform gets) and
tests/emulator/test_local_e2e.py (plans through the proxy are the plans without it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest

from toolchain.provider_proxy import (
    DATA_SOURCE_SCHEMAS,
    RESOURCE_SCHEMAS,
    SCHEMA_METHODS,
    UNLIMITED,
    Needed,
    ProviderProxy,
    _fields,
    answers_folder,
    may_be_kept,
    needed_by,
    trim,
)


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, body: bytes) -> bytes:
    """A length-delimited field (wire type 2), as protobuf writes a message, string or map entry."""
    return varint(number << 3 | 2) + varint(len(body)) + body


def entry(number: int, key: str, schema: bytes) -> bytes:
    """A map<string, Schema> entry: key is field 1, value field 2."""
    return field(number, field(1, key.encode()) + field(2, schema))


BIG = b"x" * 300  # longer than 127 bytes: lengths take two varint bytes
PROVIDER = field(1, field(1, varint(0)) + b"\x08\x01")  # the provider's own schema (with a varint inside)
ANSWER = (
    PROVIDER
    + entry(RESOURCE_SCHEMAS, "aws_vpc", BIG)
    + entry(RESOURCE_SCHEMAS, "aws_instance", b"instance")
    + entry(RESOURCE_SCHEMAS, "aws_subnet", b"subnet")
    + entry(DATA_SOURCE_SCHEMAS, "aws_vpc", b"data vpc")
    + entry(DATA_SOURCE_SCHEMAS, "aws_partition", b"partition")
    + field(4, b"a diagnostic")
    + field(5, b"provider meta")
    + field(6, b"\x08\x01\x10\x01")  # server capabilities
    + entry(7, "arn_parse", b"a function")
    + entry(8, "aws_secretsmanager_secret_version", b"an ephemeral resource")
    + b"\x78\x05"  # field 15, a varint: a field this code does not know
)


def test_trim_keeps_the_named_types_and_every_other_field_in_order() -> None:
    trimmed = trim(
        ANSWER, Needed(resources=frozenset({"aws_vpc", "aws_subnet", "aws_nat_gateway"}), data_sources=frozenset({"aws_partition"}))
    )
    assert trimmed == (
        PROVIDER
        + entry(RESOURCE_SCHEMAS, "aws_vpc", BIG)
        + entry(RESOURCE_SCHEMAS, "aws_subnet", b"subnet")
        + entry(DATA_SOURCE_SCHEMAS, "aws_partition", b"partition")
        + field(4, b"a diagnostic")
        + field(5, b"provider meta")
        + field(6, b"\x08\x01\x10\x01")
        + entry(7, "arn_parse", b"a function")
        + entry(8, "aws_secretsmanager_secret_version", b"an ephemeral resource")
        + b"\x78\x05"
    )


def test_a_resource_and_a_data_source_of_one_name_are_kept_apart() -> None:
    only_data = trim(ANSWER, Needed(resources=frozenset(), data_sources=frozenset({"aws_vpc"})))
    kept = [(number, only_data[start:end]) for number, start, end, _ in _fields(only_data, 0, len(only_data)) if number in (2, 3)]
    assert kept == [(DATA_SOURCE_SCHEMAS, entry(DATA_SOURCE_SCHEMAS, "aws_vpc", b"data vpc"))]


@pytest.mark.parametrize(
    "broken",
    [
        ANSWER[:-300],  # cut inside a field
        ANSWER + b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",  # a varint that never ends
        ANSWER + b"\x0b",  # wire type 3 (a group): not in this message
        field(RESOURCE_SCHEMAS, b"\x0a\x10abc"),  # an entry whose key runs past the entry
    ],
)
def test_an_answer_that_does_not_parse_goes_back_whole(broken: bytes) -> None:
    assert trim(broken, Needed(frozenset(), frozenset())) == broken


def stack(
    folder: Path, document: Mapping[str, object], state: Mapping[str, object] | None = None, state_path: str = "terraform.tfstate"
) -> Path:
    folder.mkdir(parents=True)
    (folder / "cdk.tf.json").write_text(json.dumps(document), encoding="utf-8")
    if state is not None:
        (folder / state_path).parent.mkdir(parents=True, exist_ok=True)
        (folder / state_path).write_text(json.dumps(state), encoding="utf-8")
    return folder


def written(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


NETWORK: dict[str, object] = {"resource": {"aws_vpc": {"vpc": {}}, "aws_subnet": {"a": {}}}, "data": {"aws_partition": {"p": {}}}}


def test_the_types_of_every_folder_and_of_their_states_are_needed(tmp_path: Path) -> None:
    network = stack(
        tmp_path / "stacks" / "network",
        {**NETWORK, "terraform": {"backend": {"local": {"path": "../../state/network.tfstate"}}}},
        {"resources": [{"mode": "managed", "type": "aws_eip"}, {"mode": "data", "type": "aws_region"}]},
        state_path="../../state/network.tfstate",
    )
    services = stack(tmp_path / "stacks" / "services", {"resource": {"aws_ecs_service": {"s": {}}}, "data": {"terraform_remote_state": {}}})
    assert needed_by([network, services]) == Needed(
        resources=frozenset({"aws_vpc", "aws_subnet", "aws_eip", "aws_ecs_service"}),
        data_sources=frozenset({"aws_partition", "aws_region", "terraform_remote_state"}),
    )


def test_a_block_property_may_be_an_array_of_objects(tmp_path: Path) -> None:
    """Terraform's JSON syntax: ``"resource": [{"aws_vpc": {...}}, {"aws_subnet": {...}}]`` as well as one object."""
    listed = stack(tmp_path / "listed", {"resource": [{"aws_vpc": {"v": {}}}, {"aws_subnet": {"s": {}}}], "data": [], "output": {}})
    assert needed_by([listed]) == Needed(frozenset({"aws_vpc", "aws_subnet"}), frozenset())


def test_the_state_is_read_at_each_question(tmp_path: Path) -> None:
    """A destroy after a config change still needs the schema of what only the state holds."""
    network = stack(tmp_path / "network", NETWORK)
    assert needed_by([network]) == Needed(frozenset({"aws_vpc", "aws_subnet"}), frozenset({"aws_partition"}))
    (network / "terraform.tfstate").write_text("", encoding="utf-8")  # as Terraform leaves it while it plans a first deploy
    assert needed_by([network]) == Needed(frozenset({"aws_vpc", "aws_subnet"}), frozenset({"aws_partition"}))
    (network / "terraform.tfstate").write_text(json.dumps({"resources": [{"mode": "managed", "type": "aws_flow_log"}]}), encoding="utf-8")
    assert needed_by([network]) == Needed(frozenset({"aws_vpc", "aws_subnet", "aws_flow_log"}), frozenset({"aws_partition"}))


@pytest.mark.parametrize(
    "make",
    [
        lambda folder: stack(folder, {**NETWORK, "module": {"vpc": {"source": "terraform-aws-modules/vpc/aws"}}}),
        lambda folder: stack(folder, {**NETWORK, "check": {"dns": {"data": {"aws_route53_zone": {"z": {}}}, "assert": []}}}),
        lambda folder: stack(folder, {**NETWORK, "a_block_terraform_adds_later": {}}),
        lambda folder: stack(folder, {**NETWORK, "resource": "aws_vpc"}),
        lambda folder: stack(folder, {**NETWORK, "terraform": {"backend": {"s3": {"bucket": "b", "key": "k"}}}}),
        lambda folder: stack(folder, NETWORK, {"resources": "not a list"}),
        lambda folder: written(stack(folder, NETWORK), "terraform.tfstate", "{not json"),
        lambda folder: written(stack(folder, NETWORK), "extra.tf", 'resource aws_instance "x" {}\n'),
        lambda folder: written(stack(folder, NETWORK), "override.tf.json", "{}"),
        lambda folder: written(folder, "main.tf", 'resource "aws_vpc" "v" {}\n'),
        lambda folder: written(folder, "cdk.tf.json", "[1]"),
        lambda folder: folder,  # not there at all
    ],
    ids=[
        "module",
        "check",
        "unknown-block",
        "resource-a-string",
        "remote-backend",
        "state-resources-not-a-list",
        "state-not-json",
        "a-tf-file-beside",
        "an-override",
        "hcl",
        "not-an-object",
        "missing",
    ],
)
def test_nothing_is_trimmed_when_a_folder_cannot_be_read_whole(tmp_path: Path, make: object) -> None:
    fine = stack(tmp_path / "fine", NETWORK)
    unreadable = make(tmp_path / "folder")  # type: ignore[operator]
    assert needed_by([fine, unreadable]) is None


WITH_CAPABILITY = ANSWER.replace(field(4, b"a diagnostic"), b"")  # field 6: plan_destroy and get_provider_schema_optional


def test_only_an_answer_that_says_the_schema_is_optional_and_has_no_diagnostics_is_kept() -> None:
    assert may_be_kept(WITH_CAPABILITY)
    without_flag = WITH_CAPABILITY.replace(field(6, b"\x08\x01\x10\x01"), field(6, b"\x08\x01"))
    flag_false = WITH_CAPABILITY.replace(field(6, b"\x08\x01\x10\x01"), field(6, b"\x08\x01\x10\x00"))
    assert not may_be_kept(without_flag) and not may_be_kept(flag_false)
    assert not may_be_kept(WITH_CAPABILITY + field(4, b"\x08\x01\x12\x05error"))  # diagnostics: it could not build it
    assert not may_be_kept(ANSWER)  # the same: ANSWER has a diagnostic
    assert not may_be_kept(WITH_CAPABILITY[:-300])


def test_a_rebuilt_provider_binary_is_asked_again(tmp_path: Path) -> None:
    binary = tmp_path / "terraform-provider-aws"
    binary.write_bytes(b"v1")
    link = tmp_path / "link"
    link.symlink_to(binary)
    first = answers_folder(tmp_path / "kept", link)
    assert first == answers_folder(tmp_path / "kept", binary)  # the real file counts, not the link to it
    binary.write_bytes(b"v2 longer")
    assert answers_folder(tmp_path / "kept", link) != first


class FakeProvider(grpc.GenericRpcHandler):
    """A gRPC server standing in for the provider: answers the schema question and echoes a stream; counts what it was asked."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[bytes, bytes] | None:
        method = handler_call_details.method
        self.asked.append(method)
        if method == SCHEMA_METHODS[0]:
            return grpc.unary_unary_rpc_method_handler(lambda request, context: self.answer)
        if method == "/tfplugin5.Provider/PlanResourceChange":
            return grpc.unary_unary_rpc_method_handler(
                lambda request, context: context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no such attribute")
            )
        return grpc.stream_stream_rpc_method_handler(lambda requests, context: (b"echo " + request for request in requests))


@pytest.fixture
def fake_provider(tmp_path: Path) -> Iterator[tuple[str, FakeProvider]]:
    handler = FakeProvider(WITH_CAPABILITY)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[handler])
    address = str(tmp_path / "provider.sock")
    server.add_insecure_port(f"unix:{address}")
    server.start()
    yield address, handler
    server.stop(grace=None)


def ask(channel: grpc.Channel, method: str = SCHEMA_METHODS[0]) -> bytes:
    call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(method)
    return call(b"", timeout=30)


@contextmanager
def running(proxy: ProviderProxy) -> Iterator[grpc.Channel]:
    proxy.start()
    try:
        with grpc.insecure_channel(f"unix:{proxy.address}", options=UNLIMITED) as channel:
            yield channel
    finally:
        proxy.stop()


def test_the_proxy_forwards_calls_and_errors_and_asks_for_the_schema_once_per_binary(
    fake_provider: tuple[str, FakeProvider], tmp_path: Path
) -> None:
    address, provider = fake_provider
    needed = Needed(frozenset({"aws_vpc"}), frozenset())
    with running(ProviderProxy(address, lambda: needed, kept=tmp_path / "kept")) as channel:
        assert ask(channel) == ask(channel) == trim(WITH_CAPABILITY, needed) != WITH_CAPABILITY
        echoed: grpc.StreamStreamMultiCallable[bytes, bytes] = channel.stream_stream("/plugin.GRPCStdio/StreamStdio")
        assert list(echoed(iter([b"a", b"b"]))) == [b"echo a", b"echo b"]
        with pytest.raises(grpc.RpcError) as refused:
            ask(channel, "/tfplugin5.Provider/PlanResourceChange")
        assert (refused.value.code(), refused.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "no such attribute")
    assert provider.asked.count(SCHEMA_METHODS[0]) == 1
    (kept,) = (tmp_path / "kept").iterdir()
    assert kept.read_bytes() == WITH_CAPABILITY

    with running(ProviderProxy(address, lambda: None, kept=tmp_path / "kept")) as channel:  # the next run of the same binary
        assert ask(channel) == WITH_CAPABILITY
    assert provider.asked.count(SCHEMA_METHODS[0]) == 1  # answered from what the first proxy kept


def test_a_kept_answer_that_may_not_be_used_is_asked_for_again(fake_provider: tuple[str, FakeProvider], tmp_path: Path) -> None:
    address, provider = fake_provider
    with running(ProviderProxy(address, lambda: None, kept=tmp_path / "kept")) as channel:
        ask(channel)
    (kept,) = (tmp_path / "kept").iterdir()
    kept.write_bytes(WITH_CAPABILITY[:-300])  # cut short (a full disk, say)
    with running(ProviderProxy(address, lambda: None, kept=tmp_path / "kept")) as channel:
        assert ask(channel) == WITH_CAPABILITY
    assert provider.asked.count(SCHEMA_METHODS[0]) == 2 and kept.read_bytes() == WITH_CAPABILITY


def test_an_answer_with_diagnostics_is_not_kept(fake_provider: tuple[str, FakeProvider], tmp_path: Path) -> None:
    address, provider = fake_provider
    provider.answer = ANSWER
    for _ in range(2):
        with running(ProviderProxy(address, lambda: None, kept=tmp_path / "kept")) as channel:
            assert ask(channel) == ANSWER
    assert provider.asked.count(SCHEMA_METHODS[0]) == 2 and not (tmp_path / "kept").exists()


def test_a_provider_that_is_gone_is_an_error_terraform_sees(tmp_path: Path) -> None:
    with running(ProviderProxy(str(tmp_path / "nothing.sock"), lambda: None)) as channel, pytest.raises(grpc.RpcError) as failed:
        ask(channel)
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
