"""Step Functions' SQS and SNS integrations through boto3, with real queues and topics:
`sqs:sendMessage` and `sns:publish`, request-response and `.waitForTaskToken` (a worker reads
the queue and answers with SendTaskSuccess / SendTaskFailure), checked against the histories AWS
records (v2/services/test_sqs_task_service, test_sns_task_service, v2/callback/test_callback,
v2/error_handling/test_task_service_sqs), and the EXPRESS machines that must refuse callbacks
(v2/test_sfn_api_express)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import (
    ROLE,
    as_json,
    create_activity,
    details,
    error_of,
    history,
    output_of,
    run,
    start,
    unique,
    wait_for_event,
    wait_until_done,
)

SEND = "arn:aws:states:::sqs:sendMessage"
PUBLISH = "arn:aws:states:::sns:publish"


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    return own_server


@pytest.fixture(scope="module")
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


@pytest.fixture(scope="module")
def sns(server: Server) -> Any:
    return server.client("sns")


def queue(sqs: Any, fifo: bool = False) -> str:
    if fifo:
        return sqs.create_queue(QueueName=unique("q") + ".fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    return sqs.create_queue(QueueName=unique("q"))["QueueUrl"]


def task(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Start", "States": {"Start": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True, **fields}}}


def with_catch(definition: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    start_state = definition["States"]["Start"]
    del start_state["End"]
    start_state["Next"] = "Caught"
    start_state["Catch"] = [{"ErrorEquals": errors, "Next": "Caught"}]
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    return definition


def task_events(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["type"], details(e)) for e in events if e["type"].startswith("Task") and "State" not in e["type"]]


def receive(sqs: Any, url: str) -> dict[str, Any]:
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10, MessageAttributeNames=["All"]).get("Messages", [])
    assert got, "no message arrived"
    return got[0]


def check_metadata(out: dict[str, Any], content_type: str, length: int) -> None:
    request_id = out["SdkResponseMetadata"]["RequestId"]
    meta = out["SdkHttpMetadata"]
    assert meta["HttpStatusCode"] == 200
    assert list(meta["HttpHeaders"]) == ["connection", "Content-Length", "Content-Type", "Date", "x-amzn-RequestId"]
    assert meta["HttpHeaders"]["Content-Type"] == content_type
    assert meta["HttpHeaders"]["Content-Length"] == str(length)
    assert meta["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert meta["AllHttpHeaders"] == {name: [value] for name, value in meta["HttpHeaders"].items()}


# -- sqs:sendMessage ---------------------------------------------------------------------------


def test_send_message_answers_as_recorded(sfn: Any, sqs: Any) -> None:
    url = queue(sqs)
    arn, described = run(sfn, task(SEND, {"QueueUrl.$": "$.QueueUrl", "MessageBody.$": "$.MessageBody"}),
                         {"QueueUrl": url, "MessageBody": "test_message_body"})
    out = output_of(described)
    assert list(out) == ["MD5OfMessageBody", "MessageId", "SdkHttpMetadata", "SdkResponseMetadata"]
    assert out["MD5OfMessageBody"] == hashlib.md5(b"test_message_body").hexdigest()
    check_metadata(out, "application/x-amz-json-1.0", 106)  # the length AWS records for this answer
    message = receive(sqs, url)
    assert message["Body"] == "test_message_body" and message["MessageId"] == out["MessageId"]
    events = task_events(history(sfn, arn))
    assert [t for t, _ in events] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    assert json.loads(events[0][1]["parameters"]) == {"QueueUrl": url, "MessageBody": "test_message_body"}
    assert events[0][1]["resourceType"] == "sqs" and events[0][1]["resource"] == "sendMessage"


def test_send_message_json_body_and_attributes(sfn: Any, sqs: Any) -> None:
    url = queue(sqs)
    parameters = {
        "QueueUrl": url, "MessageBody": {"Message": "hi", "n": [1, 2]},
        "MessageAttributes": {"my_attribute_no_1": {"DataType": "String", "StringValue": "Hello"}},
    }
    out = output_of(run(sfn, task(SEND, parameters))[1])
    assert list(out)[:3] == ["MD5OfMessageAttributes", "MD5OfMessageBody", "MessageId"]
    assert out["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "166"  # as recorded with attributes
    message = receive(sqs, url)
    assert message["Body"] == '{"Message":"hi","n":[1,2]}'
    assert message["MessageAttributes"]["my_attribute_no_1"]["StringValue"] == "Hello"


def test_send_message_to_a_fifo_queue_has_a_sequence_number(sfn: Any, sqs: Any) -> None:
    url = queue(sqs, fifo=True)
    out = output_of(run(sfn, task(SEND, {"QueueUrl": url, "MessageBody": "m", "MessageGroupId": "g"}))[1])
    assert out["SequenceNumber"].isdigit()
    assert list(out)[-1] == "SequenceNumber"


def test_send_message_without_body_is_an_amazon_sqs_exception(sfn: Any, sqs: Any) -> None:
    url = queue(sqs)
    definition = with_catch(task(SEND, {"QueueUrl": url, "MessageBody.$": "$.MessageBody"}), ["SQS.AmazonSQSException"])
    arn, described = run(sfn, definition, {"MessageBody": None})
    out = output_of(described)
    assert out["Error"] == "SQS.AmazonSQSException"
    assert out["Cause"].startswith("The request must contain the parameter MessageBody. (Service: AmazonSQS; Status Code: 400; "
                                   "Error Code: MissingParameter; Request ID: ")
    assert out["Cause"].endswith("; Proxy: null)")
    assert [t for t, _ in task_events(history(sfn, arn))] == ["TaskScheduled", "TaskStarted", "TaskFailed"]


def test_send_message_to_an_unknown_host_is_an_sdk_client_exception(sfn: Any) -> None:
    _, described = run(sfn, task(SEND, {"QueueUrl": "http://no-such-queue-1234", "MessageBody": "x"}))
    assert described["status"] == "FAILED"
    assert described["error"] == "SQS.SdkClientException"
    assert described["cause"] == "Unable to execute HTTP request: no-such-queue-1234: Name or service not known"


def test_send_message_to_a_missing_queue(sfn: Any, server: Server) -> None:
    _, described = run(sfn, task(SEND, {"QueueUrl": f"{server.url}/000000000000/{unique('gone')}", "MessageBody": "x"}))
    assert described["error"] == "SQS.QueueDoesNotExistException"
    assert "Error Code: AWS.SimpleQueueService.NonExistentQueue" in described["cause"]


def callback_machine(url: str, **fields: Any) -> dict[str, Any]:
    parameters = {"QueueUrl": url, "MessageBody": {"Message.$": "$.Message", "TaskToken.$": "$$.Task.Token"}}
    return task(SEND + ".waitForTaskToken", parameters, **fields)


def test_wait_for_task_token_answered_by_send_task_success(sfn: Any, sqs: Any) -> None:
    url = queue(sqs)
    _, arn = start(sfn, callback_machine(url), {"Message": "test_message_txt"})
    body = json.loads(receive(sqs, url)["Body"])
    assert body["Message"] == "test_message_txt"
    sfn.send_task_success(taskToken=body["TaskToken"], output=json.dumps(body["Message"]))
    assert output_of(wait_until_done(sfn, arn)) == "test_message_txt"
    events = task_events(history(sfn, arn))
    assert [t for t, _ in events] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert events[0][1]["resource"] == "sendMessage.waitForTaskToken"
    assert json.loads(events[0][1]["parameters"])["MessageBody"]["TaskToken"] == body["TaskToken"]
    submitted = json.loads(events[2][1]["output"])
    assert list(submitted) == ["MD5OfMessageBody", "MessageId", "SdkHttpMetadata", "SdkResponseMetadata"]
    assert events[3][1] == {"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken", "output": '"test_message_txt"',
                            "outputDetails": {"truncated": False}}


def test_wait_for_task_token_answered_by_send_task_failure(sfn: Any, sqs: Any) -> None:
    url = queue(sqs)
    _, arn = start(sfn, with_catch(callback_machine(url), ["Failure error"]), {"Message": "m"})
    token = json.loads(receive(sqs, url)["Body"])["TaskToken"]
    sfn.send_task_failure(taskToken=token, error="Failure error", cause="Failure cause")
    assert output_of(wait_until_done(sfn, arn)) == {"Error": "Failure error", "Cause": "Failure cause"}
    failed = task_events(history(sfn, arn))[-1]
    assert failed == ("TaskFailed", {"error": "Failure error", "cause": "Failure cause", "resourceType": "sqs",
                                     "resource": "sendMessage.waitForTaskToken"})


def test_callback_without_heartbeat_times_out(sfn: Any, sqs: Any, server: Server) -> None:
    url = queue(sqs)
    definition = with_catch(callback_machine(url, HeartbeatSeconds=60, TimeoutSeconds=600), ["States.HeartbeatTimeout"])
    _, arn = start(sfn, definition, {"Message": "m"})
    token = json.loads(receive(sqs, url)["Body"])["TaskToken"]
    server.advance(40)
    sfn.send_task_heartbeat(taskToken=token)
    server.advance(40)  # 80 s since the start, 40 since the heartbeat: still waiting
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    server.advance(21)
    assert output_of(wait_until_done(sfn, arn)) == {"Error": "States.Timeout", "Cause": ""}
    events = task_events(history(sfn, arn))
    assert events[0][1]["heartbeatInSeconds"] == 60 and events[0][1]["timeoutInSeconds"] == 600
    assert events[-1] == ("TaskTimedOut", {"error": "States.Timeout", "resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"})
    assert error_of(sfn.send_task_success, taskToken=token, output="{}")["Code"] == "TaskTimedOut"


def test_callback_timeout_seconds(sfn: Any, sqs: Any, server: Server) -> None:
    url = queue(sqs)
    _, arn = start(sfn, callback_machine(url, TimeoutSeconds=5), {"Message": "m"})
    wait_for_event(sfn, arn, "TaskSubmitted")
    server.advance(5)
    described = wait_until_done(sfn, arn)
    assert described["status"] == "FAILED" and described["error"] == "States.Timeout"
    types = [t for t, _ in task_events(history(sfn, arn))]
    assert types == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskTimedOut"]


# -- sns:publish -------------------------------------------------------------------------------


def subscribed_topic(sns: Any, sqs: Any, fifo: bool = False) -> tuple[str, str]:
    """A topic with a raw-less SQS subscription: (topic ARN, queue URL)."""
    name = unique("t") + (".fifo" if fifo else "")
    attributes = {"FifoTopic": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    topic = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    url = queue(sqs, fifo=fifo)
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, url


def test_publish_delivers_a_json_message(sfn: Any, sns: Any, sqs: Any) -> None:
    topic, url = subscribed_topic(sns, sqs)
    parameters = {
        "TopicArn": topic, "Message": {"Message": "HelloWorld!"}, "Subject": "s",
        "MessageAttributes": {"Version": {"DataType": "String", "StringValue": "string value literal"}},
    }
    arn, described = run(sfn, task(PUBLISH, parameters))
    out = output_of(described)
    assert list(out) == ["MessageId", "SdkHttpMetadata", "SdkResponseMetadata"]
    check_metadata(out, "text/xml", 294)  # the length AWS records for this answer
    envelope = json.loads(receive(sqs, url)["Body"])
    assert envelope["Type"] == "Notification" and envelope["MessageId"] == out["MessageId"]
    assert envelope["Message"] == '{"Message":"HelloWorld!"}' and envelope["Subject"] == "s"
    assert envelope["MessageAttributes"] == {"Version": {"Type": "String", "Value": "string value literal"}}
    events = task_events(history(sfn, arn))
    assert [t for t, _ in events] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    assert events[0][1]["resourceType"] == "sns" and events[0][1]["resource"] == "publish"


@pytest.mark.parametrize(("message", "delivered"), [("HelloWorld", "HelloWorld"), ('"HelloWorld"', '"HelloWorld"'), (1, "1"), (True, "true")])
def test_publish_message_values(sfn: Any, sns: Any, sqs: Any, message: Any, delivered: str) -> None:
    topic, url = subscribed_topic(sns, sqs)
    output_of(run(sfn, task(PUBLISH, {"TopicArn": topic, "Message": message}))[1])
    assert json.loads(receive(sqs, url)["Body"])["Message"] == delivered


def test_publish_to_a_missing_topic_is_not_found(sfn: Any) -> None:
    topic = f"arn:aws:sns:us-east-1:000000000000:{unique('gone')}"
    _, described = run(sfn, task(PUBLISH, {"TopicArn": topic, "Message": {"Message": "HelloWorld!"}}))
    assert described["error"] == "SNS.NotFoundException"
    assert described["cause"].startswith("Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: ")


def test_publish_to_a_fifo_topic(sfn: Any, sns: Any, sqs: Any) -> None:
    topic, _ = subscribed_topic(sns, sqs, fifo=True)
    _, described = run(sfn, task(PUBLISH, {"TopicArn": topic, "Message": {"Message": "HelloWorld!"}}))
    assert described["error"] == "SNS.InvalidParameterException"
    assert described["cause"].startswith("Invalid parameter: The MessageGroupId parameter is required for FIFO topics "
                                         "(Service: AmazonSNS; Status Code: 400; Error Code: InvalidParameter; ")
    parameters = {"TopicArn": topic, "Message": {"Message": "HelloWorld!"}, "MessageGroupId": "a-group", "MessageDeduplicationId": "dedup-1"}
    out = output_of(run(sfn, task(PUBLISH, parameters))[1])
    assert list(out) == ["MessageId", "SdkHttpMetadata", "SdkResponseMetadata", "SequenceNumber"]
    assert out["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "352"


def test_publish_wait_for_task_token(sfn: Any, sns: Any, sqs: Any) -> None:
    topic, url = subscribed_topic(sns, sqs)
    parameters = {"TopicArn": topic, "Message": {"arg1.$": "$.body.arg1", "TaskToken.$": "$$.Task.Token"}}
    _, arn = start(sfn, task(PUBLISH + ".waitForTaskToken", parameters), {"body": {"arg1": "Hello"}})
    message = json.loads(json.loads(receive(sqs, url)["Body"])["Message"])
    assert message["arg1"] == "Hello"
    sfn.send_task_success(taskToken=message["TaskToken"], output="{}")
    assert output_of(wait_until_done(sfn, arn)) == {}
    events = task_events(history(sfn, arn))
    assert [t for t, _ in events] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert events[2][1]["resource"] == "publish.waitForTaskToken"
    assert list(json.loads(events[2][1]["output"])) == ["MessageId", "SdkHttpMetadata", "SdkResponseMetadata"]


# -- EXPRESS machines refuse callbacks ---------------------------------------------------------


def express_error(sfn: Any, definition: dict[str, Any]) -> dict[str, Any]:
    return error_of(sfn.create_state_machine, name=unique("ex"), definition=as_json(definition), roleArn=ROLE, type="EXPRESS")


def test_express_machine_refuses_wait_for_task_token(sfn: Any) -> None:
    definition = {"StartAt": "Publish", "States": {"Publish": {"Type": "Task", "Resource": PUBLISH + ".waitForTaskToken",
                                                               "Parameters": {"TopicArn": "t", "Message": "m"}, "End": True}}}
    error = express_error(sfn, definition)
    assert error["Code"] == "InvalidDefinition"
    assert error["Message"] == ("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support "
                                "'.waitForTaskToken' service integration  at /States/Publish/Resource'")


def test_express_machine_refuses_sync(sfn: Any) -> None:
    definition = {"StartAt": "StartExecution", "States": {"StartExecution": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "Parameters": {"StateMachineArn": "x"}, "End": True}}}
    assert express_error(sfn, definition)["Message"] == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service "
        "integration at /States/StartExecution/Resource'"
    )


def test_express_machine_refuses_activities(sfn: Any) -> None:
    definition = {"StartAt": "ActivityTask", "States": {"ActivityTask": {"Type": "Task", "Resource": create_activity(sfn), "End": True}}}
    assert express_error(sfn, definition)["Message"] == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN "
        "at /States/ActivityTask/Resource'"
    )


def test_standard_machine_takes_callbacks_and_express_takes_request_response(sfn: Any) -> None:
    callback = {"StartAt": "P", "States": {"P": {"Type": "Task", "Resource": PUBLISH + ".waitForTaskToken",
                                                 "Parameters": {"TopicArn": "t", "Message": "m"}, "End": True}}}
    sfn.create_state_machine(name=unique("st"), definition=json.dumps(callback), roleArn=ROLE, type="STANDARD")
    callback["States"]["P"]["Resource"] = PUBLISH
    sfn.create_state_machine(name=unique("ex"), definition=json.dumps(callback), roleArn=ROLE, type="EXPRESS")


def test_express_machine_refuses_callbacks_inside_branches_and_iterations(sfn: Any) -> None:
    def inner(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": SEND + ".waitForTaskToken",
                                                   "Parameters": {"QueueUrl": "q", "MessageBody": "m"}, "End": True}}}

    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [inner("A")], "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": inner("B"), "End": True},
    }}
    message = express_error(sfn, definition)["Message"]
    assert "at /States/P/Branches[0]/States/A/Resource" in message
    assert "at /States/M/ItemProcessor/States/B/Resource" in message


def test_a_callback_waiting_when_snapshotted_is_answered_after_the_restore() -> None:
    """The task token survives a snapshot: the worker that read it before answers after the restore,
    and the message is not sent again."""
    from tests.inprocess import InProcess

    first = InProcess(seed=11)
    try:
        url = first.sqs("CreateQueue", QueueName="callbacks")["QueueUrl"]
        definition = {"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
            "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
        }}}
        machine = first.sfn("CreateStateMachine", name="m", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        arn = first.sfn("StartExecution", stateMachineArn=machine, name="run")["executionArn"]
        first.settle()
        token = json.loads(first.sqs("ReceiveMessage", QueueUrl=url)["Messages"][0]["Body"])["token"]
        snapshot = json.loads(json.dumps(first.dispatcher.snapshot()))
    finally:
        first.close()
    resumed = InProcess(seed=12)
    try:
        resumed.run(resumed.dispatcher.restore(snapshot))
        resumed.settle()
        resumed.sfn("SendTaskSuccess", taskToken=token, output='{"answer": 42}')
        resumed.settle()
        described = resumed.sfn("DescribeExecution", executionArn=arn)
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"answer": 42}
        types = [e["type"] for e in resumed.sfn("GetExecutionHistory", executionArn=arn)["events"]]
        assert types.count("TaskSubmitted") == 1 and types.count("TaskScheduled") == 1
        attributes = resumed.sqs("GetQueueAttributes", QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        assert sum(int(v) for v in attributes["Attributes"].values()) == 1  # sent once, before the snapshot
    finally:
        resumed.close()


def test_a_callback_failed_without_error_or_cause_is_caught_with_nulls(sfn: Any, sqs: Any) -> None:
    # recorded on AWS (v2/callback test_sqs_failure_in_wait_for_task_tok_no_error_field): the
    # TaskFailed event names neither, and a Catch on States.ALL reads {"Error": null, "Cause": null}
    url = sqs.create_queue(QueueName=unique("no-error"))["QueueUrl"]
    definition = {"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}], "End": True},
        "Done": {"Type": "Pass", "End": True},
    }}
    _, arn = start(sfn, definition, {})
    token = json.loads(receive(sqs, url)["Body"])["token"]
    sfn.send_task_failure(taskToken=token)
    done = wait_until_done(sfn, arn)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"caught": {"Error": None, "Cause": None}}
    failed = [e for e in history(sfn, arn) if e["type"] == "TaskFailed"]
    assert set(details(failed[0])) == {"resource", "resourceType"}
