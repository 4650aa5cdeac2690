"""SQS answers as AWS's recorded responses show them, over the JSON protocol and the Query
protocol (boto3 on each, and raw form requests as older SDKs send them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import Server
from tests.raw_http import FORM, send
from tests.sqs_helpers import error_of, protocol_client, queue, unique_name


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """This module moves the clock: it runs on a server of its own."""
    return own_server


@pytest.fixture(scope="module", params=["json", "query"])
def sqs(request: pytest.FixtureRequest, server: Server, query_session: Any) -> Any:
    """A boto3 SQS client speaking each protocol in turn."""
    return protocol_client(server, request.param, query_session)


def query(server: Server, url: str, action: str, **params: str) -> Any:
    """A Query-protocol request to the queue's URL; the XML answer as a tree."""
    body = urlencode({"Action": action, "Version": "2012-11-05", **params})
    return send(server.host, server.port, "POST", urlsplit(url).path, body, FORM)


def receive(sqs: Any, url: str, **params: Any) -> list[dict[str, Any]]:
    return sqs.receive_message(QueueUrl=url, **params).get("Messages", [])


def counts(sqs: Any, url: str) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(attrs[names[0]]), int(attrs[names[1]])


def _received_twice(sqs: Any, server: Server) -> tuple[str, str, str]:
    url = queue(sqs, prefix="twice", VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="received twice")
    [first] = receive(sqs, url)
    server.advance(10)
    [second] = receive(sqs, url)
    assert first["ReceiptHandle"] != second["ReceiptHandle"]
    return url, first["ReceiptHandle"], second["ReceiptHandle"]


# -- old receipt handles keep working -------------------------------------------------------


def test_an_old_receipt_handle_deletes_the_message(sqs: Any, server: Server) -> None:
    url, old, _ = _received_twice(sqs, server)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old)
    assert counts(sqs, url) == (0, 0)


def test_an_old_receipt_handle_deletes_the_message_over_query(sqs: Any, server: Server) -> None:
    url, old, _ = _received_twice(sqs, server)
    response = query(server, url, "DeleteMessage", ReceiptHandle=old)
    assert response.status == 200, response.body
    assert counts(sqs, url) == (0, 0)


def test_an_old_receipt_handle_changes_the_visibility(sqs: Any, server: Server) -> None:
    url, old, _ = _received_twice(sqs, server)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=old, VisibilityTimeout=0)
    assert counts(sqs, url) == (1, 0)


def test_an_old_receipt_handle_changes_the_visibility_in_a_batch(sqs: Any, server: Server) -> None:
    url, old, _ = _received_twice(sqs, server)
    answer = sqs.change_message_visibility_batch(
        QueueUrl=url, Entries=[{"Id": "old", "ReceiptHandle": old, "VisibilityTimeout": 0}]
    )
    assert [e["Id"] for e in answer["Successful"]] == ["old"]
    assert answer.get("Failed", []) == []
    assert counts(sqs, url) == (1, 0)


# -- whole-request FIFO errors in batches --------------------------------------------------


@pytest.fixture()
def fifo(sqs: Any) -> str:
    return sqs.create_queue(QueueName=unique_name("batch") + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]


def test_a_fifo_batch_entry_without_a_group_fails_the_whole_request(sqs: Any, fifo: str) -> None:
    entries = [
        {"Id": "ok", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
        {"Id": "no-group", "MessageBody": "b", "MessageDeduplicationId": "2"},
    ]
    response = error_of(sqs.send_message_batch, QueueUrl=fifo, Entries=entries)
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameterValue", 400)
    assert response["Error"]["Message"] == "The request must contain the parameter MessageGroupId."
    assert counts(sqs, fifo) == (0, 0)


def test_a_fifo_batch_entry_without_a_dedup_id_fails_the_whole_request(sqs: Any, server: Server, fifo: str) -> None:
    entries = [{"Id": "no-dedup", "MessageBody": "b", "MessageGroupId": "g"}]
    response = error_of(sqs.send_message_batch, QueueUrl=fifo, Entries=entries)
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameterValue", 400)
    assert response["Error"]["Message"] == (
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    )
    form = {"SendMessageBatchRequestEntry.1.Id": "q", "SendMessageBatchRequestEntry.1.MessageBody": "b",
            "SendMessageBatchRequestEntry.1.MessageGroupId": "g"}
    answer = query(server, fifo, "SendMessageBatch", **form)
    assert answer.status == 400
    assert answer.xml_error()["Code"] == "InvalidParameterValue"


# -- attribute-name wildcards ----------------------------------------------------------------


def test_a_prefix_wildcard_selects_the_attributes_that_start_with_the_prefix(sqs: Any) -> None:
    url = queue(sqs, prefix="wild")
    attributes = {name: {"DataType": "String", "StringValue": name} for name in ("Hello", "Help.Me", "Other")}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    [message] = receive(sqs, url, MessageAttributeNames=["Hel.*"])
    assert sorted(message["MessageAttributes"]) == ["Hello", "Help.Me"]


# -- queue policies as AWS writes them -------------------------------------------------------


def test_add_permission_writes_the_policy_as_aws_does(sqs: Any) -> None:
    url = queue(sqs, prefix="perm")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.add_permission(QueueUrl=url, Label="one", AWSAccountIds=["111111111111"], Actions=["ReceiveMessage"])
    sqs.add_permission(
        QueueUrl=url, Label="two", AWSAccountIds=["111111111111", "222222222222"], Actions=["SendMessage", "DeleteMessage"]
    )
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy == {
        "Version": "2008-10-17",
        "Id": f"{arn}/SQSDefaultPolicy",
        "Statement": [
            {"Sid": "one", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
             "Action": "SQS:ReceiveMessage", "Resource": arn},
            {"Sid": "two", "Effect": "Allow",
             "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]},
             "Action": ["SQS:SendMessage", "SQS:DeleteMessage"], "Resource": arn},
        ],
    }


# -- FifoQueue on a standard queue ----------------------------------------------------------


def test_fifo_queue_false_on_a_standard_queue_is_an_unknown_attribute(sqs: Any, server: Server) -> None:
    name = unique_name("standard")
    response = error_of(sqs.create_queue, QueueName=name, Attributes={"FifoQueue": "false"})
    assert (response["Error"]["Code"], response["Error"]["Message"]) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    answer = send(server.host, server.port, "POST", "/", urlencode({
        "Action": "CreateQueue", "Version": "2012-11-05", "QueueName": name,
        "Attribute.1.Name": "FifoQueue", "Attribute.1.Value": "false",
    }), FORM)
    assert answer.status == 400
    assert answer.xml_error()["Code"] == "InvalidAttributeName"
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=name)


def test_untag_queue_without_keys_is_invalid(sqs: Any) -> None:
    """Real AWS's answer, as reported in getmoto/moto#1686."""
    url = sqs.create_queue(QueueName=unique_name("untag"), tags={"k": "v"})["QueueUrl"]
    response = error_of(sqs.untag_queue, QueueUrl=url, TagKeys=[])
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameterValue", 400)
    assert response["Error"]["Message"] == "Tag keys must be between 1 and 128 characters in length."
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
