"""Amazon States Language definitions: parsing into the typed tree, and AWS's InvalidDefinition.

Valid definitions follow the examples of the AWS Step Functions developer guide; invalid ones
pin AWS's diagnostic code, wording and location (see services/stepfunctions/asl/validate.py
for where each wording comes from).
"""

from __future__ import annotations

import json

import pytest

from services.stepfunctions.asl.ast import (
    ABSENT,
    AndRule,
    ChoiceState,
    ComparisonRule,
    FailState,
    MapState,
    NotRule,
    OrRule,
    ParallelState,
    PassState,
    Retrier,
    SucceedState,
    TaskState,
    WaitState,
    is_terminal,
)
from services.stepfunctions.asl.errors import InvalidDefinition, Problem  # noqa: E402
from services.stepfunctions.asl.parser import parse_definition  # noqa: E402

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:HelloFunction"


def machine(states: dict, start: str | None = None, **top) -> str:
    return json.dumps({"StartAt": start or next(iter(states)), "States": states, **top})


def problems_of(definition: str | dict) -> list[Problem]:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    with pytest.raises(InvalidDefinition) as info:
        parse_definition(text)
    return info.value.diagnostics


def only_problem(definition: str | dict) -> Problem:
    problems = problems_of(definition)
    assert len(problems) == 1, problems
    return problems[0]


# ---------------------------------------------------------------- valid definitions


def test_hello_world_pass_state_parses_with_defaults():
    d = parse_definition(json.dumps({
        "Comment": "A Hello World example of the Amazon States Language using a Pass state",
        "StartAt": "HelloWorld",
        "States": {"HelloWorld": {"Type": "Pass", "Result": "Hello World!", "End": True}},
    }))
    assert d.start_at == "HelloWorld"
    assert d.comment.startswith("A Hello World")
    assert d.query_language == "JSONPath"
    state = d.states["HelloWorld"]
    assert isinstance(state, PassState)
    assert (state.result, state.end, state.next) == ("Hello World!", True, None)
    assert (state.input_path, state.output_path, state.result_path) == ("$", "$", "$")
    assert is_terminal(state)


def test_null_paths_are_kept_apart_from_absent_ones():
    d = parse_definition(machine({"P": {"Type": "Pass", "InputPath": None, "OutputPath": None,
                                        "ResultPath": None, "Result": None, "End": True}}))
    p = d.states["P"]
    assert (p.input_path, p.output_path, p.result_path, p.result) == (None, None, None, None)
    assert parse_definition(machine({"P": {"Type": "Pass", "End": True}})).states["P"].result is ABSENT


