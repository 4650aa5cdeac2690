"""LocalStack's SNS views of recorded texts and pushes (/_aws/sns/sms-messages and
/_aws/sns/platform-endpoint-messages), and a topic's deliveries to `sms` and `application`
subscriptions, which land in them as AWS would send them (or fail as AWS's do)."""

from __future__ import annotations

import json
import random
from typing import Any
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.inprocess import InProcess
from tests.sns_helpers import unique

CREDENTIALS = {"PlatformCredential": "api-key"}  # GCM: a credential and no principal
SMS_FIELDS = {"PhoneNumber", "TopicArn", "SubscriptionArn", "MessageId", "Message", "MessageAttributes", "MessageStructure", "Subject"}
PUSH_FIELDS = {"TargetArn", "TopicArn", "Message", "MessageAttributes", "MessageStructure", "Subject", "MessageId"}


@pytest.fixture
def account() -> str:
    """An account of its own (a 12-digit access key names it), so the views hold only this test's."""
    return f"{random.randrange(10**11, 10**12)}"


@pytest.fixture
def sns(server: Server, account: str) -> Any:
    return server.client("sns", access_key=account)


def view(server: Server, path: str, method: str = "GET", **query: str) -> tuple[int, Any]:
    return server.admin(method, f"/_aws/sns/{path}" + (f"?{urlencode(query)}" if query else ""))


def sms_messages(server: Server, **query: str) -> dict[str, list[dict[str, Any]]]:
    status, body = view(server, "sms-messages", **query)
    assert status == 200, body
    assert set(body) == {"sms_messages", "region"}
    return body["sms_messages"]


def endpoint_messages(server: Server, **query: str) -> dict[str, list[dict[str, Any]]]:
    status, body = view(server, "platform-endpoint-messages", **query)
    assert status == 200, body
    assert set(body) == {"platform_endpoint_messages", "region"}
    return body["platform_endpoint_messages"]


def native(server: Server, name: str, account: str, **query: str) -> list[dict[str, Any]]:
    status, body = server.admin("GET", f"/_stepstack/sns/{name}?" + urlencode({"Account": account, "Region": "us-east-1", **query}))
    assert status == 200, body
    return body["Messages"] if name != "deliveries" else body["Deliveries"]


def gcm_endpoint(sns: Any, token: str = "token-1") -> str:
    app_arn = sns.create_platform_application(Name=unique("app"), Platform="GCM", Attributes=CREDENTIALS)["PlatformApplicationArn"]
    return sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token=token)["EndpointArn"]


def subscribed(sns: Any, protocol: str, *endpoints: str) -> tuple[str, list[str]]:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    arns = [sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=e, ReturnSubscriptionArn=True)["SubscriptionArn"] for e in endpoints]
    return topic, arns


# -- /_aws/sns/sms-messages ------------------------------------------------------------------


def test_sms_messages_are_grouped_by_number_with_localstacks_fields(server: Server, sns: Any, account: str) -> None:
    first, second = "+15550100001", "+15550100002"
    topic, (sub_first, _) = subscribed(sns, "sms", first, second)
    from_topic = sns.publish(TopicArn=topic, Message="Good news everyone!", Subject="news")["MessageId"]
    direct = sns.publish(PhoneNumber=first, Message="just you")["MessageId"]
    status, body = view(server, "sms-messages", accountId=account, region="us-east-1")
    assert status == 200 and body["region"] == "us-east-1"
    texts = body["sms_messages"]
    assert list(texts) == [first, second]
    assert [(m["MessageId"], m["Message"]) for m in texts[first]] == [(from_topic, "Good news everyone!"), (direct, "just you")]
    assert all(set(m) == SMS_FIELDS for m in texts[first] + texts[second])
    assert texts[first][0] | {"MessageId": None} == {
        "PhoneNumber": first, "TopicArn": topic, "SubscriptionArn": sub_first, "MessageId": None,
        "Message": "Good news everyone!", "MessageAttributes": {}, "MessageStructure": None, "Subject": "news"}
    assert (texts[first][1]["TopicArn"], texts[first][1]["SubscriptionArn"]) == (None, None)
    assert [m["Message"] for m in texts[second]] == ["Good news everyone!"]


