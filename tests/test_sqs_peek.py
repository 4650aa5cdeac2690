"""`/_aws/sqs/messages`: LocalStack's message peek, black-box against the running server.

The behaviour is that of LocalStack's developer endpoint as its public test suite
describes it (tests/aws/services/sqs/test_sqs_developer_api.py): a queue's messages
as a ReceiveMessage answer, with every attribute and without side effects, as XML,
as JSON (`Accept: application/json`), or to an SDK that uses the endpoint as its
endpoint URL, over SQS's JSON protocol and its Query protocol.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import boto3
import pytest
import xmltodict
from botocore.config import Config

from tests.raw_http import FORM, RawResponse, send
from tests.sqs_helpers import DEFAULT_ACCOUNT, error_of, queue, unique_name

PEEK = "/_aws/sqs/messages"
JSON = {"Accept": "application/json"}
DUMMY_HANDLE = "SQS/BACKDOOR/ACCESS"


# ---------------------------------------------------------------- helpers


def get(server: Any, path: str = PEEK, headers: dict[str, str] | None = None, **params: Any) -> RawResponse:
    query = urlencode({k: str(v) for k, v in params.items()})
    return send(server.host, server.port, "GET", f"{path}?{query}" if query else path, headers=headers)


def peek_json(server: Any, url: str, **params: Any) -> list[dict[str, Any]]:
    """The messages of a JSON peek, always as a list."""
    response = get(server, headers=JSON, QueueUrl=url, **params)
    assert response.status == 200, response.body
    assert response.header("content-type") == "application/json"
    found = (response.json()["ReceiveMessageResponse"]["ReceiveMessageResult"] or {}).get("Message", [])
    return found if isinstance(found, list) else [found]


def attributes_of(message: dict[str, Any]) -> dict[str, str]:
    """`Attribute: [{Name, Value}, ...]` of a peeked message, as a dict."""
    return {a["Name"]: a["Value"] for a in message["Attribute"]}


def xml_attributes(body: bytes) -> dict[str, dict[str, str]]:
    """Body -> attributes of each message of an XML peek, in the answer's order."""
    messages = xmltodict.parse(body)["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]
    return {m["Body"]: attributes_of(m) for m in (messages if isinstance(messages, list) else [messages])}


def error_document(response: RawResponse) -> dict[str, str]:
    return response.json()["ErrorResponse"]["Error"]


@pytest.fixture(scope="module")
def sqs(clients: Callable[..., Any]) -> Any:
    return clients("sqs")


@pytest.fixture(scope="module")
def peek_client(server: Any, query_session: Any) -> Callable[..., Any]:
    """peek_client("json" | "query", region) -> an SQS client whose endpoint URL is the peek."""

    def make(protocol: str, region: str = "us-east-1") -> Any:
        session = boto3.Session(botocore_session=query_session) if protocol == "query" else boto3.Session()
        client = session.client(
            "sqs",
            endpoint_url=server.url + PEEK,
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )
        assert client.meta.service_model.protocol == protocol
        return client

    return make


def fifo_queue(sqs: Any, **attributes: Any) -> str:
    return queue(sqs, FifoQueue=True, ContentBasedDeduplication=True, **attributes)


# ---------------------------------------------------------------- no side effects


def test_peek_does_not_count_as_a_receive(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="message-1")
    sqs.send_message(QueueUrl=url, MessageBody="message-2")

    before = xml_attributes(get(server, QueueUrl=url).body)
    assert {body: a["ApproximateReceiveCount"] for body, a in before.items()} == {"message-1": "0", "message-2": "0"}

    received = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, MaxNumberOfMessages=1, AttributeNames=["All"])
    (first,) = received["Messages"]
    assert first["Body"] == "message-1"
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"

    # visible again at once, message-1 is now behind message-2 (the peek shows receive order)
    by_body = xml_attributes(get(server, QueueUrl=url).body)
    assert list(by_body) == ["message-2", "message-1"]
    assert by_body["message-1"]["ApproximateReceiveCount"] == "1"
    assert by_body["message-2"]["ApproximateReceiveCount"] == "0"
    assert by_body["message-1"]["ApproximateFirstReceiveTimestamp"] == first["Attributes"]["ApproximateFirstReceiveTimestamp"]


