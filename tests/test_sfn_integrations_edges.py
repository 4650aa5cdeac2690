"""Edges of the Step Functions service integrations: hostile parameters end an execution with a
proper States error (never stepstack's own failure), callbacks racing the call, retries (a new
token per attempt), and stopping an execution whose task waits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import ROLE, create_machine, details, error_of, history, run, start, unique, wait_for_event, wait_until_done

OURS = "stepstack failed to run this execution"


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    return own_server  # the timeout tests move this server's clock


@pytest.fixture(scope="module")
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def one_task(resource: str, fields: dict[str, Any], jsonata: bool = False) -> dict[str, Any]:
    machine: dict[str, Any] = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}}
    if jsonata:
        machine["QueryLanguage"] = "JSONata"
    return machine


def failed_properly(described: dict[str, Any]) -> tuple[str, str]:
    assert described["status"] == "FAILED", described
    assert OURS not in described.get("cause", ""), described
    return described.get("error", ""), described.get("cause", "")


HOSTILE = [
    ("arn:aws:states:::sqs:sendMessage", {"Arguments": "{% 5 %}"}, True),
    ("arn:aws:states:::sqs:sendMessage", {"Arguments": "{% [1,2] %}"}, True),
    ("arn:aws:states:::sqs:sendMessage", {"Parameters": {"QueueUrl": 5, "MessageBody": "x"}}, False),
    ("arn:aws:states:::sqs:sendMessage", {"Parameters": {"QueueUrl": "http://h/000000000000/q", "MessageBody": "x", "DelaySeconds": "abc"}}, False),
    ("arn:aws:states:::sqs:sendMessage", {"Parameters": {"QueueUrl": "http://h/000000000000/q", "MessageBody": "x", "DelaySeconds": 10 ** 30}}, False),
    ("arn:aws:states:::sqs:sendMessage", {"Parameters": {"QueueUrl": "http://h/000000000000/q", "MessageBody": "x", "MessageAttributes": "x"}}, False),
    ("arn:aws:states:::sqs:sendMessage", {"Parameters": {"QueueUrl": ["a"], "MessageBody": "x"}}, False),
    ("arn:aws:states:::sqs:sendMessage", {"Parameters": {"QueueUrl": "http://[no-url/000000000000/q", "MessageBody": "x"}}, False),
    ("arn:aws:states:::sns:publish", {"Arguments": "{% 5 %}"}, True),
    ("arn:aws:states:::sns:publish", {"Parameters": {"TopicArn": {"a": 1}, "Message": "x"}}, False),
    ("arn:aws:states:::sns:publish", {"Parameters": {"TopicArn": "arn:aws:sns:us-east-1:000000000000:t", "Message": "x", "MessageAttributes": [1]}}, False),
    ("arn:aws:states:::lambda:invoke", {"Arguments": "{% 5 %}"}, True),
    ("arn:aws:states:::lambda:invoke", {"Parameters": {"FunctionName": 5}}, False),
    ("arn:aws:states:::lambda:invoke", {"Parameters": {"FunctionName": "f", "Payload": "not json"}}, False),
    ("arn:aws:states:::lambda:invoke", {"Parameters": {"FunctionName": "f", "InvocationType": 7}}, False),
    ("arn:aws:states:::lambda:invoke", {"Parameters": {"FunctionName": "f", "ClientContext": {"a": 1}}}, False),
    ("arn:aws:states:::lambda:invoke", {"Parameters": {"FunctionName": "f", "Nope": 1}}, False),
    ("arn:aws:states:::states:startExecution", {"Arguments": "{% 5 %}"}, True),
    ("arn:aws:states:::states:startExecution", {"Parameters": {"StateMachineArn": 5}}, False),
    ("arn:aws:states:::states:startExecution", {"Parameters": {"StateMachineArn": None}}, False),
    ("arn:aws:states:::states:startExecution.sync", {"Parameters": {"StateMachineArn": ["x"]}}, False),
    ("arn:aws:states:::states:startExecution.sync:2", {"Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope", "Input": "not json"}}, False),
    ("arn:aws:states:::batch:submitJob", {"Arguments": "{% 5 %}"}, True),
    ("arn:aws:states:::batch:submitJob.sync", {"Parameters": {"JobName": 5, "JobQueue": [1], "JobDefinition": {"a": 1}}}, False),
    ("arn:aws:states:::batch:submitJob", {"Parameters": {"JobName": "j", "JobQueue": "q", "JobDefinition": "d", "ContainerOverrides": "x"}}, False),
    ("arn:aws:states:::batch:submitJob", {"Parameters": {"JobName": "j", "JobQueue": "q", "JobDefinition": "d", "Timeout": {"AttemptDurationSeconds": "x"}}}, False),
    ("arn:aws:states:::aws-sdk:sqs:getQueueAttributes", {"Arguments": "{% 5 %}"}, True),
    ("arn:aws:states:::aws-sdk:sqs:getQueueAttributes", {"Parameters": {"QueueUrl": 5, "AttributeNames": "All"}}, False),
    ("arn:aws:states:::aws-sdk:sqs:sendMessage", {"Parameters": {"QueueUrl": "http://h/000000000000/q", "MessageBody": "x", "DelaySeconds": 10 ** 30}}, False),
    ("arn:aws:states:::aws-sdk:sfn:describeExecution", {"Parameters": {"ExecutionArn": {"x": [None]}}}, False),
    ("arn:aws:states:::aws-sdk:lambda:invoke", {"Parameters": {"FunctionName": "nope", "Payload": {"a": 1}, "InvocationType": ["x"]}}, False),
    ("arn:aws:states:::aws-sdk:cloudwatchlogs:putLogEvents", {"Parameters": {"LogGroupName": "g", "LogStreamName": "s", "LogEvents": [{"Timestamp": "x", "Message": 5}]}}, False),
    ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {"Parameters": {"QueueUrl": None, "MessageBody.$": "$$.Task.Token"}}, False),
    ("arn:aws:states:::lambda:invoke.waitForTaskToken", {"Parameters": {"FunctionName": None, "Payload.$": "$$.Task.Token"}}, False),
]


@pytest.mark.parametrize(("resource", "fields", "jsonata"), HOSTILE)
def test_hostile_parameters_fail_with_a_states_error(sfn: Any, resource: str, fields: dict[str, Any], jsonata: bool) -> None:
    _, described = run(sfn, one_task(resource, fields, jsonata))
    error, _ = failed_properly(described)
    assert error.startswith(("SQS.", "SNS.", "Lambda.", "StepFunctions.", "Batch.", "States.", "Sqs.", "Sfn.", "Sns.", "CloudWatchLogs.")), described



# -- TimeoutSecondsPath / HeartbeatSecondsPath ------------------------------------------------


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def receive_body(sqs: Any, url: str) -> dict[str, Any]:
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    assert messages, "no message"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    return json.loads(messages[0]["Body"])


def callback_task(url: str, **fields: Any) -> dict[str, Any]:
    parameters = {"QueueUrl": url, "MessageBody": {"Message.$": "$.Message", "TaskToken.$": "$$.Task.Token"}}
    return one_task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {"Parameters": parameters, **fields})


def test_heartbeat_seconds_path_reads_the_state_input_not_the_parameters(sfn: Any, sqs: Any) -> None:
    """Recorded (v2/callback test_multiple_heartbeat_notifications): the path names a field of the
    state's input that Parameters does not pass on."""
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = callback_task(url, TimeoutSeconds=600, HeartbeatSecondsPath="$.HeartbeatSecondsPath")
    _, arn = start(sfn, definition, {"Message": "txt", "HeartbeatSecondsPath": 120})
    token = receive_body(sqs, url)["TaskToken"]
    scheduled = next(details(e) for e in history(sfn, arn) if e["type"] == "TaskScheduled")
    assert (scheduled["heartbeatInSeconds"], scheduled["timeoutInSeconds"]) == (120, 600)
    sfn.send_task_success(taskToken=token, output='"done"')
    assert wait_until_done(sfn, arn)["status"] == "SUCCEEDED"


