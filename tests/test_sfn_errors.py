"""Step Functions error handling: Retry, Catch, and the errors states raise, per "Error handling in
Step Functions" (developer guide) and the Amazon States Language specification.

Fail states cannot be retried themselves, so retried failures come from an activity task (failed
by SendTaskFailure) or from a Parallel state whose branch fails (Retry applies to the Parallel).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import (
    create_activity,
    details,
    event_count,
    history,
    history_types,
    output_of,
    run,
    start,
    take_task,
    wait_for_event,
    wait_until_done,
)


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """Retries wait on the service clock, which these tests move: they run on a server of the module's own."""
    return own_server


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def failing_parallel(error: str = "Custom.A", cause: str = "branch broke", **fields: Any) -> dict[str, Any]:
    """A machine whose single Parallel state fails with `error` from its one branch."""
    branch = {"StartAt": "Fails", "States": {"Fails": {"Type": "Fail", "Error": error, "Cause": cause}}}
    state = {"Type": "Parallel", "Branches": [branch], **fields}
    if "Next" not in fields:
        state["End"] = True
    return {"StartAt": "Par", "States": {"Par": state}}


def advance_until_done(server: Server, sfn: Any, arn: str, step: float, times: int) -> dict[str, Any]:
    """Advance the clock `step` seconds at a time (up to `times`) until the execution ends. Each
    advance settles (everything due has run when it answers), so one look after it is enough."""
    for _ in range(times):
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            break
        server.advance(step)
    return wait_until_done(sfn, arn)


# -- Retry ---------------------------------------------------------------------------------------


def test_retry_waits_interval_then_backoff_on_the_service_clock(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    retry = [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 20, "MaxAttempts": 3, "BackoffRate": 2.0}]
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "Retry": retry, "End": True}}}
    _, arn = start(sfn, definition, {"job": 1})

    task = take_task(server, activity)
    sfn.send_task_failure(taskToken=task["taskToken"], error="Flaky", cause="attempt 1")
    wait_for_event(sfn, arn, "ActivityFailed")
    server.advance(19)  # first retry after IntervalSeconds = 20
    assert event_count(sfn, arn, "ActivityScheduled") == 1
    server.advance(2)
    wait_for_event(sfn, arn, "ActivityScheduled", 2)

    task = take_task(server, activity)
    sfn.send_task_failure(taskToken=task["taskToken"], error="Flaky", cause="attempt 2")
    wait_for_event(sfn, arn, "ActivityFailed", 2)
    server.advance(38)  # second retry after 20 * 2 = 40
    assert event_count(sfn, arn, "ActivityScheduled") == 2
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    server.advance(3)
    wait_for_event(sfn, arn, "ActivityScheduled", 3)

    task = take_task(server, activity)
    assert json.loads(task["input"]) == {"job": 1}  # every attempt gets the same input
    sfn.send_task_success(taskToken=task["taskToken"], output='{"finally": true}')
    described = wait_until_done(sfn, arn)
    assert output_of(described) == {"finally": True}

    events = history(sfn, arn)
    failed = [e["timestamp"] for e in events if e["type"] == "ActivityFailed"]
    scheduled = [e["timestamp"] for e in events if e["type"] == "ActivityScheduled"]
    first_gap = (scheduled[1] - failed[0]).total_seconds()
    second_gap = (scheduled[2] - failed[1]).total_seconds()
    assert 20 <= first_gap < 25 and 40 <= second_gap < 45, (first_gap, second_gap)


def test_retry_exhausted_fails_with_the_last_error(sfn: Any, server: Server) -> None:
    retry = [{"ErrorEquals": ["Custom.A"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.0}]
    _, arn = start(sfn, failing_parallel(Retry=retry), {})
    described = advance_until_done(server, sfn, arn, step=1.1, times=10)
    assert described["status"] == "FAILED" and described["error"] == "Custom.A"
    assert described["cause"] == "branch broke"
    assert history_types(sfn, arn).count("FailStateEntered") == 3  # one try and two retries


def test_max_attempts_zero_means_no_retry(sfn: Any) -> None:
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 0}]
    arn, described = run(sfn, failing_parallel(Retry=retry), {})
    assert described["status"] == "FAILED" and described["error"] == "Custom.A"
    assert history_types(sfn, arn).count("FailStateEntered") == 1


