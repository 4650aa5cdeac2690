"""Workflow variables in JSONPath states: Assign, `$name` references, scopes, and the
assignedVariables AWS writes into the state-exited events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import details, history, output_of, run


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def exited(sfn: Any, arn: str, name: str) -> dict[str, Any]:
    return next(details(e) for e in history(sfn, arn) if e["type"].endswith("StateExited") and details(e)["name"] == name)


def test_assign_reads_the_result_and_later_states_read_the_variables(sfn: Any) -> None:
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Result": {"theQuestion": "why?"},
                "Assign": {"question.$": "$.theQuestion", "answer": 42}, "Next": "Use"},
        "Use": {"Type": "Pass", "Parameters": {"q.$": "$question", "a.$": "$answer", "both.$": "States.Format('{} {}', $question, $answer)"},
                "End": True},
    }}
    arn, described = run(sfn, definition, {})
    assert output_of(described) == {"q": "why?", "a": 42, "both": "why? 42"}
    assert exited(sfn, arn, "Set")["assignedVariables"] == {"question": '"why?"', "answer": "42"}
    assert exited(sfn, arn, "Set")["assignedVariablesDetails"] == {"truncated": False}
    assert "assignedVariables" not in exited(sfn, arn, "Use")


def test_every_field_reads_the_variables_as_they_were_when_the_state_was_entered(sfn: Any) -> None:
    definition = {"StartAt": "S0", "States": {
        "S0": {"Type": "Pass", "Assign": {"answer": 42}, "Next": "S1"},
        "S1": {"Type": "Pass", "InputPath": "$answer", "ResultPath": "$.theAnswer", "OutputPath": "$answer",
               "Assign": {"answer": "changed"}, "Next": "S2"},
        "S2": {"Type": "Pass", "Parameters": {"now.$": "$answer"}, "End": True},
    }}
    arn, described = run(sfn, definition, {})
    assert output_of(described) == {"now": "changed"}
    assert json.loads(exited(sfn, arn, "S1")["output"]) == 42  # OutputPath read the old value


def test_variables_in_choice_rules_wait_paths_and_map_settings(sfn: Any) -> None:
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"limit": 2, "seconds": 0, "items": [1, 2, 3]}, "Next": "Pick"},
        "Pick": {"Type": "Choice", "Choices": [{"Variable": "$limit", "NumericEquals": 2, "Next": "Wait"}], "Default": "Bad"},
        "Bad": {"Type": "Fail", "Error": "Bad"},
        "Wait": {"Type": "Wait", "SecondsPath": "$seconds", "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrencyPath": "$limit",
                 "ItemProcessor": {"StartAt": "Double", "States": {
                     "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $limit)"}, "End": True}}},
                 "End": True},
    }}
    _, described = run(sfn, definition, {})
    assert described["status"] == "SUCCEEDED", described
    assert output_of(described) == [{"v": 3}, {"v": 4}, {"v": 5}]


def test_branches_and_iterations_read_outer_variables_and_keep_their_own(sfn: Any) -> None:
    branch = {"StartAt": "Inner", "States": {
        "Inner": {"Type": "Pass", "Assign": {"x": "inner", "seen.$": "$x"}, "Next": "Read"},
        "Read": {"Type": "Pass", "Parameters": {"x.$": "$x", "seen.$": "$seen"}, "End": True}}}
    definition = {"StartAt": "Outer", "States": {
        "Outer": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "Both"},
        "Both": {"Type": "Parallel", "Branches": [branch], "ResultPath": "$.branches", "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.items",
                 "ItemProcessor": {"StartAt": "It", "States": {
                     "It": {"Type": "Pass", "Assign": {"x.$": "$"}, "Next": "Out"},
                     "Out": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True}}},
                 "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"x.$": "$x", "branches.$": "$.branches", "items.$": "$.items"}, "End": True},
    }}
    _, described = run(sfn, definition, {"items": ["a", "b"]})
    assert output_of(described) == {
        "x": "outer",  # nothing assigned inside reached the outer scope
        "branches": [{"x": "inner", "seen": "outer"}],  # Assign read the outer value at entry
        "items": [{"x": "a"}, {"x": "b"}],  # each iteration its own x
    }


def test_a_catcher_assigns_from_the_error_output(sfn: Any) -> None:
    definition = {"StartAt": "Boom", "States": {
        "Boom": {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "why"}}}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"caught.$": "$.Error"}, "ResultPath": None, "Next": "Report"}],
                 "End": True},
        "Report": {"Type": "Pass", "Parameters": {"caught.$": "$caught"}, "End": True},
    }}
    arn, described = run(sfn, definition, {"keep": 1})
    assert output_of(described) == {"caught": "Oops"}
    assert exited(sfn, arn, "Boom")["assignedVariables"] == {"caught": '"Oops"'}


def test_an_unassigned_variable_fails_the_state(sfn: Any) -> None:
    definition = {"StartAt": "Use", "States": {"Use": {"Type": "Pass", "Parameters": {"v.$": "$nothing"}, "End": True}}}
    _, described = run(sfn, definition, {})
    assert described["status"] == "FAILED" and described["error"] == "States.Runtime"
    assert described["cause"].startswith("An error occurred while executing the state 'Use' (entered at the event id #2). ")


def test_a_variable_over_256_kib_fails_the_execution(sfn: Any) -> None:
    definition = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "End": True,
                                                      "Assign": {"big.$": "$.text", "small": 1}}}}
    _, described = run(sfn, definition, {"text": "x" * 200_000})
    assert described["status"] == "SUCCEEDED"
    _, described = run(sfn, {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "End": True,
                                                               "Assign": {"a.$": "$.text", "b.$": "$.text"}}}}, {"text": "x" * 200_000})
    assert (described["status"], described["error"]) == ("FAILED", "States.DataLimitExceeded")