def test_timeout_seconds_path_reads_the_input_after_input_path(sfn: Any) -> None:
    definition = one_task("arn:aws:states:::states:startExecution", {
        "InputPath": "$.inner", "TimeoutSecondsPath": "$.t",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope"},
    })
    arn, described = run(sfn, definition, {"inner": {"t": 30}})
    assert described["error"] == "StepFunctions.StateMachineDoesNotExistException", described
    scheduled = next(details(e) for e in history(sfn, arn) if e["type"] == "TaskScheduled")
    assert scheduled["timeoutInSeconds"] == 30


@pytest.mark.parametrize("value", [10 ** 20, 2 ** 63, 100000000, 0, 1.5, "5"])
def test_a_timeout_path_beyond_the_largest_timeout_fails_the_execution(sfn: Any, value: Any) -> None:
    """What a definition could not say (TimeoutSeconds at most 99999999) fails the execution: the
    history stays readable (a too large number could not be sent on the wire)."""
    arn, described = run(sfn, one_task("arn:aws:states:::states:startExecution", {
        "TimeoutSecondsPath": "$.t", "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope"},
    }), {"t": value})
    error, cause = failed_properly(described)
    assert error == "States.Runtime" and "The TimeoutSecondsPath parameter does not reference a valid positive integer value" in cause
    assert [e["type"] for e in history(sfn, arn)][-1] == "ExecutionFailed"