def test_task_with_retry_and_catch_from_the_error_handling_guide():
    d = parse_definition(json.dumps({
        "StartAt": "HelloWorld",
        "TimeoutSeconds": 300,
        "Version": "1.0",
        "States": {
            "HelloWorld": {
                "Type": "Task",
                "Resource": LAMBDA,
                "TimeoutSeconds": 60,
                "HeartbeatSeconds": 10,
                "Parameters": {"Payload.$": "$", "FunctionName": "f", "Id.$": "$$.Execution.Id"},
                "ResultSelector": {"body.$": "$.Payload"},
                "ResultPath": "$.result",
                "Retry": [
                    {"ErrorEquals": ["HandledError"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0},
                    {"ErrorEquals": ["States.Timeout"], "MaxDelaySeconds": 5, "JitterStrategy": "FULL"},
                    {"ErrorEquals": ["States.ALL"]},
                ],
                "Catch": [
                    {"ErrorEquals": ["CustomError"], "Next": "CustomErrorFallback", "ResultPath": "$.error"},
                    {"ErrorEquals": ["States.ALL"], "Next": "CatchAllFallback", "ResultPath": None},
                ],
                "Next": "Done",
            },
            "CustomErrorFallback": {"Type": "Pass", "Result": "custom", "End": True},
            "CatchAllFallback": {"Type": "Fail", "Error": "Oops", "Cause": "caught"},
            "Done": {"Type": "Succeed"},
        },
    }))
    assert (d.timeout_seconds, d.version) == (300, "1.0")
    task = d.states["HelloWorld"]
    assert isinstance(task, TaskState)
    assert task.resource == LAMBDA
    assert (task.timeout_seconds, task.heartbeat_seconds, task.next, task.end) == (60, 10, "Done", False)
    assert task.parameters == {"Payload.$": "$", "FunctionName": "f", "Id.$": "$$.Execution.Id"}
    assert task.result_selector == {"body.$": "$.Payload"}
    assert task.retry[0] == Retrier(error_equals=("HandledError",), interval_seconds=1, max_attempts=2,
                                    backoff_rate=2.0)
    assert task.retry[1].max_delay_seconds == 5 and task.retry[1].jitter_strategy == "FULL"
    assert task.retry[2] == Retrier(error_equals=("States.ALL",))  # defaults 1, 3, 2.0, None, NONE
    assert [(c.next, c.result_path) for c in task.catch] == [("CustomErrorFallback", "$.error"),
                                                              ("CatchAllFallback", None)]
    assert isinstance(d.states["CatchAllFallback"], FailState)
    assert isinstance(d.states["Done"], SucceedState)


def test_choice_with_and_or_not_from_the_choice_state_guide():
    d = parse_definition(json.dumps({
        "StartAt": "ChoiceStateX",
        "States": {
            "ChoiceStateX": {
                "Type": "Choice",
                "Choices": [
                    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                    {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
                    {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                             {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"},
                    {"Or": [{"Variable": "$.ts", "TimestampLessThan": "2016-03-14T01:59:00Z"},
                            {"Variable": "$.flag", "IsPresent": False},
                            {"Variable": "$.name", "StringMatches": "log-*.txt"},
                            {"Variable": "$.a", "NumericGreaterThanPath": "$.b"},
                            {"Variable": "$.ok", "BooleanEquals": True}], "Next": "Public"},
                ],
                "Default": "DefaultState",
            },
            "Public": {"Type": "Pass", "End": True},
            "ValueIsZero": {"Type": "Pass", "End": True},
            "ValueInTwenties": {"Type": "Pass", "End": True},
            "DefaultState": {"Type": "Fail", "Cause": "No Matches!"},
        },
    }))
    choice = d.states["ChoiceStateX"]
    assert isinstance(choice, ChoiceState) and choice.default == "DefaultState"
    not_rule, equals, and_rule, or_rule = choice.choices
    assert isinstance(not_rule, NotRule) and not_rule.next == "Public"
    assert not_rule.rule == ComparisonRule(variable="$.type", operator="StringEquals", value="Private")
    assert (equals.variable, equals.operator, equals.value, equals.next) == ("$.value", "NumericEquals", 0, "ValueIsZero")
    assert isinstance(and_rule, AndRule) and [r.operator for r in and_rule.rules] == [
        "NumericGreaterThanEquals", "NumericLessThan"]
    assert all(r.next is None for r in and_rule.rules)
    assert isinstance(or_rule, OrRule)
    assert or_rule.rules[3].value_is_path and not or_rule.rules[0].value_is_path


def test_wait_states_in_each_of_their_four_forms():
    d = parse_definition(machine({
        "A": {"Type": "Wait", "Seconds": 10, "Next": "B"},
        "B": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "C"},
        "C": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "D"},
        "D": {"Type": "Wait", "TimestampPath": "$.expirydate", "End": True},
    }))
    waits = [d.states[n] for n in "ABCD"]
    assert all(isinstance(w, WaitState) for w in waits)
    assert [(w.seconds, w.timestamp, w.seconds_path, w.timestamp_path) for w in waits] == [
        (10, None, None, None), (None, "2016-03-14T01:59:00Z", None, None),
        (None, None, "$.seconds", None), (None, None, None, "$.expirydate")]


def test_fail_state_with_error_path_and_intrinsic_cause_path():
    d = parse_definition(machine({"F": {"Type": "Fail", "ErrorPath": "$.Error",
                                        "CausePath": "States.Format('cause: {}', $.Cause)"}}))
    fail = d.states["F"]
    assert (fail.error, fail.error_path, fail.cause_path) == (None, "$.Error", "States.Format('cause: {}', $.Cause)")


def test_nested_parallel_and_map_are_definitions_of_their_own():
    d = parse_definition(json.dumps({
        "StartAt": "LookupCustomerInfo",
        "States": {
            "LookupCustomerInfo": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "LookupAddress",
                     "States": {"LookupAddress": {"Type": "Task", "Resource": LAMBDA, "End": True}}},
                    {"StartAt": "Items", "States": {"Items": {
                        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "Label": "Items",
                        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
                        "ToleratedFailurePercentage": 10,
                        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Inner",
                                          "States": {"Inner": {"Type": "Pass", "End": True}}},
                        "End": True}}},
                ],
                "ResultSelector": {"address.$": "$[0]"},
                "Next": "Legacy",
            },
            "Legacy": {"Type": "Map", "Parameters": {"x.$": "$$.Map.Item.Value"},
                       "Iterator": {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": True}}},
                       "End": True},
        },
    }))
    parallel = d.states["LookupCustomerInfo"]
    assert isinstance(parallel, ParallelState) and len(parallel.branches) == 2
    assert parallel.branches[0].start_at == "LookupAddress"
    inner_map = parallel.branches[1].states["Items"]
    assert isinstance(inner_map, MapState)
    assert (inner_map.items_path, inner_map.max_concurrency, inner_map.label) == ("$.items", 2, "Items")
    assert inner_map.processor_config == {"Mode": "INLINE"} and not inner_map.uses_iterator
    assert inner_map.item_processor.states["Inner"].end
    legacy = d.states["Legacy"]
    assert legacy.uses_iterator and legacy.parameters == {"x.$": "$$.Map.Item.Value"}
    assert legacy.max_concurrency == 0 and legacy.item_selector is None