def test_sms_messages_filter_by_number_and_region(server: Server, sns: Any, account: str) -> None:
    number = "+15550100003"
    sns.publish(PhoneNumber=number, Message="hello")
    assert list(sms_messages(server, accountId=account, phoneNumber=number)) == [number]
    assert sms_messages(server, accountId=account, phoneNumber="+15550100999") == {"+15550100999": []}
    status, body = view(server, "sms-messages", accountId=account, region="eu-west-1")
    assert (status, body) == (200, {"sms_messages": {}, "region": "eu-west-1"})
    status, body = view(server, "sms-messages")  # the server's default account and region
    assert status == 200 and body["region"] == "us-east-1" and number not in body["sms_messages"]


def test_deleting_sms_messages_by_number_then_all(server: Server, sns: Any, account: str) -> None:
    kept, dropped = "+15550100004", "+15550100005"
    for number in (kept, dropped, dropped):
        sns.publish(PhoneNumber=number, Message="m")
    assert view(server, "sms-messages", "DELETE", accountId=account, phoneNumber=dropped) == (204, None)
    assert sms_messages(server, accountId=account, phoneNumber=dropped) == {dropped: []}
    assert list(sms_messages(server, accountId=account)) == [kept]
    assert view(server, "sms-messages", "DELETE", accountId=account, region="us-east-1") == (204, None)
    assert sms_messages(server, accountId=account) == {}


def test_a_json_message_to_an_sms_subscription_sends_its_sms_key(server: Server, sns: Any, account: str) -> None:
    number = "+15550100006"
    topic, _ = subscribed(sns, "sms", number)
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "long text", "sms": "short"}))
    assert [m["Message"] for m in native(server, "sms", account, PhoneNumber=number)] == ["short"]
    (shown,) = sms_messages(server, accountId=account)[number]
    assert (shown["Message"], shown["MessageStructure"]) == ('"short"', "json")  # LocalStack encodes it once more
    (delivery,) = native(server, "deliveries", account, TopicArn=topic)
    assert (delivery["Protocol"], delivery["Status"]) == ("sms", "delivered")


def test_a_topics_text_to_an_opted_out_number_fails(app: InProcess) -> None:
    topic = app.call("sns", "CreateTopic", {"Name": "alerts"})["TopicArn"]
    for number in ("+15550100007", "+15550100008"):
        app.call("sns", "Subscribe", {"TopicArn": topic, "Protocol": "sms", "Endpoint": number})
    snapshot = json.loads(json.dumps(app.dispatcher.snapshot()))
    (entry,) = snapshot["services"]["sns"]
    entry["store"]["opted_out"] = ["+15550100007"]
    fresh = InProcess()
    try:
        fresh.run(fresh.dispatcher.restore(snapshot))
        fresh.call("sns", "Publish", {"TopicArn": topic, "Message": "m"})
        sns = fresh.dispatcher.services["sns"]
        query = {"Account": "000000000000", "Region": "us-east-1"}
        assert [m["PhoneNumber"] for m in sns.inspect("sms", query)["Messages"]] == ["+15550100008"]
        outcomes = {d["Endpoint"]: (d["Status"], d["Attempts"][0]["outcome"]) for d in sns.inspect("deliveries", query)["Deliveries"]}
        assert outcomes["+15550100007"][0] == "failed" and outcomes["+15550100007"][1].startswith("OptedOut: ")
        assert outcomes["+15550100008"] == ("delivered", "delivered")
    finally:
        fresh.close()


# -- /_aws/sns/platform-endpoint-messages ----------------------------------------------------


