"""botocore's service-model classes, re-stated without botocore's imports.

`botocore.model` pulls in `botocore.auth`, `botocore.utils` and urllib3 (about
150 ms, the larger part of the server's start-up), while the protocol layer
only needs the model's data and its shape semantics. This module keeps
botocore's names, attributes and rules (which traits are `serialization` and
which `metadata`, member-level traits merged over the shape's own, lazily
resolved members cached on each shape), so botocore's serializers, parsers and
validator accept these objects as they accept their own (tests/test_roundtrip.py
holds them to that).

Where we knowingly differ from botocore: a shape referenced without member
traits is one shared object per name (botocore builds a new one per reference;
only identity differs); `resolved_auth_type` and `service_id.hyphenize()` are
left out (signing is botocore's business, not ours); missing operations and
shapes raise the errors below, which are not botocore's classes.

Adapted from botocore's `botocore/model.py` (Copyright Amazon.com, Inc. or its
affiliates; Apache License 2.0, like this project).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")

# Checked against botocore/model.py (1.44): keep in step when botocore adds a trait.
SERIALIZED_ATTRS: tuple[str, ...] = (
    "locationName", "queryName", "flattened", "location", "payload", "streaming", "timestampFormat",
    "xmlNamespace", "resultWrapper", "xmlAttribute", "eventstream", "event", "eventheader",
    "eventpayload", "jsonvalue", "hostLabel",
)
METADATA_ATTRS: tuple[str, ...] = (
    "required", "min", "max", "pattern", "sensitive", "enum", "idempotencyToken", "error",
    "exception", "endpointdiscoveryid", "retryable", "document", "union", "contextParam",
    "clientContextParams", "requiresLength",
)
# botocore.utils.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
SUPPORTED_PROTOCOLS: tuple[str, ...] = ("json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor", "query", "ec2")


class NoShapeFoundError(Exception):
    pass


class InvalidShapeError(Exception):
    pass


class InvalidShapeReferenceError(Exception):
    pass


class OperationNotFoundError(Exception):
    pass


class UndefinedModelAttributeError(Exception):
    pass


class CachedProperty(Generic[T]):
    """botocore's CachedProperty: computed once, then a plain instance attribute."""

    def __init__(self, fget: Callable[[Any], T]) -> None:
        self._fget = fget
        self.__doc__ = fget.__doc__

    def __get__(self, obj: Any, cls: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.__dict__[self._fget.__name__] = self._fget(obj)
        return value


# -- shapes ------------------------------------------------------------------------


class Shape:
    """A shape of the service model, with the member-level traits of where it is used."""

    SERIALIZED_ATTRS = SERIALIZED_ATTRS
    METADATA_ATTRS = METADATA_ATTRS
    MAP_TYPE = dict

    def __init__(self, shape_name: str, shape_model: Mapping[str, Any], shape_resolver: ShapeResolver | None = None) -> None:
        self.name = shape_name
        self.type_name: str = shape_model["type"]
        self.documentation: str = shape_model.get("documentation", "")
        self._shape_model = shape_model
        # `_shape_resolver` keeps botocore's name: protocols/readers.py keys its memo by it
        self._shape_resolver = shape_resolver if shape_resolver is not None else _UNRESOLVABLE
        self._cache: dict[str, Any] = {}

    @CachedProperty
    def serialization(self) -> dict[str, Any]:
        """Wire traits (`locationName` renamed `name`), for serializers and parsers."""
        model = self._shape_model
        out = {attr: model[attr] for attr in self.SERIALIZED_ATTRS if attr in model}
        if "locationName" in out:
            out["name"] = out.pop("locationName")
        return out

    @CachedProperty
    def metadata(self) -> dict[str, Any]:
        """Constraints and flags: min, max, pattern, enum, required, error, exception, ..."""
        model = self._shape_model
        return {attr: model[attr] for attr in self.METADATA_ATTRS if attr in model}

    @CachedProperty
    def required_members(self) -> list[str]:
        return self.metadata.get("required", [])

    def _resolve_shape_ref(self, shape_ref: Mapping[str, Any]) -> Shape:
        return self._shape_resolver.resolve_shape_ref(shape_ref)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}({self.name})>"

    @property
    def event_stream_name(self) -> str | None:
        return None


