"""Distributed Map (ProcessorConfig Mode DISTRIBUTED): child executions under a Map Run, item
batching, tolerated failures, MaxConcurrency and UpdateMapRun, ListMapRuns / DescribeMapRun,
stopping and timing out the parent, a snapshot restored mid-run; through boto3 against a real
server (the restore in-process). Event order and links follow histories AWS recorded."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.sfn_helpers import (
    ROLE,
    create_machine,
    details,
    error_of,
    history,
    output_of,
    start,
    unique,
    wait_for_event,
    wait_until_done,
)

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def distributed(processor: dict[str, Any] = PASS, kind: str = "STANDARD", **fields: Any) -> dict[str, Any]:
    processor = {**processor, "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": kind}}
    return {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": processor, **fields, "End": True}}}


def waiting(seconds: int) -> dict[str, Any]:
    """A child that waits `seconds` of service time, then gives its input back."""
    return {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": seconds, "End": True}}}


def failing_above(limit: int) -> dict[str, Any]:
    """A child that fails (Item.TooBig) when its item is above `limit`."""
    return {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": limit, "Next": "TooBig"}], "Default": "Ok"},
        "TooBig": {"Type": "Fail", "Error": "Item.TooBig", "Cause": "item above the limit"},
        "Ok": {"Type": "Pass", "End": True},
    }}


def map_run_of(sfn: Any, execution_arn: str) -> str:
    runs = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    assert len(runs) == 1, runs
    return runs[0]["mapRunArn"]


def wait_for_map_run(sfn: Any, arn: str, accept: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
    """DescribeMapRun until `accept` takes its answer (fail the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_map_run(mapRunArn=arn)
        if accept(described):
            return described
        if time.monotonic() > deadline:
            pytest.fail(f"Map Run never reached the expected state: {described}")
        time.sleep(0.02)


def running(count: int) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d["executionCounts"]["running"] == count


# -- a thousand items ------------------------------------------------------------------------------


def test_a_thousand_items_in_batches_of_ten_with_concurrency_fifty(sfn: Any) -> None:
    items = list(range(1000))
    definition = distributed(MaxConcurrency=50, ItemBatcher={"MaxItemsPerBatch": 10, "BatchInput": {"size": 10}})
    machine, arn = start(sfn, definition, items)
    described = wait_until_done(sfn, arn, timeout=60)
    output = output_of(described)
    assert output == [{"BatchInput": {"size": 10}, "Items": items[i:i + 10]} for i in range(0, 1000, 10)]
    map_run = map_run_of(sfn, arn)
    run = sfn.describe_map_run(mapRunArn=map_run)
    assert (run["status"], run["maxConcurrency"], run["executionArn"]) == ("SUCCEEDED", 50, arn)
    assert (run["toleratedFailureCount"], run["toleratedFailurePercentage"]) == (0, 0.0)
    zero = {"pending": 0, "running": 0, "failed": 0, "timedOut": 0, "aborted": 0, "failuresNotRedrivable": 0, "pendingRedrive": 0}
    assert run["itemCounts"] == {**zero, "succeeded": 1000, "total": 1000, "resultsWritten": 1000}
    assert run["executionCounts"] == {**zero, "succeeded": 100, "total": 100, "resultsWritten": 100}
    assert run["startDate"] <= run["stopDate"]


def test_a_thousand_items_without_batching_start_a_child_each(sfn: Any) -> None:
    _, arn = start(sfn, distributed(MaxConcurrency=50), list(range(1000)))
    assert output_of(wait_until_done(sfn, arn, timeout=60)) == list(range(1000))
    run = sfn.describe_map_run(mapRunArn=map_run_of(sfn, arn))
    assert run["executionCounts"]["succeeded"] == run["itemCounts"]["succeeded"] == 1000


# -- the parent's history and the ARNs -----------------------------------------------------------


def test_parent_history_is_linked_as_aws_records_it(sfn: Any) -> None:
    machine, arn = start(sfn, distributed(Label="Batches"), ["a", "b"])
    assert output_of(wait_until_done(sfn, arn)) == ["a", "b"]
    events = history(sfn, arn)
    assert [(e["id"], e["type"], e["previousEventId"]) for e in events] == [
        (1, "ExecutionStarted", 0), (2, "MapStateEntered", 0), (3, "MapStateStarted", 2), (4, "MapRunStarted", 3),
        (5, "MapRunSucceeded", 4), (6, "MapStateSucceeded", 5), (7, "MapStateExited", 4), (8, "ExecutionSucceeded", 7),
    ]
    assert details(events[2]) == {"length": 2}
    map_run = details(events[3])["mapRunArn"]
    name = machine.split(":")[-1]
    assert re.fullmatch(rf"arn:aws:states:us-east-1:000000000000:mapRun:{name}/Batches:[0-9a-f-]{{36}}", map_run)
    listed = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    assert listed[0]["stateMachineArn"] == f"{machine}/Batches" and listed[0]["executionArn"] == arn


def test_without_a_label_the_map_run_is_named_by_a_generated_id(sfn: Any) -> None:
    machine, arn = start(sfn, distributed(), [1])
    wait_until_done(sfn, arn)
    map_run = map_run_of(sfn, arn)
    assert re.fullmatch(rf"arn:aws:states:us-east-1:000000000000:mapRun:{machine.split(':')[-1]}/[0-9a-f-]{{36}}:[0-9a-f-]{{36}}", map_run)


def child_context() -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Parameters": {
        "id.$": "$$.Execution.Id", "machine.$": "$$.StateMachine.Id", "input.$": "$",
    }}}}


