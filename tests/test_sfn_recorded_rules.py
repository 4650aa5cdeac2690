"""Rules of the JSONPath language as executions recorded on real AWS show them: causes, events
and checks that an emulator easily gets slightly wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import details, history, history_types, output_of, run, start, wait_until_done

PREFIX = "An error occurred while executing the state '{}' (entered at the event id #{}). "


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def failed(described: dict[str, Any]) -> tuple[str, str]:
    assert described["status"] == "FAILED", described
    return described["error"], described["cause"]


def test_a_runtime_failure_names_its_state_and_entered_event(sfn: Any) -> None:
    definition = {"StartAt": "first", "States": {
        "first": {"Type": "Pass", "Next": "pass"},
        "pass": {"Type": "Pass", "OutputPath": "$.NoSuchOutputPath", "End": True}}}
    _, described = run(sfn, definition, {"a": 1})
    assert failed(described) == (
        "States.Runtime",
        PREFIX.format("pass", 4) + "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']",
    )


@pytest.mark.parametrize("field", ["ErrorPath", "CausePath"])
def test_a_fail_state_path_that_finds_nothing(sfn: Any, field: str) -> None:
    definition = {"StartAt": "fail", "States": {"fail": {"Type": "Fail", field: "$.Missing"}}}
    _, described = run(sfn, definition, {"a": 1})
    assert failed(described) == (
        "States.Runtime",
        PREFIX.format("fail", 2) + f"The JSONPath '$.Missing' specified for the field '{field}' could not be found in the input '{{\"a\":1}}'",
    )


@pytest.mark.parametrize("kind", ["Map", "Parallel"])
def test_a_retried_map_or_parallel_records_its_failure_once(own_server: Server, kind: str) -> None:
    sfn = own_server.client("stepfunctions")
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}
    state: dict[str, Any] = {"Type": kind, "End": True,
                             "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 2}]}
    if kind == "Map":
        state["ItemProcessor"] = failing
    else:
        state["Branches"] = [failing]
    _, arn = start(sfn, {"StartAt": "S", "States": {"S": state}}, [1])
    own_server.advance(2)  # both retries' waits, settled in one step
    assert failed(wait_until_done(sfn, arn))[0] == "Boom"
    types = history_types(sfn, arn)
    assert types.count(f"{kind}StateStarted") == 3
    assert types.count(f"{kind}StateFailed") == 1
    assert types[-2:] == [f"{kind}StateFailed", "ExecutionFailed"]


@pytest.mark.parametrize("seconds, message", [
    (-1, "The SecondsPath parameter references a negative value: $.wait == -1"),
    (1.5, "The SecondsPath parameter cannot be parsed as a long value: $.wait == 1.5"),
    (-1.5, "The SecondsPath parameter cannot be parsed as a long value: $.wait == -1.5"),
])
def test_seconds_path_to_a_negative_or_fractional_number(sfn: Any, seconds: float, message: str) -> None:
    definition = {"StartAt": "wait", "States": {"wait": {"Type": "Wait", "SecondsPath": "$.wait", "End": True}}}
    _, described = run(sfn, definition, {"wait": seconds})
    assert failed(described) == ("States.Runtime", PREFIX.format("wait", 2) + message)


def _map(**fields: Any) -> dict[str, Any]:
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    return {"StartAt": "MapState", "States": {"MapState": {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}}}


@pytest.mark.parametrize("value, shown", [("NoNumber", "NoNumber"), ({}, "{}"), (1.5, "1.5")])
def test_max_concurrency_path_to_a_non_integer_fails_before_the_map_starts(sfn: Any, value: Any, shown: str) -> None:
    arn, described = run(sfn, _map(ItemsPath="$.items", MaxConcurrencyPath="$.limit"), {"items": [1], "limit": value})
    assert failed(described) == (
        "States.Runtime",
        PREFIX.format("MapState", 2) + f'The MaxConcurrencyPath field refers to value "{shown}" which is not a valid integer: $.limit',
    )
    assert history_types(sfn, arn) == ["ExecutionStarted", "MapStateEntered", "ExecutionFailed"]


def test_max_concurrency_path_to_text_of_an_integer_is_taken(sfn: Any) -> None:
    _, described = run(sfn, _map(ItemsPath="$.items", MaxConcurrencyPath="$.limit"), {"items": [1, 2], "limit": "1"})
    assert output_of(described) == [1, 2]


def test_a_map_input_that_is_not_an_array(sfn: Any) -> None:
    arn, described = run(sfn, _map(), {"foo": "bar"})
    assert failed(described) == ("States.Runtime", PREFIX.format("MapState", 2) + 'Map state input must be an array but was: {"foo":"bar"}')
    assert history_types(sfn, arn)[-2:] == ["MapStateFailed", "ExecutionFailed"]


def test_no_iteration_starts_after_one_failed(sfn: Any) -> None:
    processor = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": processor, "End": True}}}
    arn, described = run(sfn, definition, [1, 2, 3])
    assert failed(described)[0] == "Boom"
    assert history_types(sfn, arn).count("MapIterationStarted") == 1


def test_the_context_object_holds_retry_count_only_for_states_that_retry(sfn: Any) -> None:
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"state.$": "$$.State"}, "ResultPath": "$.pass", "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"state.$": "$$.State"}, "ResultPath": "$.map",
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}, "End": True}}}
    _, described = run(sfn, definition, {"items": [1]})
    out = output_of(described)
    assert sorted(out["pass"]["state"]) == ["EnteredTime", "Name"]
    assert sorted(out["map"][0]["state"]) == ["EnteredTime", "Name", "RetryCount"]
    assert out["map"][0]["state"]["RetryCount"] == 0


def test_intrinsics_round_and_render_as_java_does(sfn: Any) -> None:
    definition = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True, "Parameters": {
        "sum.$": "States.MathAdd($.a, $.b)", "text.$": "States.Format('{}', $.o)"}}}}
    _, described = run(sfn, definition, {"a": 1.5, "b": 1.51, "o": {"Arg1": 1, "Arg2": []}})
    assert output_of(described) == {"sum": 4, "text": "{Arg1=1, Arg2=[]}"}


def test_evaluation_failures_are_linked_as_aws_links_them(sfn: Any) -> None:
    arn, _ = run(sfn, _map(), {"foo": "bar"})
    events = {e["type"]: e for e in history(sfn, arn)}
    assert events["MapStateFailed"]["previousEventId"] == events["MapStateEntered"]["id"]
    assert json.loads(details(events["MapStateEntered"])["input"]) == {"foo": "bar"}


def test_a_task_on_an_activity_that_does_not_exist(sfn: Any) -> None:
    missing = "arn:aws:states:us-east-1:000000000000:activity:never-created"
    definition = {"StartAt": "ActivityTask", "States": {"ActivityTask": {"Type": "Task", "Resource": missing, "End": True}}}
    arn, described = run(sfn, definition, {"Value1": "HelloWorld"})
    assert failed(described) == ("States.Runtime", PREFIX.format("ActivityTask", 2) + f"The activity {missing} does not exist.")
    assert history_types(sfn, arn) == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]


def test_tolerated_failure_paths_are_applied(sfn: Any) -> None:
    processor = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}
    for count, status in ((2, "SUCCEEDED"), (1, "FAILED")):
        definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                                                        "ToleratedFailureCountPath": "$.tolerated", "ItemProcessor": processor}}}
        _, described = run(sfn, definition, {"items": [1, 2], "tolerated": count})
        assert described["status"] == status, described
        if status == "FAILED":
            assert described["error"] == "States.ExceedToleratedFailureThreshold"
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                                                    "ToleratedFailurePercentagePath": "$.percent", "ItemProcessor": processor}}}
    _, described = run(sfn, definition, {"items": [1, 2], "percent": 100})
    assert described["status"] == "SUCCEEDED"


def test_an_execution_started_through_another_region_runs_and_is_listed_with_its_machine(server: Server) -> None:
    west, east = server.client("stepfunctions", "us-west-2"), server.client("stepfunctions", "us-east-1")
    machine = west.create_state_machine(name="home-west", roleArn="arn:aws:iam::000000000000:role/r",
                                        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    started = east.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    assert started.split(":")[3] == "us-west-2"
    assert [e["executionArn"] for e in west.list_executions(stateMachineArn=machine)["executions"]] == [started]
