"""SQS queue attributes, black-box through boto3: what CreateQueue accepts and defaults
(ranges, server-side encryption, FIFO and high-throughput attributes),
GetQueueAttributes (ARN, timestamps, approximate counts) and SetQueueAttributes.

Expected behaviour is AWS's as documented in the SQS API reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/): CreateQueue,
Get/SetQueueAttributes; and the SQS Developer Guide (quotas, FIFO high throughput).
Where AWS documents no exact error message only the code (what boto3 reports as
Error.Code, i.e. the legacy Query code) and the HTTP status are checked.

Each test makes its own queues with unique names; nothing resets state. Shared
helpers: tests/sqs_helpers.py and tests/sqs_queue_helpers.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sqs_helpers import DEFAULT_ACCOUNT, error_of, queue, queue_arn, queue_attributes, unique_name
from tests.sqs_queue_helpers import NON_EXISTENT, assert_error, counts, status_of


# name, minimum, maximum, default (CreateQueue / SetQueueAttributes "Attributes")
RANGED_ATTRIBUTES = [
    ("DelaySeconds", 0, 900, 0),
    ("MaximumMessageSize", 1024, 1048576, 1048576),
    ("MessageRetentionPeriod", 60, 1209600, 345600),
    ("ReceiveMessageWaitTimeSeconds", 0, 20, 0),
    ("VisibilityTimeout", 0, 43200, 30),
    ("KmsDataKeyReusePeriodSeconds", 60, 86400, 300),
]
RANGE_IDS = [row[0] for row in RANGED_ATTRIBUTES]


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def clock_now(server: Server) -> float:
    status, body = server.admin("GET", "/_stepstack/clock")
    assert status == 200, body
    return float(body["now"])


# == CreateQueue: attributes =============================================================


def test_create_queue_has_documented_default_attributes(sqs: Any) -> None:
    url = queue(sqs)
    attrs = queue_attributes(sqs, url)
    expected = {name: str(default) for name, _, _, default in RANGED_ATTRIBUTES if name != "KmsDataKeyReusePeriodSeconds"}
    assert {name: attrs.get(name) for name in expected} == expected, attrs
    assert attrs.get("SqsManagedSseEnabled") == "true", attrs
    # KmsDataKeyReusePeriodSeconds defaults to 300 (AWS lists it once SSE is configured)
    assert attrs.get("KmsDataKeyReusePeriodSeconds", "300") == "300", attrs


def test_standard_queue_does_not_report_fifo_attributes(sqs: Any) -> None:
    attrs = queue_attributes(sqs, queue(sqs))
    for fifo_only in ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"):
        assert fifo_only not in attrs, attrs


@pytest.mark.parametrize(("name", "low", "high", "default"), RANGED_ATTRIBUTES, ids=RANGE_IDS)
def test_create_queue_accepts_attribute_at_both_ends_of_its_range(
    sqs: Any, name: str, low: int, high: int, default: int
) -> None:
    for value in (low, high):
        url = queue(sqs, **{name: value})
        assert queue_attributes(sqs, url, name) == {name: str(value)}


@pytest.mark.parametrize(("name", "low", "high", "default"), RANGED_ATTRIBUTES, ids=RANGE_IDS)
@pytest.mark.parametrize("where", ["below", "above", "not-a-number"])
def test_create_queue_rejects_attribute_out_of_range_with_invalid_attribute_value(
    sqs: Any, name: str, low: int, high: int, default: int, where: str
) -> None:
    value = {"below": str(low - 1), "above": str(high + 1), "not-a-number": "ten"}[where]
    queue_name = unique_name("range")
    response = error_of(sqs.create_queue, QueueName=queue_name, Attributes={name: value})
    assert_error(response, "InvalidAttributeValue")
    assert response["Error"]["Message"] == f"Invalid value for the parameter {name}."
    assert_error(error_of(sqs.get_queue_url, QueueName=queue_name), NON_EXISTENT)


@pytest.mark.parametrize("value", ["true", "false"])
def test_create_queue_sets_sqs_managed_sse_enabled(sqs: Any, value: str) -> None:
    url = queue(sqs, SqsManagedSseEnabled=value)
    assert queue_attributes(sqs, url, "SqsManagedSseEnabled") == {"SqsManagedSseEnabled": value}


def test_create_queue_rejects_non_boolean_sqs_managed_sse_enabled(sqs: Any) -> None:
    response = error_of(sqs.create_queue, QueueName=unique_name("sse"), Attributes={"SqsManagedSseEnabled": "maybe"})
    assert_error(response, "InvalidAttributeValue")


def test_create_queue_with_unknown_attribute_name_fails_with_invalid_attribute_name(sqs: Any) -> None:
    queue_name = unique_name("unknownattr")
    response = error_of(sqs.create_queue, QueueName=queue_name, Attributes={"Bogus": "1"})
    assert_error(response, "InvalidAttributeName")
    assert "Bogus" in response["Error"]["Message"]
    assert_error(error_of(sqs.get_queue_url, QueueName=queue_name), NON_EXISTENT)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("ContentBasedDeduplication", "true"), ("DeduplicationScope", "queue"), ("FifoThroughputLimit", "perQueue")],
)
def test_create_standard_queue_rejects_fifo_only_attributes(sqs: Any, attribute: str, value: str) -> None:
    queue_name = unique_name("stdfifoattr")
    response = error_of(sqs.create_queue, QueueName=queue_name, Attributes={attribute: value})
    assert_error(response, "InvalidAttributeName")
    assert attribute in response["Error"]["Message"]
    assert_error(error_of(sqs.get_queue_url, QueueName=queue_name), NON_EXISTENT)


def test_fifo_queue_reports_fifo_defaults(sqs: Any) -> None:
    attrs = queue_attributes(sqs, queue(sqs, FifoQueue=True))
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"


def test_create_fifo_queue_with_high_throughput_attributes(sqs: Any) -> None:
    url = queue(
        sqs,
        FifoQueue=True,
        ContentBasedDeduplication=True,
        DeduplicationScope="messageGroup",
        FifoThroughputLimit="perMessageGroupId",
    )
    attrs = queue_attributes(sqs, url, "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
    assert attrs == {
        "ContentBasedDeduplication": "true",
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
    }


@pytest.mark.parametrize(("attribute", "value"), [("DeduplicationScope", "account"), ("FifoThroughputLimit", "perAccount")])
def test_create_fifo_queue_rejects_unknown_fifo_attribute_values(sqs: Any, attribute: str, value: str) -> None:
    name = unique_name("fifobad") + ".fifo"
    response = error_of(sqs.create_queue, QueueName=name, Attributes={"FifoQueue": "true", attribute: value})
    assert_error(response, "InvalidAttributeValue")


@pytest.mark.parametrize("how", ["create", "set"])
def test_per_message_group_throughput_needs_message_group_deduplication_scope(sqs: Any, how: str) -> None:
    # "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup."
    name = unique_name("hightp") + ".fifo"
    if how == "create":
        attributes = {"FifoQueue": "true", "DeduplicationScope": "queue", "FifoThroughputLimit": "perMessageGroupId"}
        response = error_of(sqs.create_queue, QueueName=name, Attributes=attributes)
    else:
        url = queue(sqs, name=name, FifoQueue=True)  # DeduplicationScope defaults to queue
        response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoThroughputLimit": "perMessageGroupId"})
        assert queue_attributes(sqs, url, "FifoThroughputLimit") == {"FifoThroughputLimit": "perQueue"}
    assert response["Error"]["Code"] in {"InvalidAttributeValue", "InvalidParameterValue"}, response
    assert status_of(response) == 400


def test_kms_encrypted_queue_does_not_also_report_sqs_managed_sse(sqs: Any) -> None:
    # "Only one server-side encryption option is supported per queue (for example, SSE-KMS or SSE-SQS)."
    url = queue(sqs, KmsMasterKeyId="alias/aws/sqs")
    attrs = queue_attributes(sqs, url, "KmsMasterKeyId", "SqsManagedSseEnabled", "KmsDataKeyReusePeriodSeconds")
    assert attrs == {"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "false", "KmsDataKeyReusePeriodSeconds": "300"}


def test_create_queue_with_both_kms_and_sqs_managed_sse_is_rejected(sqs: Any) -> None:
    name = unique_name("twosse")
    attributes = {"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"}
    response = error_of(sqs.create_queue, QueueName=name, Attributes=attributes)
    assert response["Error"]["Code"] in {"InvalidAttributeValue", "InvalidAttributeName", "InvalidParameterValue"}, response
    assert status_of(response) == 400
    assert_error(error_of(sqs.get_queue_url, QueueName=name), NON_EXISTENT)


# == GetQueueAttributes ===============================================================


def test_get_queue_attributes_computes_queue_arn(sqs: Any) -> None:
    name = unique_name("arn")
    url = queue(sqs, name=name)
    assert queue_arn(sqs, url) == f"arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:{name}"


def test_get_queue_attributes_all_lists_every_standard_attribute(sqs: Any) -> None:
    attrs = queue_attributes(sqs, queue(sqs), "All")
    expected = {
        "QueueArn",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "VisibilityTimeout",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "SqsManagedSseEnabled",
    }
    assert expected <= set(attrs), expected - set(attrs)


def test_get_queue_attributes_returns_only_requested_names(sqs: Any) -> None:
    url = queue(sqs, VisibilityTimeout=12)
    attrs = queue_attributes(sqs, url, "VisibilityTimeout", "DelaySeconds")
    assert attrs == {"VisibilityTimeout": "12", "DelaySeconds": "0"}


def test_get_queue_attributes_without_attribute_names_returns_none(sqs: Any) -> None:
    response = sqs.get_queue_attributes(QueueUrl=queue(sqs))
    assert response.get("Attributes", {}) == {}


def test_get_queue_attributes_with_unknown_name_is_invalid_attribute_name(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Bogus"])
    assert_error(response, "InvalidAttributeName")


def test_get_queue_attributes_of_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('noattrs')}"
    assert_error(error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"]), NON_EXISTENT)


def test_created_and_last_modified_timestamps_are_epoch_seconds(server: Server, sqs: Any) -> None:
    before = clock_now(server)
    attrs = queue_attributes(sqs, queue(sqs), "CreatedTimestamp", "LastModifiedTimestamp")
    after = clock_now(server)
    for name in ("CreatedTimestamp", "LastModifiedTimestamp"):
        assert attrs[name].isdigit(), attrs  # whole seconds, not milliseconds or ISO text
        assert int(before) - 1 <= int(attrs[name]) <= after + 1, (attrs, before, after)


def test_last_modified_timestamp_moves_after_set_queue_attributes(server: Server, sqs: Any) -> None:
    url = queue(sqs)
    first = queue_attributes(sqs, url, "CreatedTimestamp", "LastModifiedTimestamp")
    server.advance(100)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "31"})
    second = queue_attributes(sqs, url, "CreatedTimestamp", "LastModifiedTimestamp")
    assert second["CreatedTimestamp"] == first["CreatedTimestamp"]
    assert int(second["LastModifiedTimestamp"]) >= int(first["LastModifiedTimestamp"]) + 99, (first, second)


def test_approximate_counts_follow_sends_receives_and_delays(server: Server, sqs: Any) -> None:
    url = queue(sqs, VisibilityTimeout=30)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    assert counts(sqs, url) == (3, 0, 0)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
    assert len(received) == 1
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    assert counts(sqs, url) == (2, 1, 1)
    server.advance(61)  # the receive's visibility timeout and the delay both run out
    assert counts(sqs, url) == (4, 0, 0)


def test_queue_delay_seconds_counts_new_messages_as_delayed(server: Server, sqs: Any) -> None:
    url = queue(sqs, DelaySeconds=20)
    sqs.send_message(QueueUrl=url, MessageBody="delayed")
    assert counts(sqs, url) == (0, 0, 1)
    server.advance(21)
    assert counts(sqs, url) == (1, 0, 0)


def test_deleting_a_received_message_drops_not_visible_count(sqs: Any) -> None:
    url = queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="one")
    message = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)


# == SetQueueAttributes ================================================================


def test_set_queue_attributes_changes_are_visible(sqs: Any) -> None:
    url = queue(sqs)
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "VisibilityTimeout": "120",
            "DelaySeconds": "15",
            "MaximumMessageSize": "2048",
            "MessageRetentionPeriod": "3600",
            "ReceiveMessageWaitTimeSeconds": "5",
            "SqsManagedSseEnabled": "false",
        },
    )
    attrs = queue_attributes(sqs, url)
    assert {k: attrs[k] for k in ("VisibilityTimeout", "DelaySeconds", "MaximumMessageSize")} == {
        "VisibilityTimeout": "120",
        "DelaySeconds": "15",
        "MaximumMessageSize": "2048",
    }
    assert attrs["MessageRetentionPeriod"] == "3600"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "5"
    assert attrs["SqsManagedSseEnabled"] == "false"


@pytest.mark.parametrize(("name", "low", "high", "default"), RANGED_ATTRIBUTES, ids=RANGE_IDS)
def test_set_queue_attributes_rejects_out_of_range_value_and_changes_nothing(
    sqs: Any, name: str, low: int, high: int, default: int
) -> None:
    url = queue(sqs)
    other = "DelaySeconds" if name != "DelaySeconds" else "VisibilityTimeout"
    before = queue_attributes(sqs, url, name, other)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={other: "7", name: str(high + 1)})
    assert_error(response, "InvalidAttributeValue")
    assert response["Error"]["Message"] == f"Invalid value for the parameter {name}."
    assert queue_attributes(sqs, url, name, other) == before


def test_set_queue_attributes_with_unknown_name_is_invalid_attribute_name(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Bogus": "1", "DelaySeconds": "5"})
    assert_error(response, "InvalidAttributeName")
    assert queue_attributes(sqs, url, "DelaySeconds") == {"DelaySeconds": "0"}


def test_set_queue_attributes_rejects_read_only_attribute(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"ApproximateNumberOfMessages": "5"})
    assert_error(response, "InvalidAttributeName")


def test_standard_queue_cannot_be_made_fifo(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoQueue": "true"})
    assert response["Error"]["Code"] in {"InvalidAttributeName", "InvalidAttributeValue"}, response
    assert status_of(response) == 400
    assert "FifoQueue" not in queue_attributes(sqs, url)


def test_fifo_queue_cannot_be_made_standard(sqs: Any) -> None:
    url = queue(sqs, FifoQueue=True)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoQueue": "false"})
    assert response["Error"]["Code"] in {"InvalidAttributeName", "InvalidAttributeValue"}, response
    assert status_of(response) == 400
    assert queue_attributes(sqs, url, "FifoQueue") == {"FifoQueue": "true"}


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("ContentBasedDeduplication", "true"), ("DeduplicationScope", "messageGroup"), ("FifoThroughputLimit", "perQueue")],
)
def test_set_fifo_only_attribute_on_standard_queue_is_invalid_attribute_name(sqs: Any, attribute: str, value: str) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={attribute: value})
    assert_error(response, "InvalidAttributeName")


def test_set_fifo_attributes_on_fifo_queue(sqs: Any) -> None:
    url = queue(sqs, FifoQueue=True)
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "ContentBasedDeduplication": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )
    attrs = queue_attributes(sqs, url, "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
    assert attrs == {
        "ContentBasedDeduplication": "true",
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
    }


def test_set_policy_attribute_is_returned(sqs: Any) -> None:
    url = queue(sqs)
    arn = queue_arn(sqs, url)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "all", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    assert json.loads(queue_attributes(sqs, url, "Policy")["Policy"]) == policy


def test_set_policy_that_is_not_json_is_invalid_attribute_value(sqs: Any) -> None:
    url = queue(sqs)
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": "{not json"})
    assert_error(response, "InvalidAttributeValue")
    assert response["Error"]["Message"] == "Invalid value for the parameter Policy."
    assert "Policy" not in queue_attributes(sqs, url)


def test_set_queue_attributes_of_missing_queue_is_non_existent_queue(server: Server, sqs: Any) -> None:
    url = f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('noset')}"
    response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"DelaySeconds": "1"})
    assert_error(response, NON_EXISTENT)
