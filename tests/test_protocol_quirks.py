"""Per-service protocol quirks live in one table (protocols/quirks.py).

The generic protocol modules must not name a service: everything that differs
per service is looked up in `QUIRKS`. These tests read the modules' source, so
a service name creeping back into generic code fails here, not in review.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from protocols import HttpRequest, Router, all_specs
from protocols.quirks import LABELS, QUIRKS, service_quirks
from protocols.readers import query_reader
from protocols.specs import SERVICE_NAMES, service_spec
from protocols.validation import INPUT_RULES
from tests.conftest import ROOT

ROUTER = Router(all_specs())
PROTOCOLS = ROOT / "protocols"
# The table itself, the SQS Query model it points at, and the per-service input-error table
PER_SERVICE_MODULES = {"quirks.py", "sqs_query_model.py", "validation.py"}
GENERIC_MODULES = sorted(p for p in PROTOCOLS.glob("*.py") if p.name not in PER_SERVICE_MODULES)


def _forbidden_literals() -> set[str]:
    """Service names, their labels and the members only one service has, lower-cased."""
    names = set(SERVICE_NAMES) | set(LABELS)
    members = {q.url_member for q in QUIRKS.values() if q.url_member}
    return {name.lower() for name in names | members}


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):  # SERVICE_NAMES itself is allowed to list the services
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "SERVICE_NAMES" for t in targets):
                skip.update(id(n) for n in ast.walk(node))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
    ]


@pytest.mark.parametrize("path", GENERIC_MODULES, ids=lambda p: p.name)
def test_generic_protocol_modules_name_no_service(path: Path) -> None:
    forbidden = _forbidden_literals()
    found = [(line, value) for line, value in _string_literals(path) if value.strip("#.").lower() in forbidden]
    assert not found, f"{path.name} names a service; put the quirk in protocols/quirks.py: {found}"


def test_generic_modules_are_the_ones_the_issue_lists() -> None:
    names = {p.name for p in GENERIC_MODULES}
    assert {"specs.py", "detect.py", "json_rpc.py", "query.py", "base.py", "readers.py"} <= names


def test_the_table_covers_every_service_and_is_immutable() -> None:
    assert set(QUIRKS) == set(SERVICE_NAMES)
    with pytest.raises(TypeError):
        QUIRKS["sqs"] = QUIRKS["sns"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        QUIRKS["sqs"].url_member = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        QUIRKS["sqs"].query_key_aliases["Tag"] = ("Tagz",)  # type: ignore[index]
    with pytest.raises(TypeError):
        LABELS["x"] = "sqs"  # type: ignore[index]
    with pytest.raises(TypeError):
        INPUT_RULES["sqs"] = INPUT_RULES["sns"]  # type: ignore[index]
    assert service_quirks("no-such-service") == service_quirks("sns")


def test_labels_name_the_services_they_stand_for() -> None:
    assert LABELS == {"queue": "sqs", "states": "stepfunctions"}
    for label, name in LABELS.items():
        assert label not in SERVICE_NAMES and name in SERVICE_NAMES


def test_every_alias_is_another_spelling_of_a_wire_name_the_query_model_has() -> None:
    for name, quirks in QUIRKS.items():
        if not quirks.query_key_aliases:
            continue
        model = service_spec(name).query_model
        assert model is not None, name
        wire_names = {
            member.serialization.get("name", member_name)
            for shape_name in model.shape_names
            if (shape := model.shape_for(shape_name)).type_name == "structure"
            for member_name, member in shape.members.items()
        }
        for key, spellings in quirks.query_key_aliases.items():
            assert key in wire_names, key
            assert isinstance(spellings, tuple) and key not in spellings


def test_only_services_with_a_query_model_builder_get_one() -> None:
    for name in SERVICE_NAMES:
        assert (service_spec(name).query_model is not None) == (QUIRKS[name].query_model is not None), name


def test_query_readers_are_memoised_per_shape_and_alias_table() -> None:
    shape = service_spec("sqs").query_model.operation_model("CreateQueue").input_shape
    aliases = QUIRKS["sqs"].query_key_aliases
    with_aliases = query_reader(shape, False, aliases)
    assert query_reader(shape, False, aliases) is with_aliases
    assert query_reader(shape, False) is not with_aliases
    assert query_reader(shape, False, aliases)({"QueueName": "q", "Tags": {"1": {"Key": "a", "Value": "b"}}}, "", []) == {
        "QueueName": "q",
        "tags": {"a": "b"},
    }


# -- the Query protocol, in process -----------------------------------------------------


def _parse(body: str, path: str = "/", host: str = "127.0.0.1:4566") -> tuple[str, dict]:
    headers = {"host": host, "content-type": "application/x-www-form-urlencoded"}
    request = HttpRequest("POST", path, path, "", headers, body.encode())
    route = ROUTER.route(request)
    return route.spec.name, route.protocol.parse(request, route.operation, **route.extra)


def _error(body: str, path: str = "/") -> tuple[str, int, str]:
    with pytest.raises(Exception) as caught:
        _parse(body, path)
    return caught.value.wire_code, caught.value.status, caught.value.message


def test_plural_and_singular_sqs_spellings_read_the_same() -> None:
    singular = (
        "Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=b"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=s"
        "&SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Name=AWSTraceHeader"
        "&SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.DataType=String"
        "&SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.StringValue=Root%3D1-0-0"
    )
    plural = singular.replace("MessageAttribute.", "MessageAttributes.").replace(
        "MessageSystemAttribute.", "MessageSystemAttributes."
    )
    assert plural != singular
    path = "/000000000000/q"
    assert _parse(singular, path) == _parse(plural, path)
    _, params = _parse(plural, path)
    entry = params["Entries"][0]
    assert entry["MessageAttributes"] == {"n": {"DataType": "String", "StringValue": "s"}}
    assert entry["MessageSystemAttributes"] == {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-0-0"}}


def test_set_queue_attributes_accepts_the_plural_spelling() -> None:
    body = "Action=SetQueueAttributes&Attributes.1.Name=DelaySeconds&Attributes.1.Value=5"
    assert _parse(body, "/000000000000/q") == (
        "sqs",
        {"QueueUrl": "http://127.0.0.1:4566/000000000000/q", "Attributes": {"DelaySeconds": "5"}},
    )


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("Action=SendMessage&MessageBody=x&Bogus=1", "Bogus"),
        ("Action=SendMessage&MessageBody=x&Bogus.1.Name=a", "Bogus.1.Name"),
        ("Action=SendMessage&MessageBody=x&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String"
         "&MessageAttribute.1.Value.StringValue=v&MessageAttribute.1.Colour=red", "MessageAttribute.1.Colour"),
        ("Action=SendMessage&MessageBody=x&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String"
         "&MessageAttribute.1.Value.Text=v", "MessageAttribute.1.Value.Text"),
        ("Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=b"
         "&SendMessageBatchRequestEntry.1.Body=c", "SendMessageBatchRequestEntry.1.Body"),
        ("Action=TagQueue&Tag.1.Key=a&Tag.1.Value=b&Tags.1.Key=c&Tags.1.Value=d", "Tags.1.Key"),
        ("Action=SendMessage&messagebody=x", "messagebody"),
    ],
    ids=["top-level", "top-level-tree", "map-entry", "map-value-structure", "list-entry", "both-spellings", "case"],
)
def test_an_sqs_query_key_of_no_member_is_invalid_query_parameter(body: str, key: str) -> None:
    code, status, message = _error(body, "/000000000000/q")
    assert (code, status, message) == ("InvalidQueryParameter", 400, f"The query parameter {key} is invalid.")


def test_an_unknown_key_is_reported_before_a_missing_member() -> None:
    assert _error("Action=CreateQueue&Bogus=1")[0] == "InvalidQueryParameter"


def test_protocol_and_authentication_keys_are_not_members_but_are_accepted() -> None:
    body = (
        "Action=SendMessage&MessageBody=x&Version=2012-11-05"
        "&AWSAccessKeyId=AKID&Signature=c2ln&SignatureMethod=HmacSHA256&SignatureVersion=2"
        "&Timestamp=2026-01-01T00%3A00%3A00Z&Expires=2026-01-01T00%3A15%3A00Z&SecurityToken=tok"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsqs%2Faws4_request"
        "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Signature=0&X-Amz-SignedHeaders=host"
        "&X-Amz-Security-Token=tok"
    )
    assert _parse(body, "/000000000000/q") == (
        "sqs",
        {"QueueUrl": "http://127.0.0.1:4566/000000000000/q", "MessageBody": "x"},
    )


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=m&Bogus=1", "Bogus"),
        ("Action=CreateTopic&Name=t&Attributes.entry.1.key=a&Attributes.entry.1.value=b&Attributes.entry.1.extra=c",
         "Attributes.entry.1.extra"),
        ("Action=CreateTopic&Name=t&Attributes.item.1.key=a", "Attributes.item.1.key"),
        ("Action=CreateTopic&Name=t&Tags.member.1.Key=a&Tags.member.1.Value=b&Tags.items.1.Key=c", "Tags.items.1.Key"),
    ],
    ids=["top-level", "map-entry", "map-wrapper", "list-wrapper"],
)
def test_an_sns_query_key_of_no_member_is_invalid_query_parameter(body: str, key: str) -> None:
    code, status, message = _error(body)
    assert (code, status, message) == ("InvalidQueryParameter", 400, f"The query parameter {key} is invalid.")


def test_sns_query_requests_still_parse() -> None:
    body = (
        "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=m&Version=2010-03-31"
        "&MessageAttributes.entry.1.Name=colour&MessageAttributes.entry.1.Value.DataType=String"
        "&MessageAttributes.entry.1.Value.StringValue=red"
    )
    assert _parse(body) == ("sns", {
        "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
        "Message": "m",
        "MessageAttributes": {"colour": {"DataType": "String", "StringValue": "red"}},
    })
    _, tags = _parse("Action=TagResource&ResourceArn=arn&Tags.member.1.Key=a&Tags.member.1.Value=b")
    assert tags == {"ResourceArn": "arn", "Tags": [{"Key": "a", "Value": "b"}]}


def test_json_errors_take_their_type_namespace_from_the_table() -> None:
    assert ROUTER.protocols["sqs"].type_namespace == "com.amazonaws.sqs#"
    assert ROUTER.protocols["stepfunctions"].type_namespace == ""