def test_only_the_first_matching_retrier_applies(sfn: Any, server: Server) -> None:
    retry = [
        {"ErrorEquals": ["Custom.A"], "IntervalSeconds": 1, "MaxAttempts": 1, "BackoffRate": 1.0},
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1.0},
    ]
    _, arn = start(sfn, failing_parallel("Custom.A", Retry=retry), {})
    described = advance_until_done(server, sfn, arn, step=1.1, times=10)
    assert described["status"] == "FAILED"
    assert history_types(sfn, arn).count("FailStateEntered") == 2  # the first retrier's single retry only

    _, other = start(sfn, failing_parallel("Custom.B", Retry=retry), {})
    described = advance_until_done(server, sfn, other, step=1.1, times=10)
    assert described["status"] == "FAILED" and described["error"] == "Custom.B"
    assert history_types(sfn, other).count("FailStateEntered") == 4  # skipped to States.ALL: 1 + 3


def test_retry_does_not_match_other_errors(sfn: Any) -> None:
    retry = [{"ErrorEquals": ["Something.Else"], "IntervalSeconds": 1, "MaxAttempts": 5}]
    arn, described = run(sfn, failing_parallel("Custom.A", Retry=retry), {})
    assert described["status"] == "FAILED" and described["error"] == "Custom.A"
    assert history_types(sfn, arn).count("FailStateEntered") == 1


# -- Catch ---------------------------------------------------------------------------------------


def catching(catch: list[dict[str, Any]], error: str = "Custom.A") -> dict[str, Any]:
    definition = failing_parallel(error, Catch=catch, End=True)
    handlers = {
        "Specific": {"Type": "Pass", "Result": "specific", "ResultPath": "$.handledBy", "End": True},
        "Everything": {"Type": "Pass", "Result": "catch-all", "ResultPath": "$.handledBy", "End": True},
    }
    definition["States"].update({c["Next"]: handlers[c["Next"]] for c in catch})
    return definition


def test_catch_picks_the_first_matching_catcher_and_states_all_catches_the_rest(sfn: Any) -> None:
    catch = [
        {"ErrorEquals": ["Custom.A"], "Next": "Specific", "ResultPath": "$.error"},
        {"ErrorEquals": ["States.ALL"], "Next": "Everything", "ResultPath": "$.error"},
    ]
    _, specific = run(sfn, catching(catch, "Custom.A"), {"in": 1})
    assert output_of(specific)["handledBy"] == "specific"
    _, general = run(sfn, catching(catch, "Totally.Different"), {"in": 1})
    assert output_of(general) == {
        "in": 1,
        "error": {"Error": "Totally.Different", "Cause": "branch broke"},
        "handledBy": "catch-all",
    }


def test_catch_result_path_merges_error_and_cause_into_the_input(sfn: Any) -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Everything", "ResultPath": "$.error"}]
    arn, described = run(sfn, catching(catch), {"order": 17})
    assert output_of(described) == {
        "order": 17,
        "error": {"Error": "Custom.A", "Cause": "branch broke"},
        "handledBy": "catch-all",
    }
    entered = [details(e) for e in history(sfn, arn) if e["type"] == "PassStateEntered"]
    assert entered[-1]["name"] == "Everything"
    assert json.loads(entered[-1]["input"]) == {"order": 17, "error": {"Error": "Custom.A", "Cause": "branch broke"}}


def test_catch_without_result_path_replaces_the_input(sfn: Any) -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Plain"}]
    definition = failing_parallel(Catch=catch)
    definition["States"]["Plain"] = {"Type": "Pass", "End": True}
    _, described = run(sfn, definition, {"order": 17})
    assert output_of(described) == {"Error": "Custom.A", "Cause": "branch broke"}


def test_retry_then_catch(sfn: Any, server: Server) -> None:
    definition = catching([{"ErrorEquals": ["States.ALL"], "Next": "Everything", "ResultPath": "$.error"}])
    definition["States"]["Par"]["Retry"] = [{"ErrorEquals": ["Custom.A"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    _, arn = start(sfn, definition, {})
    described = advance_until_done(server, sfn, arn, step=1.1, times=10)
    assert output_of(described)["handledBy"] == "catch-all"
    assert history_types(sfn, arn).count("FailStateEntered") == 2  # caught only once retries are spent


# -- errors raised by states ---------------------------------------------------------------------


def test_parallel_failure_propagates_the_branch_error(sfn: Any) -> None:
    definition = {
        "StartAt": "Par",
        "States": {
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Fine", "States": {"Fine": {"Type": "Pass", "End": True}}},
                    {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail", "Error": "Branch.Failed", "Cause": "second branch"}}},
                ],
                "End": True,
            }
        },
    }
    arn, described = run(sfn, definition, {})
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("Branch.Failed", "second branch")
    types = history_types(sfn, arn)
    assert "ParallelStateFailed" in types and "ParallelStateSucceeded" not in types
    assert types[-1] == "ExecutionFailed"


def item_check(**map_fields: Any) -> dict[str, Any]:
    processor = {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 2, "Next": "TooBig"}], "Default": "Ok"},
            "TooBig": {"Type": "Fail", "Error": "Item.TooBig", "Cause": "item above 2"},
            "Ok": {"Type": "Pass", "End": True},
        },
    }
    return {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": processor, **map_fields, "End": True}}}


def test_map_failure_propagates_the_iteration_error(sfn: Any) -> None:
    arn, described = run(sfn, item_check(), [1, 2, 3])
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("Item.TooBig", "item above 2")
    types = history_types(sfn, arn)
    assert "MapIterationFailed" in types and "MapStateFailed" in types and types[-1] == "ExecutionFailed"


DISTRIBUTED = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}