def test_a_jsonata_timeout_beyond_the_largest_timeout_fails_the_state(sfn: Any) -> None:
    arn, described = run(sfn, one_task("arn:aws:states:::states:startExecution", {
        "TimeoutSeconds": "{% $states.input.t %}", "Arguments": {"StateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope"},
    }, jsonata=True), {"t": 1e300})
    error, _ = failed_properly(described)
    assert error == "States.QueryEvaluationError"
    history(sfn, arn)  # readable


# -- callbacks: retries, stops, races ----------------------------------------------------------


def test_each_attempt_of_a_callback_task_has_its_own_token_and_its_own_timeout(sfn: Any, sqs: Any, server: Server) -> None:
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = callback_task(url, TimeoutSeconds=10, Retry=[{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}])
    _, arn = start(sfn, definition, {"Message": "m"})
    first = receive_body(sqs, url)["TaskToken"]
    server.advance(10)
    wait_for_event(sfn, arn, "TaskTimedOut")
    server.advance(1)
    wait_for_event(sfn, arn, "TaskScheduled", count=2)
    second = receive_body(sqs, url)["TaskToken"]
    assert second != first
    assert error_of(sfn.send_task_success, taskToken=first, output="{}")["Code"] == "TaskTimedOut"
    server.advance(9)  # 9 s into the second attempt: its own 10 s have not passed
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=second, output='{"attempt": 2}')
    described = wait_until_done(sfn, arn)
    assert json.loads(described["output"]) == {"attempt": 2}
    timeouts = [details(e)["timeoutInSeconds"] for e in history(sfn, arn) if e["type"] == "TaskScheduled"]
    assert timeouts == [10, 10]


