"""Mocked service integrations in Step Functions Local's format (AWS developer guide, "Using
mocked service integrations for testing in Step Functions Local" and "Configuration file for
mocked service integrations"): a mock configuration file named by SFN_MOCK_CONFIG, test cases
selected by StartExecution of `<stateMachineArn>#<TestCaseName>`, and mocked responses by
invocation ("0", "1-2") that Return a result or Throw an Error and Cause."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.stepfunctions.integrations.mocks import MockConfigError, parse_config
from services.stepfunctions.integrations.mocks.tasks import ACTIVITY_CAUSE
from tests.conftest import ROOT, Server, free_port, start_server, stop_server
from tests.sfn_helpers import (
    ACCOUNT,
    REGION,
    ROLE,
    create_activity,
    details,
    error_of,
    history,
    output_of,
    unique,
    wait_for_event,
    wait_until_done,
)

SQS_RETURN = {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}
LAMBDA_RETURN = {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}


def responses(**named: dict[str, Any]) -> dict[str, Any]:
    return named


MOCKED_RESPONSES = responses(
    MockedLambdaSuccess={"0": {"Return": LAMBDA_RETURN}},
    MockedSQSSuccess={"0": {"Return": SQS_RETURN}},
    MockedLambdaRetry={
        "0-1": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
        "2": {"Return": LAMBDA_RETURN},
    },
    AlwaysTimesOut={"0-9": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}}},
    OnceOnly={"0": {"Return": {"n": 0}}},
    PutItemOk={"0": {"Return": {}}},
    GetObjectOk={"0": {"Return": {"ContentLength": 5, "ContentType": "text/plain", "Body": "hello"}}},
    CallbackLiteral={"0": {"Return": "string-literal"}},
    CallbackFailure={"0": {"Throw": {"Error": "Failure error", "Cause": "Failure cause"}}},
    StartSyncOk={"0": {"Return": {"Status": "SUCCEEDED", "Output": "{\"Arg1\":\"argument1\"}"}}},
    ItemTwiceThenOther={"0-1": {"Return": "first"}, "2": {"Return": "third"}},
    Branch1={"0": {"Return": {"branch": 1}}},
    Branch2={"0": {"Throw": {"Error": "Custom.Error", "Cause": "branch 2 broke"}}},
    Version1={"0": {"Return": "v1"}},
    Version2={"0": {"Return": "v2"}},
    ActivityMock={"0": {"Return": {}}},
    FailsThenWorks={"0": {"Throw": {"Error": "Flaky.Error", "Cause": "first time"}}, "1": {"Return": "second time"}},
)

MACHINES = {
    "LambdaSQSIntegration": {
        "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
        "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
        "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
        "NeverRecovers": {"LambdaState": "AlwaysTimesOut"},
    },
    "Looping": {"Once": {"Work": "OnceOnly"}},
    "RealOrMocked": {"Mocked": {"SQSState": "MockedSQSSuccess"}},
    "Strays": {"Typo": {"Wrok": "OnceOnly", "Work": "OnceOnly", "Relay": "OnceOnly"}, "Fine": {"Work": "OnceOnly"}},
    "Unemulated": {"Mocked": {"PutItem": "PutItemOk", "GetObject": "GetObjectOk"}},
    "FunctionArn": {"Mocked": {"Invoke": "MockedLambdaRetry"}},
    "Callbacks": {"Succeeds": {"Wait": "CallbackLiteral"}, "Fails": {"Wait": "CallbackFailure"}},
    "SyncChild": {"Mocked": {"StartChild": "StartSyncOk"}},
    "Mapped": {"Mocked": {"Item": "ItemTwiceThenOther"}},
    "DistributedMap": {"Mocked": {"Item": "ItemTwiceThenOther"}},
    "Parallels": {"Mocked": {"B1": "Branch1", "B2": "Branch2"}},
    "Reloaded": {"Case": {"Answer": "Version1"}},
    "Express": {"Mocked": {"LambdaState": "MockedLambdaSuccess"}},
    "WithActivity": {"Mocked": {"Work": "ActivityMock"}},
    "Redriven": {"Mocked": {"Work": "FailsThenWorks"}},
}


def mock_config(machines: dict[str, Any] = MACHINES, mocked: dict[str, Any] = MOCKED_RESPONSES) -> dict[str, Any]:
    return {
        "StateMachines": {name: {"TestCases": cases} for name, cases in machines.items()},
        "MockedResponses": mocked,
    }


def write(path: Path, config: dict[str, Any] | str) -> None:
    """Rewrite the file; its modification time moves on by a second (a rewrite within the
    file system's timestamp granularity must still count as a change)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(config if isinstance(config, str) else json.dumps(config, indent=2))
    later = max(path.stat().st_mtime_ns, before + 1_000_000_000)
    os.utime(path, ns=(later, later))


@pytest.fixture(scope="module")
def mock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mocks") / "MockConfigFile.json"
    write(path, mock_config())
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mock_file: Path) -> Iterator[Server]:
    """A stepstack started as Step Functions Local users start theirs: SFN_MOCK_CONFIG set."""
    running = start_server(tmp_path_factory.mktemp("mocked"), env={"SFN_MOCK_CONFIG": str(mock_file)})
    yield running
    stop_server(running)
    log = running.log_path.read_text()
    assert "Traceback" not in log, f"the server logged a traceback:\n{log}"


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions", inject_host_prefix=False)  # StartSyncExecution's sync- host


