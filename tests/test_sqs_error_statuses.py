"""Every SQS error a client can provoke, over both protocols: the code boto3 reports, the HTTP
status and, over JSON, the `__type` AWS sends (boto3's `QueryErrorCode`).

The expected values are AWS's: recorded responses where there are some (PurgeQueueInProgress
403, NonExistentQueue 400, ResourceNotFoundException 404, InvalidParameterValueException and
MissingRequiredParameterException as the JSON types), the SQS API reference elsewhere
(OverLimit 403, every other error 400).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Server, start_server, stop_server
from tests.sqs_helpers import error_of, protocol_client, queue, queue_arn, unique_name

PROTOCOLS = ["json", "query"]


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that enforces AWS's 60-second rules (PurgeQueue, re-creating a queue)."""
    running = start_server(tmp_path_factory.mktemp("strict"), "--strict")
    yield running
    stop_server(running)


@pytest.fixture(params=PROTOCOLS)
def sqs(request: pytest.FixtureRequest, server: Server, query_session: Any) -> Any:
    return protocol_client(server, request.param, query_session)


def _check(sqs: Any, call: Callable[..., Any], code: str, status: int, json_type: str | None = None, **params: Any) -> str:
    response = error_of(call, **params)
    error = response["Error"]
    assert (error["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    if sqs.meta.service_model.protocol == "json":
        assert error.get("QueryErrorCode", code) == (json_type or code)
    else:
        assert error["Type"] == "Sender"
    return str(error["Message"])


def test_an_unknown_queue(sqs: Any) -> None:
    _check(sqs, sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist", QueueName=unique_name())
    url = queue(sqs)
    sqs.delete_queue(QueueUrl=url)
    _check(sqs, sqs.send_message, "AWS.SimpleQueueService.NonExistentQueue", 400, "QueueDoesNotExist", QueueUrl=url, MessageBody="x")


def test_a_queue_of_the_same_name_with_other_attributes(sqs: Any) -> None:
    name = unique_name()
    queue(sqs, name, VisibilityTimeout=30)
    _check(sqs, sqs.create_queue, "QueueAlreadyExists", 400, "QueueNameExists", QueueName=name, Attributes={"VisibilityTimeout": "31"})


def test_attributes_that_do_not_exist_or_do_not_fit(sqs: Any) -> None:
    url = queue(sqs)
    _check(sqs, sqs.set_queue_attributes, "InvalidAttributeName", 400, QueueUrl=url, Attributes={"Colour": "blue"})
    _check(sqs, sqs.set_queue_attributes, "InvalidAttributeValue", 400, QueueUrl=url, Attributes={"VisibilityTimeout": "-1"})


def test_invalid_and_missing_parameters(sqs: Any) -> None:
    url = queue(sqs)
    _check(sqs, sqs.receive_message, "InvalidParameterValue", 400, "InvalidParameterValueException", QueueUrl=url, MaxNumberOfMessages=11)
    fifo = queue(sqs, FifoQueue=True)
    _check(sqs, sqs.send_message, "MissingParameter", 400, "MissingRequiredParameterException", QueueUrl=fifo, MessageBody="x")


def test_bad_message_contents(sqs: Any) -> None:
    url = queue(sqs)
    _check(sqs, sqs.send_message, "InvalidMessageContents", 400, QueueUrl=url, MessageBody="bell \x07")


def test_batches_that_break_the_rules(sqs: Any) -> None:
    url = queue(sqs)
    entry = {"Id": "a", "MessageBody": "x"}
    prefix = "AWS.SimpleQueueService."
    _check(sqs, sqs.send_message_batch, prefix + "EmptyBatchRequest", 400, "EmptyBatchRequest", QueueUrl=url, Entries=[])
    _check(sqs, sqs.send_message_batch, prefix + "TooManyEntriesInBatchRequest", 400, "TooManyEntriesInBatchRequest",
           QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)])
    _check(sqs, sqs.send_message_batch, prefix + "BatchEntryIdsNotDistinct", 400, "BatchEntryIdsNotDistinct",
           QueueUrl=url, Entries=[entry, entry])
    _check(sqs, sqs.send_message_batch, prefix + "InvalidBatchEntryId", 400, "InvalidBatchEntryId",
           QueueUrl=url, Entries=[{"Id": "no spaces", "MessageBody": "x"}])
    _check(sqs, sqs.send_message_batch, prefix + "BatchRequestTooLong", 400, "BatchRequestTooLong",
           QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x" * 200_000} for i in range(6)])


def test_receipt_handles_that_do_not_fit(sqs: Any) -> None:
    url = queue(sqs)
    _check(sqs, sqs.delete_message, "ReceiptHandleIsInvalid", 400, QueueUrl=url, ReceiptHandle="not-a-handle")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)  # visible again
    _check(sqs, sqs.change_message_visibility, "AWS.SimpleQueueService.MessageNotInflight", 400, "MessageNotInflight",
           QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10)


def test_too_many_actions_in_a_permission(sqs: Any) -> None:
    url = queue(sqs)
    actions = ["SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
               "GetQueueAttributes", "GetQueueUrl", "ListQueueTags", "PurgeQueue"]
    _check(sqs, sqs.add_permission, "OverLimit", 403, QueueUrl=url, Label="many", AWSAccountIds=["111111111111"], Actions=actions)


def test_move_tasks_that_do_not_exist(sqs: Any) -> None:
    message = _check(sqs, sqs.cancel_message_move_task, "InvalidParameterValue", 400, "InvalidParameterValueException",
                     TaskHandle="foobared")
    assert message == "Value for parameter TaskHandle is invalid."

    def handle(source_arn: str) -> str:
        token = {"taskId": "10f57157-fc38-4da9-a113-4de7e12d05dd", "sourceArn": source_arn}
        return base64.b64encode(json.dumps(token).encode()).decode()

    gone = "arn:aws:sqs:us-east-1:000000000000:" + unique_name()
    message = _check(sqs, sqs.cancel_message_move_task, "ResourceNotFoundException", 404, TaskHandle=handle(gone))
    assert message == "The resource that you specified for the SourceArn parameter doesn't exist."
    source = queue_arn(sqs, queue(sqs))
    message = _check(sqs, sqs.cancel_message_move_task, "ResourceNotFoundException", 404, TaskHandle=handle(source))
    assert message == "Task does not exist."


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_sixty_second_rules_in_strict_mode(strict: Server, query_session: Any, protocol: str) -> None:
    sqs = protocol_client(strict, protocol, query_session)
    url = queue(sqs)
    sqs.purge_queue(QueueUrl=url)
    _check(sqs, sqs.purge_queue, "AWS.SimpleQueueService.PurgeQueueInProgress", 403, "PurgeQueueInProgress", QueueUrl=url)
    name = url.rsplit("/", 1)[1]
    sqs.delete_queue(QueueUrl=url)
    _check(sqs, sqs.create_queue, "AWS.SimpleQueueService.QueueDeletedRecently", 400, "QueueDeletedRecently", QueueName=name)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_fifo_receipt_handle_expires_with_its_visibility_timeout(strict: Server, query_session: Any, protocol: str) -> None:
    sqs = protocol_client(strict, protocol, query_session)
    url = queue(sqs, FifoQueue=True, ContentBasedDeduplication=True, VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="foobar", MessageGroupId="1")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    strict.advance(1)
    message = _check(sqs, sqs.delete_message, "InvalidParameterValue", 400, "InvalidParameterValueException",
                     QueueUrl=url, ReceiptHandle=handle)
    assert message == f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
    again = sqs.receive_message(QueueUrl=url)["Messages"][0]  # still there, and its new handle deletes it
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_a_fifo_receipt_handle_lives_as_long_as_its_extended_timeout(strict: Server, query_session: Any) -> None:
    sqs = protocol_client(strict, "json", query_session)
    url = queue(sqs, FifoQueue=True, ContentBasedDeduplication=True, VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="foobar", MessageGroupId="1")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5)
    strict.advance(1.5)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
