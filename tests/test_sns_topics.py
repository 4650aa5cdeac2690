"""SNS topics and subscriptions through boto3, checked against the answers AWS recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.sns_helpers import queue_with_arn, unique


@pytest.fixture
def sns(server: Server) -> Any:
    return server.client("sns")


@pytest.fixture
def sqs(server: Server) -> Any:
    return server.client("sqs")


def error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_new_topic_has_the_attributes_aws_gives_it(sns: Any) -> None:
    arn = sns.create_topic(Name=unique(), Attributes={"DisplayName": "Shown"})["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn and attributes["Owner"] == "000000000000"
    assert attributes["DisplayName"] == "Shown" and attributes["SignatureVersion"] == "1"
    assert (attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"], attributes["SubscriptionsDeleted"]) == ("0", "0", "0")
    policy = json.loads(attributes["Policy"])
    assert policy["Id"] == "__default_policy_ID" and policy["Statement"][0]["Resource"] == arn
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3


def test_create_topic_is_idempotent_and_refuses_other_attributes(sns: Any) -> None:
    name = unique()
    first = sns.create_topic(Name=name, Attributes={"DisplayName": "a"})["TopicArn"]
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "a"})["TopicArn"] == first
    assert error(sns.create_topic, Name=name, Attributes={"DisplayName": "b"}) == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: Topic already exists with different attributes", 400)


@pytest.mark.parametrize("name", ["", "a" * 257, "with space", "bad.fifo"])
def test_topic_names(sns: Any, name: str) -> None:
    assert error(sns.create_topic, Name=name)[:2] == ("InvalidParameter", "Invalid parameter: Topic Name")


def test_a_fifo_topic_name_needs_fifo_and_the_attribute_both(sns: Any) -> None:
    assert error(sns.create_topic, Name="test", Attributes={"FifoTopic": "true"})[:2] == ("InvalidParameter", "Invalid parameter: Topic Name")
    assert error(sns.create_topic, Name="test.fifo")[:2] == ("InvalidParameter", "Invalid parameter: Topic Name")


def test_fifo_topics(sns: Any) -> None:
    arn = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attributes["FifoTopic"], attributes["ContentBasedDeduplication"]) == ("true", "false")


def test_unknown_and_malformed_topics(sns: Any) -> None:
    assert error(sns.get_topic_attributes, TopicArn="arn:aws:sns:us-east-1:000000000000:nothing") == (
        "NotFound", "Topic does not exist", 404)
    assert error(sns.get_topic_attributes, TopicArn="nothing") == (
        "InvalidParameter", "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1", 400)


def test_list_topics_pages_by_100(sns: Any, server: Server) -> None:
    own = server.client("sns", "eu-west-3")
    arns = [own.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105)]
    first = own.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    second = own.list_topics(NextToken=first["NextToken"])
    assert [t["TopicArn"] for t in first["Topics"] + second["Topics"]] == arns and "NextToken" not in second


def test_tags(sns: Any) -> None:
    arn = sns.create_topic(Name=unique(), Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "test"}])
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    assert error(sns.tag_resource, ResourceArn=arn, Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])[:2] == (
        "InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")


def test_subscribe_is_idempotent_and_listed(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    _, queue_arn = queue_with_arn(sqs)
    first = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"] == first
    assert error(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})[:2] == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [{"SubscriptionArn": first, "Owner": "000000000000", "Protocol": "sqs", "Endpoint": queue_arn, "TopicArn": topic}]
    attributes = sns.get_subscription_attributes(SubscriptionArn=first)["Attributes"]
    assert (attributes["PendingConfirmation"], attributes["RawMessageDelivery"]) == ("false", "false")
    sns.unsubscribe(SubscriptionArn=first)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsDeleted"] == "1"


def test_subscription_errors_as_aws_records_them(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    assert error(sns.subscribe, TopicArn=topic, Protocol="test-protocol", Endpoint="x")[:2] == (
        "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol")
    assert error(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint="http://queue/url")[:2] == (
        "InvalidParameter", "Invalid parameter: SQS endpoint ARN")
    _, fifo_queue = queue_with_arn(sqs, unique("q") + ".fifo", FifoQueue="true")
    assert error(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=fifo_queue)[1] == (
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
    _, queue_arn = queue_with_arn(sqs)
    assert error(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "wrongvalue"})[1] == (
        "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.")
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    assert error(sns.set_subscription_attributes, SubscriptionArn=arn, AttributeName="Colour", AttributeValue="x")[1] == (
        "Invalid parameter: AttributeName")
    assert error(sns.set_subscription_attributes, SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="test-ValUe")[1] == (
        "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false.")
    assert error(sns.get_subscription_attributes, SubscriptionArn=arn + "x")[:2] == ("NotFound", "Subscription does not exist")
    assert error(sns.unsubscribe, SubscriptionArn="nothing")[1] == (
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")


def test_deleting_a_topic_deletes_its_subscriptions(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    _, queue_arn = queue_with_arn(sqs)
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    sns.delete_topic(TopicArn=topic)
    sns.delete_topic(TopicArn=topic)  # a second delete succeeds too
    assert error(sns.get_subscription_attributes, SubscriptionArn=arn)[0] == "NotFound"


def test_a_topic_for_large_messages_takes_only_queues_functions_and_streams(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=unique(), Attributes={"MaximumMessageSize": "1048576"})["TopicArn"]
    url, arn = queue_with_arn(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    code, message, status = error(sns.subscribe, TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/")
    assert (code, status) == ("InvalidParameter", 400) and "sqs, lambda and firehose" in message
    sns.publish(TopicArn=topic, Message="x" * 500_000)  # above the standard 256 KiB: accepted here
    small = sns.create_topic(Name=unique())["TopicArn"]
    sns.subscribe(TopicArn=small, Protocol="email", Endpoint="someone@example.com")
    assert error(sns.set_topic_attributes, TopicArn=small, AttributeName="MaximumMessageSize", AttributeValue="300000")[0] == "InvalidParameter"
    assert error(sns.publish, TopicArn=small, Message="x" * 262_145)[1] == "Invalid parameter: Message too long"