def test_a_stopped_execution_kills_the_token_it_waited_with(sfn: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    _, arn = start(sfn, callback_task(url), {"Message": "m"})
    token = receive_body(sqs, url)["TaskToken"]
    wait_for_event(sfn, arn, "TaskSubmitted")
    sfn.stop_execution(executionArn=arn)
    assert wait_until_done(sfn, arn)["status"] == "ABORTED"
    assert error_of(sfn.send_task_success, taskToken=token, output="{}")["Code"] == "TaskTimedOut"
    assert error_of(sfn.send_task_heartbeat, taskToken=token)["Code"] == "TaskTimedOut"
    assert [e["type"] for e in history(sfn, arn)][-2:] == ["TaskSubmitted", "ExecutionAborted"]


def test_a_finished_callback_task_answers_a_second_callback_as_timed_out(sfn: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    _, arn = start(sfn, callback_task(url), {"Message": "m"})
    token = receive_body(sqs, url)["TaskToken"]
    sfn.send_task_success(taskToken=token, output='"first"')
    assert json.loads(wait_until_done(sfn, arn)["output"]) == "first"
    assert error_of(sfn.send_task_failure, taskToken=token, error="late")["Code"] == "TaskTimedOut"
    assert [e["type"] for e in history(sfn, arn)].count("TaskSucceeded") == 1


def test_a_redriven_callback_task_waits_under_a_new_token(sfn: Any, sqs: Any, server: Server) -> None:
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    _, arn = start(sfn, callback_task(url, TimeoutSeconds=5), {"Message": "m"})
    first = receive_body(sqs, url)["TaskToken"]
    wait_for_event(sfn, arn, "TaskSubmitted")
    server.advance(5)
    assert wait_until_done(sfn, arn)["status"] == "FAILED"
    sfn.redrive_execution(executionArn=arn)
    second = receive_body(sqs, url)["TaskToken"]
    assert second != first
    assert error_of(sfn.send_task_success, taskToken=first, output="{}")["Code"] == "TaskTimedOut"
    sfn.send_task_success(taskToken=second, output='"redriven"')
    assert json.loads(wait_until_done(sfn, arn)["output"]) == "redriven"


def test_a_callback_inside_a_map_gets_one_token_per_iteration(sfn: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    inner = callback_task(url)
    inner["States"]["T"]["Parameters"]["MessageBody"] = {"Message.$": "$", "TaskToken.$": "$$.Task.Token"}
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": inner, "End": True}}}
    _, arn = start(sfn, definition, {"items": ["a", "b", "c"]})
    bodies = [receive_body(sqs, url) for _ in range(3)]
    assert len({b["TaskToken"] for b in bodies}) == 3
    for body in bodies:
        sfn.send_task_success(taskToken=body["TaskToken"], output=json.dumps(body["Message"].upper()))
    assert json.loads(wait_until_done(sfn, arn)["output"]) == ["A", "B", "C"]


# -- resources AWS does not recognize ------------------------------------------------------------


@pytest.mark.parametrize("resource", [
    "arn:aws:states:::sqs:receiveMessage", "arn:aws:states:::sns:createTopic", "arn:aws:states:::lambda:invoke.sync",
    "arn:aws:states:::sqs:sendMessage.sync", "arn:aws:states:::sns:publish.sync:2", "arn:aws:states:::batch:submitJob.waitForTaskToken",
    "arn:aws:states:::states:startSyncExecution",
])
def test_an_optimized_action_or_pattern_aws_does_not_have_is_refused_at_creation(sfn: Any, resource: str) -> None:
    """Recorded for `dynamodb:query` (v2/services test_dynamodb_task_service test_invalid_integration)."""
    error = error_of(sfn.create_state_machine, name=unique("sm"), definition=json.dumps(one_task(resource, {})), roleArn=ROLE)
    assert error["Code"] == "InvalidDefinition"
    assert error["Message"] == (
        f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided {resource} is not recognized. "
        "The value is not a valid resource ARN, or the resource is not available in this region. at /States/T/Resource'"
    )


def test_the_optimized_actions_and_patterns_aws_has_are_accepted(sfn: Any) -> None:
    for resource in ("lambda:invoke.waitForTaskToken", "sqs:sendMessage.waitForTaskToken", "sns:publish.waitForTaskToken",
                     "states:startExecution.sync:2", "states:startExecution.waitForTaskToken", "batch:submitJob.sync",
                     "dynamodb:putItem", "aws-sdk:sqs:receiveMessage"):
        sfn.create_state_machine(name=unique("sm"), definition=json.dumps(one_task(f"arn:aws:states:::{resource}", {})), roleArn=ROLE)


def test_a_lone_surrogate_in_the_input_or_a_callback_output_stays_readable(sfn: Any, sqs: Any) -> None:
    """JSON text may escape a lone surrogate (`"\\ud800"`): it stays escaped, so DescribeExecution and
    GetExecutionHistory can still answer (no wire carries it raw)."""
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"a.$": "$.s"}, "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
              "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"}, "End": True},
    }}
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"s": "\\ud800"}')["executionArn"]
    token = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]["Body"]
    sfn.send_task_success(taskToken=token, output='{"s": "\\udfff"}')
    described = wait_until_done(sfn, arn)
    assert described["status"] == "SUCCEEDED" and described["output"] == '{"s":"\\udfff"}'
    exited = [details(e)["output"] for e in history(sfn, arn) if e["type"] == "PassStateExited"]
    assert exited == ['{"a":"\\ud800"}']


