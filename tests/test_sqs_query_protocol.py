"""SQS over the Query protocol (Java v1, Go v1 and other older SDKs).

Requests are the form-encoded examples of the SQS API reference; responses are
checked against the XML shapes that reference shows. The same handlers serve
both protocols, so what the query parser recovers must equal what boto3's JSON
requests carry.
"""

from __future__ import annotations

import http.client
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

import pytest
import xmltodict

from protocols import HttpRequest, Router, all_specs
from services.sqs.errors import QueueDoesNotExist, TooManyEntriesInBatchRequest
from tests.raw_http import FORM, RawResponse, send
from tests.sqs_helpers import unique_name

ROUTER = Router(all_specs())
HOST = "sqs.us-east-2.amazonaws.com"
QUEUE_PATH = "/123456789012/MyQueue"
AUTH = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-2/sqs/aws4_request, SignedHeaders=host, Signature=0"


def form_request(body: str, path: str = QUEUE_PATH, query: str = "", method: str = "POST") -> HttpRequest:
    headers = {"host": HOST, "content-type": "application/x-www-form-urlencoded", "authorization": AUTH}
    return HttpRequest(method, path, path, query, headers, body.encode())


def parse(request: HttpRequest) -> tuple[str, dict]:
    route = ROUTER.route(request)
    assert route.spec.name == "sqs" and route.protocol.name == "query"
    return route.operation.name, route.protocol.parse(request, route.operation, **route.extra)


def test_send_message_example_with_message_attributes() -> None:
    body = (
        "Action=SendMessage&MessageBody=This+is+a+test+message"
        "&MessageAttribute.1.Name=my_attribute_name_1&MessageAttribute.1.Value.StringValue=my_attribute_value_1"
        "&MessageAttribute.1.Value.DataType=String"
        "&MessageAttribute.2.Name=my_attribute_name_2&MessageAttribute.2.Value.BinaryValue=AQID"
        "&MessageAttribute.2.Value.DataType=Binary"
        "&Expires=2020-05-05T22%3A52%3A43PST&Version=2012-11-05"
    )
    operation, params = parse(form_request(body))
    assert operation == "SendMessage"
    assert params == {
        "QueueUrl": f"http://{HOST}{QUEUE_PATH}",  # a Query request names its queue by its URL
        "MessageBody": "This is a test message",
        "MessageAttributes": {
            "my_attribute_name_1": {"StringValue": "my_attribute_value_1", "DataType": "String"},
            "my_attribute_name_2": {"BinaryValue": b"\x01\x02\x03", "DataType": "Binary"},
        },
    }


def test_explicit_queue_url_wins_over_the_request_path() -> None:
    body = "Action=DeleteQueue&QueueUrl=https%3A%2F%2Fsqs.us-east-2.amazonaws.com%2F123456789012%2FOther&Version=2012-11-05"
    _, params = parse(form_request(body))
    assert params == {"QueueUrl": "https://sqs.us-east-2.amazonaws.com/123456789012/Other"}


def test_receive_message_example_with_attribute_names() -> None:
    query = "Action=ReceiveMessage&MaxNumberOfMessages=5&VisibilityTimeout=15&AttributeName=All&Version=2012-11-05"
    body = "AttributeName.1=SenderId&AttributeName.2=SentTimestamp&MessageAttributeName.1=color&WaitTimeSeconds=20"
    operation, params = parse(form_request(body, query=query))
    assert operation == "ReceiveMessage"
    assert params["MaxNumberOfMessages"] == 5 and params["VisibilityTimeout"] == 15 and params["WaitTimeSeconds"] == 20
    assert params["AttributeNames"] == ["SenderId", "SentTimestamp"]
    assert params["MessageAttributeNames"] == ["color"]


def test_get_request_with_action_in_the_query_string() -> None:
    query = "Action=GetQueueAttributes&AttributeName.1=All&Version=2012-11-05"
    operation, params = parse(form_request("", query=query, method="GET"))
    assert operation == "GetQueueAttributes"
    assert params == {"QueueUrl": f"http://{HOST}{QUEUE_PATH}", "AttributeNames": ["All"]}


