"""Hostile input against every implemented Lambda operation, over raw HTTP.

Each request is one boto3 would refuse to send: bodies that are not JSON or not objects,
members of the wrong JSON type, required members left out, labels in the path of 10,000
characters, unicode, encoded slashes and NULs, zips that are not zips (or are, but
encrypted, with an unknown compression, a bad CRC, or claiming 300 MB unzipped), Invoke
payloads that are not JSON or are over AWS's limits, bogus InvocationType, LogType and
ClientContext headers, wrong methods and unknown paths. Each must get AWS's answer: its
error code (in `x-amzn-ErrorType` and the body's `__type`), its HTTP status, its message;
afterwards the same server creates and invokes a function as ever, and has logged no
traceback.
"""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import zipfile
import zlib
from datetime import datetime
from typing import Any

import botocore.session
import pytest
from botocore.model import OperationModel, Shape

from services.registry import service_operations
from tests.conftest import Server
from tests.raw_http import RawResponse, send
from tests.shape_values import example_value

MODEL = botocore.session.get_session().get_service_model("lambda")
IMPLEMENTED = sorted(service_operations()["lambda"].implemented())
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
JSON = {"Content-Type": "application/json"}
FN = "/2015-03-31/functions"
HANDLER = "def handler(event, context):\n    return event\n"
# what each URI label is given when the label itself is not under test
LABELS = {
    "FunctionName": "fn", "Name": "live", "UUID": "0" * 36, "LayerName": "layer", "VersionNumber": "1",
    "StatementId": "s", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:fn",
}
NOT_JSON = "Could not parse request body into json: Malformed JSON: the request body could not be parsed."
NOT_AN_OBJECT = "Could not parse request body into json: Start of list or value found where a structure was expected."
UNZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."
FUNCTION_NAME_PATTERN = "failed to satisfy constraint: Member must satisfy regular expression pattern: "


def coral(name: str) -> str:
    """A member as Lambda's messages name it: `functionName`, `code.zipFile`; `UUID` stays."""
    return ".".join(part if part[1:2].isupper() else part[:1].lower() + part[1:] for part in name.split("."))


def show(value: str) -> str:
    return value if len(value) <= 100 else value[:100] + "..."