# AWS's example: a Lambda invocation with a retry policy, then an SQS message.
LAMBDA_SQS = {
    "StartAt": "LambdaState",
    "States": {
        "LambdaState": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
            "Next": "SQSState",
        },
        "SQSState": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/mock-queue", "MessageBody.$": "$"},
            "End": True,
        },
    },
}


def machine(sfn: Any, name: str, definition: dict[str, Any], type: str = "STANDARD") -> str:
    """The machine of that name (created once per server: the names are the mock file's)."""
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(definition))
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, type=type)
    return arn


def run_case(sfn: Any, arn: str, case: str | None, given: Any = None, server: Server | None = None) -> tuple[str, dict[str, Any]]:
    target = f"{arn}#{case}" if case is not None else arn
    started = sfn.start_execution(stateMachineArn=target, input=json.dumps({} if given is None else given))
    if server is not None:  # retries wait on the service clock: move it on until the execution ends
        for _ in range(20):
            if sfn.describe_execution(executionArn=started["executionArn"])["status"] != "RUNNING":
                break
            server.advance(10)
    return started["executionArn"], wait_until_done(sfn, started["executionArn"])


def task_events(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events if e["type"].startswith(("Task", "LambdaFunction")) and "State" not in e["type"]]


# -- selecting a test case ----------------------------------------------------------------------


def test_happy_path_returns_the_mocked_responses_as_the_task_results(sfn: Any) -> None:
    arn = machine(sfn, "LambdaSQSIntegration", LAMBDA_SQS)
    name = unique("happy")
    started = sfn.start_execution(stateMachineArn=f"{arn}#HappyPath", name=name, input='{"hello": "world"}')
    # as AWS documents it: the execution is the machine's, named as asked, without the test case
    assert started["executionArn"] == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:LambdaSQSIntegration:{name}"
    described = wait_until_done(sfn, started["executionArn"])
    assert described["stateMachineArn"] == arn
    assert output_of(described) == SQS_RETURN
    events = history(sfn, started["executionArn"])
    assert task_events(events) == ["TaskScheduled", "TaskStarted", "TaskSucceeded"] * 2
    succeeded = [details(e) for e in events if e["type"] == "TaskSucceeded"]
    assert [(d["resourceType"], d["resource"], json.loads(d["output"])) for d in succeeded] == [
        ("lambda", "invoke", LAMBDA_RETURN), ("sqs", "sendMessage", SQS_RETURN),
    ]
    scheduled = [details(e) for e in events if e["type"] == "TaskScheduled"]
    assert json.loads(scheduled[0]["parameters"]) == {"Payload": {"hello": "world"}, "FunctionName": "HelloWorldFunction"}
    sqs_input = next(details(e) for e in events if e["type"] == "TaskStateEntered" and details(e)["name"] == "SQSState")
    assert json.loads(sqs_input["input"]) == LAMBDA_RETURN  # the mocked result flows on like a real one


