"""The protocol layer against botocore itself, for every operation of the four services.

Requests: botocore's serializer builds the wire request from generated input;
our router and parser must recover the same params. Responses: our serializer's
output, parsed by botocore's parser, must give back the same result. Errors:
botocore must read the code and message we meant.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import prepare_request_dict, create_request_object
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from protocols import HttpRequest, Router, all_specs
from protocols.base import Protocol
from services.core.errors import AwsError, NotImplementedOperation, declare_error
from services.sqs.errors import MODELED as SQS_ERRORS
from tests.shape_strategies import input_strategy, strategy

SPECS = all_specs()
ROUTER = Router(SPECS)
ENDPOINT = "http://127.0.0.1:4566"
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _variants() -> list[tuple[str, str, ServiceModel, Protocol]]:
    """(service, protocol name, model, our protocol): SQS twice, over json and over query."""
    out = []
    for name, spec in SPECS.items():
        out.append((name, spec.protocol, spec.model, ROUTER.protocols[name]))
        if spec.query_model is not None:
            out.append((name, "query", spec.query_model, ROUTER.query_protocols[name]))
    return out


VARIANTS = _variants()
OPERATIONS = [
    pytest.param(service, wire, model, protocol, op, id=f"{service}-{wire}-{op}")
    for service, wire, model, protocol in VARIANTS
    for op in model.operation_names
]


def normalize(value: Any) -> Any:
    """Compare by meaning: drop empty containers (an empty payload blob travels as no body),
    timestamps as epoch seconds."""
    if isinstance(value, dict):
        out = {k: normalize(v) for k, v in value.items() if k != "ResponseMetadata"}
        return {k: v for k, v in out.items() if v not in ({}, [], None, b"")}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 9) if abs(value) < 1e15 else value
    return value


def wire_request(model: ServiceModel, wire: str, operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
    """What botocore would send for `params`, as our gateway receives it."""
    serializer = create_serializer(wire, include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()}
    headers.setdefault("host", "127.0.0.1:4566")
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/"
        f"{model.signing_name}/aws4_request, SignedHeaders=host, Signature=0"
    )
    from urllib.parse import unquote

    return HttpRequest(prepared.method, unquote(url.path), url.path, url.query, headers, body)


def label_members(operation: OperationModel) -> set[str]:
    shape = operation.input_shape
    if shape is None:
        return set()
    return {n for n, m in shape.members.items() if m.serialization.get("location") in ("uri", "header", "querystring")}


@pytest.mark.parametrize("service, wire, model, protocol, op", OPERATIONS)
def test_request_roundtrip(service: str, wire: str, model: ServiceModel, protocol: Protocol, op: str) -> None:
    operation = model.operation_model(op)

    @EXAMPLES
    @given(params=input_strategy(operation.input_shape, label_members(operation)))
    def check(params: dict[str, Any]) -> None:
        if wire == "query":
            # Query sends nothing for an empty map: a required one cannot be empty on this wire.
            required = operation.input_shape.required_members if operation.input_shape else []
            assume(all(params[name] != {} for name in required))
        request = wire_request(model, wire, operation, params)
        route = ROUTER.route(request)
        assert (route.spec.name, route.operation.name, route.protocol.name) == (service, op, wire)
        parsed = route.protocol.parse(request, route.operation, **route.extra)
        assert normalize(parsed) == normalize(params)

    check()


# Event-stream outputs (CloudWatch Logs' StartLiveTail, GetLogObject) are never serialized: those
# operations answer NotImplemented (test_every_operation checks that).
RESPONSE_OPERATIONS = [p for p in OPERATIONS if not p.values[2].operation_model(p.values[4]).has_event_stream_output]


@pytest.mark.parametrize("service, wire, model, protocol, op", RESPONSE_OPERATIONS)
def test_response_roundtrip(service: str, wire: str, model: ServiceModel, protocol: Protocol, op: str) -> None:
    operation = model.operation_model(op)
    shape = operation.output_shape
    parser = create_parser(wire)

    members = shape.members if shape is not None else {}
    status_members = [n for n, m in members.items() if m.serialization.get("location") == "statusCode"]
    payload = shape.serialization.get("payload") if shape is not None else None

    @EXAMPLES
    @given(result=strategy(shape, 1) if shape is not None else st.just({}))
    def check(result: dict[str, Any]) -> None:
        # a status member is the HTTP status (a success's: others are errors), a blob payload a body
        # of text (Lambda's Invoke answers JSON); parsed back, an absent status is the status sent
        assume(all(200 <= result[n] < 300 for n in status_members if n in result))
        if payload and isinstance(result.get(payload), bytes):
            assume(_is_utf8(result[payload]))
        response = protocol.serialize(operation, result, "req-1")
        headers = {"content-type": response.content_type, **dict(response.headers)}
        parsed = parser.parse({"status_code": response.status, "headers": headers, "body": response.body}, shape)
        for name in status_members:
            if name not in result:
                assert parsed.pop(name) == response.status
        if payload and isinstance(parsed.get(payload), str):
            parsed[payload] = parsed[payload].encode()
        assert normalize(parsed) == normalize(result)

    check()


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _error_cases() -> list[Any]:
    cases = []
    for service, wire, model, protocol in VARIANTS:
        for shape in model.error_shapes:
            cls = SQS_ERRORS.get(shape.name) if service == "sqs" else None
            if cls is None:
                status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
                cls = declare_error(shape.error_code or shape.name, status)
            cases.append(pytest.param(wire, model, protocol, cls, id=f"{service}-{wire}-{shape.name}"))
    return cases


def expected_code(error: AwsError, wire: str, protocol: Protocol) -> str:
    """boto3 reports the legacy Query code for SQS, over both of its protocols."""
    if wire == "query" or protocol.spec.query_compatible:
        return error.wire_code
    return error.code


@pytest.mark.parametrize("wire, model, protocol, error_class", _error_cases())
def test_modeled_error_roundtrip(wire: str, model: ServiceModel, protocol: Protocol, error_class: type[AwsError]) -> None:
    error = error_class("Something <specific> & precise went wrong.")
    response = protocol.serialize_error(error, "req-err")
    headers = {"content-type": response.content_type, **dict(response.headers)}
    parsed = create_parser(wire).parse({"status_code": response.status, "headers": headers, "body": response.body}, None)
    assert response.status == error.status
    assert parsed["Error"]["Code"] == expected_code(error, wire, protocol)
    assert parsed["Error"]["Message"] == error.message


@pytest.mark.parametrize("service, wire, model, protocol", [pytest.param(*v, id=f"{v[0]}-{v[1]}") for v in VARIANTS])
def test_not_implemented_error_names_the_operation(service: str, wire: str, model: ServiceModel, protocol: Protocol) -> None:
    op = model.operation_names[0]
    response = protocol.serialize_error(NotImplementedOperation(service, op), "req-ni")
    headers = {"content-type": response.content_type, **dict(response.headers)}
    parsed = create_parser(wire).parse({"status_code": response.status, "headers": headers, "body": response.body}, None)
    assert response.status == 501
    assert parsed["Error"]["Code"] == "NotImplemented"
    assert op in parsed["Error"]["Message"]
