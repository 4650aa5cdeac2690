"""SNS message archiving and replay of FIFO topics through boto3: ArchivePolicy and ReplayPolicy
checked as AWS documents them, BeginningArchiveTime, replays that redeliver exactly their window
in order to one subscription, ReplayStatus, retention on the service clock (moved, never slept
through), and the archive and a replay in a snapshot."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.sns_helpers import POLL_FOR, queue_with_arn, unique

DAY = 86_400


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """Retention and ending points move the clock: this module has a server of its own."""
    return own_server


@pytest.fixture
def sns(server: Server) -> Any:
    return server.client("sns")


@pytest.fixture
def sqs(server: Server) -> Any:
    return server.client("sqs")


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def instant(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def clock(server: Server) -> float:
    status, body = server.admin("GET", "/_stepstack/clock")
    assert status == 200, body
    return float(body["now"])


def error(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def archived_topic(sns: Any, days: str = "30") -> str:
    return sns.create_topic(Name=unique() + ".fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true",
        "ArchivePolicy": json.dumps({"MessageRetentionPeriod": days}),
    })["TopicArn"]


def replay(start: float | str, end: float | None = None) -> str:
    policy = {"PointType": "Timestamp", "StartingPoint": start if isinstance(start, str) else iso(start)}
    if end is not None:
        policy["EndingPoint"] = iso(end)
    return json.dumps(policy)


def fifo_queue(sqs: Any) -> tuple[str, str]:
    return queue_with_arn(sqs, unique("q") + ".fifo", FifoQueue="true")


def drain(sqs: Any, url: str, expected: int) -> list[dict[str, Any]]:
    """Receive (long polls) and delete until `expected` messages came, then make sure no more
    are there: the notifications, in the order the queue gave them."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + POLL_FOR
    while len(got) < expected and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None, "more messages than expected"
    return [json.loads(m["Body"]) if m["Body"].startswith("{") else {"Message": m["Body"]} for m in got]


def publish_spaced(sns: Any, server: Server, topic: str, messages: list[str], **extra: Any) -> list[tuple[float, dict[str, Any]]]:
    """Publish one message a minute (the clock moved on between them): (clock before, answer)."""
    sent = []
    for text in messages:
        before = clock(server)
        sent.append((before, sns.publish(TopicArn=topic, Message=text, MessageGroupId="g", **extra)))
        server.advance(60)
    return sent


def status(sns: Any, subscription: str) -> str | None:
    return sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"].get("ReplayStatus")


# -- ArchivePolicy ----------------------------------------------------------------------------


def test_an_archive_policy_is_checked_as_aws_documents_it(sns: Any) -> None:
    assert error(sns.create_topic, Name=unique(), Attributes={"ArchivePolicy": '{"MessageRetentionPeriod":"30"}'}) == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: ArchivePolicy can only be set for FIFO topics")
    reasons = {
        '{"MessageRetentionPeriod": "0"}': "MessageRetentionPeriod must be a whole number of days from 1 to 365",
        '{"MessageRetentionPeriod": "366"}': "MessageRetentionPeriod must be a whole number of days from 1 to 365",
        '{"MessageRetentionPeriod": 1.5}': "MessageRetentionPeriod must be a whole number of days from 1 to 365",
        '{"MessageRetentionPeriod": true}': "MessageRetentionPeriod must be a whole number of days from 1 to 365",
        '{"MessageRetentionPeriod": "thirty"}': "MessageRetentionPeriod must be a whole number of days from 1 to 365",
        '{"Retention": "30"}': "Unknown field Retention",
        '["30"]': "must be a JSON object",
        '{"MessageRetentionPeriod": ': "failed to parse JSON",
    }
    topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    for policy, reason in reasons.items():
        expected = ("InvalidParameter", f"Invalid parameter: ArchivePolicy Reason: {reason}")
        assert error(sns.create_topic, Name=unique() + ".fifo", Attributes={"FifoTopic": "true", "ArchivePolicy": policy}) == expected
        assert error(sns.set_topic_attributes, TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue=policy) == expected
    assert "ArchivePolicy" not in sns.get_topic_attributes(TopicArn=topic)["Attributes"]