def test_retry_consumes_the_mocked_failures_until_the_mocked_success(sfn: Any, server: Server) -> None:
    arn = machine(sfn, "LambdaSQSIntegration", LAMBDA_SQS)
    execution, described = run_case(sfn, arn, "RetryPath", server=server)
    assert output_of(described) == SQS_RETURN
    events = history(sfn, execution)
    lambda_events = [e for e in events if details(e).get("resourceType") == "lambda"]
    assert [e["type"] for e in lambda_events] == ["TaskScheduled", "TaskStarted", "TaskFailed"] * 2 + ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    failed = [details(e) for e in lambda_events if e["type"] == "TaskFailed"]
    assert failed == [{"resourceType": "lambda", "resource": "invoke", "error": "Lambda.TimeoutException", "cause": "Lambda timed out."}] * 2
    assert json.loads(details(lambda_events[-1])["output"]) == LAMBDA_RETURN
    assert [e["type"] for e in events].count("TaskStateEntered") == 2  # retries do not enter the state again


def test_an_invocation_no_entry_covers_fails_the_execution(sfn: Any, server: Server) -> None:
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "Next": "Again"},
        "Again": {"Type": "Pass", "Next": "Work2"},
        "Work2": {"Type": "Pass", "Next": "Loop"},
        "Loop": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 0, "Next": "Work"}], "Default": "Done"},
        "Done": {"Type": "Succeed"},
    }}
    arn = machine(sfn, "Looping", definition)
    execution, described = run_case(sfn, arn, "Once")
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert "has no entry for invocation 1 of the state 'Work'" in described["cause"]
    assert [e["type"] for e in history(sfn, execution)].count("TaskSucceeded") == 1


def test_retries_beyond_the_mocked_failures_end_in_the_last_mocked_error(sfn: Any, server: Server) -> None:
    arn = machine(sfn, "LambdaSQSIntegration", LAMBDA_SQS)
    execution, described = run_case(sfn, arn, "NeverRecovers", server=server)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Lambda.TimeoutException", "Lambda timed out.")
    assert [e["type"] for e in history(sfn, execution)].count("TaskFailed") == 4  # the attempt and MaxAttempts 3


def test_hybrid_path_calls_the_real_integration_for_states_it_does_not_mock(sfn: Any, server: Server) -> None:
    sqs = server.client("sqs")
    queue = sqs.create_queue(QueueName=unique("hybrid"))["QueueUrl"]
    definition = json.loads(json.dumps(LAMBDA_SQS))
    definition["States"]["SQSState"]["Parameters"]["QueueUrl"] = queue
    arn = machine(sfn, "LambdaSQSIntegration", definition)
    _, described = run_case(sfn, arn, "HybridPath")
    sent = output_of(described)
    assert sent["MessageId"] != SQS_RETURN["MessageId"]
    message = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"][0]
    assert json.loads(message["Body"]) == LAMBDA_RETURN  # the mocked Lambda result, really sent


def test_without_a_test_case_no_mock_applies(sfn: Any, server: Server) -> None:
    sqs = server.client("sqs")
    queue = sqs.create_queue(QueueName=unique("real"))["QueueUrl"]
    definition = {"StartAt": "SQSState", "States": {"SQSState": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": queue, "MessageBody": "really"}, "End": True,
    }}}
    arn = machine(sfn, "RealOrMocked", definition)
    _, real = run_case(sfn, arn, None)
    assert output_of(real)["MessageId"] != SQS_RETURN["MessageId"]
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"][0]["Body"] == "really"
    _, mocked = run_case(sfn, arn, "Mocked")  # the same machine, with the test case
    assert output_of(mocked) == SQS_RETURN
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)