@pytest.mark.parametrize("kind", ["STANDARD", "EXPRESS"])
def test_children_are_executions_of_their_own_kind(sfn: Any, kind: str) -> None:
    machine, arn = start(sfn, distributed(child_context(), kind, Label="L", ItemSelector={"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"}), ["x", "y"])
    output = output_of(wait_until_done(sfn, arn))
    assert [o["input"] for o in output] == [{"v": "x", "i": 0}, {"v": "y", "i": 1}]
    family = f"{machine.split(':')[-1]}/L"
    resource = "express" if kind == "EXPRESS" else "execution"
    for child in output:
        assert child["machine"] == f"{machine}/L"
        assert child["id"].startswith(f"arn:aws:states:us-east-1:000000000000:{resource}:{family}:")
        described = sfn.describe_execution(executionArn=child["id"])  # EXPRESS too: a Map Run dispatched it
        assert described["mapRunArn"] == map_run_of(sfn, arn)
        assert described["status"] == "SUCCEEDED" and json.loads(described["input"]) == child["input"]
        assert described["stateMachineArn"] == f"{machine}/L"


def test_children_listed_by_map_run(sfn: Any) -> None:
    _, arn = start(sfn, distributed(ItemBatcher={"MaxItemsPerBatch": 2}), [1, 2, 3])
    wait_until_done(sfn, arn)
    map_run = map_run_of(sfn, arn)
    listed = sfn.list_executions(mapRunArn=map_run)["executions"]
    assert sorted(e["itemCount"] for e in listed) == [1, 2]
    assert all(e["mapRunArn"] == map_run and e["status"] == "SUCCEEDED" for e in listed)
    child = sfn.describe_state_machine_for_execution(executionArn=listed[0]["executionArn"])
    assert child["mapRunArn"] == map_run and child["label"] == map_run.split(":")[-2].split("/")[-1]


# -- ItemBatcher ----------------------------------------------------------------------------------


def test_batches_hold_at_most_max_input_bytes(sfn: Any) -> None:
    items = ["a" * 10] * 5  # each "aaaaaaaaaa" is 12 bytes of JSON
    # {"Items":[]} is 12 bytes; with one item 24, two 37, three 50
    _, arn = start(sfn, distributed(ItemBatcher={"MaxInputBytesPerBatch": 40}), items)
    assert [len(b["Items"]) for b in output_of(wait_until_done(sfn, arn))] == [2, 2, 1]


def test_batch_limits_from_paths_and_batch_input_from_the_state_input(sfn: Any) -> None:
    batcher = {"MaxItemsPerBatchPath": "$.size", "BatchInput": {"job.$": "$.job"}}
    _, arn = start(sfn, distributed(ItemBatcher=batcher, ItemsPath="$.items"), {"size": "2", "job": "j", "items": [1, 2, 3]})
    assert output_of(wait_until_done(sfn, arn)) == [{"BatchInput": {"job": "j"}, "Items": [1, 2]}, {"BatchInput": {"job": "j"}, "Items": [3]}]


