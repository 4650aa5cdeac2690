"""A topic's `lambda` subscription invokes the function asynchronously with the SNS event
AWS delivers (`Records[].Sns`); a missing function is a failed delivery, not retried."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from tests.conftest import Server
from tests.sns_helpers import bodies, deliveries, queue_with_arn, unique, wait_for

ROLE = "arn:aws:iam::000000000000:role/lambda"
FORWARD = '''
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps(event))
    return "ok"
'''


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clients(server: Server) -> tuple[Any, Any, Any]:
    return server.client("sns"), server.client("sqs"), server.client("lambda")


def test_a_lambda_subscription_receives_the_sns_event(server: Server, clients: tuple[Any, Any, Any]) -> None:
    sns, sqs, lam = clients
    out_url, _ = queue_with_arn(sqs)
    function = lam.create_function(
        FunctionName=unique("fn"), Runtime="python3.11", Role=ROLE, Handler="handler.handler",
        Code={"ZipFile": _zip(FORWARD)}, Environment={"Variables": {"OUT": out_url}}, Timeout=30,
    )["FunctionArn"]
    topic = sns.create_topic(Name=unique())["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function, ReturnSubscriptionArn=True)["SubscriptionArn"]
    colour = {"colour": {"DataType": "String", "StringValue": "blue"}}
    message_id = sns.publish(TopicArn=topic, Message="to the function", Subject="hi", MessageAttributes=colour)["MessageId"]
    [received] = bodies(sqs, out_url, 1, wait=10)
    [record] = json.loads(received["Body"])["Records"]
    assert (record["EventSource"], record["EventVersion"], record["EventSubscriptionArn"]) == ("aws:sns", "1.0", subscription)
    event = record["Sns"]
    assert (event["Type"], event["MessageId"], event["TopicArn"], event["Subject"], event["Message"]) == (
        "Notification", message_id, topic, "hi", "to the function")
    assert event["MessageAttributes"] == {"colour": {"Type": "String", "Value": "blue"}}
    assert event["SigningCertUrl"].endswith(".pem") and "Action=Unsubscribe" in event["UnsubscribeUrl"]
    assert "SigningCertURL" not in event and event["SignatureVersion"] == "1" and len(event["Signature"]) == 344


def test_a_missing_function_is_a_failed_delivery(server: Server, clients: tuple[Any, Any, Any]) -> None:
    sns, _, _ = clients
    topic = sns.create_topic(Name=unique())["TopicArn"]
    gone = f"arn:aws:lambda:us-east-1:000000000000:function:{unique('gone')}"
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=gone)
    sns.publish(TopicArn=topic, Message="nobody")
    [delivery] = wait_for(lambda: deliveries(server, topic) or None, "the delivery")
    assert delivery["Status"] == "failed" and delivery["NextAttemptAt"] is None
    assert delivery["Attempts"][0]["outcome"].startswith("ResourceNotFoundException: ")