def test_peeked_messages_stay_visible_and_their_timestamps_unset(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="only")
    for _ in range(3):
        (message,) = peek_json(server, url)
        attributes = attributes_of(message)
        assert attributes["ApproximateFirstReceiveTimestamp"] == attributes["SentTimestamp"]  # never received
    received = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in received] == ["only"]
    assert received[0]["Attributes"]["ApproximateReceiveCount"] == "1"


# ---------------------------------------------------------------- XML and JSON


def test_peek_answers_the_receive_message_xml_document(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sent = sqs.send_message(QueueUrl=url, MessageBody="message-1")
    response = get(server, QueueUrl=url)
    assert response.status == 200
    assert response.header("content-type").startswith("text/xml")
    document = xmltodict.parse(response.body)["ReceiveMessageResponse"]
    assert document["@xmlns"] == "http://queue.amazonaws.com/doc/2012-11-05/"
    assert document["ResponseMetadata"]["RequestId"] == response.header("x-amzn-requestid")
    message = document["ReceiveMessageResult"]["Message"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["ReceiptHandle"] == DUMMY_HANDLE
    assert message["MD5OfBody"] == hashlib.md5(b"message-1").hexdigest()
    assert message["Body"] == "message-1"


def test_peek_as_json_has_every_system_attribute(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="message-1")
    sqs.send_message(QueueUrl=url, MessageBody="message-2")
    response = get(server, headers=JSON, QueueUrl=url)
    document = response.json()["ReceiveMessageResponse"]
    assert "@xmlns" not in document
    messages = document["ReceiveMessageResult"]["Message"]
    assert [m["Body"] for m in messages] == ["message-1", "message-2"]
    assert messages[0]["MD5OfBody"] == "3d6b824fd8c1520e9a047d21fee6fb1f"
    assert messages[1]["MD5OfBody"] == "95ef155b66299d14edf7ed57c468c13b"
    attributes = attributes_of(messages[0])
    assert attributes["SenderId"] == DEFAULT_ACCOUNT
    assert set(attributes) >= {"SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"}


def test_one_message_is_an_object_and_an_empty_queue_has_an_empty_result(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    empty = get(server, headers=JSON, QueueUrl=url).json()
    assert empty["ReceiveMessageResponse"]["ReceiveMessageResult"] is None
    sqs.send_message(QueueUrl=url, MessageBody="alone")
    single = get(server, headers=JSON, QueueUrl=url).json()
    assert single["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]["Body"] == "alone"


def test_peek_shows_message_attributes_and_their_md5(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="with attributes",
        MessageAttributes={"colour": {"DataType": "String", "StringValue": "blue"}},
    )
    (message,) = peek_json(server, url)
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttribute"] == {"Name": "colour", "Value": {"StringValue": "blue", "DataType": "String"}}


# ---------------------------------------------------------------- as an SDK's endpoint URL


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_receive_through_the_peek_returns_every_message(server: Any, sqs: Any, peek_client: Any, protocol: str) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="message-1")
    sqs.send_message(
        QueueUrl=url,
        MessageBody="message-2",
        MessageAttributes={
            "text": {"DataType": "String", "StringValue": "x"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    client = peek_client(protocol)
    response = client.receive_message(QueueUrl=url, MaxNumberOfMessages=1)  # the maximum is ignored
    messages = response["Messages"]
    assert [m["Body"] for m in messages] == ["message-1", "message-2"]
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in messages] == ["0", "0"]
    assert messages[1]["MessageAttributes"]["raw"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01"}
    # nothing was received: the real queue still hands out both messages
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in again) == ["message-1", "message-2"]
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in again} == {"1"}


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_a_peeked_receipt_handle_deletes_nothing(server: Any, sqs: Any, peek_client: Any, protocol: str) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="keep me")
    (message,) = peek_client(protocol).receive_message(QueueUrl=url)["Messages"]
    assert message["ReceiptHandle"] == DUMMY_HANDLE
    error = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert error["Error"]["Code"] == "ReceiptHandleIsInvalid"
    assert [m["Body"] for m in peek_json(server, url)] == ["keep me"]


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_fifo_receive_through_the_peek_has_fifo_attributes(server: Any, sqs: Any, peek_client: Any, protocol: str) -> None:
    url = fifo_queue(sqs)
    sent = [
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
        for body, group in (("message-1", "1"), ("message-2", "1"), ("message-3", "2"))
    ]
    messages = peek_client(protocol).receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert [m["Body"] for m in messages] == ["message-1", "message-2", "message-3"]
    for message, reply in zip(messages, sent):
        attributes = message["Attributes"]
        assert attributes["ApproximateReceiveCount"] == "0"
        assert attributes["SequenceNumber"] == reply["SequenceNumber"]
        assert attributes["MessageDeduplicationId"] == hashlib.sha256(message["Body"].encode()).hexdigest()
    assert [m["Attributes"]["MessageGroupId"] for m in messages] == ["1", "1", "2"]


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_other_actions_on_the_peek_answer_invalid_request(sqs: Any, peek_client: Any, protocol: str) -> None:
    url = queue(sqs)
    client = peek_client(protocol)
    error = error_of(client.send_message, QueueUrl=url, MessageBody="foobar")
    assert error["Error"]["Code"] == "InvalidRequest"
    assert error["Error"]["Message"] == "This endpoint only accepts ReceiveMessage calls"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(client.list_queues)["Error"]["Code"] == "InvalidRequest"
    assert peek_client("json").receive_message(QueueUrl=url).get("Messages") is None  # nothing was sent


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_receive_through_the_peek_of_an_unknown_queue(server: Any, peek_client: Any, protocol: str) -> None:
    missing = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('missing')}"
    error = error_of(peek_client(protocol).receive_message, QueueUrl=missing)
    assert error["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_sdk_region_selects_the_queue(server: Any, peek_client: Any) -> None:
    ohio = server.client("sqs", region="us-east-2")
    url = queue(ohio)  # its URL names no region
    ohio.send_message(QueueUrl=url, MessageBody="in ohio")
    assert [m["Body"] for m in peek_client("json", "us-east-2").receive_message(QueueUrl=url)["Messages"]] == ["in ohio"]
    error = error_of(peek_client("json", "us-east-1").receive_message, QueueUrl=url)
    assert error["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_a_form_post_without_action_is_a_plain_peek(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="posted")
    response = send(server.host, server.port, "POST", PEEK, urlencode({"QueueUrl": url}), {**FORM, **JSON})
    assert response.status == 200, response.body
    assert response.json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]["Body"] == "posted"


# ---------------------------------------------------------------- in flight and delayed


def test_show_invisible_adds_messages_in_flight(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    for n in (1, 2, 3):
        sqs.send_message(QueueUrl=url, MessageBody=f"message-{n}")
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)

    assert [m["Body"] for m in peek_json(server, url, ShowInvisible=False)] == ["message-2", "message-3"]
    assert all("IsVisible" not in attributes_of(m) for m in peek_json(server, url))

    messages = peek_json(server, url, ShowInvisible=True)
    assert [m["Body"] for m in messages] == ["message-1", "message-2", "message-3"]
    assert [attributes_of(m)["IsVisible"] for m in messages] == ["false", "true", "true"]
    assert attributes_of(messages[0])["ApproximateReceiveCount"] == "1"


def test_fifo_show_invisible_adds_the_groups_held_back(server: Any, sqs: Any) -> None:
    url = fifo_queue(sqs, VisibilityTimeout=120)
    for n, group in ((1, "1"), (2, "1"), (3, "2"), (4, "2")):
        sqs.send_message(QueueUrl=url, MessageBody=f"message-{n}", MessageGroupId=group)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)  # locks group 1

    assert [m["Body"] for m in peek_json(server, url)] == ["message-3", "message-4"]
    messages = peek_json(server, url, ShowInvisible="true")
    assert [m["Body"] for m in messages] == ["message-1", "message-2", "message-3", "message-4"]
    # message-2 is visible itself; only its group is held back (as LocalStack reports it)
    assert [attributes_of(m)["IsVisible"] for m in messages] == ["false", "true", "true", "true"]


def test_show_delayed_adds_delayed_messages(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="message-1")
    sqs.send_message(QueueUrl=url, MessageBody="message-2", DelaySeconds=600)
    sqs.send_message(QueueUrl=url, MessageBody="message-3", DelaySeconds=600)

    only = get(server, headers=JSON, QueueUrl=url, ShowDelayed=False).json()
    assert only["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]["Body"] == "message-1"

    messages = peek_json(server, url, ShowDelayed=True)
    assert [m["Body"] for m in messages] == ["message-1", "message-2", "message-3"]
    assert [attributes_of(m)["IsDelayed"] for m in messages] == ["false", "true", "true"]


def test_show_invisible_and_delayed_together(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    sqs.receive_message(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="visible")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=600)
    messages = peek_json(server, url, ShowInvisible=1, ShowDelayed=1)
    assert {m["Body"]: (attributes_of(m)["IsVisible"], attributes_of(m)["IsDelayed"]) for m in messages} == {
        "in flight": ("false", "false"),
        "visible": ("true", "false"),
        "delayed": ("false", "true"),
    }


# ---------------------------------------------------------------- queues by path, errors


def test_queue_named_in_the_path(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    name = url.rsplit("/", 1)[1]
    sqs.send_message(QueueUrl=url, MessageBody="message-1")
    sqs.send_message(QueueUrl=url, MessageBody="message-2")
    response = get(server, f"{PEEK}/us-east-1/{DEFAULT_ACCOUNT}/{name}", JSON)
    assert len(response.json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]) == 2

    elsewhere = get(server, f"{PEEK}/us-east-2/{DEFAULT_ACCOUNT}/{name}", JSON)
    assert elsewhere.status == 400
    assert error_document(elsewhere)["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_peek_without_queue_url_is_non_existent_queue(server: Any) -> None:
    as_json = get(server, headers=JSON)
    assert as_json.status == 400
    assert error_document(as_json)["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    as_xml = get(server)
    assert as_xml.status == 400
    assert as_xml.xml_error()["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_queue_url_without_account_is_invalid_address(server: Any) -> None:
    response = get(server, headers=JSON, QueueUrl="http://localhost:4566/nonsense")
    assert response.status == 404
    assert error_document(response)["Code"] == "InvalidAddress"


def test_unknown_queue_is_non_existent_queue(server: Any) -> None:
    name = unique_name("hopefullydoesnotexist")
    by_path = get(server, f"{PEEK}/us-east-1/{DEFAULT_ACCOUNT}/{name}", JSON)
    by_url = get(server, headers=JSON, QueueUrl=f"http://localhost:4566/{DEFAULT_ACCOUNT}/{name}")
    for response in (by_path, by_url):
        assert response.status == 400
        assert error_document(response)["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_other_methods_are_not_allowed(server: Any) -> None:
    response = send(server.host, server.port, "DELETE", PEEK, headers=JSON)
    assert response.status == 405
    assert error_document(response)["Code"] == "MethodNotAllowed"


# ---------------------------------------------------------------- stepstack's own inspection


def test_the_peek_is_stepstacks_sqs_peek_inspection(server: Any, sqs: Any) -> None:
    url = queue(sqs)
    sent = sqs.send_message(QueueUrl=url, MessageBody="seen twice")
    status, view = server.admin("GET", f"/_stepstack/sqs/peek?QueueUrl={quote(url, safe='')}&ShowInvisible=true")
    assert status == 200, view
    (message,) = view["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Attributes"]["IsVisible"] == "true"
    assert message["Attributes"]["ApproximateReceiveCount"] == "0"
    (peeked,) = peek_json(server, url, ShowInvisible=True)
    assert attributes_of(peeked) == message["Attributes"]