def test_a_topics_message_reaches_a_subscribed_endpoint_with_its_platform_key(server: Server, sns: Any, account: str) -> None:
    subscribed_arn, direct_arn = gcm_endpoint(sns, "token-1"), gcm_endpoint(sns, "token-2")
    topic, (subscription,) = subscribed(sns, "application", subscribed_arn)
    gcm = json.dumps({"notification": {"title": "hi"}})
    attributes = {"AWS.SNS.MOBILE.GCM.TTL": {"DataType": "String", "StringValue": "60"}}
    published = sns.publish(TopicArn=topic, MessageStructure="json", MessageAttributes=attributes,
                            Message=json.dumps({"default": "plain", "GCM": gcm}))["MessageId"]
    direct = sns.publish(TargetArn=direct_arn, Message="to the device")["MessageId"]

    (pushed,) = native(server, "platform-endpoint-messages", account, EndpointArn=subscribed_arn)
    assert (pushed["MessageId"], pushed["Message"], pushed["Token"]) == (published, gcm, "token-1")
    assert (pushed["TopicArn"], pushed["SubscriptionArn"]) == (topic, subscription)

    status, body = view(server, "platform-endpoint-messages", accountId=account, region="us-east-1")
    assert status == 200 and body["region"] == "us-east-1"
    pushes = body["platform_endpoint_messages"]
    assert set(pushes) == {subscribed_arn, direct_arn}
    assert all(set(m) == PUSH_FIELDS for m in pushes[subscribed_arn] + pushes[direct_arn])
    assert pushes[subscribed_arn] == [{
        "TargetArn": subscribed_arn, "TopicArn": topic, "Message": json.dumps(gcm), "MessageAttributes": attributes,
        "MessageStructure": "json", "Subject": None, "MessageId": published}]
    assert pushes[direct_arn] == [{
        "TargetArn": direct_arn, "TopicArn": "", "Message": "to the device", "MessageAttributes": {},
        "MessageStructure": None, "Subject": None, "MessageId": direct}]
    (delivery,) = native(server, "deliveries", account, TopicArn=topic)
    assert (delivery["Status"], delivery["Attempts"][0]["outcome"]) == ("delivered", "delivered")


def test_an_endpoint_of_another_platform_gets_the_default_message(server: Server, sns: Any, account: str) -> None:
    app_arn = sns.create_platform_application(
        Name=unique("app"), Platform="APNS", Attributes={"PlatformPrincipal": "cert", "PlatformCredential": "key"}
    )["PlatformApplicationArn"]
    arn = sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token="apns-token")["EndpointArn"]
    topic, _ = subscribed(sns, "application", arn)
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "for everyone", "GCM": "{}"}))
    sns.publish(TopicArn=topic, Message="not json")
    assert [m["Message"] for m in native(server, "platform-endpoint-messages", account, EndpointArn=arn)] == ["for everyone", "not json"]


def test_a_disabled_or_deleted_endpoint_gets_no_topic_message(server: Server, sns: Any, account: str) -> None:
    arn = gcm_endpoint(sns)
    topic, _ = subscribed(sns, "application", arn)
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    sns.publish(TopicArn=topic, Message="while disabled")
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "true"})
    sns.publish(TopicArn=topic, Message="enabled again")
    sns.delete_endpoint(EndpointArn=arn)
    sns.publish(TopicArn=topic, Message="after deletion")
    assert [m["Message"] for m in native(server, "platform-endpoint-messages", account)] == ["enabled again"]
    assert [(d["Status"], d["Attempts"][0]["outcome"]) for d in native(server, "deliveries", account, TopicArn=topic)] == [
        ("failed", "EndpointDisabled: Endpoint is disabled"),
        ("delivered", "delivered"),
        ("failed", "NotFound: Endpoint does not exist"),
    ]