def test_a_test_case_the_file_does_not_have_is_refused(sfn: Any) -> None:
    arn = machine(sfn, "LambdaSQSIntegration", LAMBDA_SQS)
    error = error_of(sfn.start_execution, stateMachineArn=f"{arn}#NoSuchCase")
    assert error["Code"] == "InvalidArn"
    assert "has no test case 'NoSuchCase' for the state machine 'LambdaSQSIntegration'" in error["Message"]
    other = machine(sfn, unique("NotInFile"), {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert error_of(sfn.start_execution, stateMachineArn=f"{other}#HappyPath")["Code"] == "InvalidArn"


def test_a_test_case_naming_states_the_machine_has_no_task_for_is_refused(sfn: Any) -> None:
    definition = {"StartAt": "Relay", "States": {
        "Relay": {"Type": "Pass", "Next": "Both"},
        "Both": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": True},
        }}]},
    }}
    arn = machine(sfn, "Strays", definition)
    error = error_of(sfn.start_execution, stateMachineArn=f"{arn}#Typo")
    assert error["Code"] == "ValidationException"
    assert error["Message"].endswith("mocks 'Relay', 'Wrok': the state machine 'Strays' has no Task state of these names")
    assert output_of(run_case(sfn, arn, "Fine")[1]) == [{"n": 0}]  # a Task inside a branch is found
    version = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    execution, described = run_case(sfn, version, "Fine")  # a version's ARN takes a test case too
    assert output_of(described) == [{"n": 0}]
    assert described["stateMachineVersionArn"] == version


def test_start_sync_execution_runs_a_test_case(sfn: Any) -> None:
    definition = {"StartAt": "LambdaState", "States": {"LambdaState": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
        "OutputPath": "$.Payload", "End": True,
    }}}
    arn = machine(sfn, "Express", definition, type="EXPRESS")
    answer = sfn.start_sync_execution(stateMachineArn=f"{arn}#Mocked", input="{}")
    assert answer["status"] == "SUCCEEDED", answer
    assert json.loads(answer["output"]) == LAMBDA_RETURN["Payload"]
    assert answer["stateMachineArn"] == arn


# -- what a mocked task can be --------------------------------------------------------------------


def test_unemulated_services_and_sdk_tasks_work_when_mocked(sfn: Any) -> None:
    definition = {"StartAt": "PutItem", "States": {
        "PutItem": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                    "Parameters": {"TableName": "t", "Item": {"id": {"S": "1"}}}, "ResultPath": "$.put", "Next": "GetObject"},
        "GetObject": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                      "Parameters": {"Bucket": "b", "Key": "k"}, "ResultPath": "$.object", "End": True},
    }}
    arn = machine(sfn, "Unemulated", definition)
    execution, described = run_case(sfn, arn, "Mocked", {"id": 1})
    assert output_of(described) == {"id": 1, "put": {}, "object": MOCKED_RESPONSES["GetObjectOk"]["0"]["Return"]}
    events = history(sfn, execution)
    assert task_events(events) == ["TaskScheduled", "TaskStarted", "TaskSucceeded"] * 2
    assert [(details(e)["resourceType"], details(e)["resource"]) for e in events if e["type"] == "TaskScheduled"] == [
        ("dynamodb", "putItem"), ("aws-sdk:s3", "getObject"),
    ]
    # without the test case the same machine meets stepstack's refusal of the unemulated service
    _, real = run_case(sfn, arn, None)
    assert real["status"] == "FAILED" and real["error"] == "States.TaskFailed"