def tolerant(**fields: Any) -> dict[str, Any]:
    definition = item_check(**fields)
    definition["States"]["Each"]["ItemProcessor"].update(DISTRIBUTED)
    return definition


@pytest.mark.parametrize(
    ("fields", "items", "status"),
    [
        ({"ToleratedFailureCount": 1}, [1, 2, 3], "SUCCEEDED"),  # 1 failure, 1 tolerated
        ({"ToleratedFailureCount": 1}, [1, 3, 4], "FAILED"),  # 2 failures
        ({"ToleratedFailurePercentage": 50}, [1, 2, 3, 4], "SUCCEEDED"),  # 50% is not above 50%
        ({"ToleratedFailurePercentage": 50}, [1, 3, 4], "FAILED"),  # 66% is
        ({"ToleratedFailurePercentage": 100}, [3, 4, 5], "SUCCEEDED"),
    ],
)
def test_map_tolerated_failures(sfn: Any, fields: dict[str, Any], items: list[int], status: str) -> None:
    # Developer guide, "Tolerated failure threshold for Distributed Map state": above the threshold
    # the Map fails with States.ExceedToleratedFailureThreshold.
    _, described = run(sfn, tolerant(**fields), items)
    assert described["status"] == status, described
    if status == "FAILED":
        assert described["error"] == "States.ExceedToleratedFailureThreshold"


def test_map_tolerated_failure_can_be_caught(sfn: Any) -> None:
    definition = tolerant(ToleratedFailureCount=0)
    each = definition["States"]["Each"]
    each["Catch"] = [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Handled"}]
    definition["States"]["Handled"] = {"Type": "Pass", "Parameters": {"error.$": "$.Error"}, "End": True}
    _, described = run(sfn, definition, [5])
    assert output_of(described) == {"error": "States.ExceedToleratedFailureThreshold"}


def test_choice_without_match_or_default_fails_with_no_choice_matched(sfn: Any) -> None:
    definition = {
        "StartAt": "Pick",
        "States": {
            "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]},
            "One": {"Type": "Succeed"},
        },
    }
    arn, described = run(sfn, definition, {"n": 2})
    assert described["status"] == "FAILED" and described["error"] == "States.NoChoiceMatched"
    assert history_types(sfn, arn) == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]


def test_no_choice_matched_can_be_caught_by_an_enclosing_parallel(sfn: Any) -> None:
    branch = {
        "StartAt": "Pick",
        "States": {
            "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]},
            "One": {"Type": "Succeed"},
        },
    }
    definition = {
        "StartAt": "Guard",
        "States": {
            "Guard": {
                "Type": "Parallel",
                "Branches": [branch],
                "Catch": [{"ErrorEquals": ["States.NoChoiceMatched"], "Next": "Recovered", "ResultPath": "$.why"}],
                "End": True,
            },
            "Recovered": {"Type": "Pass", "Parameters": {"error.$": "$.why.Error"}, "End": True},
        },
    }
    _, described = run(sfn, definition, {"n": 2})
    assert output_of(described) == {"error": "States.NoChoiceMatched"}


def test_unknown_task_resource_fails_naming_the_resource(sfn: Any) -> None:
    resource = "arn:aws:lambda:us-east-1:000000000000:function:nope"
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": resource, "End": True}}}
    arn, described = run(sfn, definition, {})  # must end, not hang
    assert described["status"] == "FAILED"
    text = f"{described.get('error', '')} {described.get('cause', '')}"
    assert "function:nope" in text, described
    assert history_types(sfn, arn)[-1] == "ExecutionFailed"


def test_states_all_does_not_catch_states_runtime(sfn: Any) -> None:
    # Developer guide, "Error names": States.ALL cannot catch States.Runtime errors.
    definition = {
        "StartAt": "Guard",
        "States": {
            "Guard": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Bad", "States": {"Bad": {"Type": "Pass", "InputPath": "$.missing", "End": True}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    arn, described = run(sfn, definition, {"present": 1})
    assert described["status"] == "FAILED" and described["error"] == "States.Runtime", described
    assert "Caught" not in json.dumps([details(e) for e in history(sfn, arn)])