def test_nested_loop_without_terminal_state_is_accepted():
    # MISSING_END_STATE is a top-level rule only (measured on AWS, per floci-io/floci#2786).
    parse_definition(machine({"M": {"Type": "Map", "ItemProcessor": {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}, "End": True}}))


# ---------------------------------------------------------------- invalid definitions

_PASS_END = {"Type": "Pass", "End": True}

INVALID = [
    pytest.param({}, "SCHEMA_VALIDATION_FAILED", "These fields are required: [States, StartAt]", "/", id="empty-object"),
    pytest.param({"States": {"A": _PASS_END}}, "SCHEMA_VALIDATION_FAILED", "These fields are required: [StartAt]", "/",
                 id="no-start-at"),
    pytest.param({"StartAt": "A", "States": {"A": _PASS_END}, "Coment": "x"}, "SCHEMA_VALIDATION_FAILED",
                 "Field 'Coment' is not supported", "/", id="unknown-top-level-field"),
    pytest.param(machine({"A": {"End": True}}), "SCHEMA_VALIDATION_FAILED", "The field 'Type' should be non-null",
                 "/States/A", id="missing-type"),
    pytest.param(machine({"A": {"Type": "Lambda", "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
                 "/States/A/Type", id="unknown-type"),
    pytest.param(machine({"A": {"Type": "Pass", "Foo": 1, "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "Field 'Foo' is not supported", "/States/A", id="unknown-state-field"),
    pytest.param(machine({"A": {"Type": "Pass", "TimeoutSeconds": 5, "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "Field 'TimeoutSeconds' is not supported", "/States/A", id="timeout-on-pass"),
    pytest.param(machine({"A": {"Type": "Wait", "Seconds": 1, "End": True, "Retry": [{"ErrorEquals": ["States.ALL"]}]}}),
                 "SCHEMA_VALIDATION_FAILED", "Field 'Retry' is not supported", "/States/A", id="retry-on-wait"),
    pytest.param(machine({"A": {"Type": "Wait", "Seconds": 1, "End": True, "ResultPath": None}}),
                 "SCHEMA_VALIDATION_FAILED", "Field 'ResultPath' is not supported", "/States/A", id="resultpath-on-wait"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "Next": "Ghost",
                                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]}, "Z": _PASS_END}),
                 "MISSING_TRANSITION_TARGET", "Missing 'Next' target: Ghost", "/States/A/Next", id="dangling-next"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Ghost"}],
                                "Default": "Z"}, "Z": _PASS_END}),
                 "MISSING_TRANSITION_TARGET", "Missing 'Next' target: Ghost", "/States/C/Choices[0]/Next",
                 id="dangling-choice-next"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Z"}],
                                "Default": "Ghost"}, "Z": _PASS_END}),
                 "MISSING_TRANSITION_TARGET", "Missing 'Next' target: Ghost", "/States/C/Default", id="dangling-default"),
    pytest.param(machine({"T": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Ghost"}]}}),
                 "MISSING_TRANSITION_TARGET", "Missing 'Next' target: Ghost", "/States/T/Catch[0]/Next",
                 id="dangling-catch-next"),
    pytest.param(machine({"A": _PASS_END, "X": _PASS_END}), "MISSING_TRANSITION_TARGET",
                 'State "X" is not reachable.', "/States/X", id="unreachable"),
    pytest.param(machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}),
                 "MISSING_END_STATE", "Workflow has no terminal state", None, id="no-terminal-state"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "A"}],
                                "Default": "S"}, "A": {"Type": "Pass"}, "S": {"Type": "Succeed"}}),
                 "SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", "/States/A", id="neither-next-nor-end"),
    pytest.param(machine({"A": {"Type": "Pass", "Next": "A", "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "There should only be one of the following fields: [Next, End]", "/States/A", id="next-and-end"),
    pytest.param(machine({"A": {"Type": "Task", "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "These fields are required: [Resource]", "/States/A", id="task-without-resource"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": "my-function", "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "The resource provided my-function is not recognized. The value is not a valid resource ARN, "
                 "or the resource is not available in this region.", "/States/A/Resource", id="resource-not-an-arn"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 0, "End": True}}),
                 "SCHEMA_VALIDATION_FAILED", "Minimum value is 1", "/States/A/TimeoutSeconds", id="timeout-zero"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 1.5, "End": True}}),
                 "SCHEMA_VALIDATION_FAILED", "Expected value of type [INTEGER]", "/States/A/TimeoutSeconds",
                 id="timeout-not-integer"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 5,
                                "TimeoutSecondsPath": "$.t", "End": True}}),
                 "SCHEMA_VALIDATION_FAILED", "There should only be one of the following fields: "
                 "[TimeoutSeconds, TimeoutSecondsPath]", "/States/A", id="timeout-and-timeout-path"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 5, "HeartbeatSeconds": 5,
                                "End": True}}),
                 "SCHEMA_VALIDATION_FAILED", "HeartbeatSeconds must be smaller than TimeoutSeconds",
                 "/States/A/HeartbeatSeconds", id="heartbeat-not-below-timeout"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [{"ErrorEquals": []}]}}),
                 "SCHEMA_VALIDATION_FAILED", "Value cannot be empty", "/States/A/Retry[0]/ErrorEquals",
                 id="retrier-empty-error-equals"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [{"MaxAttempts": 1}]}}),
                 "SCHEMA_VALIDATION_FAILED", "These fields are required: [ErrorEquals]", "/States/A/Retry[0]",
                 id="retrier-without-error-equals"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}}),
                 "SCHEMA_VALIDATION_FAILED", "States.ALL must appear alone and at end of list",
                 "/States/A/Retry[0]/ErrorEquals", id="states-all-not-last"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "A"}]}}),
                 "SCHEMA_VALIDATION_FAILED", "States.ALL must appear alone and at end of list",
                 "/States/A/Catch[0]/ErrorEquals", id="states-all-not-alone"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": 0}]}}),
                 "SCHEMA_VALIDATION_FAILED", "Minimum value is 1", "/States/A/Retry[0]/IntervalSeconds",
                 id="interval-zero"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1}]}}),
                 "SCHEMA_VALIDATION_FAILED", "Minimum value is 0", "/States/A/Retry[0]/MaxAttempts",
                 id="max-attempts-negative"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}}),
                 "SCHEMA_VALIDATION_FAILED", "Minimum value is 1.0", "/States/A/Retry[0]/BackoffRate",
                 id="backoff-below-one"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Retry": [{"ErrorEquals": ["X"], "MaxDelaySeconds": 0}]}}),
                 "SCHEMA_VALIDATION_FAILED", "Minimum value is 1", "/States/A/Retry[0]/MaxDelaySeconds",
                 id="max-delay-zero"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}]}}),
                 "SCHEMA_VALIDATION_FAILED", "Value should be one of the following: [FULL, NONE]",
                 "/States/A/Retry[0]/JitterStrategy", id="jitter-unknown"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                                "Catch": [{"ErrorEquals": ["States.ALL"]}]}}),
                 "SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", "/States/A/Catch[0]",
                 id="catcher-without-next"),
    pytest.param(machine({"W": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}}),
                 "SCHEMA_VALIDATION_FAILED", "There should only be one of the following fields: "
                 "[SecondsPath, Seconds, TimestampPath, Timestamp]", "/States/W", id="wait-two-fields"),
    pytest.param(machine({"W": {"Type": "Wait", "Timestamp": "2016-03-14 01:59:00", "End": True}}),
                 "SCHEMA_VALIDATION_FAILED", "String does not match RFC3339 timestamp", "/States/W/Timestamp",
                 id="wait-timestamp-not-rfc3339"),
    pytest.param(machine({"W": {"Type": "Wait", "Seconds": -1, "End": True}}),
                 "SCHEMA_VALIDATION_FAILED", "Minimum value is 0", "/States/W/Seconds", id="wait-negative-seconds"),
    pytest.param(machine({"F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}), "SCHEMA_VALIDATION_FAILED",
                 "There should only be one of the following fields: [Error, ErrorPath]", "/States/F",
                 id="fail-error-and-error-path"),
    pytest.param(machine({"F": {"Type": "Fail", "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "Field 'End' is not supported", "/States/F", id="fail-with-end"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [], "Default": "Z"}, "Z": _PASS_END}),
                 "SCHEMA_VALIDATION_FAILED", "Value cannot be empty", "/States/C/Choices", id="choice-empty"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True}], "Default": "Z"},
                          "Z": _PASS_END}),
                 "SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", "/States/C/Choices[0]",
                 id="choice-rule-without-next"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.x", "IsNull": True, "Next": "Z"},
                                                               "Next": "Z"}]}, "Z": _PASS_END}),
                 "SCHEMA_VALIDATION_FAILED", "Field 'Next' is not supported", "/States/C/Choices[0]/Not",
                 id="nested-rule-with-next"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "Z"}]},
                          "Z": _PASS_END}),
                 "SCHEMA_VALIDATION_FAILED", "Expected value of type [NUMBER]", "/States/C/Choices[0]/NumericEquals",
                 id="numeric-operator-with-string"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": "true",
                                                               "Next": "Z"}]}, "Z": _PASS_END}),
                 "SCHEMA_VALIDATION_FAILED", "Expected value of type [BOOLEAN]", "/States/C/Choices[0]/BooleanEquals",
                 id="boolean-operator-with-string"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "TimestampEquals": "yesterday",
                                                               "Next": "Z"}]}, "Z": _PASS_END}),
                 "SCHEMA_VALIDATION_FAILED", "String does not match RFC3339 timestamp",
                 "/States/C/Choices[0]/TimestampEquals", id="timestamp-operator-not-a-timestamp"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEqualsPath": "other",
                                                               "Next": "Z"}]}, "Z": _PASS_END}),
                 "SCHEMA_VALIDATION_FAILED", "Value is not a valid reference path",
                 "/States/C/Choices[0]/StringEqualsPath", id="path-operator-not-a-path"),
    pytest.param(machine({"C": {"Type": "Choice", "Choices": [{"Variable": "status", "StringEquals": "READY",
                                                               "Next": "Z"}]}, "Z": _PASS_END}),
                 "SCHEMA_VALIDATION_FAILED", "Value is not a valid reference path", "/States/C/Choices[0]/Variable",
                 id="variable-not-a-reference-path"),
    pytest.param(machine({"P": {"Type": "Parallel", "Branches": [], "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "Value cannot be empty", "/States/P/Branches", id="parallel-no-branches"),
    pytest.param(machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "W", "States": {"W": _PASS_END, "Ghost": _PASS_END}}]}}),
        "MISSING_TRANSITION_TARGET", 'State "Ghost" is not reachable.', "/States/P/Branches[0]/States/Ghost",
        id="unreachable-in-branch"),
    pytest.param(machine({"P": {"Type": "Parallel", "Next": "Outer", "Branches": [
        {"StartAt": "W", "States": {"W": {"Type": "Pass", "Next": "Outer"}}}]}, "Outer": _PASS_END}),
        "MISSING_TRANSITION_TARGET", "Missing 'Next' target: Outer", "/States/P/Branches[0]/States/W/Next",
        id="branch-cannot-leave-its-scope"),
    pytest.param(machine({"M": {"Type": "Map", "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "These fields are required: [ItemProcessor]", "/States/M", id="map-without-processor"),
    pytest.param(machine({"M": {"Type": "Map", "MaxConcurrency": -1, "End": True,
                                "ItemProcessor": {"StartAt": "P", "States": {"P": _PASS_END}}}}),
                 "SCHEMA_VALIDATION_FAILED", "Minimum value is 0", "/States/M/MaxConcurrency",
                 id="map-negative-concurrency"),
    pytest.param(machine({"M": {"Type": "Map", "ToleratedFailurePercentage": 101, "End": True,
                                "ItemProcessor": {"StartAt": "P", "States": {"P": _PASS_END}}}}),
                 "SCHEMA_VALIDATION_FAILED", "Maximum value is 100", "/States/M/ToleratedFailurePercentage",
                 id="map-tolerated-percentage-over-100"),
    pytest.param(machine({"M": {"Type": "Map", "ItemsPath": "$.items[*]", "End": True,
                                "ItemProcessor": {"StartAt": "P", "States": {"P": _PASS_END}}}}),
                 "SCHEMA_VALIDATION_FAILED", "Value is not a valid reference path", "/States/M/ItemsPath",
                 id="items-path-not-a-reference-path"),
    pytest.param(machine({"M": {"Type": "Map", "End": True, "ItemProcessor": {"QueryLanguage": "JSONata",
                                "StartAt": "P", "States": {"P": _PASS_END}}}}),
                 "SCHEMA_VALIDATION_FAILED", "Field 'QueryLanguage' is not supported", "/States/M/ItemProcessor",
                 id="processor-query-language"),
    pytest.param(machine({"A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "Value is not a valid reference path", "/States/A/ResultPath", id="result-path-not-reference"),
    pytest.param(machine({"A": {"Type": "Pass", "OutputPath": "Test", "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "Value must be a valid JSONPath.", "/States/A/OutputPath", id="output-path-not-a-path"),
    pytest.param(machine({"A": {"Type": "Pass", "InputPath": 3, "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "Expected value of type [STRING]", "/States/A/InputPath", id="input-path-not-a-string"),
    pytest.param(machine({"A": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob", "End": True,
                                "Parameters": {"JobDefinition.$": "$", "JobName.$": "foo"}}}),
                 "SCHEMA_VALIDATION_FAILED",
                 "The value for the field 'JobName.$' must be a valid JSONPath or a valid intrinsic function call",
                 "/States/A/Parameters", id="parameters-dollar-key-not-a-path"),
    pytest.param(machine({"A": {"Type": "Pass", "End": True, "Parameters": {"deep": {"k.$": "States.Format('x'"}}}}),
                 "SCHEMA_VALIDATION_FAILED",
                 "The value for the field 'k.$' must be a valid JSONPath or a valid intrinsic function call",
                 "/States/A/Parameters/deep", id="parameters-broken-intrinsic"),
    pytest.param(machine({"A": {"Type": "Pass", "Output": {"a": 1}, "End": True}}), "SCHEMA_VALIDATION_FAILED",
                 "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' "
                 "QueryLanguage", "/States/A", id="jsonata-field-on-jsonpath-state"),
    pytest.param(machine({"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}, QueryLanguage="JSONata"),
                 "SCHEMA_VALIDATION_FAILED",
                 "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", "/States/A",
                 id="query-language-downgrade"),
    pytest.param(machine({"A": _PASS_END}, QueryLanguage="jsonata"), "SCHEMA_VALIDATION_FAILED",
                 "Value should be one of the following: [JSONPath, JSONata]", "/QueryLanguage",
                 id="query-language-not-in-enum"),
    pytest.param(machine({"A" * 81: _PASS_END}), "INVALID_STATE_NAME", "State name is longer than 80 characters",
                 "/States/" + "A" * 81, id="state-name-too-long"),
    pytest.param('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}',
                 "DUPLICATE_STATE_NAME", "Duplicate State name: A", "/States/A", id="duplicate-key-in-states"),
    pytest.param(machine({"M": {"Type": "Map", "Next": "Final", "ItemProcessor": {"StartAt": "Final", "States": {
        "Final": _PASS_END}}}, "Final": _PASS_END}),
        "DUPLICATE_STATE_NAME", "Duplicate State name: Final", "/States/Final",
        id="duplicate-name-across-scopes"),
]


@pytest.mark.parametrize(("definition", "code", "message", "location"), INVALID)
def test_invalid_definition_is_refused_with_aws_diagnostic(definition, code, message, location):
    assert only_problem(definition) == Problem(code, message, location)


def test_aws_combined_message_lists_every_problem():
    # The definition of localstack/localstack#11978, with AWS's answer quoted there verbatim.
    text = machine({"pass1": {"Type": "Pass", "Next": "pass3"}, "pass2": {"Type": "Pass", "End": True}})
    with pytest.raises(InvalidDefinition) as info:
        parse_definition(text)
    assert info.value.message == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at "
        "/States/pass1/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at /States/pass2'")


def test_schema_and_transition_problems_come_together_in_one_message():
    text = machine({
        "A": {"Type": "Task", "Resource": LAMBDA, "Foo": 1, "TimeoutSeconds": 0, "Next": "Nowhere"},
        "B": {"Type": "Wait", "End": True},
        "C": {"Type": "Succeed"},
    })
    with pytest.raises(InvalidDefinition) as info:
        parse_definition(text)
    assert info.value.problems == [
        "SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported at /States/A",
        "SCHEMA_VALIDATION_FAILED: Minimum value is 1 at /States/A/TimeoutSeconds",
        "SCHEMA_VALIDATION_FAILED: These fields are required: [SecondsPath, Seconds, TimestampPath, Timestamp] "
        "at /States/B",
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/A/Next",
        'MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B',
        'MISSING_TRANSITION_TARGET: State "C" is not reachable. at /States/C',
    ]
    assert info.value.message.startswith("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'Foo'")


def test_dangling_target_and_missing_end_state_are_reported_in_aws_order():
    assert problems_of(machine({"A": {"Type": "Pass", "Next": "NOPE"}})) == [
        Problem("MISSING_TRANSITION_TARGET", "Missing 'Next' target: NOPE", "/States/A/Next"),
        Problem("MISSING_END_STATE", "Workflow has no terminal state"),
    ]


def test_missing_end_state_renders_at_null_and_suppresses_unreachable_states():
    text = machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"},
                    "Unused": {"Type": "Pass", "Next": "A"}})
    with pytest.raises(InvalidDefinition) as info:
        parse_definition(text)
    assert info.value.message == "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"


def test_missing_start_at_target_makes_every_state_unreachable():
    assert problems_of(machine({"A": _PASS_END}, start="Nope")) == [
        Problem("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nope", "/StartAt"),
        Problem("MISSING_TRANSITION_TARGET", 'State "A" is not reachable.', "/States/A"),
    ]


def test_missing_start_at_inside_a_map_processor_is_located_in_the_processor():
    text = machine({"M": {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "Nope", "States": {"A": _PASS_END}}}})
    assert problems_of(text) == [
        Problem("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nope", "/States/M/ItemProcessor/StartAt"),
        Problem("MISSING_TRANSITION_TARGET", 'State "A" is not reachable.', "/States/M/ItemProcessor/States/A"),
    ]


def test_text_that_is_not_json_is_invalid_json_description_in_jacksons_words():
    problem = only_problem("not a definition")
    assert problem.code == "INVALID_JSON_DESCRIPTION"
    assert problem.message == ("Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token "
                               "'null', 'true' or 'false')\n at [Source: (String)\"not a definition\"; line: 1, column: 4]")
    assert problem.location == '[Source: (String)"not a definition"; line: 1, column: 4]'


def test_broken_json_object_names_the_unexpected_character():
    problem = only_problem('{"StartAt": "A" "States": {}}')
    assert problem.code == "INVALID_JSON_DESCRIPTION"
    assert problem.message.startswith(
        "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries\n at [Source: ")


@pytest.mark.parametrize("text", ["", "  ", "[]", "5"])
def test_definition_must_be_a_json_object(text):
    assert only_problem(text) == Problem("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")


def test_jsonata_state_rejects_jsonpath_only_fields_in_order():
    text = machine({"X": {"Type": "Pass", "InputPath": "$.a", "OutputPath": "$.b", "ResultPath": "$.c", "End": True}},
                   QueryLanguage="JSONata")
    assert [p.message for p in problems_of(text)] == [
        f"The QueryLanguage is set to 'JSONata', but field '{f}' is only supported for the 'JSONPath' QueryLanguage"
        for f in ("InputPath", "OutputPath", "ResultPath")]


def test_diagnostics_render_as_validate_state_machine_definition_wants_them():
    no_end = Problem("MISSING_END_STATE", "Workflow has no terminal state")
    assert no_end.to_wire() == {"severity": "ERROR", "code": "MISSING_END_STATE",
                                "message": "Workflow has no terminal state"}
    assert Problem("X", "m", "/States/A").to_wire()["location"] == "/States/A"