def test_a_lambda_function_arn_task_records_lambda_function_events(sfn: Any, server: Server) -> None:
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{unique('nosuchfunction')}"
    definition = {"StartAt": "Invoke", "States": {"Invoke": {
        "Type": "Task", "Resource": function, "TimeoutSeconds": 30,
        "Retry": [{"ErrorEquals": ["Lambda.TimeoutException"], "IntervalSeconds": 1, "MaxAttempts": 2}], "End": True,
    }}}
    arn = machine(sfn, "FunctionArn", definition)
    execution, described = run_case(sfn, arn, "Mocked", {"in": 1}, server=server)
    assert output_of(described) == LAMBDA_RETURN["Payload"]  # the Return's Payload, as a function's output
    events = history(sfn, execution)
    assert task_events(events) == ["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed"] * 2 + [
        "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
    ]
    scheduled = details(next(e for e in events if e["type"] == "LambdaFunctionScheduled"))
    assert scheduled == {"resource": function, "input": '{"in":1}', "inputDetails": {"truncated": False}, "timeoutInSeconds": 30}
    assert details(next(e for e in events if e["type"] == "LambdaFunctionFailed")) == {
        "error": "Lambda.TimeoutException", "cause": "Lambda timed out.",
    }


def test_wait_for_task_token_gets_the_mocked_callback(sfn: Any) -> None:
    definition = {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                 "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/nowhere",
                                "MessageBody": {"TaskToken.$": "$$.Task.Token"}},
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True},
    }}
    arn = machine(sfn, "Callbacks", definition)
    execution, described = run_case(sfn, arn, "Succeeds")
    assert output_of(described) == "string-literal"
    events = history(sfn, execution)
    assert task_events(events) == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    token = json.loads(details(events[2])["parameters"])["MessageBody"]["TaskToken"]
    assert token  # a task token is made as for a real call
    assert details(events[-3])["output"] == '"string-literal"'

    execution, described = run_case(sfn, arn, "Fails", {"k": 1})
    assert output_of(described) == {"k": 1, "error": {"Error": "Failure error", "Cause": "Failure cause"}}
    failed = [details(e) for e in history(sfn, execution) if e["type"] == "TaskFailed"]
    assert failed == [{"error": "Failure error", "cause": "Failure cause", "resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"}]


def test_a_sync_task_gets_the_mocked_final_output(sfn: Any) -> None:
    definition = {"StartAt": "StartChild", "States": {"StartChild": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"StateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:absent"}, "End": True,
    }}}
    arn = machine(sfn, "SyncChild", definition)
    execution, described = run_case(sfn, arn, "Mocked")
    assert output_of(described) == MOCKED_RESPONSES["StartSyncOk"]["0"]["Return"]
    events = history(sfn, execution)
    assert task_events(events) == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert details(events[-3])["resource"] == "startExecution.sync"


def test_states_inside_a_map_count_invocations_across_iterations(sfn: Any) -> None:
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 1, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Item", "States": {
            "Item": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": True},
        }},
    }}}
    arn = machine(sfn, "Mapped", definition)
    _, described = run_case(sfn, arn, "Mocked", [1, 2, 3])
    assert output_of(described) == ["first", "first", "third"]


def test_states_inside_a_distributed_map_are_mocked_in_its_child_executions(sfn: Any) -> None:
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 1, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Item", "States": {
            "Item": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": True},
        }},
    }}}
    arn = machine(sfn, "DistributedMap", definition)
    _, described = run_case(sfn, arn, "Mocked", [1, 2, 3])
    assert output_of(described) == ["first", "first", "third"]


def test_states_inside_parallel_branches_are_mocked_by_name(sfn: Any) -> None:
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                                                   "Parameters": {"TableName": "t", "Key": {}}, "End": True}}}

    definition = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [branch("B1"), branch("B2")],
                 "Catch": [{"ErrorEquals": ["Custom.Error"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True},
    }}
    arn = machine(sfn, "Parallels", definition)
    execution, described = run_case(sfn, arn, "Mocked")
    assert output_of(described) == {"Error": "Custom.Error", "Cause": "branch 2 broke"}
    events = history(sfn, execution)
    assert [details(e) for e in events if e["type"] == "TaskSucceeded"] == [
        {"resourceType": "aws-sdk:dynamodb", "resource": "getItem", "output": '{"branch":1}', "outputDetails": {"truncated": False}},
    ]
    assert [details(e)["error"] for e in events if e["type"] == "TaskFailed"] == ["Custom.Error"]


