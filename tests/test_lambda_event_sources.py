"""SQS event source mappings: a function fed batches of a queue's messages in AWS's event shape;
successes deleted, a partial batch failure's messages returned to the queue until its redrive
policy moves them to the dead-letter queue; filters; AWS's checks."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.sns_helpers import queue_with_arn, unique

ROLE = "arn:aws:iam::000000000000:role/lambda"
PARTIAL = '''
import json, os
import boto3

def handler(event, context):
    out = boto3.client("sqs")
    failures = []
    for record in event["Records"]:
        out.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(record))
        if "bad" in record["body"]:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
'''


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """Visibility timeouts move the clock: this module has a server of its own."""
    return own_server


def _function(lam: Any, seen_url: str, timeout: int = 10) -> str:
    return lam.create_function(
        FunctionName=unique("fn"), Runtime="python3.11", Role=ROLE, Handler="handler.handler",
        Code={"ZipFile": _zip(PARTIAL)}, Environment={"Variables": {"SEEN": seen_url}}, Timeout=timeout,
    )["FunctionArn"]


def _count(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _wait(condition: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"never saw {what}")


def test_a_partial_batch_failure_returns_only_the_failed_message_which_ends_in_the_dlq(server: Server) -> None:
    sqs, lam = server.client("sqs"), server.client("lambda")
    seen_url, _ = queue_with_arn(sqs)
    dlq_url, dlq_arn = queue_with_arn(sqs)
    url, arn = queue_with_arn(sqs, VisibilityTimeout="30", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}))
    function = _function(lam, seen_url)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, BatchSize=10,
                                              FunctionResponseTypes=["ReportBatchItemFailures"])
    assert (mapping["State"], mapping["BatchSize"], mapping["EventSourceArn"], mapping["FunctionArn"]) == ("Creating", 10, arn, function)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    for body in ("good one", "bad one", "good two"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={"kind": {"DataType": "String", "StringValue": body.split()[0]}})
    _wait(lambda: _count(sqs, url) == (0, 1), "the good messages deleted and the bad one in flight")
    seen = [json.loads(m["Body"]) for m in _receive_all(sqs, seen_url, 3)]
    record = next(r for r in seen if r["body"] == "bad one")
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", arn, "us-east-1")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {"stringValue": "bad", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    assert set(record) >= {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody"}
    server.advance(31)  # the bad one reappears, fails again, then moves to the DLQ on its third receive
    _wait(lambda: _count(sqs, url) == (0, 1), "the second attempt")
    server.advance(31)
    moved = _wait(lambda: sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=0).get("Messages"), "the DLQ")
    assert [m["Body"] for m in moved] == ["bad one"]
    assert _count(sqs, url) == (0, 0)


def _receive_all(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while len(got) < count and time.monotonic() < deadline:
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    assert len(got) == count
    return got


def test_a_filter_drops_and_deletes_what_it_leaves_out(server: Server) -> None:
    sqs, lam = server.client("sqs"), server.client("lambda")
    seen_url, _ = queue_with_arn(sqs)
    url, arn = queue_with_arn(sqs)
    function = _function(lam, seen_url)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function,
                                    FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})}]})
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "keep", "n": 1}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "drop", "n": 2}))
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    _wait(lambda: _count(sqs, url) == (0, 0), "every message handled or dropped")
    [only] = _receive_all(sqs, seen_url, 1)
    assert json.loads(json.loads(only["Body"])["body"]) == {"kind": "keep", "n": 1}


def test_mappings_are_checked_listed_updated_and_deleted_as_aws_does(server: Server) -> None:
    sqs, lam = server.client("sqs"), server.client("lambda")
    seen_url, _ = queue_with_arn(sqs)
    url, arn = queue_with_arn(sqs, VisibilityTimeout="30")
    slow = _function(lam, seen_url, timeout=60)
    with pytest.raises(ClientError) as error:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=slow)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert error.value.response["Error"]["Message"] == "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"
    function = _function(lam, seen_url)
    with pytest.raises(ClientError) as error:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, BatchSize=100)
    assert error.value.response["Error"]["Message"] == "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    with pytest.raises(ClientError) as error:
        lam.create_event_source_mapping(EventSourceArn="arn:aws:kinesis:us-east-1:000000000000:stream/s", FunctionName=function)
    assert "Amazon SQS event sources only" in error.value.response["Error"]["Message"]
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, Enabled=False)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Disabled"
    with pytest.raises(ClientError) as error:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function)
    assert error.value.response["Error"]["Code"] == "ResourceConflictException"
    listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [mapping["UUID"]]
    updated = lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True, BatchSize=5)
    assert (updated["State"], updated["BatchSize"]) == ("Updating", 5)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    sqs.send_message(QueueUrl=url, MessageBody="after enabling")
    _wait(lambda: _count(sqs, url) == (0, 0), "the enabled mapping to handle it")
    assert lam.delete_event_source_mapping(UUID=mapping["UUID"])["State"] == "Deleting"
    with pytest.raises(ClientError) as error:
        lam.get_event_source_mapping(UUID=mapping["UUID"])
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_mapping_survives_a_snapshot_and_polls_again_after_restore() -> None:
    from tests.inprocess import InProcess

    app = InProcess()
    try:
        app.sqs("CreateQueue", QueueName="source")
        app.call("lambda", "CreateFunction", {"FunctionName": "fn", "Runtime": "python3.12", "Handler": "handler.handler",
                                              "Role": ROLE, "Code": {"ZipFile": _zip("def handler(e, c):\n    return None\n")}})
        uuid = app.call("lambda", "CreateEventSourceMapping", {
            "EventSourceArn": "arn:aws:sqs:us-east-1:000000000000:source", "FunctionName": "fn", "BatchSize": 7})["UUID"]
        snapshot = json.loads(json.dumps(app.dispatcher.snapshot()))
    finally:
        app.close()
    restored = InProcess()
    try:
        restored.run(restored.dispatcher.restore(snapshot))
        mapping = restored.call("lambda", "GetEventSourceMapping", {"UUID": uuid})
        assert (mapping["State"], mapping["BatchSize"]) == ("Enabled", 7)
        pollers = restored.dispatcher.services["lambda"].pollers[uuid]
        assert len(pollers) == 5 and not any(task.done() for task in pollers)  # AWS's five pollers, running again
    finally:
        restored.close()