def test_jsonata_batcher_takes_expressions(sfn: Any) -> None:
    definition = distributed(Items="{% $states.input.items %}", ItemBatcher={
        "MaxItemsPerBatch": "{% $states.input.size %}", "BatchInput": {"count": "{% $count($states.input.items) %}"},
    })
    definition["QueryLanguage"] = "JSONata"
    _, arn = start(sfn, definition, {"size": 3, "items": [1, 2, 3, 4]})
    assert output_of(wait_until_done(sfn, arn)) == [{"BatchInput": {"count": 4}, "Items": [1, 2, 3]}, {"BatchInput": {"count": 4}, "Items": [4]}]


# -- tolerated failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"ToleratedFailureCount": 3}, "SUCCEEDED"),  # items 10, 9, 8 fail: 3 failures, 3 tolerated
        ({"ToleratedFailureCount": 2}, "FAILED"),
        ({"ToleratedFailurePercentage": 30}, "SUCCEEDED"),  # 30% is not above 30%
        ({"ToleratedFailurePercentage": 29}, "FAILED"),
        ({}, "FAILED"),  # no threshold: the first failure is one too many
    ],
)
def test_tolerated_failures(sfn: Any, fields: dict[str, Any], status: str) -> None:
    _, arn = start(sfn, distributed(failing_above(7), MaxConcurrency=1, **fields), list(range(10, 0, -1)))
    described = wait_until_done(sfn, arn)
    assert described["status"] == status, described
    run = sfn.describe_map_run(mapRunArn=map_run_of(sfn, arn))
    assert run["status"] == status
    types = [e["type"] for e in history(sfn, arn)]
    if status == "SUCCEEDED":
        output = output_of(described)
        assert output[:3] == [{"Error": "Item.TooBig", "Cause": "item above the limit"}] * 3
        assert output[3:] == list(range(7, 0, -1))
        assert run["executionCounts"]["failed"] == 3 and run["executionCounts"]["succeeded"] == 7
    else:
        assert (described["error"], described["cause"]) == (
            "States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded",
        )
        assert types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
        failed = next(e for e in history(sfn, arn) if e["type"] == "MapRunFailed")
        assert details(failed)["error"] == "States.ExceedToleratedFailureThreshold"
        counts = run["executionCounts"]  # one at a time: the third failure ends it, the rest never start
        assert (counts["failed"], counts["succeeded"], counts["pending"]) == (3 if fields else 1, 0, 7 if fields else 9)


def test_a_failed_batch_fails_all_its_items(sfn: Any) -> None:
    batch_fails = {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.Items[0]", "NumericGreaterThan": 4, "Next": "No"}], "Default": "Ok"},
        "No": {"Type": "Fail", "Error": "Bad"}, "Ok": {"Type": "Pass", "End": True},
    }}
    definition = distributed(batch_fails, ItemBatcher={"MaxItemsPerBatch": 5}, ToleratedFailureCount=4)
    _, arn = start(sfn, definition, list(range(10)))  # the second batch (5..9) fails: 5 items > 4
    assert wait_until_done(sfn, arn)["error"] == "States.ExceedToleratedFailureThreshold"
    run = sfn.describe_map_run(mapRunArn=map_run_of(sfn, arn))
    assert run["itemCounts"]["failed"] == 5 and run["executionCounts"]["failed"] == 1


def test_tolerated_failure_threshold_can_be_caught(sfn: Any) -> None:
    definition = distributed(failing_above(0), Catch=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Caught"}])
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    _, arn = start(sfn, definition, [1])
    assert output_of(wait_until_done(sfn, arn))["Error"] == "States.ExceedToleratedFailureThreshold"


def test_a_retried_distributed_map_starts_a_new_map_run(sfn: Any, server: Server) -> None:
    definition = distributed(failing_above(0), Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 30}])
    machine, arn = start(sfn, definition, [1])
    wait_for_event(sfn, arn, "MapRunFailed")
    server.advance(30)  # the retry's interval
    assert wait_until_done(sfn, arn)["error"] == "States.ExceedToleratedFailureThreshold"
    runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    assert len(runs) == 2 and len({r["mapRunArn"] for r in runs}) == 2
    assert all(sfn.describe_map_run(mapRunArn=r["mapRunArn"])["status"] == "FAILED" for r in runs)
    assert [e["type"] for e in history(sfn, arn)].count("MapRunStarted") == 2
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]] == [arn]  # children are not the machine's


# -- MaxConcurrency and UpdateMapRun ------------------------------------------------------------------


