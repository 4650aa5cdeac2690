"""SQS FIFO queues, black-box through boto3 against the running server.

Message groups (strict order, one message group in flight at a time),
deduplication (explicit ids, content-based, per group), sequence numbers,
ReceiveRequestAttemptId and FIFO dead-letter queues, as the SQS API reference
(SendMessage, ReceiveMessage) and developer guide ("FIFO queue key terms",
"Exactly-once processing", "Using the receive request attempt ID") describe them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.sqs_helpers import error_of, queue, queue_arn
from tests.test_sqs_messages import assert_error, counts, receive


@pytest.fixture(scope="module")
def server(own_server: Any) -> Any:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Any) -> Any:
    return server.client("sqs")


def fifo(sqs: Any, prefix: str = "fifo", **attributes: Any) -> str:
    return queue(sqs, prefix=prefix, FifoQueue=True, **attributes)


def send(sqs: Any, url: str, body: str, group: str = "g", dedup: str | None = None, **params: Any) -> dict[str, Any]:
    return sqs.send_message(
        QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup or body, **params
    )


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


def delete_all(sqs: Any, url: str, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


# ---------------------------------------------------------------- parameters


def test_message_group_id_is_required(sqs: Any) -> None:
    url = fifo(sqs)
    response = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert_error(response, "MissingParameter")


def test_per_message_delay_seconds_is_rejected(sqs: Any) -> None:
    """SendMessage DelaySeconds: "When you set FifoQueue, you can't set DelaySeconds per message."""
    url = fifo(sqs)
    response = error_of(lambda: send(sqs, url, "x", DelaySeconds=5))
    assert_error(response, "InvalidParameterValue")
    assert counts(sqs, url) == (0, 0, 0)


def test_without_deduplication_id_or_content_based_deduplication_is_invalid(sqs: Any) -> None:
    url = fifo(sqs)
    response = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert_error(response, "InvalidParameterValue")


def test_queue_delay_seconds_applies_to_fifo_messages(sqs: Any, server: Any) -> None:
    url = fifo(sqs, DelaySeconds=30)
    send(sqs, url, "delayed")
    assert counts(sqs, url) == (0, 0, 1)
    assert receive(sqs, url) == []
    server.advance(31)
    assert bodies(receive(sqs, url)) == ["delayed"]


# ---------------------------------------------------------------- ordering and groups


def test_messages_of_a_group_arrive_in_strict_order(sqs: Any) -> None:
    url = fifo(sqs, VisibilityTimeout=600)
    for i in range(15):
        send(sqs, url, f"m{i:02d}")
    received: list[dict[str, Any]] = []
    while batch := receive(sqs, url, MaxNumberOfMessages=10):
        received += batch
        delete_all(sqs, url, batch)
    assert bodies(received) == [f"m{i:02d}" for i in range(15)]


