"""SNS publishing and delivery through boto3: fan-out to queues (raw and enveloped), filter
policies, FIFO order and deduplication, batches, HTTP subscribers that confirm and receive,
retries on the service clock, dead-letter queues, and signatures a subscriber can verify."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.sns_helpers import Subscriber, bodies, deliveries, queue_with_arn, unique, wait_for


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """Retries move the clock: this module has a server of its own."""
    return own_server


@pytest.fixture
def sns(server: Server) -> Any:
    return server.client("sns")


@pytest.fixture
def sqs(server: Server) -> Any:
    return server.client("sqs")


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    endpoint = Subscriber()
    yield endpoint
    endpoint.close()


def test_one_publish_reaches_every_queue_raw_or_enveloped(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    enveloped_url, enveloped = queue_with_arn(sqs)
    raw_url, raw = queue_with_arn(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=enveloped)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw, Attributes={"RawMessageDelivery": "true"})
    attributes = {"colour": {"DataType": "String", "StringValue": "blue"}}
    message_id = sns.publish(TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes=attributes)["MessageId"]
    [wrapped] = bodies(sqs, enveloped_url, 1)
    envelope = json.loads(wrapped["Body"])
    assert list(envelope)[:6] == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp"]
    assert (envelope["Type"], envelope["MessageId"], envelope["Message"], envelope["Subject"]) == ("Notification", message_id, "hello", "greeting")
    assert envelope["MessageAttributes"] == {"colour": {"Type": "String", "Value": "blue"}}
    assert envelope["Timestamp"].endswith("Z") and len(envelope["Timestamp"]) == 24
    assert envelope["UnsubscribeURL"].startswith("http://") and "Action=Unsubscribe" in envelope["UnsubscribeURL"]
    [bare] = bodies(sqs, raw_url, 1)
    assert bare["Body"] == "hello"
    assert bare["MessageAttributes"]["colour"] == {"DataType": "String", "StringValue": "blue"}


def test_the_signature_verifies_with_the_served_certificate(sns: Any, sqs: Any) -> None:
    from services.sns.signing import verify

    topic = sns.create_topic(Name=unique(), Attributes={"SignatureVersion": "2"})["TopicArn"]
    url, arn = queue_with_arn(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="signed", Subject="s")
    [message] = bodies(sqs, url, 1)
    envelope = json.loads(message["Body"])
    assert envelope["SignatureVersion"] == "2"
    with urllib.request.urlopen(envelope["SigningCertURL"], timeout=5) as response:
        certificate = response.read()
    assert certificate.startswith(b"-----BEGIN CERTIFICATE-----")
    assert verify(envelope, certificate)
    assert not verify({**envelope, "Message": "tampered"}, certificate)


def test_message_structure_json_sends_each_protocol_its_message(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, arn = queue_with_arn(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "plain", "sqs": "for queues"}))
    assert [m["Body"] for m in bodies(sqs, url, 1)] == ["for queues"]
    with pytest.raises(ClientError) as caught:
        sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"sqs": "x"}))
    assert caught.value.response["Error"]["Message"] == "Invalid parameter: Message Structure - No default entry in JSON message body"


def test_publish_validation_as_aws_records_it(sns: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    cases = [
        ({"Message": ""}, "Invalid parameter: Empty message"),
        ({"Message": "x", "Subject": ""}, "Invalid parameter: Subject"),
        ({"Message": "x" * 262_145}, "Invalid parameter: Message too long"),
        ({"Message": "x", "MessageDeduplicationId": "d"},
         "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"),
    ]
    for params, message in cases:
        with pytest.raises(ClientError) as caught:
            sns.publish(TopicArn=topic, **params)
        assert (caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]) == ("InvalidParameter", message)
    with pytest.raises(ClientError) as caught:
        sns.publish(TopicArn=topic, Message="x", MessageAttributes={"attr1": {"DataType": "String", "StringValue": ""}})
    assert caught.value.response["Error"]["Code"] == "ParameterValueInvalid"


def test_a_fifo_topic_keeps_order_and_deduplicates_into_a_fifo_queue(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, arn = queue_with_arn(sqs, unique("q") + ".fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    first = sns.publish(TopicArn=topic, Message="m0", MessageGroupId="g")
    for i in range(1, 5):
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g")
    again = sns.publish(TopicArn=topic, Message="m0", MessageGroupId="g")  # a duplicate within 5 minutes
    assert again == {**again, "MessageId": first["MessageId"], "SequenceNumber": first["SequenceNumber"]}
    received = []
    while len(received) < 5:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for message in batch:
            received.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert received == ["m0", "m1", "m2", "m3", "m4"]
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None


def test_publish_batch_with_partial_failures(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, arn = queue_with_arn(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "ok", "Message": "fine"},
        {"Id": "bad", "Message": "x", "MessageAttributes": {"a": {"DataType": "Nope", "StringValue": "1"}}},
    ])
    assert [e["Id"] for e in answer["Successful"]] == ["ok"]
    assert [(e["Id"], e["Code"], e["SenderFault"]) for e in answer["Failed"]] == [("bad", "ParameterValueInvalid", True)]
    assert [m["Body"] for m in bodies(sqs, url, 1)] == ["fine"]
    with pytest.raises(ClientError) as caught:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}])
    assert caught.value.response["Error"]["Code"] == "BatchEntryIdsNotDistinct"


def test_a_missing_queue_sends_the_message_to_the_dead_letter_queue(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    gone_url, gone = queue_with_arn(sqs)
    dead_url, dead = queue_with_arn(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dead})})
    sqs.delete_queue(QueueUrl=gone_url)
    sns.publish(TopicArn=topic, Message="lost")
    [message] = bodies(sqs, dead_url, 1)
    assert json.loads(message["Body"])["Message"] == "lost"
    assert message["MessageAttributes"]["ErrorCode"]["StringValue"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_an_http_subscriber_confirms_and_receives(sns: Any, server: Server, subscriber: Subscriber) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url)["SubscriptionArn"] == "pending confirmation"
    [confirmation] = wait_for(lambda: subscriber.json_of("SubscriptionConfirmation"), "the confirmation")
    assert confirmation["TopicArn"] == topic and confirmation["Token"]
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=5) as response:
        assert response.status == 200
    [listed] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed["SubscriptionArn"].startswith(topic + ":")
    sns.publish(TopicArn=topic, Message="over http")
    [request] = wait_for(lambda: subscriber.of_type("Notification"), "the notification")
    assert request["headers"]["x-amz-sns-topic-arn"] == topic
    assert request["headers"]["x-amz-sns-subscription-arn"] == listed["SubscriptionArn"]
    assert json.loads(request["body"])["Message"] == "over http"


def test_an_http_endpoint_that_fails_twice_is_retried_by_its_policy(sns: Any, server: Server) -> None:
    endpoint = Subscriber(statuses=[])
    try:
        policy = {"healthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 5, "numRetries": 3, "numNoDelayRetries": 1,
                                         "numMinDelayRetries": 2, "numMaxDelayRetries": 0, "backoffFunction": "linear"}}
        topic = sns.create_topic(Name=unique())["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url, Attributes={"DeliveryPolicy": json.dumps(policy)})
        [confirmation] = wait_for(lambda: endpoint.json_of("SubscriptionConfirmation"), "the confirmation")
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
        endpoint.statuses = [500, 503]
        sns.publish(TopicArn=topic, Message="eventually")
        wait_for(lambda: len(endpoint.of_type("Notification")) == 2, "the immediate retry")  # no-delay phase
        server.advance(5)  # the min-delay phase
        wait_for(lambda: len(endpoint.of_type("Notification")) == 3, "the delayed retry")
        [delivery] = wait_for(lambda: [d for d in deliveries(server, topic) if d["Status"] == "delivered"], "the delivery")
        times = [a["at"] for a in delivery["Attempts"]]
        assert [round(b - a) for a, b in zip(times, times[1:])] == [0, 5]
    finally:
        endpoint.close()


def test_an_http_endpoint_that_always_fails_ends_in_the_dead_letter_queue(sns: Any, sqs: Any, server: Server) -> None:
    endpoint = Subscriber()
    try:
        dead_url, dead = queue_with_arn(sqs)
        topic = sns.create_topic(Name=unique())["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url,
                      Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dead})})
        [confirmation] = wait_for(lambda: endpoint.json_of("SubscriptionConfirmation"), "the confirmation")
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
        endpoint.statuses = [500] * 10
        sns.publish(TopicArn=topic, Message="never")
        wait_for(lambda: len(endpoint.of_type("Notification")) == 1, "the first attempt")
        for retry in range(3):  # AWS's default policy: 3 retries, 20 s apart
            server.advance(20)
            wait_for(lambda: len(endpoint.of_type("Notification")) == retry + 2, f"retry {retry + 1}")
        [message] = bodies(sqs, dead_url, 1)
        assert json.loads(message["Body"])["Message"] == "never"
    finally:
        endpoint.close()


def test_filter_policies_on_attributes_select_the_queues(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    policies = {
        "red": {"colour": ["red"]},
        "big": {"size": [{"numeric": [">", 10]}]},
        "not-red": {"colour": [{"anything-but": ["red"]}]},
        "prefixed": {"store": [{"prefix": "eu-"}]},
    }
    urls = {}
    for name, policy in policies.items():
        urls[name], arn = queue_with_arn(sqs)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                      Attributes={"FilterPolicy": json.dumps(policy), "RawMessageDelivery": "true"})

    def publish(body: str, **attributes: Any) -> None:
        sns.publish(TopicArn=topic, Message=body, MessageAttributes={
            k: {"DataType": "Number", "StringValue": str(v)} if isinstance(v, int) else {"DataType": "String", "StringValue": v}
            for k, v in attributes.items()})

    publish("red small", colour="red", size=3, store="eu-west")
    publish("blue big", colour="blue", size=30, store="us-east")
    got = {name: sorted(m["Body"] for m in bodies(sqs, url, {"red": 1, "big": 1, "not-red": 1, "prefixed": 1}[name], wait=1))
           for name, url in urls.items()}
    assert got == {"red": ["red small"], "big": ["blue big"], "not-red": ["blue big"], "prefixed": ["red small"]}


def test_a_body_policy_reaches_through_arrays_of_objects_as_in_s3_events(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, arn = queue_with_arn(sqs)
    policy = {"Records": {"s3": {"object": {"key": [{"prefix": "images/"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={
        "FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageBody", "RawMessageDelivery": "true"})

    def event(key: str, name: str = "ObjectCreated:Put") -> str:
        return json.dumps({"Records": [{"eventName": name, "s3": {"bucket": {"name": "b"}, "object": {"key": key, "size": 1}}}]})

    for body in (event("docs/a.txt"), event("images/cat.png"), event("images/dog.png", "ObjectRemoved:Delete"), "not json"):
        sns.publish(TopicArn=topic, Message=body)
    received = [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"] for m in bodies(sqs, url, 1, wait=1)]
    assert received == ["images/cat.png"]


def test_a_filter_policy_that_aws_refuses(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    _, arn = queue_with_arn(sqs)
    with pytest.raises(ClientError) as caught:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": "invalid"})
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameter"
    assert error["Message"].startswith("Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON.")


def test_an_empty_filter_policy_removes_the_filter(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    url, arn = queue_with_arn(sqs)
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={
        "FilterPolicy": json.dumps({"colour": ["red"]}), "RawMessageDelivery": "true"})["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="filtered out")
    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="FilterPolicy", AttributeValue="{}")
    sns.publish(TopicArn=topic, Message="let through")
    assert [m["Body"] for m in bodies(sqs, url, 1, wait=1)] == ["let through"]


def _attempted(app: Any, view: dict[str, str], attempts: int) -> list[dict[str, Any]]:
    """The deliveries once the delivery has made `attempts` attempts (a refused connection
    comes back through the event loop: wait on the inspection view, not on time)."""
    import asyncio

    def seen() -> list[dict[str, Any]]:
        app.run(asyncio.sleep(0.005))
        found = app.dispatcher.service("sns").inspect("deliveries", view)["Deliveries"]
        return found if found and len(found[0]["Attempts"]) >= attempts else []

    return wait_for(seen, f"{attempts} delivery attempts")


def test_a_pending_retry_survives_a_snapshot() -> None:
    from tests.inprocess import InProcess
    from tests.test_core_snapshots import round_trip

    app = InProcess()
    try:
        topic = app.call("sns", "CreateTopic", {"Name": "retried"})["TopicArn"]
        app.call("sns", "Subscribe", {"TopicArn": topic, "Protocol": "http", "Endpoint": "http://127.0.0.1:9/refused"})
        app.settle()
        [pending] = app.dispatcher.service("sns").inspect("subscriptions", {"Account": "000000000000", "Region": "us-east-1"})["Subscriptions"]
        app.call("sns", "ConfirmSubscription", {"TopicArn": topic, "Token": pending["Token"]})
        app.call("sns", "Publish", {"TopicArn": topic, "Message": "again"})
        view = {"Account": "000000000000", "Region": "us-east-1", "TopicArn": topic}
        [before] = _attempted(app, view, 1)
        assert before["Status"] == "pending" and len(before["Attempts"]) == 1
        restored, _ = round_trip(app)
    finally:
        app.close()
    try:
        [after] = restored.dispatcher.service("sns").inspect("deliveries", view)["Deliveries"]
        assert after == before
        restored.advance(after["NextAttemptAt"] - restored.clock.now())  # the re-armed retry runs
        _attempted(restored, view, 2)
    finally:
        restored.close()