class StructureShape(Shape):
    @CachedProperty
    def members(self) -> dict[str, Shape]:
        """Member name -> shape, in model order."""
        refs = self._shape_model.get("members", {})
        return self.MAP_TYPE((name, self._resolve_shape_ref(ref)) for name, ref in refs.items())

    @CachedProperty
    def event_stream_name(self) -> str | None:  # type: ignore[override]
        for member_name, member in self.members.items():
            if member.serialization.get("eventstream"):
                return member_name
        return None

    @CachedProperty
    def error_code(self) -> str | None:
        """An exception's code: the modeled `error.code`, else the shape's name."""
        if not self.metadata.get("exception", False):
            return None
        code = self.metadata.get("error", {}).get("code")
        return code or self.name

    @CachedProperty
    def is_document_type(self) -> bool:
        return self.metadata.get("document", False)

    @CachedProperty
    def is_tagged_union(self) -> bool:
        return self.metadata.get("union", False)


class ListShape(Shape):
    @CachedProperty
    def member(self) -> Shape:
        return self._resolve_shape_ref(self._shape_model["member"])


class MapShape(Shape):
    @CachedProperty
    def key(self) -> Shape:
        return self._resolve_shape_ref(self._shape_model["key"])

    @CachedProperty
    def value(self) -> Shape:
        return self._resolve_shape_ref(self._shape_model["value"])


class StringShape(Shape):
    @CachedProperty
    def enum(self) -> list[str]:
        return self.metadata.get("enum", [])


class ShapeResolver:
    """Shape references -> Shape objects; member traits are merged over the shape's own."""

    SHAPE_CLASSES: Mapping[str, type[Shape]] = {
        "structure": StructureShape,
        "list": ListShape,
        "map": MapShape,
        "string": StringShape,
    }

    def __init__(self, shape_map: Mapping[str, Any]) -> None:
        self._shape_map = shape_map
        self._shape_cache: dict[str, Shape] = {}  # shapes referenced without member traits

    def get_shape_by_name(self, shape_name: str, member_traits: Mapping[str, Any] | None = None) -> Shape:
        if not member_traits:
            cached_shape = self._shape_cache.get(shape_name)
            if cached_shape is not None:
                return cached_shape
        try:
            shape_model = self._shape_map[shape_name]
        except KeyError:
            raise NoShapeFoundError(shape_name) from None
        try:
            shape_cls = self.SHAPE_CLASSES.get(shape_model["type"], Shape)
        except KeyError:
            raise InvalidShapeError(f"Shape is missing required key 'type': {shape_model}") from None
        if member_traits:
            return shape_cls(shape_name, {**shape_model, **member_traits}, self)
        shape = self._shape_cache[shape_name] = shape_cls(shape_name, shape_model, self)
        return shape

    def resolve_shape_ref(self, shape_ref: Mapping[str, Any]) -> Shape:
        """`{"shape": "Name", "locationName": "Wire", ...}` -> the shape with those traits."""
        if len(shape_ref) == 1 and "shape" in shape_ref:
            return self.get_shape_by_name(shape_ref["shape"])
        traits = dict(shape_ref)
        try:
            shape_name = traits.pop("shape")
        except KeyError:
            raise InvalidShapeReferenceError(f"Invalid model, missing shape reference: {shape_ref}") from None
        return self.get_shape_by_name(shape_name, traits)


class UnresolvableShapeMap:
    """The resolver of a shape built without one: scalars never need it."""

    def get_shape_by_name(self, shape_name: str, member_traits: Mapping[str, Any] | None = None) -> Shape:
        raise ValueError(f"Attempted to lookup shape '{shape_name}', but no shape map was provided.")

    def resolve_shape_ref(self, shape_ref: Mapping[str, Any]) -> Shape:
        raise ValueError(f"Attempted to resolve shape '{shape_ref}', but no shape map was provided.")


_UNRESOLVABLE: Any = UnresolvableShapeMap()


# -- service and operations ------------------------------------------------------------


class StaticContextParameter(NamedTuple):
    name: str
    value: bool | str


class ContextParameter(NamedTuple):
    name: str
    member_name: str


class ClientContextParameter(NamedTuple):
    name: str
    type: str
    documentation: str