def test_archiving_is_set_changed_and_disabled_with_its_beginning_time(sns: Any, server: Server) -> None:
    before = clock(server)
    topic = archived_topic(sns, "30")
    after = clock(server)
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["ArchivePolicy"] == '{"MessageRetentionPeriod":"30"}'
    began = attributes["BeginningArchiveTime"]
    assert began.endswith("Z") and len(began) == 24 and before - 0.001 <= instant(began) <= after
    name = topic.split(":")[-1]
    same = {"FifoTopic": "true", "ContentBasedDeduplication": "true", "ArchivePolicy": '{"MessageRetentionPeriod": 30}'}
    assert sns.create_topic(Name=name, Attributes=same)["TopicArn"] == topic  # the same policy, written otherwise
    assert error(sns.create_topic, Name=name, Attributes={**same, "ArchivePolicy": '{"MessageRetentionPeriod": "31"}'}) == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: Topic already exists with different attributes")

    server.advance(3600)
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue='{"MessageRetentionPeriod": 7}')
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["ArchivePolicy"] == '{"MessageRetentionPeriod":"7"}'
    assert attributes["BeginningArchiveTime"] == began  # a new period keeps the archive

    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue="{}")
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["ArchivePolicy"] == "{}" and "BeginningArchiveTime" not in attributes
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue='{"MessageRetentionPeriod": "1"}')
    assert instant(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["BeginningArchiveTime"]) > instant(began) + 3600
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue="")
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert "ArchivePolicy" not in attributes and "BeginningArchiveTime" not in attributes


# -- ReplayPolicy -----------------------------------------------------------------------------


def test_a_replay_policy_is_checked_as_aws_documents_it(sns: Any, sqs: Any, server: Server) -> None:
    _, queue = fifo_queue(sqs)
    now = clock(server)
    plain = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    assert error(sns.subscribe, TopicArn=plain, Protocol="sqs", Endpoint=queue, Attributes={"ReplayPolicy": replay(now)}) == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: ReplayPolicy needs the topic to have an ArchivePolicy")
    standard = sns.create_topic(Name=unique())["TopicArn"]
    _, standard_queue = queue_with_arn(sqs)
    assert error(sns.subscribe, TopicArn=standard, Protocol="sqs", Endpoint=standard_queue, Attributes={"ReplayPolicy": replay(now)}) == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: ReplayPolicy can only be set on subscriptions to FIFO topics")

    topic = archived_topic(sns)
    began = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["BeginningArchiveTime"]
    server.advance(600)
    now = clock(server)
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
    reasons = {
        "{": "failed to parse JSON.",
        '"Timestamp"': "must be a JSON object",
        json.dumps({"PointType": "Sequence", "StartingPoint": iso(now)}): "PointType must be Timestamp",
        json.dumps({"StartingPoint": iso(now)}): "PointType must be Timestamp",
        json.dumps({"PointType": "Timestamp"}): "StartingPoint must be an ISO 8601 timestamp",
        json.dumps({"PointType": "Timestamp", "StartingPoint": "yesterday"}): "StartingPoint must be an ISO 8601 timestamp",
        json.dumps({"PointType": "Timestamp", "StartingPoint": iso(now), "EndingPoint": 5}): "EndingPoint must be an ISO 8601 timestamp",
        json.dumps({"PointType": "Timestamp", "StartingPoint": iso(now), "Speed": "fast"}): "Unknown field Speed",
        replay(now - 10, now - 20): "EndingPoint must not be before StartingPoint",
        replay(now + 3600): "StartingPoint must not be in the future",
    }
    for policy, reason in reasons.items():
        assert error(sns.set_subscription_attributes, SubscriptionArn=subscription, AttributeName="ReplayPolicy", AttributeValue=policy) == (
            "InvalidParameter", f"Invalid parameter: ReplayPolicy: {reason}")
    assert error(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=fifo_queue(sqs)[1], Attributes={"ReplayPolicy": "{"}) == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: ReplayPolicy: failed to parse JSON.")
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
    assert "ReplayPolicy" not in attributes and "ReplayStatus" not in attributes
    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="ReplayPolicy", AttributeValue=replay(began))
    assert sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]["ReplayPolicy"] == replay(began)


# -- replays ----------------------------------------------------------------------------------


def test_a_new_subscription_replays_exactly_its_window_in_order(sns: Any, sqs: Any, server: Server) -> None:
    topic = archived_topic(sns)
    live_url, live = fifo_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=live)
    colour = {"colour": {"DataType": "String", "StringValue": "blue"}}
    sent = publish_spaced(sns, server, topic, [f"m{i}" for i in range(5)], Subject="s", MessageAttributes=colour)
    originals = drain(sqs, live_url, 5)
    assert [e["Message"] for e in originals] == ["m0", "m1", "m2", "m3", "m4"]

    url, arn = fifo_queue(sqs)
    window = replay(sent[1][0], sent[3][0] + 30)  # from just before m1 to just after m3
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"ReplayPolicy": window})["SubscriptionArn"]
    replayed = drain(sqs, url, 3)
    assert [(e["Message"], e["MessageId"], e["SequenceNumber"]) for e in replayed] == [
        (f"m{i}", sent[i][1]["MessageId"], sent[i][1]["SequenceNumber"]) for i in (1, 2, 3)]
    assert [e["Timestamp"] for e in replayed] == [originals[i]["Timestamp"] for i in (1, 2, 3)]  # the publish's time, kept
    assert all(e["Subject"] == "s" and e["MessageAttributes"] == {"colour": {"Type": "String", "Value": "blue"}} for e in replayed)
    assert status(sns, subscription) == "Completed"
    assert drain(sqs, live_url, 0) == []  # the replay went to its own subscription only

    sns.publish(TopicArn=topic, Message="m5", MessageGroupId="g")
    assert [e["Message"] for e in drain(sqs, live_url, 1)] == ["m5"]
    assert drain(sqs, url, 0) == []  # ended at its ending point: no newly published messages


