"""One clock that settles, and STEPSTACK_SEED for runs that repeat exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, start_server, stop_server

ROLE = "arn:aws:iam::000000000000:role/r"

# Wait 10 s; a Task that fails and is retried twice (5 s, then 10 s back-off); caught; Wait 30 s.
RETRYING = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Wait", "Seconds": 10, "Next": "Flaky"},
        "Flaky": {
            "Type": "Task",
            "Resource": "arn:aws:states:::nothing:here",
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "BackoffRate": 2, "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Last", "ResultPath": "$.error"}],
            "End": True,
        },
        "Last": {"Type": "Wait", "Seconds": 30, "End": True},
    },
}


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("clock"))
    yield running
    stop_server(running)


def test_one_advance_settles_wait_retry_back_off_and_wait(own: Server) -> None:
    sfn = own.client("stepfunctions")
    machine = sfn.create_state_machine(name="retrying", definition=json.dumps(RETRYING), roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    started = sfn.describe_execution(executionArn=arn)["startDate"]
    moved = own.advance(55)  # 10 + 5 + 10 + 30: exactly enough
    assert moved["fired_timers"] >= 4
    described = sfn.describe_execution(executionArn=arn)  # no polling: the advance settled it
    assert described["status"] == "SUCCEEDED"
    events = sfn.get_execution_history(executionArn=arn)["events"]
    offsets = {
        (e["type"], e.get("stateEnteredEventDetails", {}).get("name")): round((e["timestamp"] - started).total_seconds())
        for e in events
        if e["type"] in ("WaitStateEntered", "TaskStateEntered", "ExecutionSucceeded")
    }
    assert offsets == {
        ("WaitStateEntered", "First"): 0,
        ("TaskStateEntered", "Flaky"): 10,
        ("WaitStateEntered", "Last"): 25,
        ("ExecutionSucceeded", None): 55,
    }
    failures = [round((e["timestamp"] - started).total_seconds()) for e in events if e["type"] == "TaskStartFailed"]
    assert failures == [10, 15, 25]


def test_an_advance_short_of_the_last_wait_leaves_the_execution_running(own: Server) -> None:
    sfn = own.client("stepfunctions")
    machine = sfn.create_state_machine(name="retrying-short", definition=json.dumps(RETRYING), roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    own.advance(54)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    own.advance(1)
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"


RANDOM = {
    "StartAt": "R",
    "States": {"R": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()", "n.$": "States.MathRandom(1, 1000000)"}, "End": True}},
}


def _session(server: Server) -> dict[str, Any]:
    """The same calls against a server: what it generated."""
    sqs, sfn = server.client("sqs"), server.client("stepfunctions")
    url = sqs.create_queue(QueueName="seeded")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="x")
    received = sqs.receive_message(QueueUrl=url)["Messages"][0]
    machine = sfn.create_state_machine(name="seeded", definition=json.dumps(RANDOM), roleArn=ROLE)
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])
    server.advance(0)
    described = sfn.describe_execution(executionArn=started["executionArn"])
    return {
        "message_id": sent["MessageId"],
        "request_id": sent["ResponseMetadata"]["RequestId"],
        "receipt": received["ReceiptHandle"],
        "execution": started["executionArn"],
        "output": json.loads(described["output"]),
    }


def test_the_same_seed_repeats_ids_and_randomness_and_another_seed_does_not(tmp_path: Path) -> None:
    runs = []
    for seed in ("7", "7", "8"):
        server = start_server(tmp_path, env={"STEPSTACK_SEED": seed})
        try:
            runs.append(_session(server))
        finally:
            stop_server(server)
    first, again, other = runs
    assert first == again
    for key in first:
        assert first[key] != other[key], key


@pytest.mark.parametrize("depth", [1, 3])
def test_an_advance_settles_through_nested_parallel_states(depth: int) -> None:
    from tests.inprocess import InProcess

    names = iter(range(1000))

    def branch(level: int) -> dict[str, Any]:
        name = f"S{next(names)}"  # state names are unique across a whole definition
        if level == 0:
            return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}
        return {"StartAt": name, "States": {name: {"Type": "Parallel", "Branches": [branch(level - 1), branch(level - 1)], "End": True}}}

    inner = branch(depth)
    definition = {
        "StartAt": "W1",
        "States": {
            "W1": {"Type": "Wait", "Seconds": 10, "Next": "Fan"},
            "Fan": {"Type": "Parallel", "Branches": [inner], "Next": "W2"},
            "W2": {"Type": "Wait", "Seconds": 10, "End": True},
        },
    }
    app = InProcess()
    try:
        machine = app.sfn("CreateStateMachine", name="fan", definition=json.dumps(definition), roleArn=ROLE)
        arn = app.sfn("StartExecution", stateMachineArn=machine["stateMachineArn"])["executionArn"]
        app.advance(20)
        assert app.sfn("DescribeExecution", executionArn=arn)["status"] == "SUCCEEDED"
    finally:
        app.close()


def test_activities_in_china_are_recognised() -> None:
    from tests.inprocess import InProcess

    app = InProcess()
    try:
        where = {"account": "000000000000", "region": "cn-north-1"}
        activity = app.call("stepfunctions", "CreateActivity", {"name": "work"}, **where)["activityArn"]
        assert activity.startswith("arn:aws-cn:states:cn-north-1:")
        task = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity, "End": True}}})
        machine = app.call("stepfunctions", "CreateStateMachine", {"name": "m", "definition": task, "roleArn": "arn:aws-cn:iam::000000000000:role/r"}, **where)
        app.call("stepfunctions", "StartExecution", {"stateMachineArn": machine["stateMachineArn"], "input": "{}"}, **where)
        app.settle()
        assert app.call("stepfunctions", "GetActivityTask", {"activityArn": activity}, **where)["taskToken"]
    finally:
        app.close()
