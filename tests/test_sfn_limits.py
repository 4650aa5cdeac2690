"""Execution timeouts, Map concurrency, the 256 KiB payload limit, and a failing
Parallel branch that stops its siblings."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import history_types, run, start, wait_until_done


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def wait_for(predicate: Any, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_execution_timeout_seconds_ends_with_timed_out(sfn: Any, server: Server) -> None:
    definition = {"TimeoutSeconds": 10, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": True}}}
    _, arn = start(sfn, definition)
    wait_for(lambda: "WaitStateEntered" in history_types(sfn, arn))
    server.advance(11)
    described = wait_until_done(sfn, arn)
    assert described["status"] == "TIMED_OUT" and described["error"] == "States.Timeout"
    assert history_types(sfn, arn)[-1] == "ExecutionTimedOut"
    server.advance(100)
    assert "WaitStateExited" not in history_types(sfn, arn)  # the wait was abandoned


def test_map_max_concurrency_limits_running_iterations(sfn: Any, server: Server) -> None:
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 2, "End": True,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}},
    }}}
    _, arn = start(sfn, definition, [1, 2, 3, 4, 5])
    wait_for(lambda: history_types(sfn, arn).count("MapIterationStarted") == 2)
    server.advance(5)  # settles: a third iteration, had one been let through, would have started by now
    assert history_types(sfn, arn).count("MapIterationStarted") == 2
    server.advance(5)
    wait_for(lambda: history_types(sfn, arn).count("MapIterationStarted") == 4)
    server.advance(10)
    wait_for(lambda: history_types(sfn, arn).count("MapIterationStarted") == 5)
    server.advance(10)
    described = wait_until_done(sfn, arn)
    assert described["status"] == "SUCCEEDED" and described["output"] == "[1,2,3,4,5]"


def test_state_output_over_256_kib_is_data_limit_exceeded(sfn: Any) -> None:
    big = "x" * 100_000
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s", "c.$": "$.s"}, "End": True}}}
    _, described = run(sfn, definition, {"s": big})
    assert described["status"] == "FAILED" and described["error"] == "States.DataLimitExceeded"


def test_input_over_256_kib_is_refused(sfn: Any, server: Server) -> None:
    from tests.sfn_helpers import create_machine, error_of

    machine = create_machine(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    error = error_of(sfn.start_execution, stateMachineArn=machine, input='"' + "x" * 270_000 + '"')
    # the model caps `input` at 262144 characters: AWS's request validation answers first
    assert error["Code"] == "ValidationException"
    assert "Member must have length less than or equal to 262144" in error["Message"]


def test_failing_parallel_branch_stops_the_others(sfn: Any, server: Server) -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 100, "Next": "After"}, "After": {"Type": "Pass", "End": True}}},
        {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "branch failed"}}},
    ]}}}
    _, arn = start(sfn, definition)
    described = wait_until_done(sfn, arn)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Boom", "branch failed")
    server.advance(101)
    types = history_types(sfn, arn)
    assert "WaitStateExited" not in types and types.count("PassStateEntered") == 0
    assert types[-2:] == ["ParallelStateFailed", "ExecutionFailed"]


def test_distributed_map_reading_items_from_s3_is_refused_clearly(sfn: Any) -> None:
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    }}}
    import json

    from tests.sfn_helpers import ROLE, error_of

    error = error_of(sfn.create_state_machine, name="reads-s3", definition=json.dumps(definition), roleArn=ROLE)
    assert error["Code"] == "InvalidDefinition" and "ItemReader" in error["Message"] and "S3" in error["Message"]


def test_deleting_a_machine_with_a_running_execution_waits_for_it(sfn: Any, server: Server) -> None:
    machine, arn = start(sfn, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}}})
    sfn.delete_state_machine(stateMachineArn=machine)
    assert sfn.describe_state_machine(stateMachineArn=machine)["status"] == "DELETING"
    from tests.sfn_helpers import error_of

    assert error_of(sfn.start_execution, stateMachineArn=machine)["Code"] == "StateMachineDeleting"
    server.advance(31)
    assert wait_until_done(sfn, arn)["status"] == "SUCCEEDED"
    assert error_of(sfn.describe_state_machine, stateMachineArn=machine)["Code"] == "StateMachineDoesNotExist"


def test_parallel_branch_events_chain_within_their_branch(sfn: Any) -> None:
    from tests.sfn_helpers import history

    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A1", "States": {"A1": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": True}}},
        {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
    ]}}}
    arn, described = run(sfn, definition, {})
    assert described["status"] == "SUCCEEDED"
    events = {e["id"]: e for e in history(sfn, arn)}
    started = next(e["id"] for e in events.values() if e["type"] == "ParallelStateStarted")
    entered = {e["stateEnteredEventDetails"]["name"]: e for e in events.values() if "stateEnteredEventDetails" in e}
    assert entered["A1"]["previousEventId"] == started and entered["B1"]["previousEventId"] == started
    a1_exit = next(e["id"] for e in events.values() if e.get("stateExitedEventDetails", {}).get("name") == "A1")
    assert entered["A2"]["previousEventId"] == a1_exit
    succeeded = next(e for e in events.values() if e["type"] == "ParallelStateSucceeded")
    assert succeeded["previousEventId"] == succeeded["id"] - 1