LONE = [
    ("arn:aws:states:::lambda:invoke", {"FunctionName": "nope", "Payload.$": "$.s"}),
    ("arn:aws:states:::lambda:invoke", {"FunctionName.$": "$.s"}),
    ("arn:aws:states:::sns:publish", {"TopicArn": "arn:aws:sns:us-east-1:000000000000:t", "Message.$": "$.s"}),
    ("arn:aws:states:::states:startExecution", {"StateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:x", "Input.$": "$.s"}),
    ("arn:aws:states:::aws-sdk:sfn:describeExecution", {"ExecutionArn.$": "$.s"}),
    ("arn:aws:states:::aws-sdk:sns:publish", {"TopicArn": "arn:aws:sns:us-east-1:000000000000:t", "Message.$": "$.s"}),
]


@pytest.mark.parametrize(("resource", "parameters"), LONE)
def test_a_lone_surrogate_in_the_parameters_fails_the_task_not_stepstack(sfn: Any, resource: str, parameters: dict[str, Any]) -> None:
    machine = create_machine(sfn, one_task(resource, {"Parameters": parameters}))
    arn = sfn.start_execution(stateMachineArn=machine, input='{"s": "\\ud800"}')["executionArn"]
    failed_properly(wait_until_done(sfn, arn))
    assert [e["type"] for e in history(sfn, arn)][-1] == "ExecutionFailed"  # readable, though a cause may quote it


def test_a_jsonata_callback_task_reads_its_token_from_states_context(sfn: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = one_task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {
        "Arguments": {"QueueUrl": url, "MessageBody": {"token": "{% $states.context.Task.Token %}", "n": "{% $states.input.n %}"}},
        "Output": "{% $states.result.doubled %}",
    }, jsonata=True)
    _, arn = start(sfn, definition, {"n": 21})
    body = receive_body(sqs, url)
    scheduled = next(details(e) for e in history(sfn, arn) if e["type"] == "TaskScheduled")
    assert json.loads(scheduled["parameters"])["MessageBody"]["token"] == body["token"]
    sfn.send_task_success(taskToken=body["token"], output=json.dumps({"doubled": body["n"] * 2}))
    assert json.loads(wait_until_done(sfn, arn)["output"]) == 42


# -- resuming from a snapshot ----------------------------------------------------------------------


