"""TestState through boto3: inspection levels, mocks and their validation modes, Retry/Catch
reported as RETRIABLE / CAUGHT_ERROR, Map and Parallel with mocks, and the errors AWS answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

LAMBDA = "arn:aws:states:::lambda:invoke"


@pytest.fixture(scope="module")
def sfn(server: Server) -> Any:
    return server.client("stepfunctions", inject_host_prefix=False)


def call(sfn: Any, state: dict[str, Any], input: Any = None, **params: Any) -> dict[str, Any]:
    answer = sfn.test_state(definition=json.dumps(state), input=json.dumps({} if input is None else input), **params)
    answer.pop("ResponseMetadata")
    return answer


def inspected(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v if not isinstance(v, str) else json.loads(v) for k, v in answer["inspectionData"].items()}


def refused(sfn: Any, code: str, state: dict[str, Any], **params: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(sfn, state, **params)
    assert raised.value.response["Error"]["Code"] == code, raised.value.response
    return raised.value.response["Error"]["Message"]


IO_PASS = {
    "Type": "Pass",
    "InputPath": "$.initial",
    "Parameters": {"static": "v", "fromInput.$": "$.field"},
    "ResultPath": "$.modified",
    "Next": "After",
}
IO_INPUT = {"initial": {"field": "x", "other": 1}, "unrelated": 2}


@pytest.mark.parametrize("level", ["INFO", "DEBUG", "TRACE"])
def test_pass_at_each_inspection_level(sfn: Any, level: str) -> None:
    answer = call(sfn, IO_PASS, IO_INPUT, inspectionLevel=level)
    assert answer["status"] == "SUCCEEDED"
    assert answer["nextState"] == "After"
    assert json.loads(answer["output"]) == {**IO_INPUT, "modified": {"static": "v", "fromInput": "x"}}
    if level == "INFO":
        assert "inspectionData" not in answer
        return
    assert inspected(answer) == {
        "input": IO_INPUT,
        "afterInputPath": IO_INPUT["initial"],
        "afterParameters": {"static": "v", "fromInput": "x"},
        "afterResultSelector": {"static": "v", "fromInput": "x"},
        "afterResultPath": {**IO_INPUT, "modified": {"static": "v", "fromInput": "x"}},
    }


def test_pass_with_result_shows_the_result_not_the_input_steps(sfn: Any) -> None:
    answer = call(sfn, {"Type": "Pass", "Result": {"k": 1}, "End": True}, {"a": 0}, inspectionLevel="DEBUG")
    assert "nextState" not in answer
    assert inspected(answer) == {"input": {"a": 0}, "result": {"k": 1}, "afterResultSelector": {"k": 1}, "afterResultPath": {"k": 1}}


def test_variables_are_read_and_assigned(sfn: Any) -> None:
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"total": "{% $base + $states.input.n %}"}, "Output": "{% $base %}", "End": True}
    answer = call(sfn, state, {"n": 2}, variables=json.dumps({"base": 40}), inspectionLevel="DEBUG")
    assert json.loads(answer["output"]) == 40  # Output reads the variables as they were at entry
    assert inspected(answer)["variables"] == {"base": 40, "total": 42}


def test_choice_names_the_next_state(sfn: Any) -> None:
    state = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.value", "NumericGreaterThanEquals": 20, "Next": "Twenties"}],
        "Default": "Other",
    }
    assert call(sfn, state, {"value": 22})["nextState"] == "Twenties"
    low = call(sfn, state, {"value": 3}, inspectionLevel="DEBUG")
    assert low["nextState"] == "Other"
    assert inspected(low) == {"input": {"value": 3}, "afterInputPath": {"value": 3}}


def test_a_state_of_a_whole_definition(sfn: Any) -> None:
    machine = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Result": "b", "End": True}}}
    answer = sfn.test_state(definition=json.dumps(machine), stateName="B", input="{}")
    assert json.loads(answer["output"]) == "b"
    assert "nextState" not in answer


def test_fail_state_fails(sfn: Any) -> None:
    answer = call(sfn, {"Type": "Fail", "Error": "SomeFailure", "Cause": "because"}, inspectionLevel="DEBUG")
    assert (answer["status"], answer["error"], answer["cause"]) == ("FAILED", "SomeFailure", "because")
    assert "output" not in answer


def task(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": True, **fields}


@pytest.mark.parametrize("level", ["INFO", "DEBUG", "TRACE"])
def test_task_with_a_mocked_result(sfn: Any, level: str) -> None:
    state = task(ResultSelector={"code.$": "$.StatusCode"}, ResultPath="$.out")
    mock = {"result": json.dumps({"StatusCode": 200, "Payload": {"any": "json"}})}
    answer = call(sfn, state, {"x": 1}, mock=mock, inspectionLevel=level)
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"x": 1, "out": {"code": 200}}
    if level != "INFO":
        data = inspected(answer)
        assert data["afterParameters"] == {"FunctionName": "f", "Payload": {"x": 1}}
        assert data["result"] == {"StatusCode": 200, "Payload": {"any": "json"}}
        assert data["afterResultSelector"] == {"code": 200}
        assert data["afterResultPath"] == {"x": 1, "out": {"code": 200}}


def test_field_validation_modes(sfn: Any) -> None:
    start = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "Parameters": {"StateMachineArn": "a"}, "End": True}
    lower = {"result": json.dumps({"executionArn": "x"})}  # not in the integration's (capitalized) case
    message = refused(sfn, "ValidationException", start, mock={**lower, "fieldValidationMode": "STRICT"})
    assert message == "Mock result schema validation error: Required field 'ExecutionArn' is missing"
    assert refused(sfn, "ValidationException", start, mock=lower) == message  # STRICT is the default
    assert call(sfn, start, mock={**lower, "fieldValidationMode": "PRESENT"})["status"] == "SUCCEEDED"
    bad_type = {"result": json.dumps({"ExecutionArn": "x", "StartDate": True})}
    assert refused(sfn, "ValidationException", start, mock={**bad_type, "fieldValidationMode": "PRESENT"}) == (
        "Mock result schema validation error: Field 'StartDate' must be a string"
    )
    assert json.loads(call(sfn, start, mock={**bad_type, "fieldValidationMode": "NONE"})["output"])["StartDate"] is True
    wrong_number = {"result": json.dumps({"StatusCode": "200"}), "fieldValidationMode": "PRESENT"}
    assert refused(sfn, "ValidationException", task(), mock=wrong_number).endswith("Field 'StatusCode' must be a number")
    unknown = call(sfn, task(), mock={"result": json.dumps({"random": "json"}), "fieldValidationMode": "STRICT"})
    assert json.loads(unknown["output"]) == {"random": "json"}  # Invoke requires nothing; unknown fields pass


def test_mocked_error_fails_is_caught_or_retriable(sfn: Any) -> None:
    error = {"errorOutput": {"error": "MockException", "cause": "mocked"}}
    failed = call(sfn, task(), mock=error, inspectionLevel="DEBUG")
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "MockException", "mocked")
    caught = call(
        sfn,
        task(Catch=[{"ErrorEquals": ["Other"], "Next": "No"}, {"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handle"}]),
        {"v": 1},
        mock=error,
        inspectionLevel="DEBUG",
    )
    assert (caught["status"], caught["nextState"]) == ("CAUGHT_ERROR", "Handle")
    assert json.loads(caught["output"]) == {"v": 1, "err": {"Error": "MockException", "Cause": "mocked"}}
    assert inspected(caught)["errorDetails"] == {"catchIndex": 1}
    retry = task(Retry=[{"ErrorEquals": ["MockException"], "IntervalSeconds": 1, "MaxAttempts": 5, "BackoffRate": 2.0}])
    first = call(sfn, retry, mock=error, inspectionLevel="DEBUG")
    assert first["status"] == "RETRIABLE"
    assert inspected(first)["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 1}
    fourth = call(sfn, retry, mock=error, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 4})
    assert (fourth["status"], inspected(fourth)["errorDetails"]) == ("RETRIABLE", {"retryIndex": 0, "retryBackoffIntervalSeconds": 16})
    spent = call(sfn, retry, mock=error, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 5})
    assert (spent["status"], inspected(spent)["errorDetails"]) == ("FAILED", {"retryIndex": 0})


def test_a_task_that_cannot_run_without_a_mock(sfn: Any) -> None:
    activity = {"Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:a", "End": True}
    assert "Activity" in refused(sfn, "ValidationException", activity)
    answer = call(sfn, task())  # no emulator runs lambda:invoke inside executions yet: what an execution records
    assert (answer["status"], answer["error"]) == ("FAILED", "States.TaskFailed")
    assert LAMBDA in answer["cause"]


MAP = {
    "Type": "Map",
    "ItemsPath": "$.values",
    "MaxConcurrency": 2,
    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    "ResultPath": "$.results",
    "End": True,
}


def test_map_with_a_mocked_result(sfn: Any) -> None:
    answer = call(sfn, MAP, {"values": [1, 2, 3]}, mock={"result": json.dumps([10, 20, 30])}, inspectionLevel="DEBUG")
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"values": [1, 2, 3], "results": [10, 20, 30]}
    data = inspected(answer)
    assert data["afterItemsPath"] == [1, 2, 3]
    assert data["maxConcurrency"] == 2
    assert "toleratedFailureCount" not in data
    assert refused(sfn, "ValidationException", MAP, mock={"result": "{}"}) == "Mocked result must be an array."
    assert refused(sfn, "InvalidDefinition", MAP).startswith("TestState API does not support Map or Parallel states")


def test_a_distributed_map_shows_each_iteration_input_and_batch(sfn: Any) -> None:
    state = {
        "Type": "Map", "End": True, "ItemsPath": "$.values",
        "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
        "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"shared": 1}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    }
    answer = call(sfn, state, {"values": ["a", "b", "c"]}, mock={"result": "[1, 2]"}, inspectionLevel="DEBUG")
    data = inspected(answer)
    assert data["afterItemSelector"] == [{"v": "a", "i": 0}, {"v": "b", "i": 1}, {"v": "c", "i": 2}]
    assert data["afterItemBatcher"] == [
        {"BatchInput": {"shared": 1}, "Items": [{"v": "a", "i": 0}, {"v": "b", "i": 1}]},
        {"BatchInput": {"shared": 1}, "Items": [{"v": "c", "i": 2}]},
    ]


def test_map_iteration_failures_against_the_tolerance(sfn: Any) -> None:
    state = {**MAP, "ToleratedFailureCount": 1, "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Over"}]}
    mock = {"result": json.dumps([1, 1, 1])}
    within = call(sfn, state, {"values": [1, 2, 3]}, mock=mock, stateConfiguration={"mapIterationFailureCount": 1}, inspectionLevel="DEBUG")
    assert within["status"] == "SUCCEEDED"
    assert inspected(within)["toleratedFailureCount"] == 1
    over = call(sfn, state, {"values": [1, 2, 3]}, mock=mock, stateConfiguration={"mapIterationFailureCount": 2})
    assert (over["status"], over["error"], over["nextState"]) == ("CAUGHT_ERROR", "States.ExceedToleratedFailureThreshold", "Over")
    message = refused(sfn, "ValidationException", state, mock=mock, stateConfiguration={"mapIterationFailureCount": 4})
    assert message == "Map iteration failure count must be less than or equal to the number of Map iterations"
    assert "when a mock is not specified" in refused(sfn, "ValidationException", state, stateConfiguration={"mapIterationFailureCount": 1})


PARALLEL = {
    "Type": "Parallel",
    "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
    ],
    "ResultPath": "$.both",
    "Next": "Later",
}


def test_parallel_with_a_mocked_result(sfn: Any) -> None:
    answer = call(sfn, PARALLEL, {"k": 1}, mock={"result": json.dumps([{"a": 1}, {"b": 2}])}, inspectionLevel="DEBUG")
    assert (answer["status"], answer["nextState"]) == ("SUCCEEDED", "Later")
    assert json.loads(answer["output"]) == {"k": 1, "both": [{"a": 1}, {"b": 2}]}
    assert inspected(answer)["afterResultPath"] == {"k": 1, "both": [{"a": 1}, {"b": 2}]}
    message = refused(sfn, "ValidationException", PARALLEL, mock={"result": "[1]"})
    assert message == "Mocked result must contain the same number of items as number of Parallel branches."
    failed = call(sfn, PARALLEL, mock={"errorOutput": {"error": "E", "cause": "c"}})
    assert (failed["status"], failed["error"]) == ("FAILED", "E")


def test_the_errors_aws_answers(sfn: Any) -> None:
    assert refused(sfn, "ValidationException", {"Type": "Pass", "End": True}, mock={"result": "{}"}) == (
        "State type 'Pass' is not supported when a mock is specified"
    )
    both = {"result": "{}", "errorOutput": {"error": "E"}}
    assert "only one of the following fields" in refused(sfn, "ValidationException", task(), mock=both)
    assert refused(sfn, "ValidationException", task(), mock={"result": "not json"}) == "Mocked result must be valid JSON"
    refused(sfn, "InvalidDefinition", {"Type": "Nope"})
    with pytest.raises(ClientError) as raised:
        sfn.test_state(definition=json.dumps({"Type": "Pass", "End": True}), input="{not json")
    assert raised.value.response["Error"]["Code"] == "InvalidExecutionInput"
