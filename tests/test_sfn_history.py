"""Step Functions executions: the full event history of representative definitions, and its paging.

Definitions follow the examples of the AWS Step Functions Developer Guide (Pass, Choice, Wait,
Succeed, Fail, Parallel, Map, Task/activities, Retry/Catch, intrinsic functions). Event types and
their order follow "Execution history event types" / API_HistoryEvent; inner events of Parallel
branches and Map iterations may interleave, so those are compared as a multiset.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import (
    ROLE,
    Worker,
    assert_segmented,
    create_activity,
    details,
    history,
    history_types,
    output_of,
    run,
    start,
    wait_for_event,
    wait_until_done,
)

STARTED, SUCCEEDED = "ExecutionStarted", "ExecutionSucceeded"
PASS_EVENTS = ["PassStateEntered", "PassStateExited"]


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def single(name: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: state}}


# -- Pass ----------------------------------------------------------------------------------------


def test_pass_with_result_and_result_path(sfn: Any) -> None:
    # Developer guide, Pass state: Result placed at ResultPath "$.coords" keeps the rest of the input.
    coords = {"x-datum": 0.381018, "y-datum": 622.2269926397355}
    definition = single("No-op", {"Type": "Pass", "Result": coords, "ResultPath": "$.coords", "End": True})
    arn, described = run(sfn, definition, {"georefOf": "Home"})
    assert output_of(described) == {"georefOf": "Home", "coords": coords}
    assert history_types(sfn, arn) == [STARTED, *PASS_EVENTS, SUCCEEDED]


def test_pass_chain_runs_states_in_order(sfn: Any) -> None:
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Result": "one", "ResultPath": "$.first", "Next": "Second"},
            "Second": {"Type": "Pass", "Result": "two", "ResultPath": "$.second", "Next": "Third"},
            "Third": {"Type": "Pass", "Parameters": {"both.$": "States.Array($.first, $.second)"}, "End": True},
        },
    }
    arn, described = run(sfn, definition, {})
    assert output_of(described) == {"both": ["one", "two"]}
    events = history(sfn, arn)
    assert [e["type"] for e in events] == [STARTED, *PASS_EVENTS * 3, SUCCEEDED]
    names = [details(e)["name"] for e in events if e["type"] == "PassStateEntered"]
    assert names == ["First", "Second", "Third"]


# -- Choice --------------------------------------------------------------------------------------

CHOICE_RULES = {
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.priority", "StringEquals": "urgent", "Next": "Urgent"},
                {"Variable": "$.amount", "NumericGreaterThan": 1000, "Next": "Large"},
                {"Variable": "$.vip", "BooleanEquals": True, "Next": "Vip"},
            ],
            "Default": "Normal",
        },
        "Urgent": {"Type": "Pass", "Result": "urgent", "End": True},
        "Large": {"Type": "Pass", "Result": "large", "End": True},
        "Vip": {"Type": "Pass", "Result": "vip", "End": True},
        "Normal": {"Type": "Pass", "Result": "normal", "End": True},
    },
}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"priority": "urgent", "amount": 5000, "vip": True}, "urgent"),  # first matching rule wins
        ({"priority": "low", "amount": 5000, "vip": True}, "large"),
        ({"priority": "low", "amount": 10, "vip": True}, "vip"),
        ({"priority": "low", "amount": 10, "vip": False}, "normal"),  # no rule matches: Default
    ],
)
def test_choice_with_several_rules_and_default(sfn: Any, document: dict[str, Any], expected: str) -> None:
    arn, described = run(sfn, CHOICE_RULES, document)
    assert output_of(described) == expected
    assert history_types(sfn, arn) == [STARTED, "ChoiceStateEntered", "ChoiceStateExited", *PASS_EVENTS, SUCCEEDED]


CHOICE_BOOLEAN = {
    # Developer guide, Choice state example with Not and And.
    "StartAt": "ChoiceStateX",
    "States": {
        "ChoiceStateX": {
            "Type": "Choice",
            "Choices": [
                {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
                {
                    "And": [
                        {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                        {"Variable": "$.value", "NumericLessThan": 30},
                    ],
                    "Next": "ValueInTwenties",
                },
                {
                    "Or": [
                        {"Variable": "$.value", "NumericLessThan": 0},
                        {"Variable": "$.value", "NumericGreaterThan": 100},
                    ],
                    "Next": "OutOfRange",
                },
            ],
            "Default": "DefaultState",
        },
        "Public": {"Type": "Pass", "Result": "Public", "End": True},
        "ValueIsZero": {"Type": "Pass", "Result": "ValueIsZero", "End": True},
        "ValueInTwenties": {"Type": "Pass", "Result": "ValueInTwenties", "End": True},
        "OutOfRange": {"Type": "Pass", "Result": "OutOfRange", "End": True},
        "DefaultState": {"Type": "Pass", "Result": "DefaultState", "End": True},
    },
}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"type": "Public", "value": 0}, "Public"),
        ({"type": "Private", "value": 0}, "ValueIsZero"),
        ({"type": "Private", "value": 25}, "ValueInTwenties"),
        ({"type": "Private", "value": 30}, "DefaultState"),
        ({"type": "Private", "value": -5}, "OutOfRange"),
        ({"type": "Private", "value": 101}, "OutOfRange"),
    ],
)
def test_choice_with_and_or_not(sfn: Any, document: dict[str, Any], expected: str) -> None:
    arn, described = run(sfn, CHOICE_BOOLEAN, document)
    assert output_of(described) == expected
    events = history(sfn, arn)
    assert [e["type"] for e in events] == [STARTED, "ChoiceStateEntered", "ChoiceStateExited", *PASS_EVENTS, SUCCEEDED]
    assert details(events[3])["name"] == expected


# -- Wait, Succeed, Fail -------------------------------------------------------------------------


def test_wait_seconds_finishes_when_the_clock_passes_it(sfn: Any, server: Server) -> None:
    definition = single("Pause", {"Type": "Wait", "Seconds": 30, "End": True})
    _, arn = start(sfn, definition, {"kept": True})
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    wait_for_event(sfn, arn, "WaitStateEntered")
    server.advance(31)
    described = wait_until_done(sfn, arn)
    assert output_of(described) == {"kept": True}
    assert history_types(sfn, arn) == [STARTED, "WaitStateEntered", "WaitStateExited", SUCCEEDED]


def test_succeed_state(sfn: Any) -> None:
    arn, described = run(sfn, single("Done", {"Type": "Succeed"}), {"a": [1, 2]})
    assert output_of(described) == {"a": [1, 2]}
    assert history_types(sfn, arn) == [STARTED, "SucceedStateEntered", "SucceedStateExited", SUCCEEDED]


def test_fail_state_with_error_and_cause(sfn: Any) -> None:
    definition = single("FailState", {"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"})
    arn, described = run(sfn, definition, {})
    assert described["status"] == "FAILED"
    assert described["error"] == "ErrorA" and described["cause"] == "Kaiju attack"
    assert "output" not in described
    events = history(sfn, arn)
    assert [e["type"] for e in events] == [STARTED, "FailStateEntered", "ExecutionFailed"]
    assert details(events[-1]) == {"error": "ErrorA", "cause": "Kaiju attack"}


# -- Parallel and Map ----------------------------------------------------------------------------


def test_parallel_of_two_branches(sfn: Any) -> None:
    definition = single(
        "LookupCustomerInfo",
        {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "LookupAddress", "States": {"LookupAddress": {"Type": "Pass", "Parameters": {"address.$": "$.id"}, "End": True}}},
                {"StartAt": "LookupPhone", "States": {"LookupPhone": {"Type": "Pass", "Parameters": {"phone.$": "$.id"}, "End": True}}},
            ],
            "End": True,
        },
    )
    arn, described = run(sfn, definition, {"id": "c-1"})
    assert output_of(described) == [{"address": "c-1"}, {"phone": "c-1"}]  # branch order, not finish order
    assert_segmented(
        history_types(sfn, arn),
        head=[STARTED, "ParallelStateEntered", "ParallelStateStarted"],
        tail=["ParallelStateSucceeded", "ParallelStateExited", SUCCEEDED],
        inner=PASS_EVENTS * 2,
    )


def test_map_with_item_selector_and_context_index(sfn: Any) -> None:
    # Developer guide, Map state: ItemSelector with $$.Map.Item.Index / $$.Map.Item.Value.
    definition = single(
        "ExampleMapState",
        {
            "Type": "Map",
            "ItemsPath": "$.detail.shipped",
            "ItemSelector": {
                "ContextIndex.$": "$$.Map.Item.Index",
                "ContextValue.$": "$$.Map.Item.Value",
                "delivery-partner.$": "$.delivery-partner",
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "TestPass",
                "States": {"TestPass": {"Type": "Pass", "End": True}},
            },
            "End": True,
        },
    )
    shipped = [
        {"prod": "R31", "dest-code": 9511, "quantity": 1344},
        {"prod": "S39", "dest-code": 9511, "quantity": 40},
        {"prod": "R15", "dest-code": 9833, "quantity": 12},
    ]
    arn, described = run(sfn, definition, {"delivery-partner": "UQS", "detail": {"shipped": shipped}})
    assert output_of(described) == [
        {"ContextIndex": i, "ContextValue": item, "delivery-partner": "UQS"} for i, item in enumerate(shipped)
    ]
    events = history(sfn, arn)
    assert_segmented(
        [e["type"] for e in events],
        head=[STARTED, "MapStateEntered", "MapStateStarted"],
        tail=["MapStateSucceeded", "MapStateExited", SUCCEEDED],
        inner=["MapIterationStarted", *PASS_EVENTS, "MapIterationSucceeded"] * 3,
    )
    assert details(events[2]) == {"length": 3}
    started = sorted(details(e)["index"] for e in events if e["type"] == "MapIterationStarted")
    assert started == [0, 1, 2]
    assert {details(e)["name"] for e in events if e["type"] == "MapIterationStarted"} == {"ExampleMapState"}


def test_map_over_an_empty_array(sfn: Any) -> None:
    definition = single(
        "M",
        {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True},
    )
    arn, described = run(sfn, definition, [])
    assert output_of(described) == []
    assert history_types(sfn, arn) == [
        STARTED, "MapStateEntered", "MapStateStarted", "MapStateSucceeded", "MapStateExited", SUCCEEDED,
    ]


def test_parallel_nested_in_map(sfn: Any) -> None:
    def branch(tag: str) -> dict[str, Any]:
        return {"StartAt": tag, "States": {tag: {"Type": "Pass", "Parameters": {"v.$": "$", "b": tag}, "End": True}}}

    definition = single(
        "EachItem",
        {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "StartAt": "Both",
                "States": {"Both": {"Type": "Parallel", "Branches": [branch("one"), branch("two")], "End": True}},
            },
            "End": True,
        },
    )
    arn, described = run(sfn, definition, {"items": [1, 2]})
    assert output_of(described) == [
        [{"v": 1, "b": "one"}, {"v": 1, "b": "two"}],
        [{"v": 2, "b": "one"}, {"v": 2, "b": "two"}],
    ]
    per_item = [
        "MapIterationStarted", "ParallelStateEntered", "ParallelStateStarted", *PASS_EVENTS * 2,
        "ParallelStateSucceeded", "ParallelStateExited", "MapIterationSucceeded",
    ]
    assert_segmented(
        history_types(sfn, arn),
        head=[STARTED, "MapStateEntered", "MapStateStarted"],
        tail=["MapStateSucceeded", "MapStateExited", SUCCEEDED],
        inner=per_item * 2,
    )


# -- Task on an activity, Retry, Catch -----------------------------------------------------------


def activity_task(activity: str, **extra: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": activity, **extra}


def test_activity_task_completed_by_a_worker_thread(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    worker = Worker(server, activity, lambda doc: ("success", {"greeting": f"hello {doc['who']}"}))
    _, arn = start(sfn, single("Work", activity_task(activity, End=True)), {"who": "ann"})
    worker.join()
    described = wait_until_done(sfn, arn)
    assert output_of(described) == {"greeting": "hello ann"}
    events = history(sfn, arn)
    assert [e["type"] for e in events] == [
        STARTED, "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", SUCCEEDED,
    ]
    scheduled = details(events[2])
    assert scheduled["resource"] == activity and json.loads(scheduled["input"]) == {"who": "ann"}
    assert details(events[3]).get("workerName") == "test-worker"
    assert json.loads(details(events[4])["output"]) == {"greeting": "hello ann"}


def test_retry_then_success(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    answers = iter([("failure", "Flaky", "first try"), ("success", {"ok": True})])
    worker = Worker(server, activity, lambda doc: next(answers), tasks=2)
    retry = [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.0}]
    _, arn = start(sfn, single("Work", activity_task(activity, Retry=retry, End=True)), {"n": 1})
    wait_for_event(sfn, arn, "ActivityFailed")
    server.advance(1.5)
    worker.join()
    described = wait_until_done(sfn, arn)
    assert output_of(described) == {"ok": True}
    assert history_types(sfn, arn) == [
        STARTED, "TaskStateEntered",
        "ActivityScheduled", "ActivityStarted", "ActivityFailed",
        "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
        "TaskStateExited", SUCCEEDED,
    ]


def test_catch_to_a_fallback_state(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    worker = Worker(server, activity, lambda doc: ("failure", "Broken", "it broke"))
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": activity_task(activity, Catch=[{"ErrorEquals": ["Broken"], "Next": "Fallback"}], End=True),
            "Fallback": {"Type": "Pass", "End": True},
        },
    }
    _, arn = start(sfn, definition, {"n": 1})
    worker.join()
    described = wait_until_done(sfn, arn)
    assert output_of(described) == {"Error": "Broken", "Cause": "it broke"}  # ResultPath defaults to $
    events = history(sfn, arn)
    assert [e["type"] for e in events] == [
        STARTED, "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityFailed",
        "TaskStateExited", *PASS_EVENTS, SUCCEEDED,
    ]
    assert details(events[4]) == {"error": "Broken", "cause": "it broke"}
    assert details(events[6])["name"] == "Fallback"


# -- intrinsic functions -------------------------------------------------------------------------


def test_pass_with_intrinsic_functions(sfn: Any) -> None:
    definition = single(
        "Intrinsics",
        {
            "Type": "Pass",
            "Parameters": {
                "greeting.$": "States.Format('Hello, my name is {}.', $.name)",
                "array.$": "States.Array('Foo', 2020, $.someJson, null)",
                "sum.$": "States.MathAdd($.value1, $.step)",
                "parsed.$": "States.StringToJson($.someString)",
            },
            "End": True,
        },
    )
    document = {"name": "Arnav", "someJson": {"random": "abcdefg"}, "value1": 111, "step": -1, "someString": '{"number": 20}'}
    arn, described = run(sfn, definition, document)
    assert output_of(described) == {
        "greeting": "Hello, my name is Arnav.",
        "array": ["Foo", 2020, {"random": "abcdefg"}, None],
        "sum": 110,
        "parsed": {"number": 20},
    }
    assert history_types(sfn, arn) == [STARTED, *PASS_EVENTS, SUCCEEDED]


# -- event structure -----------------------------------------------------------------------------


def test_event_ids_links_timestamps_and_details(sfn: Any) -> None:
    definition = single("Only", {"Type": "Pass", "Result": {"r": 1}, "ResultPath": "$.res", "End": True})
    arn, described = run(sfn, definition, {"in": "x"})
    events = history(sfn, arn)
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["previousEventId"] == 0
    assert events[1]["previousEventId"] == 0  # recorded on AWS: the first state's entered event follows event 0
    assert all(0 <= e["previousEventId"] < e["id"] for e in events)
    assert events[-1]["previousEventId"] == events[-2]["id"]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    assert described["startDate"] <= stamps[0] and stamps[-1] <= described["stopDate"]
    started = details(events[0])
    assert json.loads(started["input"]) == {"in": "x"} and started["roleArn"] == ROLE
    entered, exited = details(events[1]), details(events[2])
    assert entered["name"] == "Only" and json.loads(entered["input"]) == {"in": "x"}
    assert exited["name"] == "Only" and json.loads(exited["output"]) == {"in": "x", "res": {"r": 1}}
    assert json.loads(details(events[3])["output"]) == {"in": "x", "res": {"r": 1}}


CHAIN5 = {
    "StartAt": "S1",
    "States": {f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < 5 else {"End": True})} for i in range(1, 6)},
}


def test_history_pagination_with_max_results_and_next_token(sfn: Any) -> None:
    arn, _ = run(sfn, CHAIN5, {"k": 1})
    everything = sfn.get_execution_history(executionArn=arn)["events"]
    assert len(everything) == 12
    pages, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=5, **({"nextToken": token} if token else {}))
        pages.append([e["id"] for e in page["events"]])
        token = page.get("nextToken")
        if not token:
            break
    assert pages == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]


def test_history_in_reverse_order(sfn: Any) -> None:
    arn, _ = run(sfn, CHAIN5, {"k": 1})
    forward = sfn.get_execution_history(executionArn=arn)["events"]
    backward = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert [e["id"] for e in backward] == [e["id"] for e in reversed(forward)]
    assert backward[0]["type"] == SUCCEEDED and backward[-1]["type"] == STARTED
    first = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=3)
    assert [e["id"] for e in first["events"]] == [12, 11, 10] and first["nextToken"]
    second = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=3, nextToken=first["nextToken"])
    assert [e["id"] for e in second["events"]] == [9, 8, 7]


def test_history_without_execution_data(sfn: Any) -> None:
    arn, _ = run(sfn, CHAIN5, {"secret": "s3cr3t"})
    events = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert [e["type"] for e in events] == [STARTED, *PASS_EVENTS * 5, SUCCEEDED]
    for event in events:
        assert "input" not in details(event) and "output" not in details(event), event
    assert "s3cr3t" not in json.dumps(events, default=str)
    assert details(events[1])["name"] == "S1"  # names stay
    with_data = sfn.get_execution_history(executionArn=arn)["events"]
    assert json.loads(details(with_data[1])["input"]) == {"secret": "s3cr3t"}


def test_history_counts_match_for_a_larger_map(sfn: Any) -> None:
    definition = single(
        "Squares",
        {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Pass", "Parameters": {"n.$": "$"}, "End": True}}},
            "End": True,
        },
    )
    arn, described = run(sfn, definition, list(range(10)))
    assert output_of(described) == [{"n": i} for i in range(10)]
    types = history_types(sfn, arn)
    assert Counter(types)["MapIterationStarted"] == 10 == Counter(types)["MapIterationSucceeded"]
    assert len(types) == 3 + 10 * 4 + 3
