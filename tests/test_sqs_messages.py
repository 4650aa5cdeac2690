"""SQS messages on standard queues, black-box through boto3 against the running server.

Round trips and MD5s, visibility timeouts, delays, long polling and retention.
Receive attributes and validation are in test_sqs_messages_attributes.py;
batches, dead-letter queues, the Query protocol and fair queues in
test_sqs_messages_batches.py. The helpers here are shared by those files.

Behaviour and error codes are those of the SQS API reference (SendMessage,
ReceiveMessage, DeleteMessage, ChangeMessageVisibility) and the SQS developer
guide (message metadata, visibility timeout, delay queues, long polling).
Time is driven with server.advance() on a server of this module's own; its
tests share that clock, so expectations are relative to it. A receive that must
be waiting is checked on the server's seam (LongPolls), never by sleeping.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import time
from typing import Any

import pytest

from tests.sqs_helpers import error_of, queue, queue_attributes, wait_for_long_polls

# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def server(own_server: Any) -> Any:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Any) -> Any:
    return server.client("sqs")


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """AWS's digest of message attributes (SQS developer guide, "Calculating the
    MD5 message digest for message attributes"): per attribute in name order,
    length-prefixed name and data type, a transport byte (1 String/Number,
    2 Binary) and the length-prefixed value."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(_prefixed(name.encode()))
        digest.update(_prefixed(value["DataType"].encode()))
        if value["DataType"].split(".")[0] == "Binary":
            digest.update(b"\x02" + _prefixed(bytes(value["BinaryValue"])))
        else:
            digest.update(b"\x01" + _prefixed(value["StringValue"].encode()))
    return digest.hexdigest()


def receive(sqs: Any, url: str, **params: Any) -> list[dict[str, Any]]:
    """A short-poll ReceiveMessage (unless WaitTimeSeconds is given)."""
    params.setdefault("WaitTimeSeconds", 0)
    return sqs.receive_message(QueueUrl=url, **params).get("Messages", [])


def counts(sqs: Any, url: str) -> tuple[int, int, int]:
    """(visible, not visible, delayed) approximate counts."""
    attrs = queue_attributes(
        sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        int(attrs["ApproximateNumberOfMessagesDelayed"]),
    )