def test_update_map_run_changes_concurrency_while_it_runs(sfn: Any, server: Server) -> None:
    _, arn = start(sfn, distributed(waiting(10), MaxConcurrency=2), list(range(10)))
    map_run = map_run_of(sfn, arn)
    described = wait_for_map_run(sfn, map_run, running(2))
    assert described["executionCounts"]["pending"] == 8 and described["maxConcurrency"] == 2
    server.advance(10)  # the first two end; two more start
    described = wait_for_map_run(sfn, map_run, lambda d: d["executionCounts"]["succeeded"] == 2 and d["executionCounts"]["running"] == 2)
    assert described["executionCounts"]["pending"] == 6
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=5)  # three more start at once
    described = wait_for_map_run(sfn, map_run, running(5))
    assert described["maxConcurrency"] == 5 and described["executionCounts"]["pending"] == 3
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=1)  # running ones go on; new starts are held
    server.advance(10)  # the two started first end, then the three started next: 7 ended
    described = wait_for_map_run(sfn, map_run, lambda d: d["executionCounts"]["succeeded"] == 7)
    assert described["executionCounts"]["running"] == 1 and described["executionCounts"]["pending"] == 2
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=0)  # no limit
    wait_for_map_run(sfn, map_run, running(3))
    server.advance(10)
    assert output_of(wait_until_done(sfn, arn)) == list(range(10))


def test_update_map_run_can_raise_the_tolerated_failures_of_a_running_map(sfn: Any, server: Server) -> None:
    child = {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 10, "Next": "Check"},
        **failing_above(1)["States"],
    }}
    _, arn = start(sfn, distributed(child, MaxConcurrency=1), [1, 2, 3])
    map_run = map_run_of(sfn, arn)
    wait_for_map_run(sfn, map_run, running(1))
    sfn.update_map_run(mapRunArn=map_run, toleratedFailureCount=2)
    for _ in range(3):
        server.advance(10)
    described = wait_until_done(sfn, arn)
    assert described["status"] == "SUCCEEDED", described
    assert sfn.describe_map_run(mapRunArn=map_run)["toleratedFailureCount"] == 2


# -- errors of the Map Run operations -------------------------------------------------------------------


def test_map_run_operations_answer_aws_errors(sfn: Any) -> None:
    unknown = "arn:aws:states:us-east-1:000000000000:mapRun:m/label:00000000-0000-0000-0000-000000000000"
    assert error_of(sfn.describe_map_run, mapRunArn=unknown)["Code"] == "ResourceNotFound"
    assert error_of(sfn.update_map_run, mapRunArn=unknown, maxConcurrency=1)["Code"] == "ResourceNotFound"
    assert error_of(sfn.describe_map_run, mapRunArn="arn:aws:states:us-east-1:000000000000:execution:m:e")["Code"] == "InvalidArn"
    assert error_of(sfn.describe_map_run, mapRunArn="not-an-arn")["Code"] == "InvalidArn"
    missing = "arn:aws:states:us-east-1:000000000000:execution:m:e"
    assert error_of(sfn.list_map_runs, executionArn=missing)["Code"] == "ExecutionDoesNotExist"


def test_update_map_run_needs_a_change_and_a_running_map_run(sfn: Any) -> None:
    _, arn = start(sfn, distributed(), [1])
    wait_until_done(sfn, arn)
    map_run = map_run_of(sfn, arn)
    assert error_of(sfn.update_map_run, mapRunArn=map_run)["Code"] == "ValidationException"
    assert error_of(sfn.update_map_run, mapRunArn=map_run, maxConcurrency=3)["Code"] == "ValidationException"


def test_an_inline_map_has_no_map_runs(sfn: Any) -> None:
    _, arn = start(sfn, {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": PASS, "End": True}}}, [1])
    wait_until_done(sfn, arn)
    assert sfn.list_map_runs(executionArn=arn)["mapRuns"] == []


# -- definitions refused ----------------------------------------------------------------------------------


def refused(sfn: Any, definition: dict[str, Any]) -> str:
    error = error_of(sfn.create_state_machine, name=unique("dm"), definition=json.dumps(definition), roleArn=ROLE)
    assert error["Code"] == "InvalidDefinition", error
    return error["Message"]


def test_item_reader_and_result_writer_are_refused_without_s3(sfn: Any) -> None:
    reader = {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}}
    message = refused(sfn, distributed(ItemReader=reader))
    assert "ItemReader" in message and "Amazon S3" in message and "/States/Each/ItemReader" in message
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}}
    assert "ResultWriter" in refused(sfn, distributed(ResultWriter=writer))
    machine = create_machine(sfn, distributed())
    with pytest.raises(ClientError) as caught:
        sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(distributed(ItemReader=reader)))
    assert caught.value.response["Error"]["Code"] == "InvalidDefinition"


