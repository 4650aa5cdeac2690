"""JSONata state machines through boto3: every field AWS lets an expression fill, `$states` in
each of its contexts, AWS's own functions, variables, and the errors of evaluation and
validation."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import (
    ROLE,
    Worker,
    create_activity,
    details,
    error_of,
    history,
    history_types,
    output_of,
    run,
    start,
    wait_until_done,
)

PREFIX = "An error occurred while executing the state '{}' (entered at the event id #{}). "


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def machine(states: dict[str, Any], start_at: str | None = None) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": start_at or next(iter(states)), "States": states}


def output(sfn: Any, states: dict[str, Any], given: Any = None) -> Any:
    _, described = run(sfn, machine(states), given if given is not None else {})
    assert described["status"] == "SUCCEEDED", described
    return output_of(described)


def test_pass_output_reads_the_input_and_keeps_other_text_as_written(sfn: Any) -> None:
    states = {"P": {"Type": "Pass", "End": True, "Output": {
        "sum": "{% $states.input.a + $states.input.b %}", "list": [1, "{% $string($states.input.a) %}"],
        "text": " {% not an expression %} ", "path": "$.a", "name": "{% $states.context.State.Name %}"}}}
    assert output(sfn, states, {"a": 1, "b": 2}) == {"sum": 3, "list": [1, "1"], "text": " {% not an expression %} ",
                                                   "path": "$.a", "name": "P"}


def test_without_output_a_state_passes_its_input_on(sfn: Any) -> None:
    assert output(sfn, {"P": {"Type": "Pass", "End": True}}, {"keep": [1]}) == {"keep": [1]}


def test_choice_conditions_choose_and_the_chosen_rule_sets_output_and_variables(sfn: Any) -> None:
    states = {
        "C": {"Type": "Choice", "Default": "D", "Output": {"took": "default"},
              "Choices": [{"Condition": "{% $states.input.n > 10 %}", "Next": "D",
                           "Output": {"took": "big", "n": "{% $states.input.n %}"}, "Assign": {"seen": "{% $states.input.n %}"}}]},
        "D": {"Type": "Pass", "End": True, "Output": "{% $merge([$states.input, {'seen': $exists($seen) ? $seen : null}]) %}"},
    }
    assert output(sfn, states, {"n": 11}) == {"took": "big", "n": 11, "seen": 11}
    assert output(sfn, states, {"n": 1}) == {"took": "default", "seen": None}


def test_a_condition_that_is_not_a_boolean_fails(sfn: Any) -> None:
    states = {"C": {"Type": "Choice", "Default": "D", "Choices": [{"Condition": "{% 'yes' %}", "Next": "D"}]},
              "D": {"Type": "Succeed"}}
    _, described = run(sfn, machine(states), {})
    assert described["error"] == "States.QueryEvaluationError"
    assert described["cause"].startswith(PREFIX.format("C", 2))


def test_wait_seconds_and_timestamp_from_expressions(sfn: Any) -> None:
    states = {
        "W1": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Next": "W2"},
        "W2": {"Type": "Wait", "Timestamp": "{% $states.input.past %}", "End": True, "Output": {"done": True}},
    }
    assert output(sfn, states, {"s": 0, "past": "2020-01-01T00:00:00Z"}) == {"done": True}


def test_fail_error_and_cause_from_expressions(sfn: Any) -> None:
    states = {"F": {"Type": "Fail", "Error": "{% 'Err.' & $states.input.kind %}", "Cause": "{% $string($states.input.n) %}"}}
    _, described = run(sfn, machine(states), {"kind": "Bad", "n": 7})
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Err.Bad", "7")


def test_map_items_selector_concurrency_and_tolerated_failures(sfn: Any) -> None:
    processor = {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Default": "Ok",
                  "Choices": [{"Condition": "{% $states.input.value = 'bad' %}", "Next": "Boom"}]},
        "Boom": {"Type": "Fail", "Error": "Bad"},
        "Ok": {"Type": "Pass", "End": True}}}
    states = {"M": {"Type": "Map", "End": True, "Items": "{% $states.input.things %}",
                    "ItemSelector": {"value": "{% $states.context.Map.Item.Value %}", "at": "{% $states.context.Map.Item.Index %}"},
                    "MaxConcurrency": "{% $states.input.limit %}", "ToleratedFailureCount": "{% 1 %}",
                    "ItemProcessor": processor, "Output": "{% $states.result %}"}}
    result = output(sfn, states, {"things": ["a", "bad", "c"], "limit": 1})
    assert result[0] == {"value": "a", "at": 0} and result[2] == {"value": "c", "at": 2}
    assert result[1]["Error"] == "Bad"


def test_map_items_that_are_not_an_array(sfn: Any) -> None:
    states = {"M": {"Type": "Map", "End": True, "Items": "{% $states.input.things %}",
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}
    arn, described = run(sfn, machine(states), {"things": {"foo": "bar"}})
    assert described["error"] == "States.QueryEvaluationError"
    assert described["cause"] == PREFIX.format("M", 2) + (
        "The JSONata expression '$states.input.things' specified for the field 'Items' returned an unexpected result type. "
        "Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"
    )
    assert history_types(sfn, arn)[-3:] == ["EvaluationFailed", "MapStateFailed", "ExecutionFailed"]


def test_parallel_arguments_and_output_of_the_result(sfn: Any) -> None:
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True, "Output": "{% $states.input.x * 2 %}"}}}

    states = {"P": {"Type": "Parallel", "End": True, "Branches": [branch("B1"), branch("B2")],
                    "Arguments": {"x": "{% $states.input.n %}"}, "Output": "{% $sum($states.result) %}"}}
    assert output(sfn, states, {"n": 5}) == 20


def test_catch_output_and_assign_read_the_error_output(sfn: Any) -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "because"}}}
    states = {
        "P": {"Type": "Parallel", "Branches": [failing], "End": True,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After",
                         "Output": {"error": "{% $states.errorOutput.Error %}", "input": "{% $states.input %}"},
                         "Assign": {"why": "{% $states.errorOutput.Cause %}"}}]},
        "After": {"Type": "Pass", "End": True, "Output": "{% $merge([$states.input, {'why': $why}]) %}"},
    }
    assert output(sfn, states, {"k": 1}) == {"error": "Oops", "input": {"k": 1}, "why": "because"}


def test_a_task_works_on_its_arguments_and_outputs_from_its_result(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    seen: list[Any] = []

    def handle(document: Any) -> tuple[Any, ...]:
        seen.append(document)
        return ("success", {"total": document["a"] + document["b"]})

    worker = Worker(server, activity, handle)
    states = {"T": {"Type": "Task", "Resource": activity, "End": True, "TimeoutSeconds": "{% 60 %}",
                    "Arguments": {"a": "{% $states.input.x %}", "b": 10},
                    "Assign": {"total": "{% $states.result.total %}"},
                    "Output": {"result": "{% $states.result.total %}", "input": "{% $states.input.x %}"}}}
    _, arn = start(sfn, machine(states), {"x": 5})
    described = wait_until_done(sfn, arn)
    worker.join()
    assert output_of(described) == {"result": 15, "input": 5}
    assert seen == [{"a": 5, "b": 10}]
    scheduled = next(details(e) for e in history(sfn, arn) if e["type"] == "ActivityScheduled")
    assert scheduled["timeoutInSeconds"] == 60
    exited = next(details(e) for e in history(sfn, arn) if e["type"] == "TaskStateExited")
    assert exited["assignedVariables"] == {"total": "15"}


def test_the_context_object_under_states_context(sfn: Any) -> None:
    states = {"P": {"Type": "Pass", "End": True, "Output": {
        "name": "{% $states.context.Execution.Name %}", "input": "{% $states.context.Execution.Input %}",
        "machine": "{% $states.context.StateMachine.Name %}"}}}
    definition = machine(states)
    arn, described = run(sfn, definition, {"i": 1})
    out = output_of(described)
    assert out["name"] == arn.rsplit(":", 1)[1] and out["input"] == {"i": 1}
    assert sfn.describe_execution(executionArn=arn)["stateMachineArn"].endswith(":" + out["machine"])


def test_aws_functions(sfn: Any) -> None:
    states = {"P": {"Type": "Pass", "End": True, "Output": {
        "random42": "{% $random(42) %}", "range": "{% $range(0, 10, 3) %}", "one": "{% $range(1, 9, 9) %}",
        "partition": "{% $partition([0, 1, 2, 3], 3) %}", "hash": "{% $hash('abc', 'SHA-256') %}",
        "md5": "{% $hash('abc', 'MD5') %}", "uuid": "{% $uuid() %}", "parse": "{% $parse('[1, 2, \"x\"]') %}",
        "unseeded": "{% $random() %}"}}}
    out = output(sfn, states)
    assert out["random42"] == 0.7275636800328681  # java.util.Random(42).nextDouble(), as AWS
    assert out["range"] == [0, 3, 6, 9] and out["one"] == 1
    assert out["partition"] == [[0, 1, 2], [3]]
    assert out["hash"] == hashlib.sha256(b"abc").hexdigest() and out["md5"] == hashlib.md5(b"abc").hexdigest()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", out["uuid"])
    assert out["parse"] == [1, 2, "x"]
    assert 0 <= out["unseeded"] < 1


def test_now_reads_the_service_clock(own_server: Server) -> None:
    sfn = own_server.client("stepfunctions")
    own_server.advance(400 * 86400)  # more than a year of service time
    states = {"P": {"Type": "Pass", "End": True, "Output": {"now": "{% $now() %}", "millis": "{% $millis() %}"}}}
    out = output(sfn, states)
    service_now = own_server.admin("GET", "/_stepstack/clock")[1]["now"]
    assert abs(out["millis"] / 1000 - service_now) < 60
    assert datetime.fromisoformat(out["now"].replace("Z", "+00:00")).year >= datetime.now(timezone.utc).year + 1


def test_variables_in_parallel_and_map_scopes(sfn: Any) -> None:
    branch = {"StartAt": "In", "States": {
        "In": {"Type": "Pass", "Assign": {"x": "inner", "outer": "{% $x %}"}, "Next": "Out"},
        "Out": {"Type": "Pass", "End": True, "Output": {"x": "{% $x %}", "outer": "{% $outer %}"}}}}
    states = {
        "Set": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "Par"},
        "Par": {"Type": "Parallel", "Branches": [branch], "Assign": {"branches": "{% $states.result %}"}, "Next": "Each"},
        "Each": {"Type": "Map", "Items": "{% [1, 2] %}", "Next": "After",
                 "ItemProcessor": {"StartAt": "I", "States": {
                     "I": {"Type": "Pass", "Assign": {"x": "{% $states.input %}"}, "Next": "O"},
                     "O": {"Type": "Pass", "End": True, "Output": "{% $x %}"}}}},
        "After": {"Type": "Pass", "End": True, "Output": {"x": "{% $x %}", "branches": "{% $branches %}", "items": "{% $states.input %}"}},
    }
    arn, described = run(sfn, machine(states), {})
    assert output_of(described) == {"x": "outer", "branches": [{"x": "inner", "outer": "outer"}], "items": [1, 2]}
    exited = [details(e) for e in history(sfn, arn) if e["type"] == "PassStateExited" and details(e)["name"] == "Set"]
    assert exited[0]["assignedVariables"] == {"x": '"outer"'}


def test_an_undefined_result_fails_with_an_evaluation_failed_event(sfn: Any) -> None:
    states = {"P": {"Type": "Pass", "End": True, "Output": {"value": "{% $states.input.missing %}"}}}
    arn, described = run(sfn, machine(states), {})
    assert described["error"] == "States.QueryEvaluationError"
    assert described["cause"] == PREFIX.format("P", 2) + (
        "The JSONata expression '$states.input.missing' specified for the field 'Output/value' returned nothing (undefined)."
    )
    failed = next(e for e in history(sfn, arn) if e["type"] == "EvaluationFailed")
    assert details(failed)["location"] == "Output/value" and details(failed)["state"] == "P"


def test_an_expression_that_does_not_parse_is_refused_at_creation(sfn: Any) -> None:
    definition = machine({"P": {"Type": "Pass", "End": True, "Output": {"v": "{% 1 +* 2 %}"}}})
    error = error_of(sfn.create_state_machine, name="broken", definition=json.dumps(definition), roleArn=ROLE)
    assert error["Code"] == "InvalidDefinition"
    assert "The value for the field 'v' must be a valid JSONata expression" in error["Message"]
    assert "/States/P/Output" in error["Message"]


def test_jsonpath_fields_in_a_jsonata_state_are_refused(sfn: Any) -> None:
    definition = machine({"P": {"Type": "Pass", "End": True, "InputPath": "$.a"}})
    error = error_of(sfn.create_state_machine, name="mixed", definition=json.dumps(definition), roleArn=ROLE)
    assert error["Code"] == "InvalidDefinition" and "InputPath" in error["Message"]


def test_a_jsonata_state_in_a_jsonpath_machine(sfn: Any) -> None:
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "B"},
        "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.n + 1 %}", "End": True}}}
    _, described = run(sfn, definition, {"n": 1})
    assert output_of(described) == 2


@pytest.mark.parametrize("states, field", [
    ({"C": {"Type": "Choice", "Default": "D", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "D"}]},
      "D": {"Type": "Succeed"}}, "Variable"),
    ({"P": {"Type": "Pass", "Result": {"a": 1}, "End": True}}, "Result"),
    ({"P": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "D"}]}, "D": {"Type": "Succeed"}}, "ResultPath"),
])
def test_jsonpath_fields_of_rules_catchers_and_pass_are_refused(sfn: Any, states: dict[str, Any], field: str) -> None:
    error = error_of(sfn.create_state_machine, name="mixed", definition=json.dumps(machine(states)), roleArn=ROLE)
    assert error["Code"] == "InvalidDefinition" and f"field '{field}' is only supported for the 'JSONPath'" in error["Message"]


def test_the_whole_states_variable(sfn: Any) -> None:
    out = output(sfn, {"P": {"Type": "Pass", "End": True, "Output": "{% $keys($states) %}"}}, {"a": 1})
    assert out == ["input", "context"]