class ServiceModel:
    """A service description (the parsed service-2.json) with its shapes and operations."""

    def __init__(self, service_description: Mapping[str, Any], service_name: str | None = None) -> None:
        self._service_description = service_description
        self.metadata: dict[str, Any] = service_description.get("metadata", {})
        self._shape_resolver = ShapeResolver(service_description.get("shapes", {}))
        self._signature_version: Any = _NOT_SET
        self._service_name = service_name
        self._operations: dict[str, OperationModel] = {}

    def shape_for(self, shape_name: str, member_traits: Mapping[str, Any] | None = None) -> Shape:
        return self._shape_resolver.get_shape_by_name(shape_name, member_traits)

    def shape_for_error_code(self, error_code: str) -> Shape | None:
        return self._error_code_cache.get(error_code)

    @CachedProperty
    def _error_code_cache(self) -> dict[str, Shape]:
        return {shape.error_code: shape for shape in self.error_shapes}  # type: ignore[attr-defined]

    def resolve_shape_ref(self, shape_ref: Mapping[str, Any]) -> Shape:
        return self._shape_resolver.resolve_shape_ref(shape_ref)

    @CachedProperty
    def shape_names(self) -> list[str]:
        return list(self._service_description.get("shapes", {}))

    @CachedProperty
    def error_shapes(self) -> list[Shape]:
        shapes = (self.shape_for(name) for name in self.shape_names)
        return [shape for shape in shapes if shape.metadata.get("exception", False)]

    def operation_model(self, operation_name: str) -> OperationModel:
        """The operation's model, built once (botocore's instance_cache)."""
        found = self._operations.get(operation_name)
        if found is None:
            try:
                model = self._service_description["operations"][operation_name]
            except KeyError:
                raise OperationNotFoundError(operation_name) from None
            found = self._operations[operation_name] = OperationModel(model, self, operation_name)
        return found

    @CachedProperty
    def documentation(self) -> str:
        return self._service_description.get("documentation", "")

    @CachedProperty
    def operation_names(self) -> list[str]:
        return list(self._service_description.get("operations", []))

    @CachedProperty
    def service_name(self) -> str:
        return self._service_name if self._service_name is not None else self.endpoint_prefix

    @CachedProperty
    def service_id(self) -> str:
        return self._get_metadata_property("serviceId")

    @CachedProperty
    def signing_name(self) -> str:
        """The SigV4 signing name: `signingName`, else the endpoint prefix."""
        name = self.metadata.get("signingName")
        return name if name is not None else self.endpoint_prefix

    @CachedProperty
    def api_version(self) -> str:
        return self._get_metadata_property("apiVersion")

    @CachedProperty
    def protocol(self) -> str:
        return self._get_metadata_property("protocol")

    @CachedProperty
    def protocols(self) -> list[str]:
        return self._get_metadata_property("protocols")

    @CachedProperty
    def resolved_protocol(self) -> str:
        """The first of `protocols` that botocore supports, else the legacy `protocol`."""
        if self.metadata.get("protocols"):
            for protocol in SUPPORTED_PROTOCOLS:
                if protocol in self.protocols:
                    return protocol
            raise UndefinedModelAttributeError(f"no supported protocol among {self.protocols} for {self.service_name}")
        return self.protocol

    @CachedProperty
    def endpoint_prefix(self) -> str:
        return self._get_metadata_property("endpointPrefix")

    @CachedProperty
    def endpoint_discovery_operation(self) -> OperationModel | None:
        for name in self.operation_names:
            model = self.operation_model(name)
            if model.is_endpoint_discovery_operation:
                return model
        return None

    @CachedProperty
    def endpoint_discovery_required(self) -> bool:
        for name in self.operation_names:
            discovery = self.operation_model(name).endpoint_discovery
            if discovery is not None and discovery.get("required"):
                return True
        return False

    @CachedProperty
    def client_context_parameters(self) -> list[ClientContextParameter]:
        params = self._service_description.get("clientContextParams", {})
        return [ClientContextParameter(name, value["type"], value["documentation"]) for name, value in params.items()]

    def _get_metadata_property(self, name: str) -> Any:
        try:
            return self.metadata[name]
        except KeyError:
            raise UndefinedModelAttributeError(f'"{name}" not defined in the metadata of the model: {self}') from None

    @property
    def signature_version(self) -> str | None:
        if self._signature_version is _NOT_SET:
            self._signature_version = self.metadata.get("signatureVersion")
        return self._signature_version

    @signature_version.setter
    def signature_version(self, value: str | None) -> None:
        self._signature_version = value

    @CachedProperty
    def is_query_compatible(self) -> bool:
        return "awsQueryCompatible" in self.metadata

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.service_name})"


_NOT_SET = object()