def test_item_batcher_needs_distributed_mode(sfn: Any) -> None:
    inline = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": PASS, "ItemBatcher": {"MaxItemsPerBatch": 2}, "End": True}}}
    assert "ItemBatcher" in refused(sfn, inline)
    assert "Minimum value is 1" in refused(sfn, distributed(ItemBatcher={"MaxItemsPerBatch": 0}))


@pytest.mark.parametrize(("label", "problem"), [
    ("", "Label cannot be empty"), ("x" * 41, "Label cannot exceed 40 characters"), ("a b", "Label contains invalid character: ' '"),
])
def test_labels_aws_refuses(sfn: Any, label: str, problem: str) -> None:
    assert problem in refused(sfn, distributed(Label=label))


def test_distributed_mode_names_its_execution_type(sfn: Any) -> None:
    definition = distributed()
    del definition["States"]["Each"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"]
    assert "ExecutionType" in refused(sfn, definition)


# -- stopping and timing out the parent ---------------------------------------------------------------------


def test_stopping_the_parent_aborts_its_map_run(sfn: Any) -> None:
    _, arn = start(sfn, distributed(waiting(100), MaxConcurrency=3), list(range(10)))
    map_run = map_run_of(sfn, arn)
    wait_for_map_run(sfn, map_run, running(3))
    sfn.stop_execution(executionArn=arn, error="Stop", cause="enough")
    described = wait_for_map_run(sfn, map_run, lambda d: d["status"] == "ABORTED")
    assert described["executionCounts"]["aborted"] == 3 and described["executionCounts"]["pending"] == 7
    assert described["executionCounts"]["running"] == 0 and "stopDate" in described
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"


def test_a_parent_timeout_aborts_its_map_run(sfn: Any, server: Server) -> None:
    definition = {**distributed(waiting(100), MaxConcurrency=2), "TimeoutSeconds": 5}
    _, arn = start(sfn, definition, [1, 2, 3])
    map_run = map_run_of(sfn, arn)
    wait_for_map_run(sfn, map_run, running(2))
    server.advance(5)
    assert wait_until_done(sfn, arn)["status"] == "TIMED_OUT"
    described = wait_for_map_run(sfn, map_run, lambda d: d["status"] == "ABORTED")
    assert described["executionCounts"]["aborted"] == 2


# -- a snapshot restored mid-run ----------------------------------------------------------------------------


def test_a_running_map_run_resumes_after_a_restore() -> None:
    from tests.inprocess import InProcess

    first = InProcess(seed=5)
    try:
        definition = distributed(waiting(10), MaxConcurrency=2)
        machine = first.sfn("CreateStateMachine", name="dm", definition=json.dumps(definition), roleArn=ROLE)
        arn = first.sfn("StartExecution", stateMachineArn=machine["stateMachineArn"], input="[1, 2, 3, 4, 5]")["executionArn"]
        first.settle()
        first.advance(10)  # two ended, two more running
        first.settle()
        map_run = first.sfn("ListMapRuns", executionArn=arn)["mapRuns"][0]["mapRunArn"]
        assert first.sfn("DescribeMapRun", mapRunArn=map_run)["executionCounts"]["succeeded"] == 2
        snapshot = json.loads(json.dumps(first.dispatcher.snapshot()))
    finally:
        first.close()
    resumed = InProcess(seed=6)
    try:
        resumed.run(resumed.dispatcher.restore(snapshot))
        resumed.settle()
        counts = resumed.sfn("DescribeMapRun", mapRunArn=map_run)["executionCounts"]
        assert (counts["succeeded"], counts["running"], counts["pending"]) == (2, 2, 1)
        for _ in range(2):
            resumed.advance(10)
            resumed.settle()
        described = resumed.sfn("DescribeExecution", executionArn=arn)
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == [1, 2, 3, 4, 5]
        run = resumed.sfn("DescribeMapRun", mapRunArn=map_run)
        assert run["status"] == "SUCCEEDED" and run["executionCounts"]["succeeded"] == 5
        types = [e["type"] for e in resumed.sfn("GetExecutionHistory", executionArn=arn)["events"]]
        assert types.count("MapRunStarted") == 1 and types[-4:] == ["MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    finally:
        resumed.close()