def assert_error(response: dict[str, Any], code: str, status: int = 400) -> None:
    assert response["Error"]["Code"] == code, response["Error"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status


def clock_now(server: Any) -> float:
    status, body = server.admin("GET", "/_stepstack/clock")
    assert status == 200
    return float(body["now"])


def in_thread(target: Any, *args: Any, **kwargs: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run target in a daemon thread; its result (or exception) and timing land in the dict."""
    out: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            out["result"] = target(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            out["error"] = exc
        out["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_md5_helper_matches_published_vectors() -> None:
    """The helper itself, against the vectors of the aws-md5-of-message-attributes package."""
    string = {"attribName1": {"DataType": "String", "StringValue": "attribValue 1"}}
    number = {"customNumberTypeAttrib": {"DataType": "Number.float", "StringValue": "4563442423554324324264524243.32543234"}}
    binary = {"binaryAttribute": {"DataType": "Binary", "BinaryValue": b"Hello binary world!"}}
    assert md5_of_attributes(string) == "19e27d4e946b072f3f58da80d94fd778"
    assert md5_of_attributes(number) == "9fe1b90bbd9965bdf77bac517c7d2495"
    assert md5_of_attributes(binary) == "31a92b15d92f8db860eda32aceb656c3"
    assert md5_of_attributes({**string, **number, **binary}) == "c932db14a896c663f83c260297d594ff"


# ---------------------------------------------------------------- round trip and MD5s


def test_send_receive_delete_round_trip(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="roundtrip", VisibilityTimeout=30)
    body = "hello, wörld ✓ {\"json\": [1, 2]} <xml/>"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5(body)
    assert "MD5OfMessageAttributes" not in sent
    [message] = receive(sqs, url)
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == body
    assert message["MD5OfBody"] == md5(body)
    assert message["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    server.advance(31)  # deleted, not merely in flight: it never comes back
    assert receive(sqs, url) == []


def test_allowed_unicode_boundaries_round_trip_exactly(sqs: Any) -> None:
    url = queue(sqs, prefix="unicode")
    body = "tab\t lf\n cr\r \ud7ff \ue000 \ufffd \U0001f600 \U0010ffff"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5(body)
    [message] = receive(sqs, url)
    assert message["Body"] == body


MESSAGE_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "text": {"DataType": "String", "StringValue": "value ✓ with spaces"},
    "count": {"DataType": "Number", "StringValue": "-12.5e3"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe\xff"},
    "colour": {"DataType": "String.custom", "StringValue": "red"},
    "ratio": {"DataType": "Number.float", "StringValue": "3.14159"},
    "image": {"DataType": "Binary.gif", "BinaryValue": b"GIF89a"},
}


def test_message_attributes_md5_and_round_trip(sqs: Any) -> None:
    url = queue(sqs, prefix="attrs")
    sent = sqs.send_message(QueueUrl=url, MessageBody="with attributes", MessageAttributes=MESSAGE_ATTRIBUTES)
    assert sent["MD5OfMessageBody"] == md5("with attributes")
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(MESSAGE_ATTRIBUTES)
    [message] = receive(sqs, url, MessageAttributeNames=["All"])
    assert message["MessageAttributes"] == MESSAGE_ATTRIBUTES
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(MESSAGE_ATTRIBUTES)


def test_aws_trace_header_system_attribute_is_returned_as_attribute(sqs: Any) -> None:
    url = queue(sqs, prefix="trace")
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": trace}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="traced", MessageSystemAttributes=system)
    assert sent["MD5OfMessageSystemAttributes"] == md5_of_attributes(system)
    [message] = receive(sqs, url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert message["Attributes"] == {"AWSTraceHeader": trace}
    assert "MessageAttributes" not in message  # a system attribute is not a message attribute


# ---------------------------------------------------------------- visibility timeout


def test_received_message_is_hidden_for_the_queue_visibility_timeout(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="vis", VisibilityTimeout=30)
    sent = sqs.send_message(QueueUrl=url, MessageBody="once")
    [first] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 1, 0)
    server.advance(25)
    assert receive(sqs, url) == []
    server.advance(6)
    assert counts(sqs, url) == (1, 0, 0)
    [second] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert second["MessageId"] == sent["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]


def test_receive_visibility_timeout_overrides_the_queue(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="visrecv", VisibilityTimeout=600)
    sqs.send_message(QueueUrl=url, MessageBody="short")
    assert len(receive(sqs, url, VisibilityTimeout=5)) == 1
    server.advance(4)
    assert receive(sqs, url) == []
    server.advance(2)
    assert len(receive(sqs, url)) == 1


def test_change_message_visibility_extends_the_timeout_from_now(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="visext", VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="slow work")
    [message] = receive(sqs, url)
    server.advance(5)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=100)
    server.advance(90)  # 95 s after the receive, 90 s after the change
    assert receive(sqs, url) == []
    server.advance(11)
    assert len(receive(sqs, url)) == 1


def test_change_message_visibility_shortens_the_timeout(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="visshort", VisibilityTimeout=600)
    sqs.send_message(QueueUrl=url, MessageBody="quick")
    [message] = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=5)
    assert receive(sqs, url) == []
    server.advance(6)
    assert len(receive(sqs, url)) == 1


def test_change_message_visibility_zero_makes_it_visible_at_once(sqs: Any) -> None:
    url = queue(sqs, prefix="viszero", VisibilityTimeout=600)
    sent = sqs.send_message(QueueUrl=url, MessageBody="give back")
    [message] = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    [again] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert again["MessageId"] == sent["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_change_visibility_of_a_message_not_in_flight_is_message_not_inflight(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="notinflight", VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="expired")
    [message] = receive(sqs, url)
    server.advance(11)  # visible again, not in flight
    response = error_of(
        sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=30
    )
    assert_error(response, "AWS.SimpleQueueService.MessageNotInflight")


def test_visibility_timeout_over_twelve_hours_is_invalid(sqs: Any) -> None:
    url = queue(sqs, prefix="vismax")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url)
    handle = message["ReceiptHandle"]
    response = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43201)
    assert_error(response, "InvalidParameterValue")
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43000)  # within 12 h of the receive


def test_visibility_cannot_be_extended_beyond_twelve_hours_after_the_receive(sqs: Any, server: Any) -> None:
    """ChangeMessageVisibility: "If you try to extend the visibility timeout beyond the maximum, your request is rejected."""
    url = queue(sqs, prefix="vistotal")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url, VisibilityTimeout=43200)
    server.advance(100)
    response = error_of(
        sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=43200
    )
    assert_error(response, "InvalidParameterValue")


def test_delete_with_an_outdated_receipt_handle_deletes_the_message(sqs: Any, server: Any) -> None:
    """An older handle of a message received again still deletes it, as AWS's recorded answers show."""
    url = queue(sqs, prefix="oldhandle", VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="received twice")
    [first] = receive(sqs, url)
    server.advance(11)
    [second] = receive(sqs, url)
    assert first["ReceiptHandle"] != second["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)


def test_delete_with_a_garbage_receipt_handle_is_receipt_handle_is_invalid(sqs: Any) -> None:
    url = queue(sqs, prefix="badhandle")
    response = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle="not-a-receipt-handle")
    assert_error(response, "ReceiptHandleIsInvalid")


def test_deleting_twice_succeeds(sqs: Any) -> None:
    url = queue(sqs, prefix="deltwice")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)


