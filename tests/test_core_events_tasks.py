"""Change events by ARN, supervised background tasks, and output validation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from protocols.internal import OutputCheck
from protocols.specs import all_specs
from services.core.clock import Clock
from services.core.dispatch import Dispatcher
from services.core.errors import InternalFailure
from services.core.events import ChangeEvents
from services.core.service import Operations, Service
from services.core.tasks import Supervisor


def test_subscribers_hear_their_arn_and_prefix_only() -> None:
    events, heard = ChangeEvents(), []
    assert not events.active  # nobody listens: publishing costs one check
    events.publish("arn:aws:sqs:us-east-1:000000000000:q", {"type": "x"})
    exact = events.subscribe("arn:a:1", lambda arn, e: heard.append(("exact", arn, e["n"])))
    events.subscribe("arn:a:", lambda arn, e: heard.append(("prefix", arn, e["n"])), prefix=True)
    events.publish("arn:a:1", {"n": 1})
    events.publish("arn:a:2", {"n": 2})
    events.publish("arn:b:1", {"n": 3})
    exact.cancel()
    events.publish("arn:a:1", {"n": 4})
    assert heard == [("exact", "arn:a:1", 1), ("prefix", "arn:a:1", 1), ("prefix", "arn:a:2", 2), ("prefix", "arn:a:1", 4)]
    assert len(events) == 1


def test_a_broken_listener_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    events, heard = ChangeEvents(), []

    def broken(arn: str, event: dict) -> None:
        raise RuntimeError("boom")

    events.subscribe("arn:x", broken)
    events.subscribe("arn:x", lambda arn, e: heard.append(e))
    with caplog.at_level(logging.ERROR, logger="stepstack.events"):
        events.publish("arn:x", {"n": 1})
    assert heard == [{"n": 1}]
    assert "change listener for arn:x failed" in caplog.text


def test_wait_for_returns_the_first_accepted_event_and_unsubscribes() -> None:
    async def scenario() -> tuple[dict, int]:
        events = ChangeEvents()
        waiting = asyncio.ensure_future(events.wait_for("arn:e", lambda e: e["status"] != "RUNNING"))
        await asyncio.sleep(0)
        events.publish("arn:e", {"status": "RUNNING"})
        events.publish("arn:e", {"status": "SUCCEEDED"})
        return await waiting, len(events)

    assert asyncio.run(scenario()) == ({"status": "SUCCEEDED"}, 0)


def test_a_failing_background_task_is_logged_with_its_name(caplog: pytest.LogCaptureFixture) -> None:
    async def fail() -> None:
        raise ValueError("bad")

    async def scenario() -> list[str]:
        supervisor = Supervisor()
        supervisor.spawn("delivery of m-1", fail(), owner="store-a")
        supervisor.spawn("execution e-1", asyncio.sleep(3600), owner="store-b")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        names = supervisor.names()
        await supervisor.cancel("store-b")
        return names + supervisor.names()

    with caplog.at_level(logging.ERROR, logger="stepstack.tasks"):
        assert asyncio.run(scenario()) == ["execution e-1"]
    assert "background task delivery of m-1 failed" in caplog.text


def test_a_result_that_breaks_its_output_shape_answers_internal_failure(caplog: pytest.LogCaptureFixture) -> None:
    operations = Operations("sqs")

    @operations.operation("GetQueueUrl")
    async def misspelled(ctx, req):  # type: ignore[no-untyped-def]
        return {"QueueURL": "http://localhost/000000000000/q"}

    dispatcher = Dispatcher(
        Clock(frozen=True), [lambda env: Service(env, operations)], ["sqs"], validate_output=OutputCheck(all_specs())
    )
    ctx = dispatcher.context("000000000000", "us-east-1")
    with caplog.at_level(logging.ERROR, logger="stepstack.dispatch"):
        with pytest.raises(InternalFailure):
            asyncio.run(dispatcher.dispatch(ctx, "sqs", "GetQueueUrl", {"QueueName": "q"}))
    assert "QueueURL" in caplog.text


def test_two_failing_map_iterations_leave_no_exception_unretrieved(caplog: pytest.LogCaptureFixture) -> None:
    import gc
    import json

    from tests.inprocess import InProcess

    definition = {
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
            "StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}}}},
    }
    app = InProcess()
    try:
        machine = app.sfn("CreateStateMachine", name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::000000000000:role/r")
        arn = app.sfn("StartExecution", stateMachineArn=machine["stateMachineArn"], input="[1, 2, 3]")["executionArn"]
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            app.settle()
            gc.collect()
            app.settle()
        assert app.sfn("DescribeExecution", executionArn=arn)["status"] == "FAILED"
    finally:
        app.close()
    assert "never retrieved" not in caplog.text


def test_every_history_event_of_a_stopped_execution_is_published() -> None:
    import json

    from tests.inprocess import InProcess

    app = InProcess()
    heard: list[tuple[str, str]] = []
    try:
        wait = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
        machine = app.sfn("CreateStateMachine", name="w", definition=wait, roleArn="arn:aws:iam::000000000000:role/r")
        app.dispatcher.events.subscribe(
            "arn:aws:states:us-east-1:000000000000:execution:w:", lambda arn, e: heard.append((e["type"], e.get("eventType") or e.get("status"))), prefix=True
        )
        arn = app.sfn("StartExecution", stateMachineArn=machine["stateMachineArn"], name="one")["executionArn"]
        app.settle()
        app.sfn("StopExecution", executionArn=arn)
    finally:
        app.close()
    assert heard == [
        ("HistoryEvent", "ExecutionStarted"), ("HistoryEvent", "WaitStateEntered"),
        ("HistoryEvent", "ExecutionAborted"), ("ExecutionStatus", "ABORTED"),
    ]


def test_a_sync_execution_started_while_shutting_down_ends_at_once() -> None:
    import json

    from tests.inprocess import InProcess

    app = InProcess()
    try:
        wait = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
        machine = app.sfn("CreateStateMachine", name="w", definition=wait, roleArn="arn:aws:iam::000000000000:role/r", type="EXPRESS")
        app.dispatcher.closing = True
        app.dispatcher.release()
        result = app.sfn("StartSyncExecution", stateMachineArn=machine["stateMachineArn"])
        assert (result["status"], result["error"]) == ("ABORTED", "States.Aborted")
    finally:
        app.close()
