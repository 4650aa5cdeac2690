"""Runs an execution: the state pipeline, Retry/Catch, Parallel and Map, tasks on the clock.

Every state goes entered -> input -> evaluate -> output -> exited -> next. A
failure is a StatesFailure; Task, Parallel and Map retry it with their
Retriers, then any state with Catchers may route it, else it ends the execution.

LIMITATIONS: inline Map only (ItemReader/ResultWriter of distributed maps are
not run); Task resources are activities for now, other resources fail the
execution with States.TaskFailed naming the resource; previousEventId is the
event recorded just before (AWS links branch events to their branch).
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from datetime import datetime, timezone
from typing import Any

import random
from collections.abc import Callable, Mapping
from types import MappingProxyType

from services.core.arns import parse_arn
from services.core.clock import Clock
from services.stepfunctions.asl import ast
from services.stepfunctions.data.jsonpath import set_result
from services.stepfunctions.data.intrinsics import execution_random
from services.stepfunctions.data.templates import apply_path
from services.stepfunctions.failures import StatesFailure, runtime
from services.stepfunctions.integrations.activities import ActivityBroker
from services.stepfunctions.interpreter.choice import matches, parse_timestamp
from services.stepfunctions.interpreter.dataflow import (
    checked_dumps,
    compiled,
    dumps,
    effective_input,
    path_or_intrinsic,
    state_output,
)
from services.stepfunctions.interpreter.history import History
from services.stepfunctions.models import Execution
from services.stepfunctions.interpreter.retry import find_catcher, find_retrier, retry_delay

INLINE_MAP_CONCURRENCY = 40
log = logging.getLogger("stepstack.stepfunctions")


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


class _IsoClock:
    """ISO 8601 text of service time, formatted once per millisecond (states entered in the
    same millisecond share it)."""

    __slots__ = ("clock", "_millis", "_text")

    def __init__(self, clock: Clock) -> None:
        self.clock, self._millis, self._text = clock, -1, ""

    def now(self) -> str:
        now = self.clock.now()
        millis = int(now * 1000)
        if millis != self._millis:
            self._millis, self._text = millis, iso(now)
        return self._text


Finish = Callable[..., None]  # (execution, status, *, output=, error=, cause=)


class Runner:
    def __init__(
        self,
        execution: Execution,
        definition: ast.StateMachineDefinition,
        history: History,
        clock: Clock,
        broker: ActivityBroker,
        finish: Finish,
        rng: random.Random,
    ) -> None:
        self.execution = execution
        self.definition = definition
        self.clock = clock
        self.broker = broker
        self.history = history
        self.finish = finish
        self.rng = rng
        self.iso_now = _IsoClock(clock).now
        self.base_context = {
            "Execution": {
                "Id": execution.arn,
                "Input": json.loads(execution.input_text),
                "Name": execution.name,
                "RoleArn": execution.role_arn,
                "StartTime": iso(execution.started_at),
                "RedriveCount": 0,
            },
            "StateMachine": {"Id": execution.machine_arn, "Name": execution.machine_name},
        }

    # -- the execution ---------------------------------------------------------------

    async def run(self) -> None:
        execution = self.execution
        execution_random.set(self.rng)
        self.history.add(
            "ExecutionStarted",
            {"input": execution.input_text, "inputDetails": {"truncated": False}, "roleArn": execution.role_arn},
        )
        try:
            output = await self.run_definition(self.definition, json.loads(execution.input_text), {})
            text = checked_dumps(output, execution.name)
        except StatesFailure as failure:
            self._fail(failure.error, failure.cause, failure.state)
            return
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception:  # a bug of ours must not leave the execution RUNNING forever
            log.exception("execution %s failed inside stepstack", execution.arn)
            self._fail("States.Runtime", "stepstack failed to run this execution; see its log.")
            return
        self.history.add("ExecutionSucceeded", {"output": text, "outputDetails": {"truncated": False}})
        self.finish(execution, "SUCCEEDED", output=text)

    def _fail(self, error: str, cause: str, state: str | None = None) -> None:
        self.history.add("ExecutionFailed", {"error": error, "cause": cause})
        self.finish(self.execution, "FAILED", error=error, cause=cause, state=state)

    def context(self, state: ast.State, extra: dict[str, Any], retry_count: int = 0) -> dict[str, Any]:
        return {
            **self.base_context,
            "State": {"EnteredTime": self.iso_now(), "Name": state.name, "RetryCount": retry_count},
            **extra,
        }

    async def run_definition(self, definition: ast.StateMachineDefinition, value: Any, extra: dict[str, Any]) -> Any:
        name: str | None = definition.start_at
        while name is not None:
            value, name = await self.run_state(definition.states[name], value, extra)
        return value

    # -- one state --------------------------------------------------------------------

    async def run_state(self, state: ast.State, raw: Any, extra: dict[str, Any]) -> tuple[Any, str | None]:
        self.history.add(
            f"{state.type}StateEntered",
            {"name": state.name, "input": checked_dumps(raw, state.name), "inputDetails": {"truncated": False}},
        )
        context = self.context(state, extra) if _uses_context(state) else _NO_CONTEXT
        try:
            output, following = await self.evaluate(state, raw, context)
        except StatesFailure as failure:
            catcher = find_catcher(getattr(state, "catch", ()), failure.error)
            if catcher is None:
                if failure.state is None:
                    failure.state = state.name
                raise
            output = set_result(raw, catcher.result_path, {"Error": failure.error, "Cause": failure.cause})
            following = catcher.next
        if not isinstance(state, ast.FailState):
            self.history.add(
                f"{state.type}StateExited",
                {"name": state.name, "output": checked_dumps(output, state.name), "outputDetails": {"truncated": False}},
            )
        return output, following

    async def evaluate(self, state: ast.State, raw: Any, context: dict[str, Any]) -> tuple[Any, str | None]:
        following = None if getattr(state, "end", False) else getattr(state, "next", None)
        if isinstance(state, ast.PassState):
            value = effective_input(state, raw, context)
            result = value if state.result is ast.ABSENT else copy.deepcopy(state.result)
            return state_output(state, raw, result, context, selector=False), following
        if isinstance(state, ast.ChoiceState):
            value = apply_path(raw, state.input_path, context)
            chosen = next((rule.next for rule in state.choices if matches(rule, value, context)), state.default)
            if chosen is None:
                raise StatesFailure("States.NoChoiceMatched", f"No Matches! at state '{state.name}'")
            return apply_path(value, state.output_path, context), chosen
        if isinstance(state, ast.WaitState):
            value = apply_path(raw, state.input_path, context)
            await self.clock.sleep_until(self._wait_until(state, value, context))
            return apply_path(value, state.output_path, context), following
        if isinstance(state, ast.SucceedState):
            value = apply_path(raw, state.input_path, context)
            return apply_path(value, state.output_path, context), None
        if isinstance(state, ast.FailState):
            raise self._failure_of(state, raw, context)
        if isinstance(state, (ast.TaskState, ast.ParallelState, ast.MapState)):
            return await self._with_retries(state, raw, context), following
        raise runtime(f"Unsupported state type {state.type}")

    def _wait_until(self, state: ast.WaitState, value: Any, context: dict[str, Any]) -> float:
        now = self.clock.now()
        if state.seconds is not None:
            return now + state.seconds
        if state.seconds_path is not None:
            seconds = apply_path(value, state.seconds_path, context)
            if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                raise runtime(f"The SecondsPath parameter does not reference a valid non-negative integer value: {seconds}")
            return now + seconds
        text = state.timestamp if state.timestamp is not None else apply_path(value, state.timestamp_path, context)
        stamp = parse_timestamp(text)
        if stamp is None:
            raise runtime(f"The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {text}")
        return stamp.timestamp()

    def _failure_of(self, state: ast.FailState, raw: Any, context: dict[str, Any]) -> StatesFailure:
        error = state.error
        if state.error_path is not None:
            error = path_or_intrinsic(state.error_path, raw, context)
        cause = state.cause
        if state.cause_path is not None:
            cause = path_or_intrinsic(state.cause_path, raw, context)
        return StatesFailure(error if isinstance(error, str) else "", cause if isinstance(cause, str) else "")

    # -- Task, Parallel, Map: retries -----------------------------------------------------

    async def _with_retries(self, state: Any, raw: Any, context: dict[str, Any]) -> Any:
        attempts = [0] * len(state.retry)
        retries = 0
        while True:
            try:
                if isinstance(state, ast.MapState):
                    value = apply_path(raw, state.input_path, context)
                    result = await self._map(state, value, context)
                else:
                    value = effective_input(state, raw, context)
                    if isinstance(state, ast.ParallelState):
                        result = await self._parallel(state, value)
                    else:
                        result = await self._task(state, value, context)
                return state_output(state, raw, result, context)
            except StatesFailure as failure:
                index = find_retrier(state.retry, failure.error)
                if index is None or attempts[index] >= state.retry[index].max_attempts:
                    raise
                delay = retry_delay(state.retry[index], attempts[index], self.rng)
                attempts[index] += 1
                retries += 1
                context = {**context, "State": {**context["State"], "RetryCount": retries}}
                await self.clock.sleep(delay)

    # -- Parallel -------------------------------------------------------------------------

    async def _parallel(self, state: ast.ParallelState, value: Any) -> list[Any]:
        self.history.add("ParallelStateStarted")
        try:
            results = await all_or_nothing(
                [self.run_definition(branch, copy.deepcopy(value), {}) for branch in state.branches]
            )
        except StatesFailure:
            self.history.rejoin()
            self.history.add("ParallelStateFailed")
            raise
        self.history.rejoin()
        self.history.add("ParallelStateSucceeded")
        return results

    # -- Map ------------------------------------------------------------------------------

    async def _map(self, state: ast.MapState, value: Any, context: dict[str, Any]) -> list[Any]:
        for field, present in (("ItemReader", state.item_reader), ("ResultWriter", state.result_writer), ("ItemBatcher", state.item_batcher)):
            if present is not None:
                raise runtime(f"Map state '{state.name}' uses {field}, which stepstack does not run yet.")
        items = apply_path(value, state.items_path, context)
        if not isinstance(items, list):
            raise runtime(f"Invalid path '{state.items_path}': The value at that path is not an array: {dumps(items)}")
        limit = state.max_concurrency
        if state.max_concurrency_path is not None:
            limit = apply_path(value, state.max_concurrency_path, context)
        gate = asyncio.Semaphore(limit if isinstance(limit, int) and limit > 0 else INLINE_MAP_CONCURRENCY)
        selector = compiled(state, "item_selector") or compiled(state, "parameters")  # legacy Parameters
        tolerated_count, tolerated_percentage = state.tolerated_failure_count, state.tolerated_failure_percentage
        tolerant = tolerated_count is not None or tolerated_percentage is not None
        self.history.add("MapStateStarted", {"length": len(items)})
        failures = 0

        async def iteration(index: int, item: Any) -> Any:
            nonlocal failures
            async with gate:
                extra = {"Map": {"Item": {"Index": index, "Value": item}}}
                item_context = {**context, **extra}
                item_input = selector.evaluate(value, item_context) if selector is not None else item
                self.history.add("MapIterationStarted", {"name": state.name, "index": index})
                try:
                    output = await self.run_definition(state.item_processor, item_input, extra)
                except StatesFailure as failure:
                    self.history.add("MapIterationFailed", {"name": state.name, "index": index})
                    if not tolerant:
                        raise
                    failures += 1
                    if _over_tolerance(failures, len(items), tolerated_count, tolerated_percentage):
                        raise StatesFailure(
                            "States.ExceedToleratedFailureThreshold",
                            "The specified tolerated failure threshold was exceeded",
                        ) from None
                    return {"Error": failure.error, "Cause": failure.cause}
                self.history.add("MapIterationSucceeded", {"name": state.name, "index": index})
                return output

        try:
            results = await all_or_nothing([iteration(i, item) for i, item in enumerate(items)])
        except StatesFailure:
            self.history.rejoin()
            self.history.add("MapStateFailed")
            raise
        self.history.rejoin()
        self.history.add("MapStateSucceeded")
        return results

    # -- Task -----------------------------------------------------------------------------

    async def _task(self, state: ast.TaskState, value: Any, context: dict[str, Any]) -> Any:
        resource = state.resource
        timeout = state.timeout_seconds
        if state.timeout_seconds_path is not None:
            timeout = apply_path(value, state.timeout_seconds_path, context)
        heartbeat = state.heartbeat_seconds
        if state.heartbeat_seconds_path is not None:
            heartbeat = apply_path(value, state.heartbeat_seconds_path, context)
        arn = parse_arn(resource)
        if arn is not None and arn.service == "states" and arn.resource.startswith("activity:"):
            return await self._activity(resource, value, timeout, heartbeat)
        cause = f"The resource '{resource}' is not available in stepstack: no emulator runs this kind of task yet."
        self.history.add("TaskStartFailed", {"resourceType": _resource_type(resource), "resource": resource, "error": "States.TaskFailed", "cause": cause})
        raise StatesFailure("States.TaskFailed", cause)

    async def _activity(self, resource: str, value: Any, timeout: int | None, heartbeat: int | None) -> Any:
        text = dumps(value)
        details: dict[str, Any] = {"resource": resource, "input": text, "inputDetails": {"truncated": False}}
        if timeout is not None:
            details["timeoutInSeconds"] = timeout
        if heartbeat is not None:
            details["heartbeatInSeconds"] = heartbeat
        scheduled = self.history.add("ActivityScheduled", details)
        started_events: list[int] = []
        clock = self.clock
        loop = asyncio.get_running_loop()
        expired: asyncio.Future[str] = loop.create_future()
        timers: dict[str, Any] = {}

        def expire(error: str) -> None:
            if not expired.done():
                expired.set_result(error)

        def arm_heartbeat() -> None:
            if heartbeat is not None:
                if "heartbeat" in timers:
                    timers["heartbeat"].cancel()
                timers["heartbeat"] = clock.call_later(heartbeat, lambda: expire("States.HeartbeatTimeout"))

        def started(worker: str) -> None:
            # called from the worker's GetActivityTask request: link it to the schedule explicitly
            started_events.append(self.history.add("ActivityStarted", {"workerName": worker}, previous=scheduled))
            arm_heartbeat()

        task = self.broker.schedule(resource, text, started, arm_heartbeat)
        if timeout is not None:
            timers["timeout"] = clock.call_later(timeout, lambda: expire("States.Timeout"))
        try:
            await asyncio.wait({task.outcome, expired}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for timer in timers.values():
                timer.cancel()
            answered = task.outcome.done() and not task.outcome.cancelled()
            if started_events:
                self.history.follow(started_events[-1])
            if not answered:
                self.broker.withdraw(task)  # timed out or stopped: the token is dead from now on
        if not answered:
            if not expired.done():  # withdrawn by a reset: the execution is being cancelled
                raise asyncio.CancelledError
            error = expired.result()
            self.history.add("ActivityTimedOut", {"error": error, "cause": ""})
            raise StatesFailure(error, "")
        kind, payload = task.outcome.result()
        if kind == "failure":
            error, cause = payload
            self.history.add("ActivityFailed", {"error": error, "cause": cause})
            raise StatesFailure(error, cause)
        self.history.add("ActivitySucceeded", {"output": payload, "outputDetails": {"truncated": False}})
        return json.loads(payload)


# What a state that never reads `$$` gets instead of the context object (built for each
# state that does: its EnteredTime alone costs a date formatting). Never mutated.
_NO_CONTEXT: Mapping[str, Any] = MappingProxyType({"State": MappingProxyType({})})


def _uses_context(state: ast.State) -> bool:
    """Whether the state's definition mentions `$$` anywhere (paths, templates, intrinsics,
    rules); decided once per parsed state."""
    found = state.__dict__.get("_uses_context")
    if found is None:
        found = state.__dict__["_uses_context"] = "$$" in dumps(state.raw)
    return found


def _resource_type(resource: str) -> str:
    parts = resource.split(":")
    return parts[2] if len(parts) > 2 else resource


def _over_tolerance(failures: int, total: int, count: int | None, percentage: float | None) -> bool:
    if count is not None and failures > count:
        return True
    return percentage is not None and total > 0 and failures * 100 / total > percentage


async def all_or_nothing(coroutines: list[Any]) -> list[Any]:
    """Run concurrently; results in order. The first failure cancels the rest and is raised;
    every other outcome is retrieved, so no failure is left "never retrieved"."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    if not tasks:
        return []
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failures = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception() is not None]
        if failures:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise failures[0]  # type: ignore[misc]
        return [t.result() for t in tasks]
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
