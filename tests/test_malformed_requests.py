"""Broken, odd and oversized requests get well-formed AWS errors, never a crash.

Everything here goes over raw HTTP, since boto3 would refuse to send it. Every
answer must carry `x-amzn-RequestId`, must not leak a Python traceback, and must
not be a 5xx other than 501 (NotImplemented, while services are being built).
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.raw_http import FORM, RawResponse, send

JSON_10 = {"Content-Type": "application/x-amz-json-1.0"}
SQS_LIST_QUEUES = {**JSON_10, "X-Amz-Target": "AmazonSQS.ListQueues"}
SFN_LIST_MACHINES = {**JSON_10, "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}
BATCH_JSON = {"Content-Type": "application/json"}
TWENTY_MB = 20 * 1024 * 1024


def request(
    server: Server, method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None
) -> RawResponse:
    """Send, then check what every answer of the AWS endpoint must satisfy."""
    response = send(server.host, server.port, method, path, body, headers)
    assert response.header("x-amzn-RequestId"), (response.status, response.headers)
    assert b"Traceback" not in response.body, response.body
    assert response.status < 500 or response.status == 501, (response.status, response.body)
    if response.body.lstrip().startswith(b"<") and b"<ErrorResponse" in response.body:
        root = response.xml()
        ids = [child.text for child in root if child.tag.rsplit("}", 1)[-1] == "RequestId"]
        assert ids == [response.header("x-amzn-RequestId")], response.body  # the body names the same request
    return response


def json_error(response: RawResponse) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("__type"), str) and body["__type"], body
    assert isinstance(body.get("message"), str), body
    return body


def well_formed_error(response: RawResponse) -> str:
    """The error code of a JSON or Query XML error body, whichever it is."""
    if response.body.lstrip().startswith(b"<"):
        error = response.xml_error()
        assert error.get("Code"), response.body
        assert error.get("Message") is not None, response.body
        return error["Code"]
    return json_error(response)["__type"].rsplit("#", 1)[-1]


# -- JSON bodies --------------------------------------------------------------------


@pytest.mark.parametrize("headers", [SQS_LIST_QUEUES, SFN_LIST_MACHINES], ids=["sqs", "stepfunctions"])
def test_broken_json_body_gets_serialization_exception_in_json(server: Server, headers: dict[str, str]) -> None:
    response = request(server, "POST", "/", b'{"QueueNamePrefix": ', headers)
    assert 400 <= response.status < 500, response
    assert json_error(response)["__type"].endswith("SerializationException"), response.body


@pytest.mark.parametrize("headers", [SQS_LIST_QUEUES, SFN_LIST_MACHINES], ids=["sqs", "stepfunctions"])
@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"42", b"null"], ids=["list", "string", "number", "null"])
def test_json_body_that_is_not_an_object_gets_client_error(
    server: Server, headers: dict[str, str], body: bytes
) -> None:
    response = request(server, "POST", "/", body, headers)
    assert 400 <= response.status < 500, response
    json_error(response)


def test_sqs_json_error_carries_query_error_header(server: Server) -> None:
    response = request(server, "POST", "/", b"[]", SQS_LIST_QUEUES)
    body = json_error(response)
    code = body["__type"].rsplit("#", 1)[-1]
    assert response.header("x-amzn-query-error") == f"{code};Sender", response.headers


def test_json_body_with_invalid_utf8_gets_client_error(server: Server) -> None:
    response = request(server, "POST", "/", b'{"nextToken": "\xff\xfe"}', SFN_LIST_MACHINES)
    assert response.status == 400, response
    json_error(response)


def test_deeply_nested_json_gets_client_error(server: Server) -> None:
    response = request(server, "POST", "/", b"[" * 5000 + b"]" * 5000, SFN_LIST_MACHINES)
    assert response.status == 400, response
    json_error(response)


def test_json_number_out_of_float_range_gets_client_error(server: Server) -> None:
    response = request(server, "POST", "/", b'{"maxResults": 1e400}', SFN_LIST_MACHINES)
    assert response.status == 400, response
    json_error(response)


def test_fractional_number_for_integer_member_gets_serialization_exception(server: Server) -> None:
    response = request(server, "POST", "/", b'{"maxResults": 1.5}', SFN_LIST_MACHINES)
    assert response.status == 400, response
    body = json_error(response)
    assert body["__type"] == "SerializationException", body
    assert "maxResults" in body["message"], body


def test_boolean_for_integer_member_gets_sqs_invalid_parameter_value(server: Server) -> None:
    body = {"QueueUrl": "http://localhost/000000000000/q", "MessageBody": "x", "DelaySeconds": True}
    headers = {**JSON_10, "X-Amz-Target": "AmazonSQS.SendMessage"}
    response = request(server, "POST", "/", json.dumps(body), headers)
    assert response.status == 400, response
    assert json_error(response)["__type"].endswith("InvalidParameterValue"), response.body
    assert response.header("x-amzn-query-error") == "InvalidParameterValue;Sender"


def test_invalid_base64_for_blob_member_gets_client_error(server: Server) -> None:
    attributes = {"a": {"DataType": "Binary", "BinaryValue": "!!! not base64 !!!"}}
    body = {"QueueUrl": "http://localhost/000000000000/q", "MessageBody": "x", "MessageAttributes": attributes}
    headers = {**JSON_10, "X-Amz-Target": "AmazonSQS.SendMessage"}
    response = request(server, "POST", "/", json.dumps(body), headers)
    assert response.status == 400, response
    assert "BinaryValue" in json_error(response)["message"], response.body


def test_batch_broken_json_body_gets_serialization_exception(server: Server) -> None:
    response = request(server, "POST", "/v1/submitjob", b"{broken", BATCH_JSON)
    assert response.status == 400, response
    assert json_error(response)["__type"] == "SerializationException", response.body
    assert response.header("x-amzn-ErrorType") == "SerializationException"


def test_batch_json_list_body_gets_client_error(server: Server) -> None:
    response = request(server, "POST", "/v1/submitjob", b"[]", BATCH_JSON)
    assert 400 <= response.status < 500, response
    json_error(response)


def test_batch_nested_member_of_wrong_type_names_its_path(server: Server) -> None:
    body = {"jobName": "j", "jobQueue": "q", "jobDefinition": "d", "timeout": {"attemptDurationSeconds": "NaN"}}
    response = request(server, "POST", "/v1/submitjob", json.dumps(body), BATCH_JSON)
    assert response.status == 400, response
    error = json_error(response)
    assert error["__type"] == "SerializationException", error
    assert "timeout.attemptDurationSeconds" in error["message"], error


# -- form (Query) bodies ---------------------------------------------------------------


QUERY_STRING_ERRORS = {"InvalidQueryParameter": 400, "MalformedQueryString": 404}  # AWS common errors


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        # which of the two AWS answers for an escape that does not decode is unknown; stepstack reads
        # the key as the name "%ZZ", which ListTopics does not have
        (b"Action=ListTopics&%ZZ=1&Version=2010-03-31", {"InvalidQueryParameter", "MalformedQueryString"}),
        (b"Action=ListTopics&Next\xff\xfeToken=1&Version=2010-03-31", {"InvalidQueryParameter"}),
        (b"Action=ListTopics&&&==&Version=2010-03-31", {"InvalidQueryParameter"}),
    ],
    ids=["bad-percent-escape", "raw-non-utf8", "empty-pairs"],
)
def test_broken_form_key_gets_a_query_string_error(server: Server, body: bytes, codes: set[str]) -> None:
    # AWS common errors: InvalidQueryParameter (400) "The AWS query string is malformed or does not adhere
    # to AWS standards"; MalformedQueryString (404) "The query string contains a syntax error". A key
    # that decodes to a name the operation does not have is the former, as any unknown key is.
    response = request(server, "POST", "/", body, FORM)
    error = response.xml_error()
    assert error["Code"] in codes and error["Type"] == "Sender", response.body
    assert response.status == QUERY_STRING_ERRORS[error["Code"]], response


def test_percent_escaped_non_utf8_value_is_decoded_and_reaches_the_operation(server: Server) -> None:
    response = request(server, "POST", "/", b"Action=ListTopics&NextToken=%FF%FE&Version=2010-03-31", FORM)
    # it reaches ListTopics, which refuses a NextToken it never issued (AWS's answer is not recorded)
    assert response.status == 400, response
    error = response.xml_error()
    assert (error["Code"], error["Message"]) == ("InvalidParameter", "Invalid parameter: NextToken"), response.body


def test_non_utf8_action_gets_invalid_action(server: Server) -> None:
    response = request(server, "POST", "/", b"Action=\xff\xfe&Version=2010-03-31", FORM)
    assert response.status == 400, response
    assert response.xml_error()["Code"] == "InvalidAction", response.body


def test_unknown_action_gets_invalid_action_xml(server: Server) -> None:
    response = request(server, "POST", "/", "Action=NoSuchAction&Version=2010-03-31", FORM)
    assert response.status == 400, response
    assert (response.header("content-type") or "").startswith("text/xml"), response.headers
    error = response.xml_error()
    assert error["Code"] == "InvalidAction", error
    assert error["Type"] == "Sender", error
    assert "NoSuchAction" in error["Message"], error


@pytest.mark.parametrize(
    "body",
    [
        "Action=CreateTopic&Name=t&Attributes.entry.abc.key=x",
        "Action=CreateTopic&Name=t&Attributes=x",
        "Action=CreateTopic&Name=t&Tags.member.0.Key=a",
        "Action=CreateTopic&Name=t&Tags.member.1=a",
        "Action=CreateTopic&Name.x=t",
    ],
    ids=["map-index-not-a-number", "map-given-text", "list-index-zero", "structure-given-text", "string-given-tree"],
)
def test_form_keys_of_the_wrong_structure_get_sns_validation_error(server: Server, body: str) -> None:
    response = request(server, "POST", "/", body + "&Version=2010-03-31", FORM)
    assert response.status == 400, response
    assert response.xml_error()["Code"] == "ValidationError", response.body


def test_sqs_query_integer_member_given_text_gets_invalid_parameter_value(server: Server) -> None:
    body = "Action=SendMessage&MessageBody=x&DelaySeconds=abc&Version=2012-11-05"
    response = request(server, "POST", "/000000000000/q", body, FORM)
    assert response.status == 400, response
    error = response.xml_error()
    assert error["Code"] == "InvalidParameterValue", error
    assert "DelaySeconds" in error["Message"], error


# -- routing ----------------------------------------------------------------------------


def test_unknown_target_gets_unknown_operation_error(server: Server) -> None:
    response = request(server, "POST", "/", b"{}", {**JSON_10, "X-Amz-Target": "NoSuchService.Foo"})
    assert response.status == 400, response
    assert json_error(response)["__type"] == "UnknownOperationException", response.body


def test_unknown_sqs_operation_gets_unknown_operation_error(server: Server) -> None:
    response = request(server, "POST", "/", b"{}", {**JSON_10, "X-Amz-Target": "AmazonSQS.NoSuchOp"})
    assert response.status == 400, response
    body = json_error(response)
    assert body["__type"].endswith("UnknownOperationException"), body
    assert "NoSuchOp" in body["message"], body


def test_target_without_operation_gets_unknown_operation_error(server: Server) -> None:
    response = request(server, "POST", "/", b"{}", {**JSON_10, "X-Amz-Target": "AWSStepFunctions"})
    assert response.status == 400, response
    assert json_error(response)["__type"] == "UnknownOperationException", response.body


def test_request_matching_nothing_gets_well_formed_client_error(server: Server) -> None:
    response = request(server, "GET", "/nothing/here")
    assert 400 <= response.status < 500, response
    assert well_formed_error(response) == "UnknownOperationException", response.body


@pytest.mark.parametrize(("method", "path"), [("PUT", "/"), ("DELETE", "/x"), ("GET", "/v1/submitjob")])
def test_unroutable_method_and_path_get_well_formed_client_error(server: Server, method: str, path: str) -> None:
    response = request(server, method, path, b"x" if method == "PUT" else None)
    assert 400 <= response.status < 500, response
    well_formed_error(response)


def test_batch_path_label_with_bad_percent_escape_is_still_routed(server: Server) -> None:
    response = request(server, "GET", "/v1/tags/%ZZ")
    # routed to ListTagsForResource, which refuses the resource ARN "%ZZ" as it would any
    # non-ARN (AWS's answer to this exact label is not recorded)
    assert response.status == 400, response
    error = json_error(response)
    assert error["__type"] == "ClientException" and "%ZZ" in error["message"], response.body


def test_garbled_sigv4_credential_still_routes_the_request(server: Server) -> None:
    # stepstack checks no signatures (AWS would refuse this one): the request is ListQueues all the same
    headers = {**SQS_LIST_QUEUES, "Authorization": "AWS4-HMAC-SHA256 Credential=//////aws4_request, Signature=x"}
    response = request(server, "POST", "/", b"{}", headers)
    assert response.status == 200, response
    assert isinstance(response.json(), dict) and set(response.json()) <= {"QueueUrls", "NextToken"}, response.body


# -- size -----------------------------------------------------------------------------------


def test_twenty_megabyte_json_body_gets_request_entity_too_large(server: Server) -> None:
    body = b'{"QueueUrl": "q", "MessageBody": "' + b"x" * TWENTY_MB + b'"}'
    response = request(server, "POST", "/", body, {**JSON_10, "X-Amz-Target": "AmazonSQS.SendMessage"})
    assert response.status == 413, response
    assert json_error(response)["__type"].endswith("RequestEntityTooLarge"), response.body
    assert response.header("x-amzn-query-error") == "RequestEntityTooLarge;Sender"


def test_twenty_megabyte_form_body_gets_request_entity_too_large(server: Server) -> None:
    body = b"Action=Publish&Version=2010-03-31&TopicArn=t&Message=" + b"x" * TWENTY_MB
    response = request(server, "POST", "/", body, FORM)
    assert response.status == 413, response
    assert well_formed_error(response) == "RequestEntityTooLarge", response.body


def test_twenty_megabyte_rest_json_body_gets_request_entity_too_large(server: Server) -> None:
    body = b'{"jobName": "' + b"x" * TWENTY_MB + b'", "jobQueue": "q", "jobDefinition": "d"}'
    response = request(server, "POST", "/v1/submitjob", body, BATCH_JSON)
    assert response.status == 413, response
    assert json_error(response)["__type"] == "RequestEntityTooLarge", response.body


def test_connection_stays_usable_after_a_too_large_body(server: Server) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        connection.request("POST", "/", body=b"Action=Publish&Message=" + b"x" * TWENTY_MB, headers=FORM)
        first = connection.getresponse()
        first.read()
        assert first.status == 413
        connection.request("POST", "/", body=b"{}", headers=SQS_LIST_QUEUES)
        second = connection.getresponse()
        body = second.read()
        assert second.status == 200, body  # ListQueues, answered as usual
    finally:
        connection.close()


# -- and the server is still fine ------------------------------------------------------------


def test_server_is_still_alive_and_healthy_after_malformed_requests(server: Server) -> None:
    assert server.alive()
    status, body = server.admin("GET", "/_stepstack/health")
    assert status == 200, body
    assert {entry["state"] for entry in body["services"].values()} == {"running"}, body