def test_order_is_kept_per_group_across_interleaved_groups(sqs: Any) -> None:
    url = fifo(sqs, VisibilityTimeout=600)
    for i in range(10):
        for group in ("red", "green", "blue"):
            send(sqs, url, f"{group}-{i}", group=group)
    seen: dict[str, list[int]] = {"red": [], "green": [], "blue": []}
    while batch := receive(sqs, url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"]):
        for message in batch:
            group, index = message["Body"].split("-")
            assert message["Attributes"]["MessageGroupId"] == group
            seen[group].append(int(index))
        delete_all(sqs, url, batch)
    assert seen == {group: list(range(10)) for group in seen}


def test_a_group_with_a_message_in_flight_delivers_nothing_more(sqs: Any) -> None:
    url = fifo(sqs, VisibilityTimeout=600)
    send(sqs, url, "a1", group="a")
    send(sqs, url, "a2", group="a")
    send(sqs, url, "b1", group="b")
    [first] = receive(sqs, url)
    assert first["Body"] == "a1"
    assert bodies(receive(sqs, url, MaxNumberOfMessages=10)) == ["b1"]  # a2 waits behind a1
    assert receive(sqs, url, MaxNumberOfMessages=10) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert bodies(receive(sqs, url, MaxNumberOfMessages=10)) == ["a2"]


def test_an_expired_message_is_redelivered_before_the_rest_of_its_group(sqs: Any, server: Any) -> None:
    url = fifo(sqs, VisibilityTimeout=30)
    for body in ("x1", "x2", "x3"):
        send(sqs, url, body)
    [first] = receive(sqs, url)
    assert first["Body"] == "x1"
    assert receive(sqs, url, MaxNumberOfMessages=10) == []
    server.advance(31)
    again = receive(sqs, url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"])
    assert bodies(again)[0] == "x1"
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert bodies(again) == ["x1", "x2", "x3"][: len(again)]


# ---------------------------------------------------------------- deduplication


def test_duplicate_deduplication_id_within_five_minutes_is_accepted_but_not_delivered_twice(
    sqs: Any, server: Any
) -> None:
    url = fifo(sqs, VisibilityTimeout=600)
    first = send(sqs, url, "payload", dedup="order-1")
    second = send(sqs, url, "payload again", dedup="order-1")
    assert second["MessageId"] == first["MessageId"]
    [message] = receive(sqs, url, MaxNumberOfMessages=10)
    assert message["Body"] == "payload"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # SQS keeps tracking the deduplication id after the message was received and deleted
    server.advance(200)
    assert send(sqs, url, "payload", dedup="order-1")["MessageId"] == first["MessageId"]
    assert receive(sqs, url, MaxNumberOfMessages=10) == []
    server.advance(101)  # 5 minutes after the first send
    third = send(sqs, url, "payload", dedup="order-1")
    assert third["MessageId"] != first["MessageId"]
    assert bodies(receive(sqs, url, MaxNumberOfMessages=10)) == ["payload"]


def test_content_based_deduplication_uses_the_body_sha256(sqs: Any) -> None:
    url = fifo(sqs, ContentBasedDeduplication=True, VisibilityTimeout=600)
    one = sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g")
    attrs = {"a": {"DataType": "String", "StringValue": "different"}}
    two = sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g", MessageAttributes=attrs)
    three = sqs.send_message(QueueUrl=url, MessageBody="other body", MessageGroupId="g")
    assert two["MessageId"] == one["MessageId"]  # the hash covers the body, not the attributes
    assert three["MessageId"] != one["MessageId"]
    received: list[dict[str, Any]] = []
    while batch := receive(sqs, url, MaxNumberOfMessages=10, AttributeNames=["MessageDeduplicationId"]):
        received += batch
        delete_all(sqs, url, batch)
    assert bodies(received) == ["same body", "other body"]
    assert received[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same body").hexdigest()


def test_explicit_deduplication_id_overrides_content_based_deduplication(sqs: Any) -> None:
    url = fifo(sqs, ContentBasedDeduplication=True)
    one = send(sqs, url, "body", dedup="d1")
    two = send(sqs, url, "body", dedup="d2")
    assert one["MessageId"] != two["MessageId"]
    assert counts(sqs, url)[0] == 2


def test_deduplication_scope_message_group_dedups_per_group(sqs: Any) -> None:
    url = fifo(sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    a = send(sqs, url, "x", group="a", dedup="same")
    b = send(sqs, url, "x", group="b", dedup="same")
    a_again = send(sqs, url, "x", group="a", dedup="same")
    assert a["MessageId"] != b["MessageId"]
    assert a_again["MessageId"] == a["MessageId"]
    assert counts(sqs, url)[0] == 2


def test_deduplication_scope_queue_dedups_across_groups(sqs: Any) -> None:
    url = fifo(sqs)  # DeduplicationScope defaults to queue
    a = send(sqs, url, "x", group="a", dedup="same")
    b = send(sqs, url, "x", group="b", dedup="same")
    assert a["MessageId"] == b["MessageId"]
    assert counts(sqs, url)[0] == 1


# ---------------------------------------------------------------- sequence numbers and attributes


def test_sequence_numbers_are_returned_and_increase(sqs: Any) -> None:
    url = fifo(sqs)
    numbers = [int(send(sqs, url, f"m{i}", group=f"g{i % 2}")["SequenceNumber"]) for i in range(6)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 6
    batch = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g0", "MessageDeduplicationId": f"b{i}"}
        for i in range(3)
    ])
    batch_numbers = [int(entry["SequenceNumber"]) for entry in sorted(batch["Successful"], key=lambda e: e["Id"])]
    assert batch_numbers == sorted(batch_numbers) and batch_numbers[0] > numbers[-1]


def test_received_fifo_attributes(sqs: Any) -> None:
    url = fifo(sqs)
    sent = send(sqs, url, "hello", group="tenant-7", dedup="dedup-7")
    [message] = receive(sqs, url, MessageSystemAttributeNames=["All"])
    attributes = message["Attributes"]
    assert attributes["MessageGroupId"] == "tenant-7"
    assert attributes["MessageDeduplicationId"] == "dedup-7"
    assert attributes["SequenceNumber"] == sent["SequenceNumber"]
    assert message["MessageId"] == sent["MessageId"]


# ---------------------------------------------------------------- ReceiveRequestAttemptId


def test_receive_request_attempt_id_retry_returns_the_same_messages(sqs: Any) -> None:
    url = fifo(sqs, VisibilityTimeout=600)
    for i in range(3):
        send(sqs, url, f"m{i}")
    first = receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1")
    assert bodies(first) == ["m0", "m1", "m2"]
    retry = receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1")
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in retry] == [(m["MessageId"], m["ReceiptHandle"]) for m in first]
    assert receive(sqs, url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-2") == []
    delete_all(sqs, url, retry)
    assert counts(sqs, url) == (0, 0, 0)


# ---------------------------------------------------------------- dead-letter queue


def test_fifo_dead_letter_queue_keeps_group_and_unblocks_the_group(sqs: Any, server: Any) -> None:
    dlq = fifo(sqs, prefix="fifodlq")
    policy = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": 2})
    source = fifo(sqs, prefix="fifodlqsrc", VisibilityTimeout=30, RedrivePolicy=policy)
    poison = send(sqs, source, "poison", group="g")
    send(sqs, source, "next", group="g")
    for _ in range(2):
        [message] = receive(sqs, source)
        assert message["Body"] == "poison"
        server.advance(31)
    [after] = receive(sqs, source)
    assert after["Body"] == "next"  # the poison message left the group
    [dead] = receive(sqs, dlq, MessageSystemAttributeNames=["All"])
    assert dead["MessageId"] == poison["MessageId"]
    assert dead["Body"] == "poison"
    assert dead["Attributes"]["MessageGroupId"] == "g"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == queue_arn(sqs, source)


def test_fifo_dead_letter_retention_restarts_when_the_message_moves(sqs: Any, server: Any) -> None:
    """SQS developer guide, dead-letter queue retention: "For FIFO queues, the enqueue timestamp
    resets when the message is moved to a dead-letter queue."""
    dlq = fifo(sqs, prefix="fifodlqret", MessageRetentionPeriod=120)
    policy = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": 2})
    source = fifo(sqs, prefix="fifodlqretsrc", VisibilityTimeout=30, RedrivePolicy=policy)
    send(sqs, source, "aging")
    for _ in range(2):
        assert len(receive(sqs, source)) == 1
        server.advance(31)
    assert receive(sqs, source) == []  # 62 s after the send: moved
    assert counts(sqs, dlq) == (1, 0, 0)
    server.advance(100)  # 162 s after the send, 100 s in the dead-letter queue
    assert counts(sqs, dlq) == (1, 0, 0)
    server.advance(21)
    assert counts(sqs, dlq) == (0, 0, 0)