def test_a_retried_callback_resumes_with_its_own_token_and_what_is_left_of_its_timeout() -> None:
    from tests.inprocess import InProcess

    first = InProcess(seed=21)
    try:
        url = first.sqs("CreateQueue", QueueName="callbacks")["QueueUrl"]
        definition = callback_task(url, TimeoutSeconds=10, Retry=[{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}])
        machine = first.sfn("CreateStateMachine", name="m", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        arn = first.sfn("StartExecution", stateMachineArn=machine, name="run", input='{"Message": "m"}')["executionArn"]
        first.settle()
        first.advance(10)  # the first attempt times out
        first.advance(1)  # the retry is scheduled at 11 s
        first.advance(4)  # 4 s into the second attempt
        bodies = [json.loads(m["Body"]) for m in first.sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
        snapshot = json.loads(json.dumps(first.dispatcher.snapshot()))
    finally:
        first.close()
    assert len({b["TaskToken"] for b in bodies}) == 2
    resumed = InProcess(seed=22, start=first.clock.now())
    try:
        resumed.run(resumed.dispatcher.restore(snapshot))
        resumed.settle()
        events = resumed.sfn("GetExecutionHistory", executionArn=arn, maxResults=1000)["events"]
        tokens = [json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]["TaskToken"]
                  for e in events if e["type"] == "TaskScheduled"]
        assert len(tokens) == 2 and {b["TaskToken"] for b in bodies} == set(tokens)
        resumed.advance(5)  # 9 s into the second attempt: still waiting
        assert resumed.sfn("DescribeExecution", executionArn=arn)["status"] == "RUNNING"
        resumed.advance(1)  # its 10 s have passed, counted from its recorded TaskScheduled
        described = resumed.sfn("DescribeExecution", executionArn=arn)
        assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
        types = [e["type"] for e in resumed.sfn("GetExecutionHistory", executionArn=arn, maxResults=1000)["events"]]
        assert types.count("TaskScheduled") == 2 and types.count("TaskTimedOut") == 2
    finally:
        resumed.close()


def test_parameters_past_256_kib_fail_the_state_before_the_task_is_scheduled(sfn: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = one_task("arn:aws:states:::sqs:sendMessage", {
        "Arguments": {"QueueUrl": url, "MessageBody": "{% $pad('', 300000, 'x') %}"},
    }, jsonata=True)
    arn, described = run(sfn, definition)
    error, cause = failed_properly(described)
    assert (error, cause) == ("States.DataLimitExceeded",
                              "The state/task 'T' returned a result with a size exceeding the maximum number of bytes service limit.")
    assert "TaskScheduled" not in [e["type"] for e in history(sfn, arn)]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


# -- what the history records as AWS does ------------------------------------------------------------


def test_send_task_failure_without_error_or_cause_records_neither(sfn: Any, sqs: Any) -> None:
    """Recorded (v2/callback test_sqs_failure_in_wait_for_task_tok_no_error_field): TaskFailed has only
    the resource's names."""
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = callback_task(url)
    state = definition["States"]["T"]
    del state["End"]
    state.update(Next="C", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "C", "ResultPath": "$.e"}])
    definition["States"]["C"] = {"Type": "Pass", "End": True}
    _, arn = start(sfn, definition, {"Message": "m"})
    sfn.send_task_failure(taskToken=receive_body(sqs, url)["TaskToken"])
    assert wait_until_done(sfn, arn)["status"] == "SUCCEEDED"
    failed = next(details(e) for e in history(sfn, arn) if e["type"] == "TaskFailed")
    assert failed == {"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"}


def test_a_timed_out_callback_fails_the_execution_without_a_cause(sfn: Any, sqs: Any, server: Server) -> None:
    """Recorded (v2/callback test_sqs_wait_for_task_token_timeout): ExecutionFailed {error: States.Timeout}."""
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    _, arn = start(sfn, callback_task(url, TimeoutSeconds=5), {"Message": "m"})
    wait_for_event(sfn, arn, "TaskSubmitted")
    server.advance(5)
    assert wait_until_done(sfn, arn)["status"] == "FAILED"
    events = history(sfn, arn)
    assert [(e["type"], details(e)) for e in events[-2:]] == [
        ("TaskTimedOut", {"error": "States.Timeout", "resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"}),
        ("ExecutionFailed", {"error": "States.Timeout"}),
    ]