def make_zip(files: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (files or {"handler.py": HANDLER}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- the wire --------------------------------------------------------------------------------


def call(server: Server, method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None) -> RawResponse:
    return send(server.host, server.port, method, path, body, {**JSON, **(headers or {})})


def aws_error(response: RawResponse) -> tuple[int, str, str]:
    """(status, code, message) of a Lambda error, its code the same in header and body."""
    assert response.header("content-type") == "application/json", (response.status, response.body[:300])
    body = response.json()
    assert response.header("x-amzn-errortype") == body["__type"], (response.headers, body)
    return response.status, body["__type"], body["message"]


def expect(response: RawResponse, status: int, code: str, message: str | None = None, *, contains: str | None = None) -> None:
    got = aws_error(response)
    assert got[:2] == (status, code), got
    if message is not None:
        assert got[2] == message, got
    if contains is not None:
        assert contains in got[2], got


def _breaks_pattern(shape: Shape, value: str) -> bool:
    pattern = shape.metadata.get("pattern")
    return bool(pattern) and re.fullmatch(pattern, value) is None


def operation(name: str) -> OperationModel:
    return MODEL.operation_model(name)


def located(op: OperationModel, where: str) -> dict[str, Shape]:
    shape = op.input_shape
    members = shape.members if shape is not None else {}
    return {n: m for n, m in members.items() if m.serialization.get("location") == where}


def body_members(op: OperationModel) -> dict[str, Shape]:
    shape = op.input_shape
    if shape is None or shape.serialization.get("payload"):
        return {}
    return {n: m for n, m in shape.members.items() if not m.serialization.get("location")}


def path_of(op: OperationModel, labels: dict[str, str] | None = None, query: str = "") -> str:
    path = op.http["requestUri"]
    for name in located(op, "uri"):
        path = re.sub(r"\{" + name + r"\+?\}", (labels or {}).get(name, LABELS[name]), path)
    if query:
        path += ("&" if "?" in path else "?") + query
    return path


def to_wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return b64(value)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def required_body(op: OperationModel) -> dict[str, Any]:
    """The required body members with values that pass the model's constraints."""
    required = set(op.input_shape.required_members) if op.input_shape is not None else set()
    return {n: to_wire(example_value(m)) for n, m in body_members(op).items() if n in required}


def required_query(op: OperationModel) -> str:
    required = set(op.input_shape.required_members) if op.input_shape is not None else set()
    return "&".join(f"{m.serialization['name']}=x" for n, m in located(op, "querystring").items() if n in required)


def send_op(server: Server, op: OperationModel, body: Any = None, labels: dict[str, str] | None = None, query: str | None = None) -> RawResponse:
    data = json.dumps(body) if body is not None else None
    return call(server, op.http["method"], path_of(op, labels, required_query(op) if query is None else query), data)


# -- the server ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    status, body = own_server.admin("POST", "/_stepstack/reset")
    assert status == 200, body
    lam = own_server.client("lambda")
    lam.create_function(FunctionName="fn", Runtime="python3.12", Role=ROLE, Handler="handler.handler", Code={"ZipFile": make_zip()})
    return own_server


WITH_BODY = [name for name in IMPLEMENTED if body_members(operation(name))]
WITH_REQUIRED = [
    name for name in IMPLEMENTED
    if set(operation(name).input_shape.required_members if operation(name).input_shape else ()) - set(located(operation(name), "uri"))
]
WRONG_TYPES = {
    "string": (5, "a string"), "integer": ("five", "an integer"), "long": ("five", "an integer"), "boolean": ("yes", "a boolean"),
    "structure": ("x", "a structure"), "list": ("x", "a list"), "map": (["x"], "a map"), "blob": (5, "base64 text"),
    "double": ("x", "a number"), "float": ("x", "a number"), "timestamp": ([], "a timestamp"),
}


# -- every operation -------------------------------------------------------------------------


def test_the_operations_under_test_are_the_implemented_ones() -> None:
    assert len(IMPLEMENTED) >= 44 and "Invoke" in IMPLEMENTED and "CreateFunction" in IMPLEMENTED
    assert len(WITH_BODY) >= 15 and len(WITH_REQUIRED) >= 10


@pytest.mark.parametrize("name", WITH_BODY)
def test_a_body_that_is_not_a_json_object_is_invalid_request_content(server: Server, name: str) -> None:
    op = operation(name)
    path = path_of(op, query=required_query(op))
    for body, message in [('{"FunctionName": ', NOT_JSON), ("{'a': 1}", NOT_JSON), (b"\xff\xfe{}", NOT_JSON), ("[1]", NOT_AN_OBJECT),
                          ("null", NOT_AN_OBJECT), ('"text"', NOT_AN_OBJECT), ("[" * 5000 + "]" * 5000, NOT_JSON)]:
        expect(call(server, op.http["method"], path, body), 400, "InvalidRequestContentException", message)


@pytest.mark.parametrize("name", WITH_REQUIRED)
def test_each_missing_required_member_is_named_as_null(server: Server, name: str) -> None:
    op = operation(name)
    missing = [n for n in op.input_shape.required_members if n not in located(op, "uri")]
    status, code, message = aws_error(send_op(server, op, {}, query=""))
    assert (status, code) == (400, "ValidationException"), (status, code, message)
    noun = "validation error" if len(missing) == 1 else "validation errors"
    assert message.startswith(f"{len(missing)} {noun} detected: "), message
    for member in missing:
        wire = op.input_shape.members[member].serialization.get("name", member)
        assert f"Value null at '{coral(wire)}' failed to satisfy constraint: Member must not be null" in message, message


@pytest.mark.parametrize("name", WITH_BODY)
def test_a_member_of_the_wrong_json_type_is_invalid_request_content(server: Server, name: str) -> None:
    op = operation(name)
    valid = required_body(op)
    for member, shape in body_members(op).items():
        bad, expected = WRONG_TYPES[shape.type_name]
        response = send_op(server, op, {**valid, member: bad})
        expect(response, 400, "InvalidRequestContentException", f"Expected {expected} at '{coral(member)}'")


@pytest.mark.parametrize("name", WITH_BODY)
def test_null_for_an_optional_member_is_an_absent_member(server: Server, name: str) -> None:
    """As Lambda's JSON reader does: `"Description": null` is no Description (no 5xx, no type error)."""
    op = operation(name)
    required = set(op.input_shape.required_members)
    optional = [n for n in body_members(op) if n not in required]
    response = send_op(server, op, {**required_body(op), **{n: None for n in optional}}, labels={"FunctionName": "nofn"})
    assert response.status < 500, (response.status, response.body[:300])
    if response.status >= 400:
        assert aws_error(response)[1] != "InvalidRequestContentException", response.body


LABELLED = [(name, label) for name in IMPLEMENTED for label in located(operation(name), "uri")]


@pytest.mark.parametrize(("name", "label"), LABELLED, ids=[f"{n}-{label}" for n, label in LABELLED])
def test_a_label_of_ten_thousand_characters_is_refused(server: Server, name: str, label: str) -> None:
    op = operation(name)
    shape = op.input_shape.members[label]
    value = "a" * 10_001  # one past the longest label Lambda's model allows (a tag's Resource ARN)
    response = send_op(server, op, required_body(op) or None, labels={label: value})
    if shape.type_name in ("integer", "long"):
        expect(response, 400, "InvalidRequestContentException", f"Expected an integer at '{coral(label)}'")
    else:
        high = shape.metadata["max"]  # (a pattern with a bounded repeat is broken too, and listed after it)
        expect(response, 400, "ValidationException", contains=f"validation error{'s' if _breaks_pattern(shape, value) else ''} detected: "
               f"Value '{show(value)}' at '{coral(label)}' failed to satisfy constraint: Member must have length less than or equal to {high}")


ODD_NAMES = {"%E2%98%83": "\u2603", "a%2Fb": "a/b", "%00": "\u0000", "a%20b": "a b", "..%2F..": "../..", "fn%3A1%3A2": "fn:1:2",
             "arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Afn": "arn:aws:sqs:us-east-1:000000000000:fn"}
NAMED = [(name, label) for name, label in LABELLED if label in ("FunctionName", "LayerName")]


@pytest.mark.parametrize(("name", "label"), NAMED, ids=[f"{n}-{label}" for n, label in NAMED])
def test_a_function_or_layer_name_outside_the_pattern_is_a_validation_exception(server: Server, name: str, label: str) -> None:
    # AWS's answers, quoted in public issues: "ValidationException: 1 validation error detected:
    # Value 'Not Installed' at 'functionName' failed to satisfy constraint: Member must satisfy
    # regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?..."
    op = operation(name)
    for raw, decoded in ODD_NAMES.items():
        if label == "LayerName" and decoded == "fn:1:2":
            continue  # a name with a colon is a layer ARN's tail to the LayerName pattern
        response = send_op(server, op, required_body(op) or None, labels={label: raw})
        expect(response, 400, "ValidationException", contains=f"Value '{decoded}' at '{coral(label)}' {FUNCTION_NAME_PATTERN}")


@pytest.mark.parametrize("name", [n for n, label in LABELLED if label == "UUID"])
def test_an_event_source_mapping_uuid_that_is_no_uuid_is_refused(server: Server, name: str) -> None:
    op = operation(name)
    for raw, decoded in [("%E2%98%83", "\u2603"), ("a%2Fb", "a/b"), ("not-a-uuid", "not-a-uuid")]:
        response = send_op(server, op, required_body(op) or None, labels={"UUID": raw})
        expect(response, 400, "ValidationException", f"1 validation error detected: Value '{decoded}' at 'UUID' "
               "failed to satisfy constraint: Member must have length greater than or equal to 36")
    expect(send_op(server, op, required_body(op) or None, labels={"UUID": "a" * 36}), 404, "ResourceNotFoundException",
           "The resource you requested does not exist.")


def test_unknown_query_parameters_are_ignored_as_aws_ignores_them(server: Server) -> None:
    assert call(server, "GET", f"{FN}/fn?Bogus=1&%E2%98%83=%00&Qualifier=%24LATEST").status == 200
    assert call(server, "GET", f"{FN}?MaxItems=1&Marker=&x=" + "y" * 5000).status == 200


def test_query_parameters_of_the_wrong_type_or_outside_their_range_are_refused(server: Server) -> None:
    expect(call(server, "GET", f"{FN}?MaxItems=abc"), 400, "InvalidRequestContentException", "Expected an integer at 'maxItems'")
    expect(call(server, "GET", f"{FN}?MaxItems=0"), 400, "ValidationException",
           "1 validation error detected: Value 0 at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
    expect(call(server, "GET", f"{FN}?MaxItems=99999999999999999999"), 400, "ValidationException",
           contains="at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 10000")
    expect(call(server, "GET", f"{FN}?FunctionVersion=bogus"), 400, "ValidationException",
           "1 validation error detected: Value 'bogus' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]")
    for marker in ("%25%25%25", "x" * 5000, b64(b'{"offset": -1}'), b64(b'{"offset": "a"}'), b64(b"[]")):
        expect(call(server, "GET", f"{FN}?Marker={marker}"), 400, "InvalidParameterValueException", "Invalid marker.")
    # an empty qualifier breaks both its length and its pattern: AWS lists every broken constraint
    expect(call(server, "GET", f"{FN}/fn?Qualifier="), 400, "ValidationException",
           contains="2 validation errors detected: Value '' at 'qualifier' failed to satisfy constraint: Member must have length greater than or equal to 1; "
                    f"Value '' at 'qualifier' {FUNCTION_NAME_PATTERN}")
    expect(call(server, "GET", f"{FN}/fn?Qualifier=..%2F.."), 400, "ValidationException",
           contains=f"Value '../..' at 'qualifier' {FUNCTION_NAME_PATTERN}")
    expect(call(server, "GET", "/2018-10-31/layers?find=LayerVersion"), 400, "ValidationException",
           "1 validation error detected: Value null at 'arn' failed to satisfy constraint: Member must not be null")


def test_function_arns_of_other_regions_accounts_and_services(server: Server) -> None:
    expect(call(server, "GET", f"{FN}/arn:aws:lambda:eu-west-1:000000000000:function:fn"), 404, "ResourceNotFoundException",
           "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')")
    expect(call(server, "GET", f"{FN}/arn:aws:lambda:us-east-1:111111111111:function:fn"), 404, "ResourceNotFoundException",
           "Function not found: arn:aws:lambda:us-east-1:111111111111:function:fn")
    expect(call(server, "GET", f"{FN}/arn:aws:sqs:us-east-1:000000000000:fn"), 400, "ValidationException",
           contains=f"at 'functionName' {FUNCTION_NAME_PATTERN}")
    expect(call(server, "GET", f"{FN}/fn:1?Qualifier=2"), 400, "InvalidParameterValueException",
           "The derived qualifier from the function name does not match the specified qualifier.")


# -- code ------------------------------------------------------------------------------------


def _zip_with(flags: int = 0, method: int | None = None, crc_xor: int = 0) -> bytes:
    """A one-file zip with its general-purpose flags, compression method or CRC changed in
    both the local header and the central directory."""
    data = bytearray(make_zip())
    for at, offset in ((0, 0), (data.find(b"PK\x01\x02"), 2)):
        data[at + 6 + offset] |= flags
        if method is not None:
            data[at + 8 + offset] = method
        data[at + 14 + offset] ^= crc_xor
    return bytes(data)


def _zip_claiming(size: int) -> bytes:
    """A zip whose one member says it unzips to `size` bytes (its deflated data is one byte)."""
    name, comp = b"big.bin", zlib.compress(b"", 9)[2:-4]
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(comp), size, len(name), 0) + name + comp
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, len(comp), size, len(name), 0, 0, 0, 0, 0, 0) + name
    return local + central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)


