"""protocols/model.py and protocols/loader.py against botocore's own model and loader.

The server reads botocore's data without importing botocore (start-up time);
these tests hold the re-stated model to botocore's: the same description, the
same trait lists, and for every shape and operation of the four services (and
SQS's Query model) the same attributes. tests/test_roundtrip.py then runs
botocore's serializers and parsers on our objects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import botocore.loaders
import botocore.model as bm
import botocore.utils
import pytest

from protocols import model as om
from protocols.loader import api_versions, load_service_model
from protocols.quirks import service_quirks
from protocols.specs import SERVICE_NAMES, service_spec

SHAPE_ATTRS = ("name", "type_name", "documentation", "serialization", "metadata", "required_members", "event_stream_name")
STRUCTURE_ATTRS = ("error_code", "is_document_type", "is_tagged_union")
SERVICE_ATTRS = (
    "metadata", "operation_names", "shape_names", "signing_name", "api_version", "protocol", "service_name",
    "endpoint_prefix", "resolved_protocol", "is_query_compatible", "signature_version", "documentation",
    "endpoint_discovery_required", "client_context_parameters",
)
OPERATION_ATTRS = (
    "name", "wire_name", "http", "metadata", "documentation", "deprecated", "endpoint_discovery",
    "is_endpoint_discovery_operation", "idempotent_members", "static_context_parameters", "context_parameters",
    "operation_context_parameters", "request_compression", "auth", "auth_type", "unsigned_payload", "endpoint",
    "http_checksum_required", "http_checksum", "has_event_stream_input", "has_event_stream_output",
    "has_streaming_input", "has_streaming_output",
)


def _plain(value: Any) -> Any:
    """NamedTuples of either module compare as tuples."""
    return [tuple(v) for v in value] if isinstance(value, list) and value and isinstance(value[0], tuple) else value


def assert_same_shape(theirs: bm.Shape, ours: om.Shape, path: str, seen: set[tuple[str, str]]) -> None:
    assert type(theirs).__name__ == type(ours).__name__, path
    for attr in SHAPE_ATTRS + (STRUCTURE_ATTRS if isinstance(theirs, bm.StructureShape) else ()):
        assert getattr(theirs, attr) == getattr(ours, attr), f"{path}.{attr}"
    if isinstance(theirs, bm.StringShape):
        assert theirs.enum == ours.enum, path
    key = (theirs.name, repr(theirs._shape_model))
    if key in seen:  # recursive shapes
        return
    seen.add(key)
    if isinstance(theirs, bm.StructureShape):
        assert list(theirs.members) == list(ours.members), path
        for name, member in theirs.members.items():
            assert_same_shape(member, ours.members[name], f"{path}.{name}", seen)
    elif isinstance(theirs, bm.ListShape):
        assert_same_shape(theirs.member, ours.member, f"{path}.member", seen)
    elif isinstance(theirs, bm.MapShape):
        assert_same_shape(theirs.key, ours.key, f"{path}.key", seen)
        assert_same_shape(theirs.value, ours.value, f"{path}.value", seen)


def test_trait_lists_are_botocores() -> None:
    assert list(dict.fromkeys(bm.Shape.SERIALIZED_ATTRS)) == list(om.SERIALIZED_ATTRS)
    assert list(bm.Shape.METADATA_ATTRS) == list(om.METADATA_ATTRS)
    assert tuple(botocore.utils.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS) == om.SUPPORTED_PROTOCOLS


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_loader_reads_what_botocores_loader_reads(service: str) -> None:
    loader = botocore.loaders.create_loader()
    assert api_versions(service) == loader.list_api_versions(service, "service-2")
    theirs = loader.load_service_model(service, "service-2")
    assert json.dumps(load_service_model(service)) == json.dumps(theirs)  # same keys, order and number types


def _model_pairs() -> list[Any]:
    pairs = []
    for name in SERVICE_NAMES:
        spec = service_spec(name)
        pairs.append(pytest.param(bm.ServiceModel(spec.raw, service_name=name), spec.model, id=name))
        build = service_quirks(name).query_model
        if build is not None:
            pairs.append(pytest.param(bm.ServiceModel(build(spec.raw), service_name=name), spec.query_model, id=f"{name}-query"))
    return pairs


@pytest.mark.parametrize("theirs, ours", _model_pairs())
def test_every_shape_and_operation_matches_botocores_model(theirs: bm.ServiceModel, ours: om.ServiceModel) -> None:
    for attr in SERVICE_ATTRS:
        assert _plain(getattr(theirs, attr)) == _plain(getattr(ours, attr)), attr
    assert str(theirs.service_id) == ours.service_id
    assert [s.name for s in theirs.error_shapes] == [s.name for s in ours.error_shapes]
    for shape in theirs.error_shapes:
        assert ours.shape_for_error_code(shape.error_code).name == shape.name
    seen: set[tuple[str, str]] = set()
    for name in theirs.shape_names:
        assert_same_shape(theirs.shape_for(name), ours.shape_for(name), name, seen)
    for name in theirs.operation_names:
        a, b = theirs.operation_model(name), ours.operation_model(name)
        assert ours.operation_model(name) is b  # built once
        for attr in OPERATION_ATTRS:
            assert _plain(getattr(a, attr)) == _plain(getattr(b, attr)), f"{name}.{attr}"
        for attr in ("input_shape", "output_shape"):
            x, y = getattr(a, attr), getattr(b, attr)
            assert (x is None) == (y is None), f"{name}.{attr}"
            if x is not None:
                assert_same_shape(x, y, f"{name}.{attr}", set())
        assert [s.name for s in a.error_shapes] == [s.name for s in b.error_shapes]


def test_member_traits_override_the_shapes_own_and_shapes_without_them_are_shared() -> None:
    model = om.ServiceModel({"shapes": {"S": {"type": "string", "max": 5, "locationName": "a"}}})
    plain = model.resolve_shape_ref({"shape": "S"})
    renamed = model.resolve_shape_ref({"shape": "S", "locationName": "b", "max": 3})
    assert model.resolve_shape_ref({"shape": "S"}) is plain
    assert (plain.serialization, plain.metadata) == ({"name": "a"}, {"max": 5})
    assert (renamed.serialization, renamed.metadata) == ({"name": "b"}, {"max": 3})


def test_starting_the_server_imports_no_botocore_module() -> None:
    code = (
        "import sys, server.app; from protocols.specs import all_specs; all_specs();"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'botocore'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
