"""SQS standard queues: batch operations, dead-letter queues, missing queues,
the Query protocol of older SDKs and fair queues.

Black-box through boto3 (and raw form-encoded POSTs for the Query protocol)
against the running server. Error codes are the legacy Query codes boto3
reports as Error.Code (SQS API reference, "Common Errors" and each action's
"Errors" section).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
import xmltodict

from tests.raw_http import FORM, send
from tests.sqs_helpers import error_of, queue, queue_arn, unique_name
from tests.test_sqs_messages import (
    assert_error,
    counts,
    md5,
    md5_of_attributes,
    receive,
)


@pytest.fixture(scope="module")
def server(own_server: Any) -> Any:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Any) -> Any:
    return server.client("sqs")


def entries(count: int, prefix: str = "m") -> list[dict[str, Any]]:
    return [{"Id": f"e{i}", "MessageBody": f"{prefix}{i}"} for i in range(count)]


def drain(sqs: Any, url: str, limit: int = 100) -> list[dict[str, Any]]:
    """Receive until the queue answers empty (messages stay in flight)."""
    messages: list[dict[str, Any]] = []
    while len(messages) < limit:
        batch = receive(sqs, url, MaxNumberOfMessages=10)
        if not batch:
            break
        messages += batch
    return messages


# ---------------------------------------------------------------- SendMessageBatch


def test_send_message_batch_of_ten(sqs: Any) -> None:
    url = queue(sqs, prefix="sendbatch")
    batch = entries(10)
    batch[3]["MessageAttributes"] = {"kind": {"DataType": "String", "StringValue": "special"}}
    response = sqs.send_message_batch(QueueUrl=url, Entries=batch)
    assert not response.get("Failed")
    successful = {entry["Id"]: entry for entry in response["Successful"]}
    assert set(successful) == {f"e{i}" for i in range(10)}
    for i in range(10):
        assert successful[f"e{i}"]["MD5OfMessageBody"] == md5(f"m{i}")
    assert successful["e3"]["MD5OfMessageAttributes"] == md5_of_attributes(batch[3]["MessageAttributes"])
    received = drain(sqs, url)
    assert {m["MessageId"] for m in received} == {entry["MessageId"] for entry in successful.values()}
    assert sorted(m["Body"] for m in received) == sorted(f"m{i}" for i in range(10))


def test_send_message_batch_reports_failed_entries_and_sends_the_rest(sqs: Any) -> None:
    url = queue(sqs, prefix="sendpartial")
    batch = entries(5)
    batch[1]["DelaySeconds"] = 1000
    batch[3]["MessageBody"] = "bad \u0000 body"
    response = sqs.send_message_batch(QueueUrl=url, Entries=batch)
    assert {entry["Id"] for entry in response["Successful"]} == {"e0", "e2", "e4"}
    failed = {entry["Id"]: entry for entry in response["Failed"]}
    assert set(failed) == {"e1", "e3"}
    assert failed["e1"]["SenderFault"] is True and failed["e1"]["Code"] == "InvalidParameterValue"
    assert failed["e3"]["SenderFault"] is True and failed["e3"]["Code"] == "InvalidMessageContents"
    assert sorted(m["Body"] for m in drain(sqs, url)) == ["m0", "m2", "m4"]


# ---------------------------------------------------------------- DeleteMessageBatch / ChangeMessageVisibilityBatch


def test_delete_message_batch_deletes_and_reports_bad_handles(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="delbatch", VisibilityTimeout=10)
    sqs.send_message_batch(QueueUrl=url, Entries=entries(9))
    received = drain(sqs, url)
    assert len(received) == 9
    batch = [{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
    batch.append({"Id": "garbage", "ReceiptHandle": "not-a-receipt-handle"})
    response = sqs.delete_message_batch(QueueUrl=url, Entries=batch)
    assert {entry["Id"] for entry in response["Successful"]} == {f"d{i}" for i in range(9)}
    [failed] = response["Failed"]
    assert failed["Id"] == "garbage" and failed["SenderFault"] is True
    assert failed["Code"] == "ReceiptHandleIsInvalid"
    server.advance(11)
    assert counts(sqs, url) == (0, 0, 0)
    assert receive(sqs, url) == []


def test_change_message_visibility_batch(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="visbatch", VisibilityTimeout=600)
    sqs.send_message_batch(QueueUrl=url, Entries=entries(6))
    received = sorted(drain(sqs, url), key=lambda m: m["Body"])
    assert [m["Body"] for m in received] == [f"m{i}" for i in range(6)]
    timeouts = [0, 0, 100, 100, 43201]
    batch = [
        {"Id": f"v{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": timeout}
        for i, (m, timeout) in enumerate(zip(received, timeouts))
    ]
    batch.append({"Id": "garbage", "ReceiptHandle": "not-a-receipt-handle", "VisibilityTimeout": 0})
    response = sqs.change_message_visibility_batch(QueueUrl=url, Entries=batch)
    assert {entry["Id"] for entry in response["Successful"]} == {"v0", "v1", "v2", "v3"}
    failed = {entry["Id"]: entry for entry in response["Failed"]}
    assert set(failed) == {"v4", "garbage"}
    assert failed["v4"]["Code"] == "InvalidParameterValue"
    assert failed["garbage"]["Code"] == "ReceiptHandleIsInvalid"
    assert sorted(m["Body"] for m in drain(sqs, url)) == ["m0", "m1"]  # visible at once
    server.advance(101)
    assert sorted(m["Body"] for m in drain(sqs, url)) == ["m2", "m3"]  # m4 and m5 keep 600 s


# ---------------------------------------------------------------- batch request errors


def _batch_call(sqs: Any, operation: str, url: str, count: int) -> Any:
    if operation == "send_message_batch":
        batch = [{"Id": f"e{i}", "MessageBody": "x"} for i in range(count)]
    elif operation == "delete_message_batch":
        batch = [{"Id": f"e{i}", "ReceiptHandle": "handle"} for i in range(count)]
    else:
        batch = [{"Id": f"e{i}", "ReceiptHandle": "handle", "VisibilityTimeout": 0} for i in range(count)]
    return lambda **extra: getattr(sqs, operation)(QueueUrl=url, Entries=batch, **extra)


BATCH_OPERATIONS = ["send_message_batch", "delete_message_batch", "change_message_visibility_batch"]


@pytest.mark.parametrize("operation", BATCH_OPERATIONS)
def test_more_than_ten_entries_is_too_many_entries(sqs: Any, operation: str) -> None:
    url = queue(sqs, prefix="toomany")
    response = error_of(_batch_call(sqs, operation, url, 11))
    assert_error(response, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
    assert counts(sqs, url) == (0, 0, 0)


@pytest.mark.parametrize("operation", BATCH_OPERATIONS)
def test_no_entries_is_empty_batch_request(server: Any, operation: str) -> None:
    unvalidated = server.client("sqs", parameter_validation=False)  # boto3 itself refuses an empty list
    url = queue(unvalidated, prefix="emptybatch")
    response = error_of(_batch_call(unvalidated, operation, url, 0))
    assert_error(response, "AWS.SimpleQueueService.EmptyBatchRequest")


@pytest.mark.parametrize("operation", BATCH_OPERATIONS)
def test_duplicate_entry_ids_are_not_distinct(sqs: Any, operation: str) -> None:
    url = queue(sqs, prefix="dupids")
    if operation == "send_message_batch":
        same = [{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}]
    elif operation == "delete_message_batch":
        same = [{"Id": "same", "ReceiptHandle": "h1"}, {"Id": "same", "ReceiptHandle": "h2"}]
    else:
        same = [{"Id": "same", "ReceiptHandle": "h1", "VisibilityTimeout": 0}] * 2
    response = error_of(getattr(sqs, operation), QueueUrl=url, Entries=same)
    assert_error(response, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
    assert counts(sqs, url) == (0, 0, 0)


@pytest.mark.parametrize("bad_id", ["has space", "dot.id", "bang!", "x" * 81, ""])
def test_invalid_entry_id_is_invalid_batch_entry_id(server: Any, bad_id: str) -> None:
    """Ids may hold alphanumerics, hyphens and underscores, up to 80 characters."""
    client = server.client("sqs", parameter_validation=False)
    url = queue(client, prefix="badid")
    batch = [{"Id": "ok", "MessageBody": "a"}, {"Id": bad_id, "MessageBody": "b"}]
    response = error_of(client.send_message_batch, QueueUrl=url, Entries=batch)
    assert_error(response, "AWS.SimpleQueueService.InvalidBatchEntryId")
    assert counts(client, url) == (0, 0, 0)


def test_eighty_character_entry_id_is_valid(sqs: Any) -> None:
    url = queue(sqs, prefix="longid")
    entry_id = "A-z_0" * 16
    response = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": entry_id, "MessageBody": "x"}])
    assert [entry["Id"] for entry in response["Successful"]] == [entry_id]


def test_batch_over_one_mebibyte_is_batch_request_too_long(sqs: Any) -> None:
    url = queue(sqs, prefix="toolong", MaximumMessageSize=1048576)
    batch = [{"Id": "a", "MessageBody": "x" * 600_000}, {"Id": "b", "MessageBody": "y" * 600_000}]
    response = error_of(sqs.send_message_batch, QueueUrl=url, Entries=batch)
    assert_error(response, "AWS.SimpleQueueService.BatchRequestTooLong")
    assert counts(sqs, url) == (0, 0, 0)
    half = [{"Id": "a", "MessageBody": "x" * 500_000}, {"Id": "b", "MessageBody": "y" * 500_000}]
    assert len(sqs.send_message_batch(QueueUrl=url, Entries=half)["Successful"]) == 2


# ---------------------------------------------------------------- dead-letter queues


def test_message_moves_to_the_dead_letter_queue_after_max_receive_count(sqs: Any, server: Any) -> None:
    dlq = queue(sqs, prefix="dlq")
    dlq_arn = queue_arn(sqs, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    source = queue(sqs, prefix="dlqsource", VisibilityTimeout=30, RedrivePolicy=policy)
    source_arn = queue_arn(sqs, source)
    attributes = {
        "tenant": {"DataType": "String", "StringValue": "acme"},
        "payload": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
    }
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison", MessageAttributes=attributes)

    for attempt in (1, 2):
        [message] = receive(sqs, source, AttributeNames=["ApproximateReceiveCount"])
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        server.advance(31)
    assert receive(sqs, source, MaxNumberOfMessages=10) == []
    assert counts(sqs, source) == (0, 0, 0)

    [dead] = receive(sqs, dlq, AttributeNames=["All"], MessageAttributeNames=["All"])
    assert dead["MessageId"] == sent["MessageId"]
    assert dead["Body"] == "poison"
    assert dead["MD5OfBody"] == md5("poison")
    assert dead["MessageAttributes"] == attributes
    assert dead["MD5OfMessageAttributes"] == md5_of_attributes(attributes)
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == source_arn


def test_dead_letter_retention_counts_from_the_original_enqueue_time(sqs: Any, server: Any) -> None:
    """SQS developer guide, dead-letter queue retention: "For standard queues, the expiration of a
    message is always based on its original enqueue timestamp."""
    dlq = queue(sqs, prefix="dlqret", MessageRetentionPeriod=120)
    policy = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": 2})
    source = queue(sqs, prefix="dlqretsrc", VisibilityTimeout=30, RedrivePolicy=policy)
    sqs.send_message(QueueUrl=source, MessageBody="aging")
    for _ in range(2):
        assert len(receive(sqs, source)) == 1
        server.advance(31)
    assert receive(sqs, source) == []  # 62 s after the send: moved
    assert counts(sqs, dlq) == (1, 0, 0)
    server.advance(45)  # 107 s after the send
    assert counts(sqs, dlq) == (1, 0, 0)
    server.advance(15)  # 122 s after the send, 60 s in the dead-letter queue
    assert counts(sqs, dlq) == (0, 0, 0)


def test_deleted_messages_do_not_reach_the_dead_letter_queue(sqs: Any, server: Any) -> None:
    dlq = queue(sqs, prefix="dlqok")
    policy = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": 1})
    source = queue(sqs, prefix="dlqoksource", VisibilityTimeout=10, RedrivePolicy=policy)
    sqs.send_message(QueueUrl=source, MessageBody="fine")
    [message] = receive(sqs, source)
    sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
    server.advance(11)
    assert receive(sqs, source) == []
    assert counts(sqs, dlq) == (0, 0, 0)


# ---------------------------------------------------------------- missing queues


def _operations_on(sqs: Any, url: str) -> dict[str, Any]:
    return {
        "send_message": lambda: sqs.send_message(QueueUrl=url, MessageBody="x"),
        "receive_message": lambda: sqs.receive_message(QueueUrl=url),
        "delete_message": lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle="handle"),
        "change_message_visibility": lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle="handle", VisibilityTimeout=0
        ),
        "send_message_batch": lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}]),
        "delete_message_batch": lambda: sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": "handle"}]
        ),
        "change_message_visibility_batch": lambda: sqs.change_message_visibility_batch(
            QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": "handle", "VisibilityTimeout": 0}]
        ),
    }


@pytest.mark.parametrize("operation", list(_operations_on(None, "")))
def test_message_operations_on_a_deleted_queue_are_non_existent_queue(sqs: Any, operation: str) -> None:
    url = queue(sqs, prefix="deleted")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.delete_queue(QueueUrl=url)
    response = error_of(_operations_on(sqs, url)[operation])
    assert_error(response, "AWS.SimpleQueueService.NonExistentQueue")


@pytest.mark.parametrize("operation", list(_operations_on(None, "")))
def test_message_operations_on_an_unknown_queue_are_non_existent_queue(sqs: Any, server: Any, operation: str) -> None:
    url = f"{server.url}/000000000000/{unique_name('never')}"
    response = error_of(_operations_on(sqs, url)[operation])
    assert_error(response, "AWS.SimpleQueueService.NonExistentQueue")


# ---------------------------------------------------------------- Query protocol


def _query(server: Any, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    body = urlencode({**params, "Version": "2012-11-05"})
    response = send(server.host, server.port, "POST", path, body, FORM)
    return response.status, xmltodict.parse(response.body)


def test_query_protocol_send_receive_delete(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="query", VisibilityTimeout=30)
    path = urlparse(url).path
    status, doc = _query(server, path, {
        "Action": "SendMessage",
        "MessageBody": "query <body> & more",
        "MessageAttribute.1.Name": "colour",
        "MessageAttribute.1.Value.StringValue": "red",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.2.Name": "bytes",
        "MessageAttribute.2.Value.BinaryValue": "AQID",
        "MessageAttribute.2.Value.DataType": "Binary",
    })
    assert status == 200, doc
    result = doc["SendMessageResponse"]["SendMessageResult"]
    assert result["MD5OfMessageBody"] == md5("query <body> & more")
    expected_attributes = {
        "colour": {"DataType": "String", "StringValue": "red"},
        "bytes": {"DataType": "Binary", "BinaryValue": b"\x01\x02\x03"},
    }
    assert result["MD5OfMessageAttributes"] == md5_of_attributes(expected_attributes)
    message_id = result["MessageId"]
    assert doc["SendMessageResponse"]["ResponseMetadata"]["RequestId"]

    status, doc = _query(server, path, {
        "Action": "ReceiveMessage",
        "AttributeName.1": "All",
        "MessageAttributeName.1": "All",
        "MaxNumberOfMessages": "10",
    })
    assert status == 200, doc
    message = doc["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]
    assert message["MessageId"] == message_id
    assert message["Body"] == "query <body> & more"
    assert message["MD5OfBody"] == md5("query <body> & more")
    system = {item["Name"]: item["Value"] for item in message["Attribute"]}
    assert {"SentTimestamp", "SenderId", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"} <= set(system)
    assert system["ApproximateReceiveCount"] == "1"
    custom = message["MessageAttribute"]
    custom = {item["Name"]: item["Value"] for item in (custom if isinstance(custom, list) else [custom])}
    assert custom["colour"] == {"StringValue": "red", "DataType": "String"}
    assert custom["bytes"] == {"BinaryValue": "AQID", "DataType": "Binary"}

    status, doc = _query(server, path, {"Action": "DeleteMessage", "ReceiptHandle": message["ReceiptHandle"]})
    assert status == 200, doc
    assert doc["DeleteMessageResponse"]["ResponseMetadata"]["RequestId"]
    assert counts(sqs, url) == (0, 0, 0)


def test_query_protocol_empty_receive_has_an_empty_result(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="queryempty")
    status, doc = _query(server, urlparse(url).path, {"Action": "ReceiveMessage"})
    assert status == 200, doc
    assert not doc["ReceiveMessageResponse"]["ReceiveMessageResult"]


def test_query_protocol_missing_queue_is_non_existent_queue(server: Any) -> None:
    status, doc = _query(server, f"/000000000000/{unique_name('noquery')}", {"Action": "SendMessage", "MessageBody": "x"})
    assert status == 400
    error = doc["ErrorResponse"]["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Type"] == "Sender"


# ---------------------------------------------------------------- fair queues


def test_fair_queue_delivers_a_quiet_group_before_a_noisy_backlog(sqs: Any) -> None:
    """Fair queues (SQS developer guide): on a standard queue MessageGroupId names the tenant, and
    messages of quiet tenants are delivered ahead of a noisy tenant's backlog."""
    url = queue(sqs, prefix="fair", VisibilityTimeout=600)
    for start in range(0, 50, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": f"a{i}", "MessageBody": f"A{i}", "MessageGroupId": "noisy"} for i in range(start, start + 10)
        ])
    for i in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=f"B{i}", MessageGroupId="quiet")
    first_two = receive(sqs, url, MaxNumberOfMessages=10) + receive(sqs, url, MaxNumberOfMessages=10)
    bodies = [m["Body"] for m in first_two]
    assert {"B0", "B1"} <= set(bodies), bodies
    rest = drain(sqs, url)
    assert len(first_two) + len(rest) == 52
