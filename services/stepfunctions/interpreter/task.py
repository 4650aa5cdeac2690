"""The Task state's work: its timeouts and, for now, activities as the one kind of resource.

A missed heartbeat fails the task with States.Timeout, as AWS records it; the failure is
marked so that `ErrorEquals: ["States.HeartbeatTimeout"]` matches it (and only it).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from services.core.arns import parse_arn
from services.stepfunctions.asl import ast
from services.stepfunctions.data.templates import apply_path
from services.stepfunctions.failures import StatesFailure, runtime
from services.stepfunctions.interpreter.dataflow import dumps
from services.stepfunctions.interpreter.fields import Env, evaluation_failure, jsonata_value


def _positive_seconds(env: Env, state: ast.TaskState, field: str, value: Any, path: str | None, data: Any) -> int | None:
    """TimeoutSeconds / HeartbeatSeconds, from the field, its Path, or its JSONata expression."""
    if state.jsonata and isinstance(state.raw.get(field), str):
        value = jsonata_value(env, state, "timeout_seconds" if field == "TimeoutSeconds" else "heartbeat_seconds", field)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
            raise evaluation_failure(f"The {field} field's value must be a positive integer, but was {dumps(value)}.", field)
        return int(value)
    if path is not None:
        value = apply_path(data, path, env.context)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise runtime(f"The {field}Path parameter does not reference a valid positive integer value: {path} == {dumps(value)}")
    return value


async def run_task(env: Env, state: ast.TaskState, value: Any) -> Any:
    resource = state.resource
    timeout = _positive_seconds(env, state, "TimeoutSeconds", state.timeout_seconds, state.timeout_seconds_path, value)
    heartbeat = _positive_seconds(env, state, "HeartbeatSeconds", state.heartbeat_seconds, state.heartbeat_seconds_path, value)
    arn = parse_arn(resource)
    if arn is not None and arn.service == "states" and arn.resource.startswith("activity:"):
        return await _activity(env, resource, value, timeout, heartbeat)
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
    scheduled = lane.add("ActivityScheduled", details)
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

    task = runner.broker.schedule(resource, text, started, arm_heartbeat)
    if timeout is not None:
        timers["timeout"] = clock.call_later(timeout, lambda: expire("timeout"))
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
        lane.add("ActivityTimedOut", {"error": "States.Timeout", "cause": ""})
        raise StatesFailure("States.Timeout", "", heartbeat=expired.result() == "heartbeat")
    kind, payload = task.outcome.result()
    if kind == "failure":
        error, cause = payload
        lane.add("ActivityFailed", {"error": error, "cause": cause})
        raise StatesFailure(error, cause)
    lane.add("ActivitySucceeded", {"output": payload, "outputDetails": {"truncated": False}})
    return json.loads(payload)


def _resource_type(resource: str) -> str:
    parts = resource.split(":")
    return parts[2] if len(parts) > 2 else resource
