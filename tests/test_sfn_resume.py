"""Resumable executions: snapshot a running execution, restore it into a new application, and
it finishes with the history an uninterrupted run records (interpreter/replay.py).

Each scenario runs twice on frozen clocks that start at the same time: once straight through,
once with a snapshot and restore in the middle; the two histories must be identical, event by
event (ids, links, timestamps, details)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.inprocess import START, InProcess

ROLE = "arn:aws:iam::000000000000:role/r"
Step = Callable[[InProcess, str], None]


def _start(app: InProcess, definition: dict[str, Any], given: Any, extra: dict[str, Any] | None = None) -> str:
    for name, kind in (extra or {}).items():
        app.sfn("CreateActivity", name=name)
    machine = app.sfn("CreateStateMachine", name="m", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    arn = app.sfn("StartExecution", stateMachineArn=machine, name="run", input=json.dumps(given))["executionArn"]
    app.settle()
    return arn


def _finished(app: InProcess, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    described = app.sfn("DescribeExecution", executionArn=arn)
    return described, app.sfn("GetExecutionHistory", executionArn=arn, maxResults=1000)["events"]


def _both_ways(definition: dict[str, Any], given: Any, before: list[Step], after: list[Step],
               activities: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(described, history) of the run straight through, after checking the resumed one equals it."""
    straight = InProcess(seed=5)  # the same ids and randomness as the first half of the resumed run
    try:
        arn = _start(straight, definition, given, activities)
        for step in before + after:
            step(straight, arn)
        expected = _finished(straight, arn)
    finally:
        straight.close()
    first = InProcess(seed=5)
    try:
        arn = _start(first, definition, given, activities)
        for step in before:
            step(first, arn)
        assert first.sfn("DescribeExecution", executionArn=arn)["status"] == "RUNNING"
        snapshot = json.loads(json.dumps(first.dispatcher.snapshot()))
    finally:
        first.close()
    resumed = InProcess(start=START - 3600, seed=6)  # other randomness: replayed states must not run again
    try:
        resumed.run(resumed.dispatcher.restore(snapshot))
        resumed.settle()
        for step in after:
            step(resumed, arn)
        described, events = _finished(resumed, arn)
    finally:
        resumed.close()
    assert events == expected[1]
    assert {k: described.get(k) for k in ("status", "output", "error", "cause", "stopDate")} == \
        {k: expected[0].get(k) for k in ("status", "output", "error", "cause", "stopDate")}
    return expected


def advance(seconds: float) -> Step:
    return lambda app, arn: app.advance(seconds)


def _activity_arn(name: str) -> str:
    return f"arn:aws:states:us-east-1:000000000000:activity:{name}"


def take(activity: str) -> Step:
    def step(app: InProcess, arn: str) -> None:
        task = app.sfn("GetActivityTask", activityArn=_activity_arn(activity), workerName="w1")
        assert task.get("taskToken"), "no task to take"
        app.tokens = getattr(app, "tokens", []) + [task["taskToken"]]  # type: ignore[attr-defined]
    return step


def answer(output: Any) -> Step:
    def step(app: InProcess, arn: str) -> None:
        tokens = getattr(app, "tokens", None)
        if not tokens:  # resumed: the worker kept the token it took before the snapshot
            tokens = app.tokens = [_kept_token[0]]  # type: ignore[attr-defined]
        app.sfn("SendTaskSuccess", taskToken=tokens[-1], output=json.dumps(output))
        app.settle()
    return step


_kept_token: list[str] = []


def keep_token(app: InProcess, arn: str) -> None:
    _kept_token[:] = [app.tokens[-1]]  # type: ignore[attr-defined]


def test_mid_wait_with_variables() -> None:
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"who": "ada"}, "Result": {"n": 1}, "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 100, "Next": "Use"},
        "Use": {"Type": "Pass", "Parameters": {"who.$": "$who", "n.$": "$.n"}, "End": True}}}
    described, events = _both_ways(definition, {}, [advance(40)], [advance(60)])
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"who": "ada", "n": 1}
    assert [e["type"] for e in events][-2:] == ["PassStateExited", "ExecutionSucceeded"]


