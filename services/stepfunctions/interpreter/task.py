"""The Task state's work: its timeouts, and the resource it runs: an activity (here), a service
integration (integrations/service_task.py) or a Lambda function by its ARN
(integrations/lambda_function.py).

A missed heartbeat fails the task with States.Timeout, as AWS records it; the failure is
marked so that `ErrorEquals: ["States.HeartbeatTimeout"]` matches it (and only it).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from services.core.arns import parse_arn
from services.stepfunctions.asl import ast
from services.stepfunctions.asl.messages import MAX_INT
from services.stepfunctions.data.templates import apply_path
from services.stepfunctions.failures import StatesFailure, runtime
from services.stepfunctions.interpreter.dataflow import dumps, effective_input
from services.stepfunctions.interpreter.fields import Env, evaluation_failure, jsonata_value
from services.stepfunctions.integrations.lambda_function import run_function_task
from services.stepfunctions.integrations.mocks.tasks import ACTIVITY_CAUSE, mocked_state, run_mocked_function
from services.stepfunctions.integrations.resources import is_function_arn, service_resource
from services.stepfunctions.integrations.service_task import run_service_task
from services.stepfunctions.interpreter.history import Lane
from services.stepfunctions.interpreter.replay import recorded_outcome


def _positive_seconds(env: Env, state: ast.TaskState, field: str, value: Any, path: str | None) -> int | None:
    """TimeoutSeconds / HeartbeatSeconds, from the field, its Path (on the state's input after
    InputPath, not on Parameters: recorded, v2/callback test_multiple_heartbeat_notifications), or
    its JSONata expression; at most MAX_INT, as in a definition (a larger one is no valid value)."""
    if state.jsonata and isinstance(state.raw.get(field), str):
        value = jsonata_value(env, state, "timeout_seconds" if field == "TimeoutSeconds" else "heartbeat_seconds", field)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= MAX_INT or value != int(value):
            raise evaluation_failure(f"The {field} field's value must be a positive integer, but was {dumps(value)}.", field)
        return int(value)
    if path is not None:
        value = apply_path(effective_input(state, env.raw, env.context, template_field=None), path, env.context)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_INT:
            raise runtime(f"The {field}Path parameter does not reference a valid positive integer value: {path} == {dumps(value)}")
    return value


async def run_task(env: Env, state: ast.TaskState, value: Any) -> Any:
    resource = state.resource
    timeout = _positive_seconds(env, state, "TimeoutSeconds", state.timeout_seconds, state.timeout_seconds_path)
    heartbeat = _positive_seconds(env, state, "HeartbeatSeconds", state.heartbeat_seconds, state.heartbeat_seconds_path)
    arn = parse_arn(resource)
    if arn is not None and arn.service == "states" and arn.resource.startswith("activity:"):
        if mocked_state(env, state) is not None:  # as Step Functions Local answers it (its cause unprefixed)
            failure = runtime(ACTIVITY_CAUSE)
            failure.located = True
            raise failure
        scheduled_before = env.lane.replay is not None and env.lane.replay.next_of(env.lane, "ActivityScheduled")
        if not scheduled_before and not env.runner.broker.exists(resource):  # recorded on AWS: no event, the execution fails
            raise runtime(f"The activity {resource} does not exist.")
        return await _activity(env, resource, value, timeout, heartbeat)
    integration = service_resource(resource)
    if integration is not None:
        return await run_service_task(env, state, integration, value, timeout, heartbeat)
    if is_function_arn(resource):
        if (mocked := mocked_state(env, state)) is not None:  # a test case's mocked response (mocks/tasks.py)
            return await run_mocked_function(env, mocked, resource, value, timeout)
        return await run_function_task(env, state, resource, value, timeout)
    cause = f"The resource '{resource}' is not available in stepstack: no emulator runs this kind of task yet."
    env.lane.add("TaskStartFailed", {"resourceType": _resource_type(resource), "resource": resource, "error": "States.TaskFailed", "cause": cause})
    raise StatesFailure("States.TaskFailed", cause)


async def _activity(env: Env, resource: str, value: Any, timeout: int | None, heartbeat: int | None) -> Any:
    runner, lane = env.runner, env.lane
    text = dumps(value)
    details: dict[str, Any] = {"resource": resource, "input": text, "inputDetails": {"truncated": False}}
    if timeout is not None:
        details["timeoutInSeconds"] = timeout
    if heartbeat is not None:
        details["heartbeatInSeconds"] = heartbeat
    replay = lane.replay
    scheduled = lane.add("ActivityScheduled", details)
    recorded = lane.replay is not None  # still replaying: this task was scheduled before
    if recorded:
        outcome = _recorded_outcome(lane)
        if outcome is not None:
            return outcome()
        text = (replay.event(scheduled).details or {}).get("input", text)  # what the worker was given
    started_events: list[int] = []
    clock = runner.clock
    expired: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    timers: dict[str, Any] = {}

    def expire(why: str) -> None:
        if not expired.done():
            expired.set_result(why)

    def arm_heartbeat() -> None:
        if heartbeat is not None:
            if "heartbeat" in timers:
                timers["heartbeat"].cancel()
            timers["heartbeat"] = clock.call_later(heartbeat, lambda: expire("heartbeat"))

    def started(worker: str) -> None:
        # called from the worker's GetActivityTask request: link it to the schedule explicitly
        started_events.append(runner.history.add("ActivityStarted", {"workerName": worker}, previous=scheduled))
        arm_heartbeat()

    if recorded:  # resumed: the same token; a worker that had it still answers with it
        assert replay is not None
        taken = replay.next_of(lane, "ActivityStarted")
        if taken is not None:
            lane.add("ActivityStarted", taken.details)
            started_events.append(taken.id)
        note = replay.event(scheduled).note or {}
        task = runner.broker.schedule(resource, text, started, arm_heartbeat, token=note.get("token"), taken=taken is not None)
        if taken is not None:
            arm_heartbeat()
        deadline = replay.event(scheduled).timestamp + timeout if timeout is not None else None
        lane.replay = None  # what happens from here on is recorded as usual
    else:
        task = runner.broker.schedule(resource, text, started, arm_heartbeat)
        runner.history.events[scheduled - 1].note = {"token": task.token}
        deadline = clock.now() + timeout if timeout is not None else None
    if deadline is not None:
        timers["timeout"] = clock.call_at(deadline, lambda: expire("timeout"))
    try:
        await asyncio.wait({task.outcome, expired}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for timer in timers.values():
            timer.cancel()
        answered = task.outcome.done() and not task.outcome.cancelled()
        if started_events:
            lane.follow(started_events[-1])
        if not answered:
            runner.broker.withdraw(task)  # timed out or stopped: the token is dead from now on
    if not answered:
        if not expired.done():  # withdrawn by a reset: the execution is being cancelled
            raise asyncio.CancelledError
        heartbeat = expired.result() == "heartbeat"
        lane.add("ActivityTimedOut", {"error": "States.Timeout", "cause": ""}, note={"heartbeat": heartbeat})
        raise StatesFailure("States.Timeout", "", heartbeat=heartbeat)
    kind, payload = task.outcome.result()
    if kind == "failure":
        error, cause = payload
        lane.add("ActivityFailed", {key: text for key, text in (("error", error), ("cause", cause)) if text is not None})
        raise StatesFailure(error, cause)
    lane.add("ActivitySucceeded", {"output": payload, "outputDetails": {"truncated": False}})
    return json.loads(payload)


def _recorded_outcome(lane: Lane) -> Any:
    """Replaying: the activity's recorded end, as a function that returns its result or raises
    its failure; None while it had not ended."""
    replay = lane.replay
    assert replay is not None
    if (taken := replay.next_of(lane, "ActivityStarted")) is not None and any(
        e.id not in replay.used and e.type in _ENDS for e in replay.children.get(taken.id, ())
    ):
        lane.add("ActivityStarted", taken.details)
    for kind in _ENDS:
        if (end := replay.next_of(lane, kind)) is None:
            continue
        lane.add(kind, end.details)
        return recorded_outcome(end, "ActivitySucceeded")
    return None


_ENDS = ("ActivitySucceeded", "ActivityFailed", "ActivityTimedOut")


def _resource_type(resource: str) -> str:
    parts = resource.split(":")
    return parts[2] if len(parts) > 2 else resource