def test_a_replay_without_an_ending_point_catches_up_then_live_messages_follow(sns: Any, sqs: Any, server: Server) -> None:
    topic = archived_topic(sns)
    began = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["BeginningArchiveTime"]
    url, arn = fifo_queue(sqs)
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    blue_url, blue = fifo_queue(sqs)
    for i in range(4):
        attributes = {"colour": {"DataType": "String", "StringValue": "blue" if i % 2 else "red"}}
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g", MessageAttributes=attributes)
    assert [e["Message"] for e in drain(sqs, url, 4)] == ["m0", "m1", "m2", "m3"]
    server.advance(301)  # past the queue's 5-minute deduplication window: the copies are new to it

    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="ReplayPolicy", AttributeValue=replay(began))
    assert [e["Message"] for e in drain(sqs, url, 4)] == ["m0", "m1", "m2", "m3"]
    assert status(sns, subscription) == "Completed"
    filtered = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=blue, Attributes={
        "FilterPolicy": json.dumps({"colour": ["blue"]}), "ReplayPolicy": replay(began)})["SubscriptionArn"]
    assert [e["Message"] for e in drain(sqs, blue_url, 2)] == ["m1", "m3"]  # the filter policy applies to a replay
    assert status(sns, filtered) == "Completed"

    sns.publish(TopicArn=topic, Message="m4", MessageGroupId="g", MessageAttributes={"colour": {"DataType": "String", "StringValue": "blue"}})
    assert [e["Message"] for e in drain(sqs, url, 1)] == ["m4"]  # live again, and once
    assert [e["Message"] for e in drain(sqs, blue_url, 1)] == ["m4"]


def test_a_replay_stays_in_progress_until_its_ending_point_passes(sns: Any, sqs: Any, server: Server) -> None:
    topic = archived_topic(sns)
    live_url, live = fifo_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=live)
    [(start, _)] = publish_spaced(sns, server, topic, ["m0"])
    url, arn = fifo_queue(sqs)
    end = clock(server) + 600
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"ReplayPolicy": replay(start, end)})["SubscriptionArn"]
    assert [e["Message"] for e in drain(sqs, url, 1)] == ["m0"]
    assert status(sns, subscription) == "In progress"
    sns.publish(TopicArn=topic, Message="m1", MessageGroupId="g")  # inside the window: the replay delivers it
    assert [e["Message"] for e in drain(sqs, url, 1)] == ["m1"]
    assert status(sns, subscription) == "In progress"

    server.advance(end - clock(server) + 1)
    assert status(sns, subscription) == "Completed"
    sns.publish(TopicArn=topic, Message="m2", MessageGroupId="g")
    assert drain(sqs, url, 0) == []
    assert [e["Message"] for e in drain(sqs, live_url, 3)] == ["m0", "m1", "m2"]

    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="ReplayPolicy", AttributeValue="")
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
    assert "ReplayPolicy" not in attributes and "ReplayStatus" not in attributes
    sns.publish(TopicArn=topic, Message="m3", MessageGroupId="g")
    assert [e["Message"] for e in drain(sqs, url, 1)] == ["m3"]  # without a replay policy, live deliveries again


def test_disabling_the_archive_fails_a_running_replay(sns: Any, sqs: Any, server: Server) -> None:
    topic = archived_topic(sns)
    [(start, _)] = publish_spaced(sns, server, topic, ["m0"])
    url, arn = fifo_queue(sqs)
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                                 Attributes={"ReplayPolicy": replay(start, clock(server) + 600)})["SubscriptionArn"]
    assert [e["Message"] for e in drain(sqs, url, 1)] == ["m0"]
    assert status(sns, subscription) == "In progress"
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue="{}")
    assert status(sns, subscription) == "Failed"
    server.advance(700)
    assert status(sns, subscription) == "Failed"