def test_a_redriven_execution_carries_on_counting_invocations(sfn: Any) -> None:
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": True}}}
    arn = machine(sfn, "Redriven", definition)
    execution, described = run_case(sfn, arn, "Mocked")
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Flaky.Error", "first time")
    sfn.redrive_execution(executionArn=execution)
    wait_for_event(sfn, execution, "ExecutionSucceeded")
    assert output_of(sfn.describe_execution(executionArn=execution)) == "second time"


def test_an_activity_cannot_be_mocked(sfn: Any) -> None:
    activity = create_activity(sfn)
    arn = machine(sfn, "WithActivity", {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}})
    _, described = run_case(sfn, arn, "Mocked")
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "States.Runtime", ACTIVITY_CAUSE)


# -- the file: reloaded, validated ----------------------------------------------------------------


def test_a_changed_file_is_used_by_the_next_execution(sfn: Any, mock_file: Path) -> None:
    definition = {"StartAt": "Answer", "States": {"Answer": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": True}}}
    arn = machine(sfn, "Reloaded", definition)
    assert output_of(run_case(sfn, arn, "Case")[1]) == "v1"
    changed = mock_config({**MACHINES, "Reloaded": {"Case": {"Answer": "Version2"}, "Added": {"Answer": "Version1"}}})
    try:
        write(mock_file, changed)
        assert output_of(run_case(sfn, arn, "Case")[1]) == "v2"
        assert output_of(run_case(sfn, arn, "Added")[1]) == "v1"  # a test case added to the file
        write(mock_file, '{"StateMachines": {}, "MockedResponses": {"Broken": {"0": {"Throw": {"Error": "E"}}}}}')
        error = error_of(sfn.start_execution, stateMachineArn=f"{arn}#Case")
        assert error["Code"] == "ValidationException"
        assert "MockedResponses.Broken.0.Throw: needs the string field Cause" in error["Message"]
    finally:
        write(mock_file, mock_config())
    assert output_of(run_case(sfn, arn, "Case")[1]) == "v1"


def test_a_server_without_a_mock_file_refuses_test_cases(tmp_path: Path) -> None:
    plain = start_server(tmp_path)
    try:
        sfn = plain.client("stepfunctions")
        arn = sfn.create_state_machine(name=unique("sm"), definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}), roleArn=ROLE)["stateMachineArn"]
        error = error_of(sfn.start_execution, stateMachineArn=f"{arn}#HappyPath")
        assert error["Code"] == "ValidationException"
        assert "no mock configuration file: set SFN_MOCK_CONFIG" in error["Message"]
    finally:
        stop_server(plain)


def refused_start(tmp_path: Path, config: str | None) -> str:
    """What stepstack says when it refuses to start with this mock configuration file."""
    path = tmp_path / "MockConfigFile.json"
    if config is not None:
        path.write_text(config)
    process = subprocess.run(
        [sys.executable, "-m", "server", "--port", str(free_port())], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "STEPSTACK_SFN_MOCK_CONFIG": str(path)},
    )
    assert process.returncode == 2, process.stdout + process.stderr
    return process.stderr


def test_stepstack_refuses_to_start_with_an_invalid_or_missing_file(tmp_path: Path) -> None:
    assert "does not exist" in refused_start(tmp_path, None)
    assert "is not valid JSON" in refused_start(tmp_path, "{not json")
    said = refused_start(tmp_path, json.dumps(mock_config({"M": {"T": {"S": "Missing"}}}, {"R": {"0": {"Return": 1, "Throw": {}}}})))
    assert "StateMachines.M.TestCases.T.S: the mocked response 'Missing' is not in MockedResponses" in said
    assert "MockedResponses.R.0: must be an object with exactly one field, Return or Throw" in said


