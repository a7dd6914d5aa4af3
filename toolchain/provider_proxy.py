"""A gRPC proxy between Terraform and the one AWS provider of a command run, which answers its schema once, trimmed.

Every Terraform command asks the provider for its whole schema (``GetProviderSchema``): the provider builds
~1,600 resource and data source schemas (0.7 to 0.9 CPU s) and Terraform decodes them all (1.5 to 1.8 CPU s),
for a stack that uses twenty. Most of a reattached ``terraform plan`` is that (docs/notes/provider-schema.md).
This proxy stands where Terraform expects the provider (its ``TF_REATTACH_PROVIDERS`` address) and forwards
every call, streams included, byte for byte, except ``GetProviderSchema``: the provider is asked once per binary
(its answer is kept on disk, ``may_be_kept``) and Terraform gets that answer with only the resource types and
data sources the stacks name (``Needed``).

Trimming is all or nothing per answer: when a stack folder cannot be read whole (no ``cdk.tf.json``, a
module, a remote backend, a state that does not parse), the answer goes out untrimmed. A type left out
would make Terraform refuse the stack ("provider does not support resource type"), never plan without it.
The rewrite is at the protobuf wire level (fields 2 and 3 of ``GetProviderSchema.Response`` are maps of
type name to schema, the same in protocols 5 and 6), so no ``.proto`` files or generated code are needed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

SCHEMA_METHODS = ("/tfplugin5.Provider/GetSchema", "/tfplugin6.Provider/GetProviderSchema")
"""The schema call: ``GetSchema`` in protocol 5 (the AWS provider's), ``GetProviderSchema`` in 6; both answer a ``GetProviderSchema.Response``."""
RESOURCE_SCHEMAS, DATA_SOURCE_SCHEMAS = 2, 3
"""Field numbers of ``GetProviderSchema.Response``'s maps (tfplugin5.proto and tfplugin6.proto alike)."""
UNLIMITED = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
WORKERS = 32
"""Threads of the proxy's server: each Terraform command holds two for its whole life (go-plugin's broker and stdio streams)."""


READ_BLOCKS = frozenset(
    {"//", "terraform", "provider", "resource", "data", "ephemeral", "output", "variable", "locals", "import", "moved", "removed"}
)
"""The top-level properties of a stack's JSON whose types ``needed_by`` knows (ephemeral resources are never trimmed);
any other (``module``, ``check`` with its scoped data sources, a future block) leaves the answer whole."""


@dataclass(frozen=True)
class Needed:
    """The resource types and data sources whose schemas the stacks' commands can ask for."""

    resources: frozenset[str]
    data_sources: frozenset[str]


def needed_by(folders: Sequence[Path]) -> Needed | None:
    """What the stacks in ``folders`` name in their configuration and state; ``None`` when any cannot be read whole.

    Read at each schema request, so a state written by an earlier command of the run counts."""
    resources: set[str] = set()
    data_sources: set[str] = set()
    for folder in folders:
        try:
            found = _named_in(folder)
        except (TypeError, AttributeError):  # a document of an unexpected shape (a backend path that is not a string, ...)
            found = None
        if found is None:
            return None
        resources |= found.resources
        data_sources |= found.data_sources
    return Needed(frozenset(resources), frozenset(data_sources))


def _named_in(folder: Path) -> Needed | None:
    """The types one synthesized stack's ``cdk.tf.json`` and its local state name."""
    if any(path.name != "cdk.tf.json" for path in [*folder.glob("*.tf"), *folder.glob("*.tf.json")]):
        return None  # written by hand or by the HCL writer: not read here
    try:
        stack = json.loads((folder / "cdk.tf.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stack, dict) or set(stack) - READ_BLOCKS:
        return None  # a module (its types are in its own files), a check block, or a block this code does not read
    state = _local_state(folder, stack)
    if state is None:
        return None
    resources, data_sources = _labels(stack.get("resource")), _labels(stack.get("data"))
    for resource in state:
        (data_sources if resource.get("mode") == "data" else resources).add(str(resource.get("type")))
    return Needed(frozenset(resources), frozenset(data_sources))


def _labels(blocks: object) -> set[str]:
    """The first labels (the types) of a JSON-syntax block property: an object, or an array of objects."""
    if blocks is None:
        return set()
    if isinstance(blocks, dict):
        return set(blocks)
    if isinstance(blocks, list) and all(isinstance(item, dict) for item in blocks):
        return {label for item in blocks for label in item}
    raise TypeError("a block property that is neither an object nor an array of objects")


def local_state_file(folder: Path, stack: dict[str, Any]) -> Path | None:
    """Where the synthesized ``stack`` in ``folder`` keeps its state: a file for the local backend (the default);
    ``None`` for any other backend (S3 and the like)."""
    backends = (stack.get("terraform") or {}).get("backend") or {"local": {}}
    if set(backends) != {"local"}:
        return None
    return folder / ((backends["local"] or {}).get("path") or "terraform.tfstate")


def _local_state(folder: Path, stack: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The resources of the stack's local state (none when there is no file yet); ``None`` for any other backend."""
    path = local_state_file(folder, stack)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        # Terraform creates the file empty when it takes the lock of a stack that has no state yet
        resources = json.loads(text).get("resources") or [] if text.strip() else []
    except (OSError, ValueError, AttributeError):
        return None
    return resources if isinstance(resources, list) and all(isinstance(r, dict) for r in resources) else None


def trim(answer: bytes, needed: Needed) -> bytes:
    """``answer`` (a serialized ``GetProviderSchema.Response``) with only the needed entries in its two maps.

    Any other field is copied as it is. An answer that does not parse as protobuf goes back untouched."""
    try:
        kept = bytearray()
        for number, start, end, body in _fields(answer, 0, len(answer)):
            if number == RESOURCE_SCHEMAS and _map_key(answer, body) not in needed.resources:
                continue
            if number == DATA_SOURCE_SCHEMAS and _map_key(answer, body) not in needed.data_sources:
                continue
            kept += answer[start:end]
        return bytes(kept)
    except ValueError:
        return answer


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """The varint at ``at`` and the offset after it."""
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes, at: int, end: int) -> Iterator[tuple[int, int, int, tuple[int, int] | None]]:
    """Each field of the message in ``data[at:end]``: its number, where it starts and ends, and a length-delimited body's bounds."""
    while at < end:
        start = at
        tag, at = _varint(data, at)
        number, wire_type = tag >> 3, tag & 7
        body: tuple[int, int] | None = None
        if wire_type == 0:
            _, at = _varint(data, at)
        elif wire_type == 1:
            at += 8
        elif wire_type == 5:
            at += 4
        elif wire_type == 2:
            length, at = _varint(data, at)
            body, at = (at, at + length), at + length
        else:
            raise ValueError(f"wire type {wire_type}")  # groups: not in these messages
        if at > end:
            raise ValueError("field past the end")
        yield number, start, at, body


def _map_key(data: bytes, body: tuple[int, int] | None) -> str:
    """The string key (field 1) of a map entry."""
    if body is None:
        raise ValueError("a map entry is not length-delimited")
    for number, _start, _end, field in _fields(data, *body):
        if number == 1 and field is not None:
            return data[field[0] : field[1]].decode("utf-8")
    return ""


SERVER_CAPABILITIES, SCHEMA_OPTIONAL, DIAGNOSTICS = 6, 2, 4
"""``GetProviderSchema.Response.server_capabilities`` and its ``get_provider_schema_optional``; ``diagnostics``."""


def may_be_kept(answer: bytes) -> bool:
    """Whether ``answer`` may be kept for later runs of the same provider binary.

    Only when the provider says other calls do not need ``GetProviderSchema`` before them (the capability
    Terraform itself relies on to reuse a schema across provider instances) and the answer has no
    diagnostics (a provider that could not build its schema is asked again next time)."""
    try:
        fields = [(number, body) for number, _start, _end, body in _fields(answer, 0, len(answer))]
        capabilities = [body for number, body in fields if number == SERVER_CAPABILITIES and body is not None]
        if any(number == DIAGNOSTICS for number, _ in fields) or len(capabilities) != 1:
            return False
        start, end = capabilities[0]
        flags = {number: answer[s:e] for number, s, e, _ in _fields(answer, start, end)}
        return flags.get(SCHEMA_OPTIONAL) == bytes([SCHEMA_OPTIONAL << 3, 1])
    except ValueError:
        return False


def answers_folder(folder: Path, binary: Path) -> Path:
    """Where the schema answers of the provider ``binary`` are kept, under ``folder``: named after the binary's real
    path, size and modification time, so a new or rebuilt binary is asked again."""
    real = binary.resolve()
    stat = real.stat()
    return folder / hashlib.sha256(f"{real}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:32]


class _Forwarder(grpc.GenericRpcHandler):
    """Every method to the provider as raw bytes; ``GetProviderSchema`` from a cache, trimmed to what is needed."""

    def __init__(self, channel: grpc.Channel, needed: Callable[[], Needed | None], kept: Path | None) -> None:
        self._channel = channel
        self._needed = needed
        self._kept = kept
        self._answers: dict[bytes, bytes] = {}
        self._trimmed: dict[tuple[bytes, Needed], bytes] = {}
        self._lock = threading.Lock()

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[bytes, bytes] | None:
        method = handler_call_details.method
        if method in SCHEMA_METHODS:
            return grpc.unary_unary_rpc_method_handler(lambda request, context: self._schema(method, request, context))
        return grpc.stream_stream_rpc_method_handler(lambda requests, context: self._forward(method, requests, context))

    def _schema(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        with self._lock:  # one question to the provider, however many commands ask at once
            answer = self._answers.get(request) or self._read_kept(method, request)
            if answer is None:
                ask: grpc.UnaryUnaryMultiCallable[bytes, bytes] = self._channel.unary_unary(method)
                try:
                    answer = ask(request)
                except grpc.RpcError as error:
                    context.abort(_code(error), _details(error))
                self._keep(method, request, answer)
            self._answers[request] = answer
        needed = self._needed()
        if needed is None:
            return answer
        with self._lock:  # the commands of a run mostly need the same types: trimmed once per set
            if (request, needed) not in self._trimmed:
                self._trimmed[(request, needed)] = trim(answer, needed)
            return self._trimmed[(request, needed)]

    def _kept_file(self, method: str, request: bytes) -> Path | None:
        if self._kept is None:
            return None
        question = hashlib.sha256(method.encode() + b"\0" + request).hexdigest()
        return self._kept / f"{question[:32]}.bin"

    def _read_kept(self, method: str, request: bytes) -> bytes | None:
        """The answer an earlier proxy kept for this provider binary and question; ``None`` if none, or not one to use."""
        path = self._kept_file(method, request)
        try:
            answer = path.read_bytes() if path is not None else None
        except OSError:
            return None
        return answer if answer is not None and may_be_kept(answer) else None

    def _keep(self, method: str, request: bytes, answer: bytes) -> None:
        """Write ``answer`` for the next proxies of this binary (under a temporary name, then renamed: never half read)."""
        path = self._kept_file(method, request)
        if path is None or not may_be_kept(answer):
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as partial:
                partial.write(answer)
            Path(partial.name).replace(path)
        except OSError:
            pass  # only a cache: the next proxy asks the provider

    def _forward(self, method: str, requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        ask: grpc.StreamStreamMultiCallable[bytes, bytes] = self._channel.stream_stream(method)
        call = ask(_until_cancelled(requests))
        context.add_callback(lambda: _cancel(call))  # Terraform went away: so does the call to the provider
        try:
            yield from call
        except grpc.RpcError as error:
            if context.is_active():
                context.abort(_code(error), _details(error))


def _until_cancelled(requests: Iterator[bytes]) -> Iterator[bytes]:
    """Terraform's messages of a stream, ending quietly when Terraform goes away (the call is cancelled then;
    grpcio would log the iterator's error as an exception)."""
    try:
        yield from requests
    except grpc.RpcError:
        return


def _cancel(call: grpc.RpcContext) -> None:
    call.cancel()


def _code(error: grpc.RpcError) -> grpc.StatusCode:
    """The status of a failed call (a ``grpc.Call`` as well as an ``RpcError``), passed on to Terraform as it is."""
    code = getattr(error, "code", None)
    return code() if callable(code) else grpc.StatusCode.UNKNOWN


def _details(error: grpc.RpcError) -> str:
    details = getattr(error, "details", None)
    return str(details() or "") if callable(details) else str(error)


class ProviderProxy:
    """The proxy's server, on a Unix socket of its own, in front of the provider at ``upstream`` (a Unix socket path)."""

    def __init__(self, upstream: str, needed: Callable[[], Needed | None], *, kept: Path | None = None, folder: Path | None = None) -> None:
        """``kept``: where the provider's schema answers are kept between runs (``answers_folder``); ``None``: asked every run.
        ``folder``: where its socket goes (the caller's, removed by the caller); ``None``: a temporary folder of its own."""
        self._own_folder = folder is None
        self._folder = tempfile.mkdtemp(prefix="provider-proxy-") if folder is None else str(folder)
        self.address = str(Path(self._folder) / "proxy.sock")
        self._channel = grpc.insecure_channel(f"unix:{upstream}", options=UNLIMITED)
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="provider-proxy"),
            handlers=[_Forwarder(self._channel, needed, kept)],
            options=UNLIMITED,
        )
        self._server.add_insecure_port(f"unix:{self.address}")

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)
        self._channel.close()
        if self._own_folder:
            shutil.rmtree(self._folder, ignore_errors=True)
        else:
            Path(self.address).unlink(missing_ok=True)