class OperationModel:
    """One operation: its HTTP binding, input, output and error shapes."""

    def __init__(self, operation_model: Mapping[str, Any], service_model: ServiceModel, name: str | None = None) -> None:
        self._operation_model = operation_model
        self._service_model = service_model
        self._api_name = name
        self._wire_name = operation_model.get("name")
        self.metadata = service_model.metadata
        self.http: dict[str, Any] = operation_model.get("http", {})

    @CachedProperty
    def name(self) -> str:
        return self._api_name if self._api_name is not None else self.wire_name

    @property
    def wire_name(self) -> str:
        """The name sent on the wire; it may differ from `name` (cloudfront)."""
        return self._operation_model.get("name")

    @property
    def service_model(self) -> ServiceModel:
        return self._service_model

    @CachedProperty
    def documentation(self) -> str:
        return self._operation_model.get("documentation", "")

    @CachedProperty
    def deprecated(self) -> bool:
        return self._operation_model.get("deprecated", False)

    @CachedProperty
    def endpoint_discovery(self) -> dict[str, Any] | None:
        return self._operation_model.get("endpointdiscovery", None)

    @CachedProperty
    def is_endpoint_discovery_operation(self) -> bool:
        return self._operation_model.get("endpointoperation", False)

    @CachedProperty
    def input_shape(self) -> Shape | None:
        if "input" not in self._operation_model:
            return None
        return self._service_model.resolve_shape_ref(self._operation_model["input"])

    @CachedProperty
    def output_shape(self) -> Shape | None:
        if "output" not in self._operation_model:
            return None
        return self._service_model.resolve_shape_ref(self._operation_model["output"])

    @CachedProperty
    def idempotent_members(self) -> list[str]:
        shape = self.input_shape
        if not shape:
            return []
        return [name for name, member in shape.members.items() if member.metadata.get("idempotencyToken")]  # type: ignore[attr-defined]

    @CachedProperty
    def static_context_parameters(self) -> list[StaticContextParameter]:
        params = self._operation_model.get("staticContextParams", {})
        return [StaticContextParameter(name, props.get("value")) for name, props in params.items()]

    @CachedProperty
    def context_parameters(self) -> list[ContextParameter]:
        shape = self.input_shape
        if not shape:
            return []
        return [
            ContextParameter(member.metadata["contextParam"]["name"], name)
            for name, member in shape.members.items()  # type: ignore[attr-defined]
            if "name" in member.metadata.get("contextParam", {})
        ]

    @CachedProperty
    def operation_context_parameters(self) -> list[Any]:
        return self._operation_model.get("operationContextParams", [])

    @CachedProperty
    def request_compression(self) -> dict[str, Any] | None:
        return self._operation_model.get("requestcompression")

    @CachedProperty
    def auth(self) -> list[str] | None:
        return self._operation_model.get("auth")

    @CachedProperty
    def auth_type(self) -> str | None:
        return self._operation_model.get("authtype")

    @CachedProperty
    def unsigned_payload(self) -> bool | None:
        return self._operation_model.get("unsignedPayload")

    @CachedProperty
    def error_shapes(self) -> list[Shape]:
        return [self._service_model.resolve_shape_ref(ref) for ref in self._operation_model.get("errors", [])]

    @CachedProperty
    def endpoint(self) -> dict[str, Any] | None:
        return self._operation_model.get("endpoint")

    @CachedProperty
    def http_checksum_required(self) -> bool:
        return self._operation_model.get("httpChecksumRequired", False)

    @CachedProperty
    def http_checksum(self) -> dict[str, Any]:
        return self._operation_model.get("httpChecksum", {})

    @CachedProperty
    def has_event_stream_input(self) -> bool:
        return self.get_event_stream_input() is not None

    @CachedProperty
    def has_event_stream_output(self) -> bool:
        return self.get_event_stream_output() is not None

    def get_event_stream_input(self) -> Shape | None:
        return self._get_event_stream(self.input_shape)

    def get_event_stream_output(self) -> Shape | None:
        return self._get_event_stream(self.output_shape)

    @staticmethod
    def _get_event_stream(shape: Shape | None) -> Shape | None:
        if shape is None:
            return None
        name = shape.event_stream_name
        return shape.members[name] if name else None  # type: ignore[attr-defined]

    @CachedProperty
    def has_streaming_input(self) -> bool:
        return self.get_streaming_input() is not None

    @CachedProperty
    def has_streaming_output(self) -> bool:
        return self.get_streaming_output() is not None

    def get_streaming_input(self) -> Shape | None:
        return self._get_streaming_body(self.input_shape)

    def get_streaming_output(self) -> Shape | None:
        return self._get_streaming_body(self.output_shape)

    @staticmethod
    def _get_streaming_body(shape: Shape | None) -> Shape | None:
        if shape is None:
            return None
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]  # type: ignore[attr-defined]
            if member.type_name == "blob":
                return member
        return None

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(name={self.name})"