@pytest.mark.parametrize(("mocked", "problem"), [
    ({"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}, "MockedResponses.R: the invocations 0-2 and 2 overlap"),
    ({"R": {"1-3": {"Return": 1}, "0-1": {"Return": 2}}}, "MockedResponses.R: the invocations 0-1 and 1-3 overlap"),
    ({"R": {"first": {"Return": 1}}}, "MockedResponses.R.first: the key must be an invocation number"),
    ({"R": {"3-1": {"Return": 1}}}, "MockedResponses.R.3-1: the range ends before it starts"),
    ({"R": {"0": {}}}, "MockedResponses.R.0: must be an object with exactly one field, Return or Throw"),
    ({"R": {"0": {"Throw": {"Cause": "c"}}}}, "MockedResponses.R.0.Throw: needs the string field Error"),
    ({"R": {"0": {"Throw": {"Error": 1, "Cause": 2}}}}, "needs the string fields Error and Cause"),
    ({"R": {"0": {"Throw": "oops"}}}, "MockedResponses.R.0.Throw: must be an object"),
    ({"R": {}}, "MockedResponses.R: must be an object of invocation numbers"),
])
def test_invalid_mocked_responses_are_refused_with_the_field_at_fault(mocked: dict[str, Any], problem: str) -> None:
    with pytest.raises(MockConfigError) as refused:
        parse_config(json.dumps(mock_config({"M": {"T": {"S": "R"}}}, mocked)), "MockConfigFile.json")
    assert problem in str(refused.value)
    assert str(refused.value).startswith("The mock configuration file MockConfigFile.json is invalid:")


@pytest.mark.parametrize(("config", "problem"), [
    ({"MockedResponses": {}}, "StateMachines: missing"),
    ({"StateMachines": {}}, "MockedResponses: missing"),
    ({"StateMachines": [], "MockedResponses": {}}, "StateMachines: must be an object"),
    ({"StateMachines": {"M": {"Cases": {}}}, "MockedResponses": {}}, "StateMachines.M: must be an object with one field, TestCases"),
    ({"StateMachines": {"M": {"TestCases": {"T": "S"}}}, "MockedResponses": {}}, "StateMachines.M.TestCases.T: must be an object"),
    ({"StateMachines": {"M": {"TestCases": {"T": {"S": 1}}}}, "MockedResponses": {}}, "StateMachines.M.TestCases.T.S: must be the name"),
    ({"StateMachines": {}, "MockedResponses": {}, "Extra": 1}, "'Extra': unknown field"),
])
def test_an_invalid_structure_is_refused_with_the_field_at_fault(config: dict[str, Any], problem: str) -> None:
    with pytest.raises(MockConfigError, match="is invalid") as refused:
        parse_config(json.dumps(config), "f.json")
    assert problem in str(refused.value)


def test_every_problem_is_reported_at_once() -> None:
    config = mock_config({"M": {"T": {"A": "Nope", "B": "R"}}}, {"R": {"0": {"Return": 1}, "0-1": {"Return": 2}}})
    with pytest.raises(MockConfigError) as refused:
        parse_config(json.dumps(config), "f.json")
    assert str(refused.value).count("\n  - ") == 2


def test_aws_documented_example_is_valid() -> None:
    config = parse_config(json.dumps(mock_config({
        "LambdaSQSIntegration": {"RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"}},
    }, {
        "MockedSQSSuccess": {"0": {"Return": SQS_RETURN}},
        "MockedLambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": LAMBDA_RETURN},
        },
    })), "MockConfigFile.json")
    case = config.test_case("LambdaSQSIntegration", "RetryPath")
    assert case is not None
    assert [(e["first"], e["last"], e["returns"]) for e in case["states"]["LambdaState"]["entries"]] == [(0, 0, False), (1, 2, False), (3, 3, True)]
    assert config.test_case("LambdaSQSIntegration", "HappyPath") is None
