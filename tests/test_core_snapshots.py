"""snapshot() and restore(): every service's state as plain JSON-able records, restored
into a new application with every timer re-armed at the same service time."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from tests.inprocess import START, InProcess

ROLE = "arn:aws:iam::000000000000:role/r"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}})
FAIL = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}})
ARN = "arn:aws:sqs:us-east-1:000000000000:"


def assert_plain(value: Any, where: str = "store") -> None:
    """Records hold values and ids only: no futures, timers, tasks or other objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            assert_plain(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), f"{where}: key {key!r}"
            assert_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            assert_plain(item, f"{where}[{index}]")
    else:
        assert isinstance(value, (str, int, float, bool, bytes, type(None))), f"{where} is a {type(value).__name__}"


def round_trip(app: InProcess) -> tuple[InProcess, dict[str, Any]]:
    before = json.loads(json.dumps(app.dispatcher.snapshot()))  # JSON-able, and a copy
    fresh = InProcess(start=START - 3600)  # a clock behind the snapshot: restore moves it on
    fresh.run(fresh.dispatcher.restore(before))
    return fresh, before


def _ids(received: dict[str, Any]) -> list[str]:
    return [m["Body"] for m in received.get("Messages", [])]


def test_sqs_round_trip_keeps_every_message_state_and_timer(app: InProcess) -> None:
    url = app.sqs("CreateQueue", QueueName="work", tags={"team": "a"})["QueueUrl"]
    dlq = app.sqs("CreateQueue", QueueName="work-dlq")["QueueUrl"]
    app.sqs("SetQueueAttributes", QueueUrl=url, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": ARN + "work-dlq", "maxReceiveCount": 3})})
    app.sqs("SendMessage", QueueUrl=url, MessageBody="inflight", MessageAttributes={"b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    app.sqs("SendMessage", QueueUrl=url, MessageBody="deleted")
    handles = {m["Body"]: m["ReceiptHandle"] for m in app.sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=30)["Messages"]}
    app.sqs("SendMessage", QueueUrl=url, MessageBody="visible")
    app.sqs("SendMessage", QueueUrl=url, MessageBody="delayed", DelaySeconds=60)
    fifo = app.sqs("CreateQueue", QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sent = app.sqs("SendMessage", QueueUrl=fifo, MessageBody="g1", MessageGroupId="g", MessageDeduplicationId="d1")
    app.sqs("SendMessage", QueueUrl=fifo, MessageBody="g2", MessageGroupId="g", MessageDeduplicationId="d2")
    fifo_handle = app.sqs("ReceiveMessage", QueueUrl=fifo, VisibilityTimeout=100)["Messages"][0]["ReceiptHandle"]
    app.advance(10)
    for store in app.dispatcher.services["sqs"].stores._stores.values():
        assert_plain(store)

    restored, before = round_trip(app)
    try:
        assert json.loads(json.dumps(restored.dispatcher.snapshot())) == before
        assert restored.clock.now() == pytest.approx(before["clock"])
        attrs = restored.sqs("GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"], attrs["ApproximateNumberOfMessagesDelayed"]) == ("1", "2", "1")
        assert restored.sqs("ListQueueTags", QueueUrl=url) == {"Tags": {"team": "a"}}
        assert _ids(restored.sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1000)) == ["visible"]
        # in-flight receipt handles still work, and a message reappears at the same service time
        restored.sqs("DeleteMessage", QueueUrl=url, ReceiptHandle=handles["deleted"])
        restored.advance(19)
        assert restored.sqs("ReceiveMessage", QueueUrl=url) == {}
        restored.advance(1)  # 30 s after it was received
        received = restored.sqs("ReceiveMessage", QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=1000)
        assert _ids(received) == ["inflight"]
        assert received["Messages"][0]["MessageAttributes"]["b"]["BinaryValue"] == b"\x00\x01"
        restored.advance(29)
        assert restored.sqs("ReceiveMessage", QueueUrl=url) == {}
        restored.advance(1)  # 60 s after it was sent, the delayed message becomes visible
        assert _ids(restored.sqs("ReceiveMessage", QueueUrl=url)) == ["delayed"]
        # the FIFO group stays locked by its in-flight message; the dedup window still holds
        assert restored.sqs("ReceiveMessage", QueueUrl=fifo) == {}
        again = restored.sqs("SendMessage", QueueUrl=fifo, MessageBody="g1", MessageGroupId="g", MessageDeduplicationId="d1")
        assert again["MessageId"] == sent["MessageId"]
        restored.sqs("DeleteMessage", QueueUrl=fifo, ReceiptHandle=fifo_handle)
        assert _ids(restored.sqs("ReceiveMessage", QueueUrl=fifo)) == ["g2"]
        assert restored.sqs("ListDeadLetterSourceQueues", QueueUrl=dlq)["queueUrls"] == [url]
    finally:
        restored.close()


def test_sqs_round_trip_resumes_a_move_task(app: InProcess) -> None:
    dlq = app.sqs("CreateQueue", QueueName="dead")["QueueUrl"]
    source = app.sqs("CreateQueue", QueueName="source")["QueueUrl"]
    app.sqs("SetQueueAttributes", QueueUrl=source, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": ARN + "dead", "maxReceiveCount": 1})})
    app.sqs("SendMessageBatch", QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    handle = app.sqs("StartMessageMoveTask", SourceArn=ARN + "dead", DestinationArn=ARN + "source", MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    restored, before = round_trip(app)
    try:
        assert json.loads(json.dumps(restored.dispatcher.snapshot())) == before
        [task] = restored.sqs("ListMessageMoveTasks", SourceArn=ARN + "dead")["Results"]
        assert (task["Status"], task["ApproximateNumberOfMessagesMoved"], task["TaskHandle"]) == ("RUNNING", 1, handle)
        restored.advance(2)
        [task] = restored.sqs("ListMessageMoveTasks", SourceArn=ARN + "dead")["Results"]
        assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 3)
        bodies = _ids(restored.sqs("ReceiveMessage", QueueUrl=source, MaxNumberOfMessages=10))
        assert sorted(bodies) == ["m0", "m1", "m2"]
    finally:
        restored.close()


def test_step_functions_round_trip_keeps_machines_activities_and_finished_executions(app: InProcess) -> None:
    machine = app.sfn("CreateStateMachine", name="ok", definition=PASS, roleArn=ROLE, tags=[{"key": "k", "value": "v"}])["stateMachineArn"]
    failing = app.sfn("CreateStateMachine", name="no", definition=FAIL, roleArn=ROLE)["stateMachineArn"]
    activity = app.sfn("CreateActivity", name="work")["activityArn"]
    succeeded = app.sfn("StartExecution", stateMachineArn=machine, name="one", input='{"a": 1}')["executionArn"]
    failed = app.sfn("StartExecution", stateMachineArn=failing, name="two")["executionArn"]
    app.settle()
    views = {
        arn: (app.sfn("DescribeExecution", executionArn=arn), app.sfn("GetExecutionHistory", executionArn=arn))
        for arn in (succeeded, failed)
    }
    assert views[succeeded][0]["status"] == "SUCCEEDED" and views[failed][0]["status"] == "FAILED"
    for store in app.dispatcher.services["stepfunctions"].stores._stores.values():
        assert_plain(store)

    restored, before = round_trip(app)
    try:
        assert json.loads(json.dumps(restored.dispatcher.snapshot())) == before
        for arn, (described, history) in views.items():
            assert restored.sfn("DescribeExecution", executionArn=arn) == described
            assert restored.sfn("GetExecutionHistory", executionArn=arn) == history
        assert restored.sfn("DescribeStateMachine", stateMachineArn=machine) == app.sfn("DescribeStateMachine", stateMachineArn=machine)
        assert restored.sfn("ListTagsForResource", resourceArn=machine)["tags"] == [{"key": "k", "value": "v"}]
        assert restored.sfn("DescribeActivity", activityArn=activity)["name"] == "work"
        listed = restored.sfn("ListExecutions", stateMachineArn=machine)["executions"]
        assert [e["executionArn"] for e in listed] == [succeeded]
        again = restored.sfn("StartExecution", stateMachineArn=machine, name="three")["executionArn"]
        restored.settle()
        assert restored.sfn("DescribeExecution", executionArn=again)["output"] == '{"ok":1}'
    finally:
        restored.close()


def test_a_standard_queue_keeps_its_receive_order_across_a_restore(app: InProcess) -> None:
    url = app.sqs("CreateQueue", QueueName="ordered")["QueueUrl"]
    for body in ("s0", "s1", "s2", "s3"):
        app.sqs("SendMessage", QueueUrl=url, MessageBody=body)
    app.sqs("ReceiveMessage", QueueUrl=url, VisibilityTimeout=5)  # s0 goes in flight ...
    app.advance(5)  # ... and comes back behind the others
    restored, _ = round_trip(app)
    try:
        received = restored.sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10)
        assert _ids(received) == ["s1", "s2", "s3", "s0"]
    finally:
        restored.close()


def test_a_snapshot_shares_nothing_with_the_live_records(app: InProcess) -> None:
    machine = app.sfn("CreateStateMachine", name="tagged", definition=PASS, roleArn=ROLE, tags=[{"key": "k", "value": "v"}])["stateMachineArn"]
    snapshot = app.dispatcher.snapshot()
    app.sfn("UntagResource", resourceArn=machine, tagKeys=["k"])
    app.run(app.dispatcher.restore(snapshot))
    assert app.sfn("ListTagsForResource", resourceArn=machine)["tags"] == [{"key": "k", "value": "v"}]