def test_create_queue_example_with_attributes_and_tags() -> None:
    body = (
        "Action=CreateQueue&QueueName=MyQueue&Attribute.1.Name=DelaySeconds&Attribute.1.Value=45"
        "&Attribute.2.Name=VisibilityTimeout&Attribute.2.Value=60"
        "&Tag.1.Key=QueueType&Tag.1.Value=Production&Version=2012-11-05"
    )
    operation, params = parse(form_request(body, path="/"))
    assert operation == "CreateQueue"
    assert params == {
        "QueueName": "MyQueue",
        "Attributes": {"DelaySeconds": "45", "VisibilityTimeout": "60"},
        "tags": {"QueueType": "Production"},
    }


def test_send_message_batch_example_keeps_entry_order() -> None:
    body = (
        "Action=SendMessageBatch"
        "&SendMessageBatchRequestEntry.2.Id=test_msg_002&SendMessageBatchRequestEntry.2.MessageBody=test%20message%20body%202"
        "&SendMessageBatchRequestEntry.2.DelaySeconds=60"
        "&SendMessageBatchRequestEntry.1.Id=test_msg_001&SendMessageBatchRequestEntry.1.MessageBody=test%20message%20body%201"
        "&Version=2012-11-05"
    )
    _, params = parse(form_request(body))
    assert params["Entries"] == [
        {"Id": "test_msg_001", "MessageBody": "test message body 1"},
        {"Id": "test_msg_002", "MessageBody": "test message body 2", "DelaySeconds": 60},
    ]


def test_tag_and_untag_queue_examples() -> None:
    _, tags = parse(form_request("Action=TagQueue&Tag.1.Key=QueueType&Tag.1.Value=Production&Version=2012-11-05"))
    assert tags["Tags"] == {"QueueType": "Production"}
    _, untag = parse(form_request("Action=UntagQueue&TagKey.1=QueueType&TagKey.2=Owner&Version=2012-11-05"))
    assert untag["TagKeys"] == ["QueueType", "Owner"]


def test_add_permission_example() -> None:
    body = (
        "Action=AddPermission&Label=MyLabel&AWSAccountId.1=177715257436&AWSAccountId.2=111111111111"
        "&ActionName.1=SendMessage&ActionName.2=ReceiveMessage&Version=2012-11-05"
    )
    _, params = parse(form_request(body))
    assert params["AWSAccountIds"] == ["177715257436", "111111111111"]
    assert params["Actions"] == ["SendMessage", "ReceiveMessage"]


def test_wrong_type_is_invalid_parameter_value() -> None:
    request = form_request("Action=SendMessage&MessageBody=x&DelaySeconds=soon&Version=2012-11-05")
    route = ROUTER.route(request)
    with pytest.raises(Exception) as caught:
        route.protocol.parse(request, route.operation, **route.extra)
    assert caught.value.wire_code == "InvalidParameterValue"
    assert "DelaySeconds" in caught.value.message


def test_missing_required_member_is_missing_parameter() -> None:
    request = form_request("Action=CreateQueue&Version=2012-11-05", path="/")
    route = ROUTER.route(request)
    with pytest.raises(Exception) as caught:
        route.protocol.parse(request, route.operation, **route.extra)
    assert caught.value.wire_code == "MissingParameter"
    assert caught.value.message == "The request must contain the parameter QueueName."


def _xml(operation: str, result: dict) -> dict:
    request = form_request(f"Action={operation}&Version=2012-11-05")
    route = ROUTER.route(request)
    response = route.protocol.serialize(route.operation, result, "27daac76-34dd-47df-bd01-1f6e873584a0")
    assert response.status == 200 and response.content_type == "text/xml"
    return xmltodict.parse(response.body)


def test_send_message_response_matches_the_reference() -> None:
    doc = _xml("SendMessage", {
        "MD5OfMessageBody": "fafb00f5732ab283681e124bf8747ed1",
        "MD5OfMessageAttributes": "3ae8f24a165a8cedc005670c81a27295",
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
    })
    response = doc["SendMessageResponse"]
    assert response["@xmlns"] == "http://queue.amazonaws.com/doc/2012-11-05/"
    assert response["SendMessageResult"] == {
        "MD5OfMessageBody": "fafb00f5732ab283681e124bf8747ed1",
        "MD5OfMessageAttributes": "3ae8f24a165a8cedc005670c81a27295",
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
    }
    assert response["ResponseMetadata"] == {"RequestId": "27daac76-34dd-47df-bd01-1f6e873584a0"}


