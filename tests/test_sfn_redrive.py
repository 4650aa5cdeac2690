"""RedriveExecution through boto3: a FAILED, TIMED_OUT or ABORTED standard execution continues
from the states that did not succeed, keeping every result that did (API reference,
RedriveExecution: "Step Functions preserves the results and execution history of the successful
steps, and doesn't rerun these steps"; for Parallel and Inline Map "only the iterations and
branches that failed or aborted").

A state that fails only before the first redrive reads `$$.Execution.RedriveCount` (0 until
redriven), so the tests need no outside worker to make it fail once."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import (
    create_activity,
    create_machine,
    details,
    error_of,
    history,
    output_of,
    take_task,
    unique,
    wait_for_event,
    wait_until_done,
)

# Fails with States.QueryEvaluationError until the execution is redriven, then gives "ok".
FLAKY_OUTPUT = "{% $states.context.Execution.RedriveCount = 0 ? $error('not yet') : 'ok' %}"


def flaky(name: str = "Flaky", **transition: Any) -> dict[str, Any]:
    return {name: {"Type": "Pass", "QueryLanguage": "JSONata", "Output": FLAKY_OUTPUT, **(transition or {"End": True})}}


def entered(events: list[dict[str, Any]]) -> Counter[str]:
    """How many times each state was entered."""
    return Counter(details(e)["name"] for e in events if e["type"].endswith("StateEntered"))


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    return own_server


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def start_and_fail(sfn: Any, definition: dict[str, Any], given: Any = None) -> str:
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({} if given is None else given))["executionArn"]
    assert wait_until_done(sfn, arn)["status"] == "FAILED"
    return arn


def redrive(sfn: Any, arn: str) -> dict[str, Any]:
    answer = sfn.redrive_execution(executionArn=arn)
    assert "redriveDate" in answer
    return wait_until_done(sfn, arn)


# -- the execution ------------------------------------------------------------------------------


def test_a_failed_execution_continues_from_the_failed_state(sfn: Any) -> None:
    definition = {"StartAt": "First", "States": {
        "First": {"Type": "Pass", "Result": {"from": "first"}, "ResultPath": "$.first", "Next": "Flaky"},
        **flaky(Next="Last"),
        "Last": {"Type": "Pass", "End": True},
    }}
    arn = start_and_fail(sfn, definition, {"n": 1})
    failed = sfn.describe_execution(executionArn=arn)
    assert failed["redriveCount"] == 0 and failed["redriveStatus"] == "REDRIVABLE"
    assert "redriveStatusReason" not in failed and "redriveDate" not in failed
    before = history(sfn, arn)

    done = redrive(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert output_of(done) == "ok"
    assert done["redriveCount"] == 1 and "redriveDate" in done
    assert done["redriveStatus"] == "NOT_REDRIVABLE"
    assert done["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    events = history(sfn, arn)
    assert events[: len(before)] == before  # the history of the first attempt stays as it was
    redriven = events[len(before)]
    assert redriven["type"] == "ExecutionRedriven" and redriven["previousEventId"] == before[-1]["id"]
    assert redriven["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert entered(events) == {"First": 1, "Flaky": 1, "Last": 1}  # First is not run again; Flaky is resumed
    after = [e["type"] for e in events[len(before) + 1:]]
    assert after == ["PassStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    listed = sfn.list_executions(stateMachineArn=done["stateMachineArn"])["executions"][0]
    assert listed["redriveCount"] == 1 and listed["redriveDate"] == done["redriveDate"]


def test_a_redriven_state_reads_the_redrive_count_and_time(sfn: Any) -> None:
    definition = {"StartAt": "Flaky", "States": {
        **flaky(Next="Context"),
        "Context": {"Type": "Pass", "Parameters": {"count.$": "$$.Execution.RedriveCount", "time.$": "$$.Execution.RedriveTime"}, "End": True},
    }}
    arn = start_and_fail(sfn, definition)
    done = redrive(sfn, arn)
    assert output_of(done)["count"] == 1
    assert output_of(done)["time"].endswith("Z")


def test_the_redrive_filter_and_counts_of_list_executions(sfn: Any) -> None:
    definition = {"StartAt": "Flaky", "States": flaky()}
    machine = create_machine(sfn, definition)
    arns = [sfn.start_execution(stateMachineArn=machine)["executionArn"] for _ in range(2)]
    for arn in arns:
        wait_until_done(sfn, arn)
    redrive(sfn, arns[0])
    redriven = sfn.list_executions(stateMachineArn=machine, redriveFilter="REDRIVEN")["executions"]
    not_redriven = sfn.list_executions(stateMachineArn=machine, redriveFilter="NOT_REDRIVEN")["executions"]
    assert [e["executionArn"] for e in redriven] == [arns[0]]
    assert [e["executionArn"] for e in not_redriven] == [arns[1]]
    assert not_redriven[0]["redriveCount"] == 0 and "redriveDate" not in not_redriven[0]


def test_an_execution_is_redriven_again_after_failing_again(sfn: Any) -> None:
    # fails on attempts 0 and 1, succeeds on the third
    output = "{% $states.context.Execution.RedriveCount < 2 ? $error('not yet') : $states.context.Execution.RedriveCount %}"
    arn = start_and_fail(sfn, {"StartAt": "F", "States": {"F": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": output, "End": True}}})
    assert redrive(sfn, arn)["status"] == "FAILED"
    done = redrive(sfn, arn)
    assert done["status"] == "SUCCEEDED" and output_of(done) == 2 and done["redriveCount"] == 2
    events = history(sfn, arn)
    assert [details(e) for e in events if e["type"] == "ExecutionRedriven"] == [{"redriveCount": 1}, {"redriveCount": 2}]
    assert [e["type"] for e in events].count("ExecutionFailed") == 2


# -- Parallel and Map: only what failed runs again ---------------------------------------------------


def test_a_parallel_reruns_only_its_failed_branch(sfn: Any) -> None:
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A1", "States": {"A1": {"Type": "Pass", "Result": "a1", "Next": "A2"}, "A2": {"Type": "Pass", "End": True}}},
        {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Result": "b1", "Next": "B2"}, **flaky("B2")}},
    ]}}}
    arn = start_and_fail(sfn, definition)
    first = history(sfn, arn)
    assert "ParallelStateFailed" in [e["type"] for e in first]

    done = redrive(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert output_of(done) == ["a1", "ok"]
    events = history(sfn, arn)
    assert entered(events) == {"Both": 1, "A1": 1, "A2": 1, "B1": 1, "B2": 1}
    types = [e["type"] for e in events[len(first):]]
    assert types == ["ExecutionRedriven", "PassStateExited", "ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]


def test_a_map_reruns_only_its_failed_iteration(sfn: Any) -> None:
    item = {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "Flaky"}], "Default": "Fine"},
        "Fine": {"Type": "Pass", "End": True},
        **flaky(),
    }}
    definition = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": item, "End": True}}}
    arn = start_and_fail(sfn, definition, [0, 1, 2])
    first = history(sfn, arn)
    started = [details(e)["index"] for e in first if e["type"] == "MapIterationStarted"]
    assert started == [0, 1]  # after an iteration fails, no other starts

    done = redrive(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert output_of(done) == [0, "ok", 2]
    events = history(sfn, arn)
    assert Counter(details(e)["index"] for e in events if e["type"] == "MapIterationStarted") == {0: 1, 1: 1, 2: 1}
    assert Counter(details(e)["index"] for e in events if e["type"] == "MapIterationSucceeded") == {0: 1, 1: 1, 2: 1}
    assert entered(events) == {"Each": 1, "Check": 3, "Fine": 2, "Flaky": 1}


def test_a_failed_activity_task_is_scheduled_again_and_the_succeeded_one_is_not(server: Server, sfn: Any) -> None:
    done_activity, flaky_activity = create_activity(sfn), create_activity(sfn)
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Done", "States": {"Done": {"Type": "Task", "Resource": done_activity, "End": True}}},
        {"StartAt": "Flaky", "States": {"Flaky": {"Type": "Task", "Resource": flaky_activity, "End": True}}},
    ]}}}
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"k": 1}')["executionArn"]
    worker = server.client("stepfunctions")
    worker.send_task_success(taskToken=take_task(server, done_activity)["taskToken"], output='"done"')
    wait_for_event(sfn, arn, "ActivitySucceeded")
    first_token = take_task(server, flaky_activity)["taskToken"]
    worker.send_task_failure(taskToken=first_token, error="Flaked", cause="first try")
    assert wait_until_done(sfn, arn)["error"] == "Flaked"

    sfn.redrive_execution(executionArn=arn)
    again = take_task(server, flaky_activity)
    assert again["taskToken"] != first_token and json.loads(again["input"]) == {"k": 1}
    assert error_of(worker.send_task_success, taskToken=first_token, output="{}")["Code"] == "TaskTimedOut"
    worker.send_task_success(taskToken=again["taskToken"], output='"second"')
    done = wait_until_done(sfn, arn)
    assert done["status"] == "SUCCEEDED" and output_of(done) == ["done", "second"]
    events = history(sfn, arn)
    scheduled = [details(e)["resource"] for e in events if e["type"] == "ActivityScheduled"]
    assert sorted(scheduled) == sorted([done_activity, flaky_activity, flaky_activity])  # the succeeded one: once


def test_a_retried_state_gets_its_retries_again(server: Server, sfn: Any) -> None:
    activity = create_activity(sfn)
    definition = {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "End": True,
        "Retry": [{"ErrorEquals": ["Flaked"], "MaxAttempts": 1, "IntervalSeconds": 5}],
    }}}
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    worker = server.client("stepfunctions")
    for _ in range(2):  # the attempt and its one retry
        worker.send_task_failure(taskToken=take_task(server, activity)["taskToken"], error="Flaked")
        server.advance(5)
    assert wait_until_done(sfn, arn)["status"] == "FAILED"
    sfn.redrive_execution(executionArn=arn)
    worker.send_task_failure(taskToken=take_task(server, activity)["taskToken"], error="Flaked")
    server.advance(0)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"  # a retry waits its interval
    server.advance(5)
    worker.send_task_success(taskToken=take_task(server, activity)["taskToken"], output='"at last"')
    assert output_of(wait_until_done(sfn, arn)) == "at last"


# -- aborted and timed out ---------------------------------------------------------------------------


def test_an_aborted_execution_waits_again_when_redriven(server: Server, sfn: Any) -> None:
    definition = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 100, "Next": "After"}, "After": {"Type": "Pass", "End": True}}}
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_for_event(sfn, arn, "WaitStateEntered")
    sfn.stop_execution(executionArn=arn, error="Stop", cause="by hand")
    assert sfn.describe_execution(executionArn=arn)["redriveStatus"] == "REDRIVABLE"
    server.advance(200)
    sfn.redrive_execution(executionArn=arn)
    server.advance(99)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    server.advance(1)
    done = wait_until_done(sfn, arn)
    assert done["status"] == "SUCCEEDED" and "error" not in done and "cause" not in done


def test_a_timed_out_execution_gets_its_whole_timeout_again(server: Server, sfn: Any) -> None:
    activity = create_activity(sfn)
    definition = {"TimeoutSeconds": 30, "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}}
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    take_task(server, activity)
    server.advance(30)
    assert wait_until_done(sfn, arn)["status"] == "TIMED_OUT"
    sfn.redrive_execution(executionArn=arn)
    task = take_task(server, activity)
    server.advance(29)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    server.client("stepfunctions").send_task_success(taskToken=task["taskToken"], output="{}")
    assert wait_until_done(sfn, arn)["status"] == "SUCCEEDED"


# -- what cannot be redriven ----------------------------------------------------------------------


def test_running_and_succeeded_executions_are_not_redrivable(server: Server, sfn: Any) -> None:
    activity = create_activity(sfn)
    machine = create_machine(sfn, {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}})
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    running = sfn.describe_execution(executionArn=arn)
    assert running["redriveStatus"] == "NOT_REDRIVABLE"
    assert running["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven"
    error = error_of(sfn.redrive_execution, executionArn=arn)
    assert error["Code"] == "ExecutionNotRedrivable" and "Execution is RUNNING and cannot be redriven" in error["Message"]
    server.client("stepfunctions").send_task_success(taskToken=take_task(server, activity)["taskToken"], output="{}")
    wait_until_done(sfn, arn)
    error = error_of(sfn.redrive_execution, executionArn=arn)
    assert error["Code"] == "ExecutionNotRedrivable" and "SUCCEEDED" in error["Message"]


def test_the_redrivable_period_is_fourteen_days(server: Server, sfn: Any) -> None:
    arn = start_and_fail(sfn, {"StartAt": "Flaky", "States": flaky()})
    server.advance(14 * 86_400 - 10)
    assert sfn.describe_execution(executionArn=arn)["redriveStatus"] == "REDRIVABLE"
    server.advance(20)
    described = sfn.describe_execution(executionArn=arn)
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution redrivable period exceeded"
    assert error_of(sfn.redrive_execution, executionArn=arn)["Code"] == "ExecutionNotRedrivable"


def test_unknown_and_express_executions(server: Server, sfn: Any) -> None:
    missing = f"arn:aws:states:us-east-1:000000000000:execution:{unique('m')}:x"
    assert error_of(sfn.redrive_execution, executionArn=missing)["Code"] == "ExecutionDoesNotExist"
    assert error_of(sfn.redrive_execution, executionArn="not-an-arn")["Code"] == "InvalidArn"
    machine = create_machine(sfn, {"StartAt": "Flaky", "States": flaky()}, type="EXPRESS")
    arn = server.client("stepfunctions", inject_host_prefix=False).start_sync_execution(stateMachineArn=machine)["executionArn"]
    not_in_context = {"Code": "InvalidArn", "Message": "Invalid Arn: 'Resource type not valid in this context: express'"}
    assert error_of(sfn.redrive_execution, executionArn=arn) == not_in_context


def test_the_same_client_token_is_one_redrive(sfn: Any) -> None:
    arn = start_and_fail(sfn, {"StartAt": "Flaky", "States": flaky()})
    first = sfn.redrive_execution(executionArn=arn, clientToken="token-1")
    again = sfn.redrive_execution(executionArn=arn, clientToken="token-1")
    assert again["redriveDate"] == first["redriveDate"]
    assert wait_until_done(sfn, arn)["redriveCount"] == 1


# -- a redriven execution survives a snapshot -----------------------------------------------------


def test_a_redriven_execution_resumes_after_a_restore() -> None:
    from tests.inprocess import InProcess

    first = InProcess(seed=3)
    try:
        activity = first.sfn("CreateActivity", name="work")["activityArn"]
        definition = {"StartAt": "Before", "States": {
            "Before": {"Type": "Pass", "Result": 1, "Next": "Work"},
            "Work": {"Type": "Task", "Resource": activity, "End": True},
        }}
        machine = first.sfn("CreateStateMachine", name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::000000000000:role/r")
        arn = first.sfn("StartExecution", stateMachineArn=machine["stateMachineArn"], name="run")["executionArn"]
        first.settle()
        token = first.sfn("GetActivityTask", activityArn=activity)["taskToken"]
        first.sfn("SendTaskFailure", taskToken=token, error="Flaked")
        first.settle()
        first.sfn("RedriveExecution", executionArn=arn)
        first.settle()
        redriven_token = first.sfn("GetActivityTask", activityArn=activity)["taskToken"]
        snapshot = json.loads(json.dumps(first.dispatcher.snapshot()))
    finally:
        first.close()
    resumed = InProcess(seed=4)
    try:
        resumed.run(resumed.dispatcher.restore(snapshot))
        resumed.settle()
        # the worker answers the redriven attempt's task with the token it took before the snapshot
        resumed.sfn("SendTaskSuccess", taskToken=redriven_token, output='"done"')
        resumed.settle()
        described = resumed.sfn("DescribeExecution", executionArn=arn)
        assert described["status"] == "SUCCEEDED" and described["output"] == '"done"' and described["redriveCount"] == 1
        types = [e["type"] for e in resumed.sfn("GetExecutionHistory", executionArn=arn)["events"]]
        assert types.count("ActivityScheduled") == 2 and types.count("PassStateEntered") == 1
        assert types[types.index("ExecutionRedriven"):] == [
            "ExecutionRedriven", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded",
        ]
    finally:
        resumed.close()


# -- a distributed Map: its Map Run is redriven with the parent ------------------------------------


def flaky_items(*flaky_values: int) -> dict[str, Any]:
    """A child that fails before its first redrive when its item is one of `flaky_values`."""
    rules = [{"Variable": "$", "NumericEquals": value, "Next": "Flaky"} for value in flaky_values]
    return {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": rules, "Default": "Fine"},
        "Fine": {"Type": "Pass", "End": True},
        **flaky(),
    }}


def distributed_map(processor: dict[str, Any], kind: str = "STANDARD", **fields: Any) -> dict[str, Any]:
    processor = {**processor, "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": kind}}
    return {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": processor, **fields, "End": True}}}


# A child that fails while both it and its parent are on their first attempt, for items 4 and 7:
# a redriven child sees its own RedriveCount, one started after the redrive its parent's (`r`).
FLAKY_CHILD = {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "QueryLanguage": "JSONata", "End": True, "Output": (
    "{% ($flaky := $states.input.v in [4, 7]; $flaky and $states.input.r = 0 and $states.context.Execution.RedriveCount = 0"
    " ? $error('not yet') : ($flaky ? 'ok' : $states.input.v)) %}"
)}}}


def test_a_distributed_map_redrives_its_map_run(sfn: Any) -> None:
    selector = {"v.$": "$$.Map.Item.Value", "r.$": "$$.Execution.RedriveCount"}
    arn = start_and_fail(sfn, distributed_map(FLAKY_CHILD, MaxConcurrency=3, ItemSelector=selector), list(range(10)))
    [run] = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    before = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert before["status"] == "FAILED" and before["redriveCount"] == 0
    children_before = {e["executionArn"]: e["status"] for e in sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]}
    assert "FAILED" in children_before.values() and len(children_before) < 10  # the map stopped starting children
    failed_child = next(child for child, status in children_before.items() if status == "FAILED")
    assert sfn.describe_execution(executionArn=failed_child)["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN"
    assert error_of(sfn.redrive_execution, executionArn=failed_child)["Code"] == "ExecutionNotRedrivable"

    done = redrive(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert output_of(done) == [0, 1, 2, 3, "ok", 5, 6, "ok", 8, 9]
    after = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert after["status"] == "SUCCEEDED" and after["redriveCount"] == 1 and "redriveDate" in after
    assert after["executionCounts"]["succeeded"] == 10 and after["executionCounts"]["total"] == 10
    children = {e["executionArn"]: e for e in sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]}
    assert len(children) == 10 and set(children_before) <= set(children)  # the same children, run again, and the rest
    for child_arn, status in children_before.items():
        expected = 0 if status == "SUCCEEDED" else 1  # a child that succeeded is not run again
        assert children[child_arn]["redriveCount"] == expected, (child_arn, status)
    events = history(sfn, arn)
    redriven = [e for e in events if e["type"] == "MapRunRedriven"]
    assert [details(e) for e in redriven] == [{"mapRunArn": run["mapRunArn"], "redriveCount": 1}]
    assert [e["type"] for e in events].count("MapRunStarted") == 1


def test_an_express_map_run_starts_its_failed_children_anew(sfn: Any) -> None:
    # an EXPRESS child cannot be redriven: it starts again, as a new execution (its RedriveCount is 0 again)
    arn = start_and_fail(sfn, distributed_map(flaky_items(1), "EXPRESS", ToleratedFailureCount=0), [0, 1, 2])
    [run] = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    failed = {e["executionArn"] for e in sfn.list_executions(mapRunArn=run["mapRunArn"], statusFilter="FAILED")["executions"]}
    assert len(failed) == 1
    assert redrive(sfn, arn)["status"] == "FAILED"  # it fails again
    now_failed = {e["executionArn"] for e in sfn.list_executions(mapRunArn=run["mapRunArn"], statusFilter="FAILED")["executions"]}
    assert len(now_failed) == 1 and now_failed != failed
    assert sfn.describe_map_run(mapRunArn=run["mapRunArn"])["redriveCount"] == 1