def _bomb(megabytes: int) -> bytes:
    """A real zip bomb within AWS's limits: the handler beside `megabytes` MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("handler.py", HANDLER)
        with archive.open("zeros.bin", "w") as out:
            block = bytes(1 << 20)
            for _ in range(megabytes):
                out.write(block)
    return buffer.getvalue()


BAD_ZIPS = {
    "not-a-zip": b"hello, world",
    "truncated": make_zip()[:40],
    "encrypted": _zip_with(flags=1),
    "unknown-compression": _zip_with(method=99),
    "bad-crc": _zip_with(crc_xor=0xFF),
    "directory-only-zip-end": b"PK\x05\x06" + bytes(10) + b"\xff\xff\xff\xff" + bytes(6),
}


def _create(name: str, code: str | bytes, **extra: Any) -> dict[str, Any]:
    zipped = code if isinstance(code, str) else b64(code)
    return {"FunctionName": name, "Runtime": "python3.12", "Role": ROLE, "Handler": "handler.handler", "Code": {"ZipFile": zipped}, **extra}


@pytest.mark.parametrize("kind", list(BAD_ZIPS))
def test_a_zip_that_cannot_be_unzipped_is_refused_by_every_upload(server: Server, kind: str) -> None:
    data = BAD_ZIPS[kind]
    expected = (400, "InvalidParameterValueException", UNZIP)
    assert aws_error(call(server, "POST", FN, json.dumps(_create("z", data)))) == expected
    assert aws_error(call(server, "PUT", f"{FN}/fn/code", json.dumps({"ZipFile": b64(data)}))) == expected
    assert aws_error(call(server, "PUT", f"{FN}/fn/code", json.dumps({"ZipFile": b64(data), "DryRun": True}))) == expected
    assert aws_error(call(server, "POST", "/2018-10-31/layers/layer/versions", json.dumps({"Content": {"ZipFile": b64(data)}}))) == expected
    assert call(server, "GET", f"{FN}/z").status == 404


def test_zip_file_that_is_not_base64_is_invalid_request_content(server: Server) -> None:
    for text in ("!!!", "UEs", "UEsDBA==" + "\u2603", "a" * 5 + "="):
        expect(call(server, "POST", FN, json.dumps(_create("z", text))), 400, "InvalidRequestContentException", "Expected base64 text at 'code.zipFile'")


def test_a_zip_claiming_more_than_250_mb_unzipped_is_refused_unread(server: Server) -> None:
    expect(call(server, "POST", FN, json.dumps(_create("z", _zip_claiming(262_144_000)))), 400, "InvalidParameterValueException",
           "Unzipped size must be smaller than 262144000 bytes")


def test_a_zip_bomb_within_the_limits_is_created_and_runs(server: Server) -> None:
    data = _bomb(64)
    assert len(data) < 200_000
    response = call(server, "POST", FN, json.dumps(_create("bomb", data)))
    assert response.status == 201, response.body[:300]
    answer = call(server, "POST", f"{FN}/bomb/invocations", '{"k": 1}')
    assert (answer.status, answer.json(), answer.header("x-amz-executed-version")) == (200, {"k": 1}, "$LATEST")
    assert call(server, "DELETE", f"{FN}/bomb").status == 204


def test_code_from_sources_stepstack_cannot_read_is_refused(server: Server) -> None:
    for code in ({}, {"ZipFile": None}, {"ZipFile": ""}):
        body = {**_create("z", ""), "Code": code}
        expect(call(server, "POST", FN, json.dumps(body)), 400, "InvalidParameterValueException", "Please provide a source for function code.")
    expect(call(server, "POST", FN, json.dumps({**_create("z", ""), "Code": None})), 400, "ValidationException",
           "1 validation error detected: Value null at 'code' failed to satisfy constraint: Member must not be null")


# -- Invoke ----------------------------------------------------------------------------------


INVOKE = f"{FN}/fn/invocations"


def test_invoke_payload_that_is_not_json_is_invalid_request_content(server: Server) -> None:
    for payload in ("not json", "{", "{'a': 1}", "[1,]", "\u2603", b"\xff\xfe", '{"a": 1} trailing', "NaN"):
        expect(call(server, "POST", INVOKE, payload), 400, "InvalidRequestContentException",
               contains="Could not parse request body into json: Could not parse payload into json: ")


def test_invoke_payloads_of_any_json_type_reach_the_function(server: Server) -> None:
    for payload in ('"text"', "5", "null", "[1, {}]", '{"\u2603": "\\u0000"}', ""):
        answer = call(server, "POST", INVOKE, payload)
        assert answer.status == 200, (payload, answer.body)
        assert answer.json() == (json.loads(payload) if payload else {})


def test_invoke_payload_over_six_mb_is_request_entity_too_large(server: Server) -> None:
    at_limit = '"' + "x" * (6_291_456 - 2) + '"'
    assert call(server, "POST", INVOKE, at_limit, {"X-Amz-Invocation-Type": "DryRun"}).status == 204
    expect(call(server, "POST", INVOKE, at_limit + " "), 413, "RequestEntityTooLargeException",
           "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
    # past the server's usual 8 MB body limit, which gives way on Lambda's routes (code uploads):
    # still Invoke's own answer
    expect(call(server, "POST", INVOKE, '"' + "x" * 9_000_000 + '"'), 413, "RequestEntityTooLargeException",
           "Request must be smaller than 6291456 bytes for the InvokeFunction operation")


def test_an_event_payload_over_one_mb_is_request_entity_too_large(server: Server) -> None:
    payload = '"' + "x" * 1_048_575 + '"'
    expect(call(server, "POST", INVOKE, payload, {"X-Amz-Invocation-Type": "Event"}), 413, "RequestEntityTooLargeException",
           "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)")


def test_invoke_headers_outside_their_enums_are_validation_errors(server: Server) -> None:
    for header, member, values in [("X-Amz-Invocation-Type", "invocationType", "[Event, RequestResponse, DryRun]"),
                                   ("X-Amz-Log-Type", "logType", "[None, Tail]")]:
        for bogus in ("Bogus", "event", "", "\u00e9"):
            response = call(server, "POST", INVOKE, "{}", {header: bogus.encode("utf-8").decode("latin-1")})
            shown = bogus.encode("utf-8").decode("latin-1")
            expect(response, 400, "ValidationException", f"1 validation error detected: Value '{shown}' at '{member}' "
                   f"failed to satisfy constraint: Member must satisfy enum value set: {values}")


def test_a_client_context_that_is_not_base64_json_is_invalid_request_content(server: Server) -> None:
    message = "Client context must be a valid Base64-encoded JSON object."
    for context in ("!!!", "x" * 100_000, b64(b"not json"), b64(b"\xff\xfe"), b64(b"[1]")):
        expect(call(server, "POST", INVOKE, "{}", {"X-Amz-Client-Context": context}), 400, "InvalidRequestContentException", message)
    assert call(server, "POST", INVOKE, "{}", {"X-Amz-Client-Context": b64(b'{"custom": {"a": 1}}')}).status == 200


def test_invoke_qualifiers_that_name_nothing(server: Server) -> None:
    missing = "Function not found: arn:aws:lambda:us-east-1:000000000000:function:fn:{}".format
    expect(call(server, "POST", f"{INVOKE}?Qualifier=nope", "{}"), 404, "ResourceNotFoundException", missing("nope"))
    expect(call(server, "POST", f"{FN}/fn:nope/invocations", "{}"), 404, "ResourceNotFoundException", missing("nope"))
    expect(call(server, "POST", f"{INVOKE}?Qualifier=" + "q" * 200, "{}"), 400, "ValidationException",
           contains="at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128")
    expect(call(server, "POST", f"{FN}/fn:1:2/invocations", "{}"), 400, "ValidationException",
           contains=f"Value 'fn:1:2' at 'functionName' {FUNCTION_NAME_PATTERN}")
    expect(call(server, "POST", f"{FN}/{'x' * 10_000}/invocations", "{}"), 400, "ValidationException",
           contains="at 'functionName' failed to satisfy constraint: Member must have length less than or equal to")
    assert call(server, "POST", f"{INVOKE}?Qualifier=%24LATEST", "{}").status == 200


# -- routes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", f"{FN}/fn/invocations"), ("PATCH", f"{FN}/fn"), ("DELETE", FN), ("PUT", f"{FN}/fn/policy"),
    ("GET", f"{FN}/fn/bogus"), ("GET", "/2015-03-31/nothing"), ("POST", "/2015-03-31/"), ("GET", "/2018-10-31/layers/l/versions/1/bogus"),
])
def test_a_wrong_method_or_unknown_path_under_lambdas_prefixes_is_unknown_operation(server: Server, method: str, path: str) -> None:
    """Answered in Lambda's own protocol (JSON with x-amzn-ErrorType), even unsigned and without a content type."""
    response = send(server.host, server.port, method, path, None, {})
    expect(response, 404, "UnknownOperationException", f"No lambda operation matches {method} {path}.")


# -- afterwards ------------------------------------------------------------------------------


def test_the_server_still_creates_and_invokes_functions_after_all_this(server: Server) -> None:
    lam = server.client("lambda")
    lam.create_function(FunctionName="after", Runtime="python3.12", Role=ROLE, Handler="handler.handler",
                        Code={"ZipFile": make_zip({"handler.py": "def handler(event, context):\n    return {'ok': event}\n"})})
    answer = lam.invoke(FunctionName="after", Payload=b'{"n": 1}')
    assert (answer["StatusCode"], json.loads(answer["Payload"].read())) == (200, {"ok": {"n": 1}})
    assert "Traceback" not in server.log_path.read_text(errors="replace")
