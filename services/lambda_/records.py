"""What Lambda keeps: plain records of functions (each version's configuration as AWS answers
it), aliases, layers, code and pending asynchronous invocations.

Records hold values and ids only; a zip is kept once by its SHA-256 in `LambdaStore.code`
(snapshots carry it, base64). Execution environments, their processes and the Runtime API
servers are runtime (runtime/), started again on demand after a restore.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from services.core.records import from_jsonable, to_jsonable


@dataclass(eq=False)
class FunctionVersionRecord:
    """`$LATEST` or a published version: GetFunctionConfiguration's answer, as it stands."""

    version: str  # "$LATEST", "1", "2", ...
    config: dict[str, Any]  # FunctionName, FunctionArn, Runtime, Role, Handler, CodeSize, CodeSha256, Timeout, MemorySize,
    #                         Environment, Layers, State, LastUpdateStatus, Version, RevisionId, ... (AWS's names)
    code_sha256: str  # the zip in LambdaStore.code (hex digest; CodeSha256 in `config` is AWS's base64 form)


@dataclass(eq=False)
class FunctionRecord:
    name: str
    arn: str  # unqualified: arn:aws:lambda:<region>:<account>:function:<name>
    versions: dict[str, FunctionVersionRecord] = field(default_factory=dict)  # "$LATEST" first, then by number
    next_version: int = 1  # version numbers are never reused
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> AliasConfiguration (RoutingConfig...)
    reserved_concurrency: int | None = None
    event_invoke_configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # qualifier -> FunctionEventInvokeConfig
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # qualifier ("" unqualified) -> {"Statement": [...], "RevisionId": ...}
    tags: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0  # service time of CreateFunction
    published_from: str | None = None  # $LATEST's RevisionId when the last version was published from it


@dataclass(eq=False)
class LayerVersionRecord:
    name: str
    version: int
    arn: str  # arn:aws:lambda:<region>:<account>:layer:<name>:<version>
    config: dict[str, Any]  # GetLayerVersion's answer (Content without Location, CompatibleRuntimes, ...)
    code_sha256: str
    policy: list[dict[str, Any]] = field(default_factory=list)  # AddLayerVersionPermission's statements
    policy_revision: str | None = None
    deleted: bool = False  # DeleteLayerVersion: gone from the API, kept while a function version uses it


@dataclass
class LambdaStore:
    functions: dict[str, FunctionRecord] = field(default_factory=dict)  # by name
    layers: dict[str, dict[int, LayerVersionRecord]] = field(default_factory=dict)  # name -> version -> record
    next_layer_version: dict[str, int] = field(default_factory=dict)  # layer name -> next version (never reused)
    code: dict[str, bytes] = field(default_factory=dict)  # SHA-256 hex -> zip
    pending_invocations: list[dict[str, Any]] = field(default_factory=list)  # asynchronous invocations not yet done (due_at...)
    event_source_mappings: dict[str, dict[str, Any]] = field(default_factory=dict)  # UUID -> EventSourceMappingConfiguration


def _plain(record: Any) -> dict[str, Any]:
    return {f.name: to_jsonable(getattr(record, f.name)) for f in fields(record)}


def dump_store(store: LambdaStore) -> dict[str, Any]:
    return {
        "functions": [{**_plain(f), "versions": [_plain(v) for v in f.versions.values()]} for f in store.functions.values()],
        "layers": [_plain(v) for versions in store.layers.values() for v in versions.values()],
        "next_layer_version": dict(store.next_layer_version),
        "code": to_jsonable(store.code),
        "pending_invocations": to_jsonable(store.pending_invocations),
        "event_source_mappings": to_jsonable(store.event_source_mappings),
    }


def load_store(data: dict[str, Any]) -> LambdaStore:
    data = from_jsonable(data)
    store = LambdaStore(next_layer_version=dict(data.get("next_layer_version", {})), code=dict(data.get("code", {})),
                        pending_invocations=list(data.get("pending_invocations", [])),
                        event_source_mappings=dict(data.get("event_source_mappings", {})))
    for raw in data.get("functions", []):
        versions = [FunctionVersionRecord(**v) for v in raw.pop("versions")]
        function = FunctionRecord(**raw)
        function.versions = {v.version: v for v in versions}
        store.functions[function.name] = function
    for raw in data.get("layers", []):
        layer = LayerVersionRecord(**raw)
        store.layers.setdefault(layer.name, {})[layer.version] = layer
    return store