def test_archived_messages_are_forgotten_after_the_retention_period(sns: Any, sqs: Any, server: Server) -> None:
    topic = archived_topic(sns, "1")
    sns.publish(TopicArn=topic, Message="old", MessageGroupId="g")
    server.advance(DAY / 2)
    sns.publish(TopicArn=topic, Message="new", MessageGroupId="g")
    server.advance(DAY / 2 + 3600)  # "old" is 25 hours old, "new" 13
    before = clock(server)
    began = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["BeginningArchiveTime"]
    assert before - DAY - 0.001 <= instant(began) <= clock(server) - DAY
    url, arn = fifo_queue(sqs)
    since_creation = replay(before - DAY - 3600 - 60)  # before BeginningArchiveTime: from the oldest message kept
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"ReplayPolicy": since_creation})["SubscriptionArn"]
    assert [e["Message"] for e in drain(sqs, url, 1)] == ["new"]
    assert status(sns, subscription) == "Completed"


# -- snapshots (in process) -------------------------------------------------------------------


def test_the_archive_and_an_unfinished_replay_survive_a_snapshot() -> None:
    from tests.inprocess import InProcess
    from tests.test_core_snapshots import assert_plain

    app = InProcess()
    call = lambda operation, **params: app.call("sns", operation, params)  # noqa: E731
    try:
        topic = call("CreateTopic", Name="kept.fifo", Attributes={
            "FifoTopic": "true", "ContentBasedDeduplication": "true", "ArchivePolicy": '{"MessageRetentionPeriod": "2"}'})["TopicArn"]
        urls = {name: app.sqs("CreateQueue", QueueName=f"{name}.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"] for name in ("a", "b")}
        arns = {name: f"arn:aws:sqs:us-east-1:000000000000:{name}.fifo" for name in urls}
        binary = {"raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}
        sent = [call("Publish", TopicArn=topic, Message=f"m{i}", MessageGroupId="g", MessageAttributes=binary) for i in range(2)]
        began = call("GetTopicAttributes", TopicArn=topic)["Attributes"]["BeginningArchiveTime"]
        running = call("Subscribe", TopicArn=topic, Protocol="sqs", Endpoint=arns["a"], Attributes={
            "RawMessageDelivery": "true", "ReplayPolicy": replay(began, app.clock.now() + 600)})["SubscriptionArn"]
        app.settle()
        waiting = call("Subscribe", TopicArn=topic, Protocol="sqs", Endpoint=arns["b"], Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
        assert call("GetSubscriptionAttributes", SubscriptionArn=running)["Attributes"]["ReplayStatus"] == "In progress"
        for store in app.dispatcher.services["sns"].stores._stores.values():
            assert_plain(store)
        snapshot = json.loads(json.dumps(app.dispatcher.snapshot()))
        [sns_state] = snapshot["services"]["sns"]
        [topic_record] = sns_state["store"]["topics"]
        assert [m["message_id"] for m in topic_record["archive"]] == [m["MessageId"] for m in sent]
        # as if the snapshot were taken the moment "b"'s replay was set, before it delivered anything
        record = next(s for s in sns_state["store"]["subscriptions"] if s["arn"] == waiting)
        record["attributes"]["ReplayPolicy"] = replay(began)
        record["replay"] = {"status": "Pending", "start": instant(began), "end": None, "after": 0}
    finally:
        app.close()

    restored = InProcess()
    try:
        restored.run(restored.dispatcher.restore(snapshot))
        restored.settle()
        received = restored.sqs("ReceiveMessage", QueueUrl=urls["b"], MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
        assert [m["Body"] for m in received] == ["m0", "m1"]  # the pending replay went on after the restore
        assert received[0]["MessageAttributes"]["raw"]["BinaryValue"] == b"\x00\x01"
        assert restored.call("sns", "GetSubscriptionAttributes", {"SubscriptionArn": waiting})["Attributes"]["ReplayStatus"] == "Completed"
        first = restored.sqs("ReceiveMessage", QueueUrl=urls["a"], MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in first] == ["m0", "m1"]
        for message in first:
            restored.sqs("DeleteMessage", QueueUrl=urls["a"], ReceiptHandle=message["ReceiptHandle"])
        restored.call("sns", "Publish", {"TopicArn": topic, "Message": "m2", "MessageGroupId": "g"})
        assert [m["Body"] for m in restored.sqs("ReceiveMessage", QueueUrl=urls["a"])["Messages"]] == ["m2"]  # still replaying
        restored.advance(600)
        status = restored.call("sns", "GetSubscriptionAttributes", {"SubscriptionArn": running})["Attributes"]["ReplayStatus"]
        assert status == "Completed"
    finally:
        restored.close()
