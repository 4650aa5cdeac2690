"""SQS queue management over the Query protocol: raw form-encoded requests (as older
SDKs send them) and their XML answers, and that what they do is what boto3's JSON
requests see. (The Query protocol at large: tests/test_sqs_query_protocol.py.)

Expected behaviour is AWS's as documented in the SQS API reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/): CreateQueue,
GetQueueUrl, ListQueues, DeleteQueue, GetQueueAttributes.
Where AWS documents no exact error message only the code (what boto3 reports as
Error.Code, i.e. the legacy Query code) and the HTTP status are checked.

Each test makes its own queues with unique names; nothing resets state. Shared
helpers: tests/sqs_helpers.py and tests/sqs_queue_helpers.py.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
import xmltodict

from tests.conftest import Server
from tests.raw_http import FORM, send
from tests.sqs_helpers import DEFAULT_ACCOUNT, error_of, queue, queue_attributes, unique_name
from tests.sqs_queue_helpers import NON_EXISTENT, assert_error


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """A server of the module's own, as every test_sqs_queue_* file has (some move the clock)."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


# == Query protocol ====================================================================


def query(server: Server, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    body = urllib.parse.urlencode({**params, "Version": "2012-11-05"})
    response = send(server.host, server.port, "POST", "/", body, FORM)
    assert "xml" in (response.header("content-type") or ""), (response.status, response.headers, response.body)
    parsed = xmltodict.parse(response.body, force_list=("Attribute", "QueueUrl"))
    return response.status, parsed


def test_query_create_queue_returns_queue_url_in_create_queue_result(server: Server) -> None:
    name = unique_name("qcreate")
    status, parsed = query(
        server,
        {"Action": "CreateQueue", "QueueName": name, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "60"},
    )
    assert status == 200, parsed
    [url] = parsed["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"]
    assert url == f"http://{server.host}:{server.port}/{DEFAULT_ACCOUNT}/{name}"
    assert "RequestId" in parsed["CreateQueueResponse"]["ResponseMetadata"]


def test_query_created_queue_is_visible_to_json_client(server: Server, sqs: Any) -> None:
    name = unique_name("qjson")
    status, parsed = query(
        server,
        {"Action": "CreateQueue", "QueueName": name, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "60"},
    )
    assert status == 200, parsed
    [url] = parsed["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"]
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert queue_attributes(sqs, url, "VisibilityTimeout") == {"VisibilityTimeout": "60"}


def test_query_get_queue_attributes_all_returns_name_value_pairs(server: Server, sqs: Any) -> None:
    name = unique_name("qattrs")
    url = queue(sqs, name=name, VisibilityTimeout=60)
    status, parsed = query(server, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"})
    assert status == 200, parsed
    pairs = parsed["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attribute"]
    assert all(set(pair) == {"Name", "Value"} for pair in pairs), pairs
    attrs = {pair["Name"]: pair["Value"] for pair in pairs}
    assert attrs["VisibilityTimeout"] == "60"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:{name}"
    assert attrs["ApproximateNumberOfMessages"] == "0"


def test_query_list_queues_returns_queue_urls_in_list_queues_result(server: Server, sqs: Any) -> None:
    prefix = unique_name("qlist")
    urls = sorted(queue(sqs, name=f"{prefix}-{i}") for i in range(2))
    status, parsed = query(server, {"Action": "ListQueues", "QueueNamePrefix": prefix})
    assert status == 200, parsed
    assert sorted(parsed["ListQueuesResponse"]["ListQueuesResult"]["QueueUrl"]) == urls


def test_query_delete_queue_deletes_it(server: Server, sqs: Any) -> None:
    name = unique_name("qdelete")
    url = queue(sqs, name=name)
    status, parsed = query(server, {"Action": "DeleteQueue", "QueueUrl": url})
    assert status == 200, parsed
    assert "DeleteQueueResponse" in parsed, parsed
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)


def test_query_create_queue_url_uses_the_request_host_header(server: Server) -> None:
    name = unique_name("qhost")
    body = urllib.parse.urlencode({"Action": "CreateQueue", "QueueName": name, "Version": "2012-11-05"})
    headers = {**FORM, "Host": f"localhost:{server.port}"}
    response = send(server.host, server.port, "POST", "/", body, headers)
    assert response.status == 200, response.body
    parsed = xmltodict.parse(response.body)
    assert parsed["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"] == f"http://localhost:{server.port}/{DEFAULT_ACCOUNT}/{name}"


def test_query_get_queue_attributes_with_one_name_returns_only_it(server: Server, sqs: Any) -> None:
    url = queue(sqs, DelaySeconds=9)
    status, parsed = query(server, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "DelaySeconds"})
    assert status == 200, parsed
    pairs = parsed["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attribute"]
    assert pairs == [{"Name": "DelaySeconds", "Value": "9"}]


def test_query_create_queue_with_tags_is_visible_to_json_client(server: Server, sqs: Any) -> None:
    name = unique_name("qtags")
    status, parsed = query(
        server,
        {"Action": "CreateQueue", "QueueName": name, "Tag.1.Key": "team", "Tag.1.Value": "blue", "Tag.2.Key": "env", "Tag.2.Value": "ci"},
    )
    assert status == 200, parsed
    [url] = parsed["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "blue", "env": "ci"}


def test_query_create_queue_with_different_attributes_answers_queue_already_exists(server: Server, sqs: Any) -> None:
    name = unique_name("qexists")
    queue(sqs, name=name, VisibilityTimeout=45)
    status, parsed = query(
        server,
        {"Action": "CreateQueue", "QueueName": name, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "46"},
    )
    assert status == 400, parsed
    assert parsed["ErrorResponse"]["Error"]["Code"] == "QueueAlreadyExists"


def test_query_missing_queue_answers_error_response_with_legacy_code(server: Server) -> None:
    status, parsed = query(server, {"Action": "GetQueueUrl", "QueueName": unique_name("qmissing")})
    assert status == 400, parsed
    error = parsed["ErrorResponse"]["Error"]
    assert error["Code"] == NON_EXISTENT
    assert error["Type"] == "Sender"
    assert error.get("Message")
    assert "RequestId" in parsed["ErrorResponse"]


def test_query_create_queue_out_of_range_attribute_is_invalid_attribute_value(server: Server) -> None:
    status, parsed = query(
        server,
        {
            "Action": "CreateQueue",
            "QueueName": unique_name("qbad"),
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "43201",
        },
    )
    assert status == 400, parsed
    error = parsed["ErrorResponse"]["Error"]
    assert error["Code"] == "InvalidAttributeValue"
    assert error["Message"] == "Invalid value for the parameter VisibilityTimeout."