def test_endpoint_messages_filter_by_arn_which_names_its_account_and_region(server: Server, sns: Any, account: str) -> None:
    wanted, other = gcm_endpoint(sns, "token-1"), gcm_endpoint(sns, "token-2")
    for arn in (wanted, other, wanted):
        sns.publish(TargetArn=arn, Message="m")
    status, body = view(server, "platform-endpoint-messages", endpointArn=wanted)  # no accountId: the ARN's
    assert status == 200 and body["region"] == "us-east-1"
    assert list(body["platform_endpoint_messages"]) == [wanted] and len(body["platform_endpoint_messages"][wanted]) == 2
    missing = wanted.rsplit("/", 1)[0] + "/" + unique()
    assert endpoint_messages(server, endpointArn=missing) == {missing: []}
    status, body = view(server, "platform-endpoint-messages", accountId=account, region="eu-west-1")
    assert (status, body) == (200, {"platform_endpoint_messages": {}, "region": "eu-west-1"})


def test_deleting_endpoint_messages_by_arn_then_all(server: Server, sns: Any, account: str) -> None:
    dropped, kept = gcm_endpoint(sns, "token-1"), gcm_endpoint(sns, "token-2")
    for arn in (dropped, kept):
        sns.publish(TargetArn=arn, Message="m")
    assert view(server, "platform-endpoint-messages", "DELETE", endpointArn=dropped) == (204, None)
    assert endpoint_messages(server, endpointArn=dropped) == {dropped: []}
    assert list(endpoint_messages(server, accountId=account)) == [kept]
    assert view(server, "platform-endpoint-messages", "DELETE", accountId=account, region="us-east-1") == (204, None)
    assert endpoint_messages(server, accountId=account) == {}
    assert native(server, "platform-endpoint-messages", account) == []


# -- the rest of the protocols, and the routes ---------------------------------------------------


def test_an_email_delivery_stays_recorded_in_the_deliveries(server: Server, sns: Any, account: str) -> None:
    topic = sns.create_topic(Name=unique())["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="someone@example.com")
    status, body = server.admin("GET", f"/_stepstack/sns/subscriptions?Account={account}&Region=us-east-1")
    (pending,) = [s for s in body["Subscriptions"] if s["TopicArn"] == topic]
    sns.confirm_subscription(TopicArn=topic, Token=pending["Token"])
    sns.publish(TopicArn=topic, Message="by mail")
    assert [(d["Protocol"], d["Status"]) for d in native(server, "deliveries", account, TopicArn=topic)] == [("email", "recorded")]
    assert sms_messages(server, accountId=account) == {} and endpoint_messages(server, accountId=account) == {}


def test_other_methods_are_refused_and_other_names_are_certificates(server: Server) -> None:
    status, body = view(server, "sms-messages", "POST")
    assert status == 405 and body["__type"] == "MethodNotAllowed"
    status, body = view(server, "platform-endpoint-messages/")  # a trailing slash is the same view
    assert status == 200 and "platform_endpoint_messages" in body
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{server.url}/_aws/sns/SimpleNotificationService-none.pem", timeout=5)
    assert (missing.value.code, missing.value.read()) == (404, b"Not Found")  # the certificate route answers


def test_a_text_straight_to_a_number_keeps_its_subject_attributes_and_sms_key(server: Server, sns: Any, account: str) -> None:
    number = "+15550100077"
    colour = {"colour": {"DataType": "String", "StringValue": "blue"}}
    sns.publish(PhoneNumber=number, Message=json.dumps({"default": "long", "sms": "short"}), MessageStructure="json",
                Subject="hi", MessageAttributes=colour)
    [text] = sms_messages(server, accountId=account, phoneNumber=number)[number]
    assert (text["Subject"], text["MessageStructure"]) == ("hi", "json")
    assert json.loads(text["Message"]) == "short"  # the sms key (JSON-encoded once more, as LocalStack shows it)
    assert text["MessageAttributes"] == colour
    with pytest.raises(ClientError) as error:
        sns.publish(PhoneNumber=number, Message="m", Subject="")
    assert error.value.response["Error"]["Message"] == "Invalid parameter: Subject"
