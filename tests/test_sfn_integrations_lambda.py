"""Step Functions' Lambda integrations through boto3, with real functions: `lambda:invoke`
(request-response and `.waitForTaskToken`) and a function's ARN as the resource, checked
against the histories AWS records (v2/services/test_lambda_task_service, test_lambda_task,
v2/error_handling/test_task_lambda, test_task_service_lambda)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import ACCOUNT, REGION, create_machine, details, history, output_of, run, start, wait_for_event, wait_until_done
from tests.test_lambda_invoke import zip_of

INVOKE = "arn:aws:states:::lambda:invoke"
ECHO = "def handler(event, context):\n    return event\n"
WITH_ID = "def handler(event, context):\n    return {'event': event, 'id': context.aws_request_id}\n"
RAISES = (
    "class CustomException(Exception):\n    pass\n\n"
    "def handler(event, context):\n    raise CustomException()\n"
)
# Fails with Flaky on its first call for a marker file, then answers: attempts counted on disk.
FLAKY = (
    "import os\n\nclass Flaky(Exception):\n    pass\n\n"
    "def handler(event, context):\n"
    "    path = event['marker']\n"
    "    if not os.path.exists(path):\n"
    "        open(path, 'w').close()\n"
    "        raise Flaky('first attempt')\n"
    "    return {'attempt': 2}\n"
)
SLEEPS = "import time\n\ndef handler(event, context):\n    time.sleep(event.get('sleep', 30))\n    return 'late'\n"


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    return own_server


@pytest.fixture(scope="module")
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


@pytest.fixture(scope="module")
def function(server: Server) -> Callable[..., str]:
    lam = server.client("lambda", read_timeout=30)

    def make(code: str, **config: Any) -> str:
        name = f"fn-{uuid.uuid4().hex[:10]}"
        lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role="arn:aws:iam::000000000000:role/r",
                            Code={"ZipFile": zip_of({"app.py": code})}, **config)
        return name

    return make


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def invoke_machine(parameters: dict[str, Any] | None = None, **task: Any) -> dict[str, Any]:
    params = parameters or {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"}
    return {"StartAt": "Start", "States": {"Start": {"Type": "Task", "Resource": INVOKE, "Parameters": params, "End": True, **task}}}


def task_events(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["type"], details(e)) for e in events if e["type"].startswith(("Task", "LambdaFunction")) and "State" not in e["type"]]


# -- lambda:invoke -----------------------------------------------------------------------------


def test_invoke_answers_the_payload_with_the_sdk_metadata(sfn: Any, function: Callable[..., str]) -> None:
    name = function(WITH_ID)
    arn, described = run(sfn, invoke_machine(), {"FunctionName": name, "Payload": {"a": [1, 2]}})
    out = output_of(described)
    assert list(out) == ["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"]
    assert out["ExecutedVersion"] == "$LATEST" and out["StatusCode"] == 200
    assert out["Payload"]["event"] == {"a": [1, 2]}
    request_id = out["Payload"]["id"]
    assert out["SdkResponseMetadata"] == {"RequestId": request_id}
    meta = out["SdkHttpMetadata"]
    assert meta["HttpStatusCode"] == 200
    headers = meta["HttpHeaders"]
    assert list(headers) == sorted(headers, key=str.lower)
    assert headers["X-Amz-Executed-Version"] == "$LATEST" and headers["x-amzn-RequestId"] == request_id
    assert headers["Content-Type"] == "application/json" and headers["Connection"] == "keep-alive"
    assert int(headers["Content-Length"]) > len(json.dumps({"a": [1, 2]}))
    assert meta["AllHttpHeaders"]["x-amzn-RequestId"] == [request_id]
    assert set(meta["AllHttpHeaders"]) == set(headers)
    events = history(sfn, arn)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded",
    ]
    scheduled = details(events[2])
    assert scheduled["resourceType"] == "lambda" and scheduled["resource"] == "invoke" and scheduled["region"] == REGION
    assert json.loads(scheduled["parameters"]) == {"FunctionName": name, "Payload": {"a": [1, 2]}}
    assert details(events[3]) == {"resourceType": "lambda", "resource": "invoke"}
    assert json.loads(details(events[4])["output"]) == out


@pytest.mark.parametrize(("payload", "answer"), [
    ('"HelloWorld"', "HelloWorld"),  # text is sent as it is: JSON text
    ("0.0", 0.0),
    ("[]", []),
    (None, {}),  # null: no payload, the function gets {}
    ({"k": True}, {"k": True}),
    (7, 7),
])
def test_invoke_payload_values_as_recorded(sfn: Any, function: Callable[..., str], payload: Any, answer: Any) -> None:
    name = function(ECHO)
    _, described = run(sfn, invoke_machine(), {"FunctionName": name, "Payload": payload})
    assert output_of(described)["Payload"] == answer


def test_invoke_by_arn_with_a_qualifier_and_log_tail(sfn: Any, function: Callable[..., str], server: Server) -> None:
    name = function(ECHO)
    version = server.client("lambda").publish_version(FunctionName=name)["Version"]
    parameters = {"FunctionName": f"{function_arn(name)}:{version}", "Payload": {"x": 1}, "LogType": "Tail"}
    _, described = run(sfn, invoke_machine(parameters))
    out = output_of(described)
    assert out["ExecutedVersion"] == version and out["Payload"] == {"x": 1}
    assert list(out)[:2] == ["ExecutedVersion", "LogResult"]
    assert out["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Log-Result"] == out["LogResult"]
    partial = {"FunctionName": f"{ACCOUNT}:function:{name}", "Qualifier": version, "Payload": {"y": 2}}
    assert output_of(run(sfn, invoke_machine(partial))[1])["Payload"] == {"y": 2}


def test_invoke_event_type_answers_202(sfn: Any, function: Callable[..., str]) -> None:
    name = function(ECHO)
    _, described = run(sfn, invoke_machine({"FunctionName": name, "InvocationType": "Event", "Payload": {}}))
    out = output_of(described)
    assert out["StatusCode"] == 202 and out["Payload"] == "" and "ExecutedVersion" not in out


def test_function_error_is_caught_by_its_error_type(sfn: Any, function: Callable[..., str]) -> None:
    name = function(RAISES)
    definition = invoke_machine(
        Catch=[{"ErrorEquals": ["CustomException"], "Next": "ErrorMatched"}], End=None,
    )
    del definition["States"]["Start"]["End"]
    definition["States"]["Start"]["Next"] = "Never"
    definition["States"]["Never"] = {"Type": "Fail", "Error": "NotCaught"}
    definition["States"]["ErrorMatched"] = {"Type": "Pass", "End": True}
    arn, described = run(sfn, definition, {"FunctionName": name, "Payload": None})
    out = output_of(described)
    assert out["Error"] == "CustomException"
    cause = json.loads(out["Cause"])
    assert cause["errorType"] == "CustomException" and cause["errorMessage"] == ""
    assert list(cause) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert ", " not in out["Cause"].split('"stackTrace"')[0]  # compact JSON, as recorded for lambda:invoke
    events = task_events(history(sfn, arn))
    assert [t for t, _ in events] == ["TaskScheduled", "TaskStarted", "TaskFailed"]
    assert events[2][1] == {"error": "CustomException", "cause": out["Cause"], "resourceType": "lambda", "resource": "invoke"}


def test_retry_on_a_custom_error_succeeds_on_the_second_attempt(
    sfn: Any, function: Callable[..., str], server: Server, tmp_path: Any,
) -> None:
    name = function(FLAKY)
    definition = invoke_machine(Retry=[{"ErrorEquals": ["Flaky"], "IntervalSeconds": 5, "MaxAttempts": 2}])
    _, arn = start(sfn, definition, {"FunctionName": name, "Payload": {"marker": str(tmp_path / "attempted")}})
    wait_for_event(sfn, arn, "TaskFailed", timeout=30)
    server.advance(5)
    out = output_of(wait_until_done(sfn, arn, timeout=30))
    assert out["Payload"] == {"attempt": 2}
    types = [t for t, _ in task_events(history(sfn, arn))]
    assert types == ["TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted", "TaskSucceeded"]


def test_missing_function_is_resource_not_found(sfn: Any) -> None:
    definition = invoke_machine()
    definition["States"]["Start"]["Catch"] = [{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "Next": "Handled"}]
    del definition["States"]["Start"]["End"]
    definition["States"]["Start"]["Next"] = "Handled"
    definition["States"]["Handled"] = {"Type": "Pass", "End": True}
    arn, described = run(sfn, definition, {"FunctionName": "no_such_function", "Payload": None})
    out = output_of(described)
    assert out["Error"] == "Lambda.ResourceNotFoundException"
    prefix = (f"Function not found: {function_arn('no_such_function')}:$LATEST (Service: AWSLambda; Status Code: 404; "
              "Error Code: ResourceNotFoundException; Request ID: ")
    assert out["Cause"].startswith(prefix) and out["Cause"].endswith("; Proxy: null)")
    failed = task_events(history(sfn, arn))[-1]
    assert failed[0] == "TaskFailed" and failed[1]["error"] == "Lambda.ResourceNotFoundException"


def test_function_timeout_is_lambda_unknown(sfn: Any, function: Callable[..., str]) -> None:
    name = function(SLEEPS, Timeout=1)
    _, described = run(sfn, invoke_machine(), {"FunctionName": name, "Payload": {"sleep": 5}})
    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.Unknown"
    assert described["cause"].startswith("The cause could not be determined because Lambda did not return an error type. Returned payload: ")
    assert "Task timed out after 1.00 seconds" in described["cause"]


def test_timeout_seconds_of_an_invoke_is_task_timed_out(sfn: Any, function: Callable[..., str], server: Server) -> None:
    name = function(SLEEPS, Timeout=60)
    _, arn = start(sfn, invoke_machine(TimeoutSeconds=5), {"FunctionName": name, "Payload": {"sleep": 30}})
    wait_for_event(sfn, arn, "TaskStarted", timeout=10)
    server.advance(5)
    described = wait_until_done(sfn, arn, timeout=10)
    assert described["status"] == "FAILED" and described["error"] == "States.Timeout"
    events = task_events(history(sfn, arn))
    assert events[0][1]["timeoutInSeconds"] == 5
    assert events[-1] == ("TaskTimedOut", {"error": "States.Timeout", "resourceType": "lambda", "resource": "invoke"})


def test_wait_for_task_token_through_a_function(sfn: Any, function: Callable[..., str], server: Server) -> None:
    name = function("def handler(event, context):\n    return {'got': event['token'][:8]}\n")
    parameters = {"FunctionName": name, "Payload": {"token.$": "$$.Task.Token"}}
    _, arn = start(sfn, invoke_machine(parameters, Resource=INVOKE + ".waitForTaskToken"))
    events = wait_for_event(sfn, arn, "TaskSubmitted", timeout=30)
    token = json.loads(details(next(e for e in events if e["type"] == "TaskScheduled"))["parameters"])["Payload"]["token"]
    submitted = json.loads(details(events[-1])["output"])
    assert submitted["Payload"] == {"got": token[:8]} and submitted["StatusCode"] == 200
    sfn.send_task_success(taskToken=token, output=json.dumps({"done": True}))
    assert output_of(wait_until_done(sfn, arn)) == {"done": True}
    assert [t for t, _ in task_events(history(sfn, arn))] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]


# -- a function ARN as the resource --------------------------------------------------------------


def function_machine(name: str, **task: Any) -> dict[str, Any]:
    return {"StartAt": "step1", "States": {"step1": {"Type": "Task", "Resource": function_arn(name), "End": True, **task}}}


def test_function_arn_resource_records_lambda_function_events(sfn: Any, function: Callable[..., str]) -> None:
    name = function("def handler(event, context):\n    return {'Return': event}\n")
    arn, described = run(sfn, function_machine(name, TimeoutSeconds=30), {"a": 1})
    assert output_of(described) == {"Return": {"a": 1}}
    events = history(sfn, arn)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
        "TaskStateExited", "ExecutionSucceeded",
    ]
    assert details(events[2]) == {"resource": function_arn(name), "input": '{"a":1}', "inputDetails": {"truncated": False}, "timeoutInSeconds": 30}
    assert "lambdaFunctionStartedEventDetails" not in events[3]
    assert json.loads(details(events[4])["output"]) == {"Return": {"a": 1}}
    assert details(events[4])["outputDetails"] == {"truncated": False}


@pytest.mark.parametrize("value", ["HelloWorld", 0, None, [], True])
def test_function_arn_resource_passes_any_json(sfn: Any, function: Callable[..., str], value: Any) -> None:
    name = function(ECHO)
    machine = create_machine(sfn, function_machine(name))
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(value))["executionArn"]
    assert output_of(wait_until_done(sfn, arn, timeout=30)) == value
    assert details(history(sfn, arn)[4])["output"] == json.dumps(value, separators=(",", ":"))


def test_function_arn_resource_failure_is_caught_by_its_error_type(sfn: Any, function: Callable[..., str]) -> None:
    name = function(RAISES)
    definition = function_machine(name, Catch=[{"ErrorEquals": ["CustomException"], "Next": "ErrorMatched"}])
    del definition["States"]["step1"]["End"]
    definition["States"]["step1"]["Next"] = "ErrorMatched"
    definition["States"]["ErrorMatched"] = {"Type": "Pass", "End": True}
    arn, described = run(sfn, definition)
    out = output_of(described)
    assert out["Error"] == "CustomException"
    assert json.loads(out["Cause"])["errorType"] == "CustomException"
    failed = [e for e in history(sfn, arn) if e["type"] == "LambdaFunctionFailed"]
    assert details(failed[0]) == {"error": "CustomException", "cause": out["Cause"]}


def test_function_arn_resource_timeout_is_lambda_function_timed_out(sfn: Any, function: Callable[..., str], server: Server) -> None:
    name = function(SLEEPS, Timeout=60)
    _, arn = start(sfn, function_machine(name, TimeoutSeconds=3), {"sleep": 30})
    wait_for_event(sfn, arn, "LambdaFunctionStarted", timeout=10)
    server.advance(3)
    described = wait_until_done(sfn, arn, timeout=10)
    assert described["status"] == "FAILED" and described["error"] == "States.Timeout"
    events = history(sfn, arn)
    timed_out = [e for e in events if e["type"] == "LambdaFunctionTimedOut"]
    assert details(timed_out[0]) == {"error": "States.Timeout"}


def test_function_arn_resource_of_a_missing_function_fails(sfn: Any) -> None:
    _, described = run(sfn, function_machine("not_there"))
    assert described["status"] == "FAILED" and described["error"] == "Lambda.ResourceNotFoundException"
    assert described["cause"].startswith(f"Function not found: {function_arn('not_there')}:$LATEST (Service: AWSLambda;")


def test_function_arn_task_resumes_from_its_recorded_failure() -> None:
    """Snapshotted during the retry back-off after a recorded LambdaFunctionFailed, restored in a
    new application: the recorded attempt carries on (not invoked again), the retry runs."""
    from tests.inprocess import START, InProcess

    definition = {"StartAt": "step1", "States": {"step1": {
        "Type": "Task", "Resource": function_arn("not_there"), "End": True,
        "Retry": [{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "IntervalSeconds": 100, "MaxAttempts": 1}]}}}
    first = InProcess(seed=5)
    try:
        machine = first.sfn("CreateStateMachine", name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::000000000000:role/r")
        arn = first.sfn("StartExecution", stateMachineArn=machine["stateMachineArn"], name="run", input="{}")["executionArn"]
        first.settle()
        first.advance(10)
        before = first.sfn("GetExecutionHistory", executionArn=arn)["events"]
        snapshot = json.loads(json.dumps(first.dispatcher.snapshot()))
    finally:
        first.close()
    assert [e["type"] for e in before][-1] == "LambdaFunctionFailed"
    resumed = InProcess(start=START - 3600, seed=6)
    try:
        resumed.run(resumed.dispatcher.restore(snapshot))
        resumed.settle()
        resumed.advance(100)
        described = resumed.sfn("DescribeExecution", executionArn=arn)
        events = resumed.sfn("GetExecutionHistory", executionArn=arn)["events"]
    finally:
        resumed.close()
    assert described["status"] == "FAILED" and described["error"] == "Lambda.ResourceNotFoundException"
    assert events[: len(before)] == before
    assert [e["type"] for e in events][len(before):] == [
        "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed", "ExecutionFailed",
    ]


# Answers the callback itself, before its invocation returns (a worker faster than the call).
ANSWERS_FIRST = (
    "import boto3, json\n\n"
    "def handler(event, context):\n"
    "    boto3.client('stepfunctions').send_task_success(taskToken=event['token'], output=json.dumps({'early': True}))\n"
    "    return {'sent': True}\n"
)


def test_a_callback_answered_before_the_invoke_returns_ends_the_task(sfn: Any, function: Callable[..., str]) -> None:
    name = function(ANSWERS_FIRST, Timeout=30)
    parameters = {"FunctionName": name, "Payload": {"token.$": "$$.Task.Token"}}
    arn, described = run(sfn, invoke_machine(parameters, Resource=INVOKE + ".waitForTaskToken"))
    assert output_of(described) == {"early": True}
    events = task_events(history(sfn, arn))
    assert [t for t, _ in events] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert json.loads(events[2][1]["output"])["Payload"] == {"sent": True}


LARGE = "def handler(event, context):\n    return 'é' * 140000\n"  # 280,000 bytes of UTF-8


def catching(machine: dict[str, Any]) -> dict[str, Any]:
    (name, state), = machine["States"].items()
    del state["End"]
    state.update(Next="Handled", Catch=[{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Handled"}])
    machine["States"]["Handled"] = {"Type": "Pass", "End": True}
    return machine


def test_a_too_large_invoke_answer_fails_the_task_as_recorded(sfn: Any, function: Callable[..., str]) -> None:
    """Recorded (v2/error_handling test_service_task_lambada_data_limit_exceeded_on_large_utf8_response):
    TaskFailed names the resource type, not the state."""
    name = function(LARGE, Timeout=30)
    arn, described = run(sfn, catching(invoke_machine()), {"FunctionName": name, "Payload": None})
    cause = "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."
    assert output_of(described) == {"Error": "States.DataLimitExceeded", "Cause": cause}
    assert task_events(history(sfn, arn))[-1] == ("TaskFailed", {"error": "States.DataLimitExceeded", "cause": cause,
                                                                 "resourceType": "lambda", "resource": "invoke"})


def test_a_too_large_function_answer_fails_the_function_task_as_recorded(sfn: Any, function: Callable[..., str]) -> None:
    """Recorded (v2/error_handling test_task_lambda_data_limit_exceeded_on_large_utf8_response): the cause
    names the function's ARN."""
    name = function(LARGE, Timeout=30)
    arn, described = run(sfn, catching(function_machine(name)), {"FunctionName": name, "Payload": None})
    cause = f"The state/task '{function_arn(name)}' returned a result with a size exceeding the maximum number of bytes service limit."
    assert output_of(described) == {"Error": "States.DataLimitExceeded", "Cause": cause}
    assert task_events(history(sfn, arn))[-1] == ("LambdaFunctionFailed", {"error": "States.DataLimitExceeded", "cause": cause})
