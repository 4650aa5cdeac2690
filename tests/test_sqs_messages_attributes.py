"""SQS messages on standard queues: the attributes a receive returns, MaxNumberOfMessages,
and validation of message bodies and message attributes (SendMessage and
ReceiveMessage API reference; SQS developer guide, "Message metadata").
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sqs_helpers import error_of, queue
from tests.test_sqs_messages import (
    assert_error,
    clock_now,
    counts,
    md5_of_attributes,
    receive,
)


@pytest.fixture(scope="module")
def sqs(server: Any) -> Any:
    return server.client("sqs")


# ---------------------------------------------------------------- receive attributes


SYSTEM_NAMES = {"SentTimestamp", "SenderId", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"}


@pytest.mark.parametrize("parameter", ["AttributeNames", "MessageSystemAttributeNames"])
def test_all_system_attributes(sqs: Any, server: Any, parameter: str) -> None:
    url = queue(sqs, prefix="sysattrs", VisibilityTimeout=10)
    before = clock_now(server)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    after = clock_now(server)
    [message] = receive(sqs, url, **{parameter: ["All"]})
    attributes = message["Attributes"]
    assert SYSTEM_NAMES <= set(attributes)
    sent_ms = int(attributes["SentTimestamp"])
    assert int(before * 1000) - 1000 <= sent_ms <= int(after * 1000) + 1000  # the server's clock
    assert attributes["SenderId"]
    assert attributes["ApproximateReceiveCount"] == "1"
    first_ms = int(attributes["ApproximateFirstReceiveTimestamp"])
    assert sent_ms <= first_ms <= int(clock_now(server) * 1000) + 1000

    # visible again at once (ChangeMessageVisibility to 0), so this module never moves the shared clock
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    [again] = receive(sqs, url, **{parameter: ["All"]})
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again["Attributes"]["ApproximateFirstReceiveTimestamp"] == str(first_ms)
    assert again["Attributes"]["SentTimestamp"] == str(sent_ms)


def test_only_the_requested_system_attributes_are_returned(sqs: Any) -> None:
    url = queue(sqs, prefix="sysone")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url, MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"])
    assert set(message["Attributes"]) == {"SentTimestamp", "ApproximateReceiveCount"}


def test_no_attributes_unless_requested(sqs: Any) -> None:
    url = queue(sqs, prefix="sysnone")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={"a": {"DataType": "String", "StringValue": "1"}})
    [message] = receive(sqs, url)
    assert not message.get("Attributes")
    assert not message.get("MessageAttributes")


FILTER_ATTRIBUTES = {
    "foo.a": {"DataType": "String", "StringValue": "1"},
    "foo.b": {"DataType": "Number", "StringValue": "2"},
    "food": {"DataType": "String", "StringValue": "3"},
    "bar": {"DataType": "Binary", "BinaryValue": b"4"},
}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["bar"], {"bar"}),
        (["bar", "food"], {"bar", "food"}),
        (["All"], set(FILTER_ATTRIBUTES)),
        ([".*"], set(FILTER_ATTRIBUTES)),
        (["foo.*"], {"foo.a", "foo.b", "food"}),  # "X.*" is the prefix X, as AWS answers it
        (["missing"], set()),
    ],
)
def test_message_attribute_names_select_attributes(sqs: Any, names: list[str], expected: set[str]) -> None:
    url = queue(sqs, prefix="mafilter")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=FILTER_ATTRIBUTES)
    [message] = receive(sqs, url, MessageAttributeNames=names)
    returned = message.get("MessageAttributes", {})
    assert set(returned) == expected
    for name in expected:
        assert returned[name] == FILTER_ATTRIBUTES[name]
    if expected:  # SDKs (e.g. Java's MD5 checksum handler) verify the digest of what was returned
        assert message["MD5OfMessageAttributes"] == md5_of_attributes(returned)


def test_max_number_of_messages_bounds_each_receive(sqs: Any) -> None:
    url = queue(sqs, prefix="maxnum")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)])
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{10 + i}"} for i in range(5)])
    ids = [m["MessageId"] for m in receive(sqs, url)]
    assert len(ids) == 1  # MaxNumberOfMessages defaults to 1
    three = receive(sqs, url, MaxNumberOfMessages=3)
    assert 1 <= len(three) <= 3
    ids += [m["MessageId"] for m in three]
    for _ in range(10):  # received messages stay in flight, so each receive gets new ones
        batch = receive(sqs, url, MaxNumberOfMessages=10)
        assert len(batch) <= 10
        ids += [m["MessageId"] for m in batch]
    assert len(ids) == len(set(ids)) == 15


def test_max_number_of_messages_over_10_is_invalid(sqs: Any) -> None:
    url = queue(sqs, prefix="maxnum11")
    response = error_of(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)
    assert_error(response, "InvalidParameterValue")


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("body", ["nul \u0000 here", "bad \ufffe here", "\u0008", "\uffff"])
def test_body_with_characters_outside_the_allowed_set_is_invalid_message_contents(sqs: Any, body: str) -> None:
    url = queue(sqs, prefix="badchars")
    assert_error(error_of(sqs.send_message, QueueUrl=url, MessageBody=body), "InvalidMessageContents")
    assert counts(sqs, url) == (0, 0, 0)


def test_message_over_maximum_message_size_is_invalid(sqs: Any) -> None:
    url = queue(sqs, prefix="maxsize", MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)  # exactly the limit is fine
    assert_error(error_of(sqs.send_message, QueueUrl=url, MessageBody="x" * 1025), "InvalidParameterValue")
    # attributes count: name + data type + value bytes (SQS developer guide, message attribute components)
    small = {"a": {"DataType": "String", "StringValue": "xx"}}  # 1 + 6 + 2 = 9 bytes
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1000, MessageAttributes=small)
    big = {"name": {"DataType": "String", "StringValue": "y" * 30}}  # 4 + 6 + 30 = 40 bytes
    response = error_of(sqs.send_message, QueueUrl=url, MessageBody="x" * 1000, MessageAttributes=big)
    assert_error(response, "InvalidParameterValue")
    assert counts(sqs, url) == (2, 0, 0)


def test_more_than_ten_message_attributes_is_invalid(sqs: Any) -> None:
    url = queue(sqs, prefix="manyattrs")
    eleven = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    response = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageAttributes=eleven)
    assert_error(response, "InvalidParameterValue")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=dict(list(eleven.items())[:10]))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("empty", {"DataType": "String", "StringValue": ""}),
        ("novalue", {"DataType": "String"}),
        ("emptybinary", {"DataType": "Binary", "BinaryValue": b""}),
        ("badtype", {"DataType": "Strung", "StringValue": "x"}),
        ("badtype2", {"DataType": "Custom", "StringValue": "x"}),
        ("notnumber", {"DataType": "Number", "StringValue": "twelve"}),
        ("AWS.reserved", {"DataType": "String", "StringValue": "x"}),
        ("aws.reserved", {"DataType": "String", "StringValue": "x"}),
        ("Amazon.reserved", {"DataType": "String", "StringValue": "x"}),
        (".leading", {"DataType": "String", "StringValue": "x"}),
        ("trailing.", {"DataType": "String", "StringValue": "x"}),
        ("double..dot", {"DataType": "String", "StringValue": "x"}),
        ("bad name!", {"DataType": "String", "StringValue": "x"}),
        ("n" * 257, {"DataType": "String", "StringValue": "x"}),
    ],
)
def test_invalid_message_attribute_is_invalid_parameter_value(sqs: Any, name: str, value: dict[str, Any]) -> None:
    url = queue(sqs, prefix="badattr")
    response = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageAttributes={name: value})
    assert_error(response, "InvalidParameterValue")
    assert counts(sqs, url) == (0, 0, 0)