@pytest.mark.parametrize("taken_before", [True, False], ids=["taken-before", "taken-after"])
def test_mid_activity_task(taken_before: bool) -> None:
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": _activity_arn("act"), "TimeoutSeconds": 300, "End": True}}}
    _kept_token.clear()
    if taken_before:
        before, after = [take("act"), keep_token, advance(5)], [advance(5), answer({"done": 1})]
    else:
        before, after = [advance(5)], [take("act"), advance(5), answer({"done": 1})]
    described, events = _both_ways(definition, {"job": 1}, before, after, {"act": None})
    assert json.loads(described["output"]) == {"done": 1}
    assert [e["type"] for e in events].count("ActivityScheduled") == 1


def test_an_activity_timeout_counts_from_when_it_was_scheduled() -> None:
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": _activity_arn("slow"), "TimeoutSeconds": 100, "End": True}}}
    described, _ = _both_ways(definition, {}, [advance(60)], [advance(40)], {"slow": None})
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")


def test_mid_parallel() -> None:
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A1", "States": {"A1": {"Type": "Wait", "Seconds": 10, "Next": "A2"},
                                     "A2": {"Type": "Pass", "Result": "a", "End": True}}},
        {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Next": "B2"},
                                     "B2": {"Type": "Wait", "Seconds": 50, "End": True}}}]}}}
    described, _ = _both_ways(definition, {"x": 1}, [advance(20)], [advance(30)])
    assert json.loads(described["output"]) == ["a", {"x": 1}]


def test_mid_map() -> None:
    processor = {"StartAt": "Hold", "States": {
        "Hold": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"id.$": "$.id"}, "End": True}}}
    definition = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "MaxConcurrency": 2, "ItemProcessor": processor, "End": True}}}
    items = [{"id": 1, "wait": 10}, {"id": 2, "wait": 20}, {"id": 3, "wait": 30}]
    described, events = _both_ways(definition, items, [advance(15)], [advance(40)])
    assert json.loads(described["output"]) == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert [e["type"] for e in events].count("MapIterationSucceeded") == 3


def test_a_resumed_task_retries_when_it_would_have() -> None:
    definition = {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": _activity_arn("flaky"), "TimeoutSeconds": 10, "End": True,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 30, "MaxAttempts": 1}]}}}
    described, events = _both_ways(definition, {}, [advance(25)], [advance(20), take("flaky"), answer("second")],
                                   {"flaky": None})
    assert json.loads(described["output"]) == "second"
    assert [e["type"] for e in events].count("ActivityScheduled") == 2


def test_states_that_ended_before_the_snapshot_are_not_evaluated_again() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "Draw", "States": {
        "Draw": {"Type": "Pass", "Output": {"id": "{% $uuid() %}", "r": "{% $random() %}"}, "Assign": {"drawn": "{% $random() %}"}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 10, "Next": "Show"},
        "Show": {"Type": "Pass", "Output": {"kept": "{% $states.input %}", "drawn": "{% $drawn %}"}, "End": True}}}
    described, _ = _both_ways(definition, {}, [advance(5)], [advance(5)])
    assert described["status"] == "SUCCEEDED"


_WAIT_THEN_FAIL = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "Next": "F"},
                                               "F": {"Type": "Fail", "Error": "Boom"}}}


@pytest.mark.parametrize("snapshot_at", [10, 37], ids=["between-attempts", "during-the-retry"])
def test_a_retried_parallel_resumes_on_its_schedule(snapshot_at: int) -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [_WAIT_THEN_FAIL], "End": True,
                                                    "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 30, "MaxAttempts": 1}]}}}
    described, events = _both_ways(definition, {}, [advance(snapshot_at)], [advance(100)])
    assert described["error"] == "Boom"
    assert [e["type"] for e in events].count("ParallelStateStarted") == 2


def test_retries_that_record_no_event_keep_their_back_off() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": _activity_arn("never"), "Arguments": "{% $x.nope() %}", "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "BackoffRate": 2, "MaxAttempts": 3}]}}}
    described, events = _both_ways(definition, {}, [advance(15)], [advance(200)], {"never": None})
    assert described["error"] == "States.QueryEvaluationError"
    assert events[-1]["timestamp"] == events[1]["timestamp"] + 70  # 10 + 20 + 40 s of back-off