# ---------------------------------------------------------------- delays


def test_queue_delay_hides_new_messages_and_counts_them_delayed(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="qdelay", DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="later")
    assert counts(sqs, url) == (0, 0, 1)
    assert receive(sqs, url) == []
    server.advance(50)
    assert receive(sqs, url) == []
    server.advance(11)
    assert counts(sqs, url) == (1, 0, 0)
    [message] = receive(sqs, url)
    assert message["Body"] == "later"


def test_message_delay_seconds_delays_one_message(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="mdelay", VisibilityTimeout=600)
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=45)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    assert counts(sqs, url) == (1, 0, 1)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["now"]
    server.advance(46)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["delayed"]


def test_message_delay_zero_overrides_the_queue_delay(sqs: Any) -> None:
    """SendMessage DelaySeconds: "If you don't specify a value, the default value for the queue applies"."""
    url = queue(sqs, prefix="mdelay0", DelaySeconds=600)
    sqs.send_message(QueueUrl=url, MessageBody="immediate", DelaySeconds=0)
    assert [m["Body"] for m in receive(sqs, url)] == ["immediate"]


def test_delay_seconds_over_900_is_invalid(sqs: Any) -> None:
    url = queue(sqs, prefix="delaymax")
    assert_error(error_of(sqs.send_message, QueueUrl=url, MessageBody="x", DelaySeconds=901), "InvalidParameterValue")
    sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=900)


# ---------------------------------------------------------------- long polling


def test_long_poll_returns_a_message_sent_while_waiting(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="longpoll")
    consumer = server.client("sqs")
    thread, out = in_thread(receive, consumer, url, WaitTimeSeconds=2)
    wait_for_long_polls(server, url, 1)  # waiting on the empty queue
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    thread.join(5)
    assert "error" not in out, out.get("error")
    assert [m["Body"] for m in out["result"]] == ["wake up"]
    assert out["elapsed"] < 1.5  # returned on arrival, not at the end of the 2 s wait


def test_wait_time_seconds_over_20_is_invalid(sqs: Any) -> None:
    url = queue(sqs, prefix="waitmax")
    assert_error(error_of(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=21), "InvalidParameterValue")


def test_long_poll_ends_empty_when_the_clock_passes_the_wait(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="longempty")
    consumer = server.client("sqs", read_timeout=40)
    thread, out = in_thread(receive, consumer, url, WaitTimeSeconds=20)
    wait_for_long_polls(server, url, 1)
    server.advance(21)
    thread.join(10)
    assert not thread.is_alive()
    assert "error" not in out, out.get("error")
    assert out["result"] == []
    assert out["elapsed"] < 10


def test_queue_receive_wait_time_is_used_without_wait_time_seconds(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="queuewait", ReceiveMessageWaitTimeSeconds=20)
    consumer = server.client("sqs", read_timeout=40)
    thread, out = in_thread(lambda: consumer.receive_message(QueueUrl=url).get("Messages", []))
    wait_for_long_polls(server, url, 1)  # a long poll, not a short one
    sqs.send_message(QueueUrl=url, MessageBody="for the waiter")
    thread.join(5)
    assert "error" not in out, out.get("error")
    assert [m["Body"] for m in out["result"]] == ["for the waiter"]


def test_long_poll_returns_a_delayed_message_when_its_delay_ends(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="longdelay")
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=10)
    consumer = server.client("sqs", read_timeout=40)
    thread, out = in_thread(receive, consumer, url, WaitTimeSeconds=20)
    wait_for_long_polls(server, url, 1)
    server.advance(11)
    thread.join(5)
    assert "error" not in out, out.get("error")
    assert [m["Body"] for m in out["result"]] == ["soon"]
    assert out["elapsed"] < 5


def test_long_poll_returns_a_message_whose_visibility_timeout_ends(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="longvis", VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="retry me")
    assert len(receive(sqs, url)) == 1
    consumer = server.client("sqs", read_timeout=40)
    thread, out = in_thread(receive, consumer, url, WaitTimeSeconds=20)
    wait_for_long_polls(server, url, 1)
    server.advance(11)
    thread.join(5)
    assert "error" not in out, out.get("error")
    assert [m["Body"] for m in out["result"]] == ["retry me"]


# ---------------------------------------------------------------- retention


def test_messages_older_than_the_retention_period_disappear(sqs: Any, server: Any) -> None:
    url = queue(sqs, prefix="retention", MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    server.advance(30)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    server.advance(31)  # "old" is 61 s old, "young" 31 s
    assert counts(sqs, url) == (1, 0, 0)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["young"]