def test_receive_message_response_uses_flattened_message_and_attribute_elements() -> None:
    doc = _xml("ReceiveMessage", {"Messages": [{
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
        "ReceiptHandle": "MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+CwLj1FjgXUv1uSj1gUPAWV66FU/WeR4mq2OKpEGYWbnLmpRCJVAyeMjeU5ZBdtcQ+QEauMZc8ZRv37sIW2iJKq3M9MFx1YvV11A2x/KSbkJ0=",
        "MD5OfBody": "fafb00f5732ab283681e124bf8747ed1",
        "Body": "This is a test message",
        "Attributes": {"SenderId": "195004372649", "SentTimestamp": "1238099229000"},
        "MessageAttributes": {"color": {"StringValue": "red", "DataType": "String"}},
    }]})
    message = doc["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]
    assert message["Body"] == "This is a test message"
    assert message["Attribute"] == [
        {"Name": "SenderId", "Value": "195004372649"},
        {"Name": "SentTimestamp", "Value": "1238099229000"},
    ]
    assert message["MessageAttribute"] == {"Name": "color", "Value": {"StringValue": "red", "DataType": "String"}}


def test_list_queues_and_get_queue_attributes_responses() -> None:
    urls = ["https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue", "https://sqs.us-east-2.amazonaws.com/123456789012/Other"]
    listed = _xml("ListQueues", {"QueueUrls": urls})["ListQueuesResponse"]["ListQueuesResult"]
    assert listed == {"QueueUrl": urls}
    attrs = _xml("GetQueueAttributes", {"Attributes": {"ReceiveMessageWaitTimeSeconds": "2"}})
    result = attrs["GetQueueAttributesResponse"]["GetQueueAttributesResult"]
    assert result == {"Attribute": {"Name": "ReceiveMessageWaitTimeSeconds", "Value": "2"}}


def test_send_message_batch_response_lists_successes_and_failures() -> None:
    doc = _xml("SendMessageBatch", {
        "Successful": [{"Id": "test_msg_001", "MessageId": "0a5231c7", "MD5OfMessageBody": "0e024d30"}],
        "Failed": [{"Id": "test_msg_002", "SenderFault": True, "Code": "InvalidParameterValue", "Message": "bad"}],
    })
    result = doc["SendMessageBatchResponse"]["SendMessageBatchResult"]
    assert result["SendMessageBatchResultEntry"] == {"Id": "test_msg_001", "MessageId": "0a5231c7", "MD5OfMessageBody": "0e024d30"}
    assert result["BatchResultErrorEntry"]["SenderFault"] == "true"


def test_message_body_is_escaped_in_xml() -> None:
    request = form_request("Action=ReceiveMessage&Version=2012-11-05")
    route = ROUTER.route(request)
    body = "<a href=\"x\">&amp;</a>\r\n"
    response = route.protocol.serialize(route.operation, {"Messages": [{"Body": body}]}, "rid")
    assert b"&lt;a href=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt;&#xD;\n" in response.body
    doc = xmltodict.parse(response.body, strip_whitespace=False)
    assert doc["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]["Body"] == body


def test_characters_xml_cannot_carry_become_replacement_characters() -> None:
    from protocols.writers import xml_escape

    assert xml_escape("a\x00b\x1fc\td\ne") == "a\ufffdb\ufffdc\td\ne"


def test_error_response_uses_the_legacy_code() -> None:
    route = ROUTER.route(form_request("Action=GetQueueUrl&QueueName=nope&Version=2012-11-05", path="/"))
    response = route.protocol.serialize_error(QueueDoesNotExist("The specified queue does not exist."), "rid-1")
    error = xmltodict.parse(response.body)["ErrorResponse"]
    assert response.status == 400
    assert error["Error"] == {
        "Type": "Sender",
        "Code": "AWS.SimpleQueueService.NonExistentQueue",
        "Message": "The specified queue does not exist.",
    }
    assert error["RequestId"] == "rid-1"
    batch = route.protocol.serialize_error(TooManyEntriesInBatchRequest("too many"), "rid-2")
    assert xmltodict.parse(batch.body)["ErrorResponse"]["Error"]["Code"] == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"


def test_query_request_reaches_the_server_and_answers_xml(server) -> None:
    """End to end: a raw Query request to a queue URL gets an XML answer with a request id."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    body = urlencode({"Action": "SendMessage", "MessageBody": "hello", "Version": "2012-11-05"})
    connection.request("POST", "/000000000000/MyQueue", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    payload = response.read()
    assert response.getheader("x-amzn-RequestId")
    assert response.getheader("Content-Type") == "text/xml"
    error = xmltodict.parse(payload)["ErrorResponse"]
    assert error["@xmlns"] == "http://queue.amazonaws.com/doc/2012-11-05/"
    assert response.status == 400
    assert error["Error"] == {
        "Type": "Sender",
        "Code": "AWS.SimpleQueueService.NonExistentQueue",
        "Message": "The specified queue does not exist.",
    }


def test_query_timestamps_are_iso8601_with_milliseconds() -> None:
    from protocols.writers import iso8601

    assert iso8601(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)) == "2026-01-02T03:04:05.678Z"
    assert iso8601(0) == "1970-01-01T00:00:00.000Z"


# -- both key spellings, and unknown keys, against the real server ----------------------
# SDKs generated from the JSON model (aws-sdk-java-v2) name flattened maps by the
# member (`Attributes.1.Name`), the SQS Query reference by the entry (`Attribute.1.Name`).


def _query(server, path: str, action: str, *pairs: tuple[str, str]) -> RawResponse:
    body = urlencode([("Action", action), *pairs, ("Version", "2012-11-05")])
    return send(server.host, server.port, "POST", path, body, FORM)


def _result(response: RawResponse, action: str) -> dict:
    assert response.status == 200, response.body
    return xmltodict.parse(response.body)[f"{action}Response"].get(f"{action}Result") or {}  # none: no output


def _create_queue(server, *pairs: tuple[str, str]) -> str:
    """Create a queue over Query; return its URL's path (where later Query requests go)."""
    response = _query(server, "/", "CreateQueue", ("QueueName", unique_name("query")), *pairs)
    return urlsplit(_result(response, "CreateQueue")["QueueUrl"]).path


def _server_url(server, path: str) -> str:
    return f"http://{server.host}:{server.port}{path}"


@pytest.mark.parametrize("spelling", ["Attribute", "Attributes"])
def test_create_queue_attributes_in_either_spelling(server, clients, spelling: str) -> None:
    path = _create_queue(server, (f"{spelling}.1.Name", "VisibilityTimeout"), (f"{spelling}.1.Value", "45"))
    answer = _result(_query(server, path, "GetQueueAttributes", ("AttributeName.1", "VisibilityTimeout")), "GetQueueAttributes")
    assert answer["Attribute"] == {"Name": "VisibilityTimeout", "Value": "45"}
    attributes = clients("sqs").get_queue_attributes(QueueUrl=_server_url(server, path), AttributeNames=["VisibilityTimeout"])
    assert attributes["Attributes"] == {"VisibilityTimeout": "45"}


@pytest.mark.parametrize("spelling", ["Tag", "Tags"])
def test_create_queue_and_tag_queue_tags_in_either_spelling(server, clients, spelling: str) -> None:
    path = _create_queue(server, (f"{spelling}.1.Key", "team"), (f"{spelling}.1.Value", "orders"))
    _result(_query(server, path, "TagQueue", (f"{spelling}.1.Key", "env"), (f"{spelling}.1.Value", "test")), "TagQueue")
    tags = clients("sqs").list_queue_tags(QueueUrl=_server_url(server, path))["Tags"]
    assert tags == {"team": "orders", "env": "test"}


@pytest.mark.parametrize("spelling", ["MessageAttribute", "MessageAttributes"])
def test_send_message_attributes_in_either_spelling_are_received(server, clients, spelling: str) -> None:
    path = _create_queue(server)
    sent = _result(_query(
        server, path, "SendMessage", ("MessageBody", "hello"),
        (f"{spelling}.1.Name", "colour"), (f"{spelling}.1.Value.DataType", "String"),
        (f"{spelling}.1.Value.StringValue", "red"),
        (f"{spelling}.2.Name", "count"), (f"{spelling}.2.Value.DataType", "Number"),
        (f"{spelling}.2.Value.StringValue", "3"),
    ), "SendMessage")
    assert sent["MD5OfMessageAttributes"]
    received = clients("sqs").receive_message(QueueUrl=_server_url(server, path), MessageAttributeNames=["All"])
    (message,) = received["Messages"]
    assert message["Body"] == "hello"
    assert message["MessageAttributes"] == {
        "colour": {"DataType": "String", "StringValue": "red"},
        "count": {"DataType": "Number", "StringValue": "3"},
    }
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


@pytest.mark.parametrize("spelling", ["MessageSystemAttribute", "MessageSystemAttributes"])
def test_send_message_system_attributes_in_either_spelling(server, clients, spelling: str) -> None:
    path = _create_queue(server)
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    _result(_query(
        server, path, "SendMessage", ("MessageBody", "traced"),
        (f"{spelling}.1.Name", "AWSTraceHeader"), (f"{spelling}.1.Value.DataType", "String"),
        (f"{spelling}.1.Value.StringValue", trace),
    ), "SendMessage")
    received = clients("sqs").receive_message(QueueUrl=_server_url(server, path), MessageSystemAttributeNames=["AWSTraceHeader"])
    assert received["Messages"][0]["Attributes"] == {"AWSTraceHeader": trace}


def test_unknown_query_parameter_gets_invalid_query_parameter(server) -> None:
    path = _create_queue(server)
    response = _query(server, path, "SendMessage", ("MessageBody", "x"), ("MessageBodyy", "y"))
    assert response.status == 400
    assert response.header("content-type") == "text/xml"
    assert response.xml_error() == {
        "Type": "Sender",
        "Code": "InvalidQueryParameter",
        "Message": "The query parameter MessageBodyy is invalid.",
    }
    nested = _query(server, "/", "CreateQueue", ("QueueName", unique_name()), ("Attribute.1.Name", "DelaySeconds"),
                    ("Attribute.1.Value", "1"), ("Attribute.1.Type", "Number"))
    assert (nested.status, nested.xml_error()["Code"]) == (400, "InvalidQueryParameter")
    assert nested.xml_error()["Message"] == "The query parameter Attribute.1.Type is invalid."


def test_unknown_query_parameter_changes_nothing(server, clients) -> None:
    name = unique_name("untouched")
    response = _query(server, "/", "CreateQueue", ("QueueName", name), ("DefaultVisibilityTimeout", "40"))
    assert (response.status, response.xml_error()["Code"]) == (400, "InvalidQueryParameter")
    assert not clients("sqs").list_queues(QueueNamePrefix=name).get("QueueUrls")


def test_sigv2_and_presigned_query_keys_are_accepted(server, clients) -> None:
    path = _create_queue(server)
    auth = [
        ("AWSAccessKeyId", "AKIDEXAMPLE"), ("SignatureMethod", "HmacSHA256"), ("SignatureVersion", "2"),
        ("Timestamp", "2026-01-01T00:00:00Z"), ("Signature", "c2lnbmF0dXJl"),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Date", "20260101T000000Z"), ("X-Amz-Expires", "900"),
        ("X-Amz-SignedHeaders", "host"), ("X-Amz-Signature", "0"),
    ]
    _result(_query(server, path, "SendMessage", ("MessageBody", "signed"), *auth), "SendMessage")
    received = clients("sqs").receive_message(QueueUrl=_server_url(server, path))
    assert received["Messages"][0]["Body"] == "signed"


def test_sns_query_unknown_parameter_gets_invalid_query_parameter(server) -> None:
    body = urlencode({"Action": "CreateTopic", "Name": "t", "Colour": "red", "Version": "2010-03-31"})
    response = send(server.host, server.port, "POST", "/", body, FORM)
    assert response.status == 400
    assert response.xml_error() == {
        "Type": "Sender",
        "Code": "InvalidQueryParameter",
        "Message": "The query parameter Colour is invalid.",
    }


def test_sns_query_request_with_known_keys_is_still_routed(server) -> None:
    body = urlencode({"Action": "CreateTopic", "Name": "t", "Attributes.entry.1.key": "DisplayName",
                      "Attributes.entry.1.value": "T", "Version": "2010-03-31"})
    response = send(server.host, server.port, "POST", "/", body, FORM)
    assert response.header("content-type") == "text/xml"
    assert response.status == 200, response.body  # parsed, routed to SNS's CreateTopic, answered in its protocol
    assert b"<TopicArn>arn:aws:sns:us-east-1:000000000000:t</TopicArn>" in response.body
