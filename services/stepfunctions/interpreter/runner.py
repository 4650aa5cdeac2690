"""Runs an execution: one state after another, with Retry and Catch around them.

Every state goes entered -> evaluated (states.py, task.py, branches.py, each field in its
query language: fields.py) -> exited with its output and the variables it assigned -> next.
A failure is a StatesFailure: Task, Parallel and Map retry it with their Retriers, then any
state with Catchers may route it, else it ends its scope. Lanes of history events and
variable scopes are passed down explicitly.

LIMITATIONS: a distributed Map reads its items from the state input only (ItemReader and
ResultWriter need S3, refused at creation: asl/map_rules.py); a Task on a service stepstack
does not emulate fails with States.TaskFailed naming the resource (integrations/).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from services.core.arns import partition_of
from services.core.clock import Clock
from services.stepfunctions.asl import ast
from services.stepfunctions.data.intrinsics import execution_random
from services.stepfunctions.data.jsonpath import set_result
from services.stepfunctions.data.references import ContextObject
from services.stepfunctions.failures import StatesFailure, runtime
from services.stepfunctions.integrations.activities import ActivityBroker
from services.stepfunctions.integrations.resources import waits_for_token
from services.stepfunctions.integrations.service_task import task_token
from services.stepfunctions.interpreter.branches import run_map, run_parallel
from services.stepfunctions.interpreter.dataflow import checked_dumps, dumps
from services.stepfunctions.interpreter.fields import (
    QUERY_EVALUATION_ERROR,
    Env,
    assignments,
    jsonata_value,
    result_output,
    selected_result,
    task_input,
)
from services.stepfunctions.interpreter.history import History, Lane
from services.stepfunctions.interpreter.replay import Replay
from services.stepfunctions.interpreter.retry import find_catcher, find_retrier, retry_delay
from services.stepfunctions.interpreter.scope import Scope
from services.stepfunctions.interpreter.states import (
    Outcome,
    evaluate_choice,
    evaluate_pass,
    evaluate_succeed,
    evaluate_wait,
    fail_failure,
    following,
)
from services.stepfunctions.interpreter.task import run_task
from services.stepfunctions.models import Execution, HistoryEvent

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
        self.service: Any = None  # the SfnService running it, when one does (distributed Map children)
        self.partition = partition_of(execution.arn.split(":")[3]) if execution.arn.count(":") > 3 else "aws"
        self.iso_now = _IsoClock(clock).now
        self.base_context = {
            "Execution": {
                "Id": execution.arn,
                "Input": json.loads(execution.input_text),
                "Name": execution.name,
                "RoleArn": execution.role_arn,
                "StartTime": iso(execution.started_at),
                "RedriveCount": execution.redrive_count,
                **({"RedriveTime": iso(execution.redrive_date)} if execution.redrive_date is not None else {}),
            },
            "StateMachine": {"Id": execution.machine_arn, "Name": execution.machine_name},
        }

    # -- the execution ---------------------------------------------------------------

    async def run(self, replay: Replay | None = None) -> None:
        """Run the execution; with `replay`, resume it from its recorded history (replay.py)."""
        execution = self.execution
        execution_random.set(self.rng)
        if replay is None:
            self.history.add(
                "ExecutionStarted",
                {"input": execution.input_text, "inputDetails": {"truncated": False}, "roleArn": execution.role_arn},
            )
        try:
            lane = Lane(self.history, 0, replay)  # recorded: the first state's entered event follows event 0
            output = await self.run_definition(self.definition, json.loads(execution.input_text), lane, Scope(), {})
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
        # recorded (v2/callback test_sqs_wait_for_task_token_timeout): an empty cause is no member
        self.history.add("ExecutionFailed", {key: text for key, text in (("error", error), ("cause", cause)) if text})
        self.finish(self.execution, "FAILED", error=error, cause=cause, state=state)

    def context(
        self, state: ast.State, extra: dict[str, Any], scope: Scope, retry_count: int | None = None, entered_at: float | None = None,
    ) -> ContextObject:
        """The context object; `$$.State.RetryCount` only for states that retry."""
        entered = {"EnteredTime": self.iso_now() if entered_at is None else iso(entered_at), "Name": state.name}
        if retry_count is not None:
            entered["RetryCount"] = retry_count
        return ContextObject({**self.base_context, "State": entered, **extra}, variables=scope.visible(), random=self.rng)

    async def run_definition(self, definition: ast.StateMachineDefinition, value: Any, lane: Lane, scope: Scope, extra: dict[str, Any]) -> Any:
        name: str | None = definition.start_at
        while name is not None:
            value, name = await self.run_state(definition.states[name], value, lane, scope, extra)
        return value

    # -- one state --------------------------------------------------------------------

    async def run_state(self, state: ast.State, raw: Any, lane: Lane, scope: Scope, extra: dict[str, Any]) -> tuple[Any, str | None]:
        entered = lane.add(
            f"{state.type}StateEntered",
            {"name": state.name, "input": checked_dumps(raw, state.name), "inputDetails": {"truncated": False}},
        )
        entered_at = self.clock.now()
        if lane.replay is not None:
            exited = lane.replay.exited(entered)
            if exited is not None:  # it ran to its end before: what it gave carries on
                return self._replayed(lane, scope, exited)
            entered_at = max(lane.replay.event(entered).timestamp, lane.replay.restarted_at)  # redriven: it starts again
        retries = isinstance(state, _RETRYING)
        if _uses_context(state):
            context = self.context(state, extra, scope, 0 if retries else None, entered_at if lane.replay is not None else None)
        else:
            context = scope.blank
            if context is None:
                context = scope.blank = ContextObject(_NO_CONTEXT, variables=scope.visible(), random=self.rng)
        env = Env(self, state, raw, context, lane, entered, scope, entered_at, lane.replay is not None)
        try:
            now = _AT_ONCE.get(type(state))
            if now is not None:  # Pass, Choice, Succeed: no coroutine to build and await
                outcome = now(env, state)
            else:
                outcome = await (self._with_retries(env) if retries else self._evaluate(env))
        except StatesFailure as failure:
            failure.locate(state.name, entered)
            if failure.location is not None or failure.error == QUERY_EVALUATION_ERROR:
                self._evaluation_failed(lane, state, failure, entered)
            outcome = self._caught(env, failure)
        assigned_texts = _assigned_texts(state.name, outcome.assigned) if outcome.assigned is not None else None
        if outcome.assigned:
            scope.assign(outcome.assigned)
        if not isinstance(state, ast.FailState):
            details: dict[str, Any] = {"name": state.name, "output": checked_dumps(outcome.output, state.name), "outputDetails": {"truncated": False}}
            if assigned_texts is not None:
                details["assignedVariables"] = assigned_texts
                details["assignedVariablesDetails"] = {"truncated": False}
            lane.add(f"{state.type}StateExited", details, note={"entered": entered, "next": outcome.next})
        return outcome.output, outcome.next

    @staticmethod
    def _replayed(lane: Lane, scope: Scope, exited: HistoryEvent) -> tuple[Any, str | None]:
        lane.replay.used.add(exited.id)  # type: ignore[union-attr]
        lane.last, lane.rejoined = exited.id, None
        details = exited.details or {}
        assigned = details.get("assignedVariables")
        if assigned:
            scope.assign({name: json.loads(text) for name, text in assigned.items()})
        return json.loads(details["output"]), (exited.note or {}).get("next")

    def _evaluation_failed(self, lane: Lane, state: ast.State, failure: StatesFailure, entered: int) -> None:
        if getattr(failure, "recorded", False):
            return
        failure.recorded = True  # type: ignore[attr-defined]
        details: dict[str, Any] = {"error": failure.error, "cause": failure.cause, "state": state.name}
        if failure.location:
            details["location"] = failure.location
        lane.add("EvaluationFailed", details, previous=entered - 1)  # as AWS links it

    def _caught(self, env: Env, failure: StatesFailure) -> Outcome:
        state = env.state
        catcher = find_catcher(getattr(state, "catch", ()), failure.error, failure.heartbeat)
        if catcher is None:
            if failure.state is None:
                failure.state = state.name
            raise failure
        error_output = {"Error": failure.error, "Cause": failure.cause}
        if state.jsonata:
            output = jsonata_value(env, catcher, "output", "Output", default=error_output, errorOutput=error_output)
            assigned = assignments(env, catcher, error_output, errorOutput=error_output)
        else:
            output = set_result(env.raw, catcher.result_path, error_output)
            assigned = assignments(env, catcher, error_output)
        return Outcome(output, catcher.next, assigned)

    async def _evaluate(self, env: Env) -> Outcome:
        state = env.state
        if isinstance(state, ast.PassState):
            return evaluate_pass(env, state)
        if isinstance(state, ast.ChoiceState):
            return evaluate_choice(env, state)
        if isinstance(state, ast.WaitState):
            return await evaluate_wait(env, state)
        if isinstance(state, ast.SucceedState):
            return evaluate_succeed(env, state)
        if isinstance(state, ast.FailState):
            raise fail_failure(env, state)
        raise runtime(f"Unsupported state type {state.type}")

    # -- Task, Parallel, Map: the work, and its retries ------------------------------------

    async def _work(self, env: Env) -> Any:
        state = env.state
        if isinstance(state, ast.MapState):
            return await run_map(env, state)
        if isinstance(state, ast.TaskState) and waits_for_token(state.resource):  # `$$.Task.Token` before Parameters
            env.task_token = task_token(env)
            env.context = env.context.derived({"Task": {"Token": env.task_token}})
        value = task_input(env, state)
        if isinstance(state, ast.ParallelState):
            return await run_parallel(env, state, value)
        return await run_task(env, state, value)

    async def _with_retries(self, env: Env) -> Outcome:
        state: Any = env.state
        attempts = [0] * len(state.retry)
        retries = 0
        while True:
            try:
                result = await self._work(env)
                result = selected_result(env, state, result)
                assigned = assignments(env, state, result, result=result)
                return Outcome(result_output(env, state, result), following(state), assigned)
            except StatesFailure as failure:
                index = find_retrier(state.retry, failure.error, failure.heartbeat)
                if index is None or attempts[index] >= state.retry[index].max_attempts:
                    if isinstance(state, (ast.MapState, ast.ParallelState)) and not getattr(failure, "before_start", False):
                        failure.locate(state.name, env.entered_id)
                        if failure.error == QUERY_EVALUATION_ERROR:
                            self._evaluation_failed(env.lane, state, failure, env.entered_id)
                        env.lane.add(f"{state.type}StateFailed", note={"entered": env.entered_id})  # once, after the last attempt
                    raise
                delay = retry_delay(state.retry[index], attempts[index], self.rng)
                attempts[index] += 1
                retries += 1
                if _uses_context(state):
                    env.context = env.context.derived({"State": {**env.context["State"], "RetryCount": retries}})
                await self._retry_wait(env, delay, retries)

    async def _retry_wait(self, env: Env, delay: float, retry: int) -> None:
        """Sleep before retry number `retry`; each deadline is noted on the state's entered
        event, so a resumed execution retries when it would have (at once if that has passed)."""
        entered = self.history.events[env.entered_id - 1]
        deadlines = list((entered.note or {}).get("retry_at", ()))
        if retry <= len(deadlines):  # resumed: the deadline chosen before
            until = deadlines[retry - 1]
        else:
            until = self.clock.now() + delay
            entered.note = {**(entered.note or {}), "retry_at": [*deadlines, until]}
        await self.clock.sleep_until(until)


_RETRYING = (ast.TaskState, ast.ParallelState, ast.MapState)
MAX_ASSIGNED = 256 * 1024  # AWS's quota: one variable, and all of one Assign together


def _assigned_texts(state: str, assigned: Mapping[str, Any]) -> dict[str, str]:
    """The JSON text of each variable a state assigns, within AWS's size quotas."""
    texts = {name: dumps(value) for name, value in assigned.items()}
    total = 0
    for name, text in texts.items():
        size = len(text.encode("utf-8"))
        total += size
        if size > MAX_ASSIGNED:
            raise StatesFailure("States.DataLimitExceeded", f"The variable '{name}' assigned by the state '{state}' is larger than {MAX_ASSIGNED} bytes.")
    if total > MAX_ASSIGNED:
        raise StatesFailure("States.DataLimitExceeded", f"The variables assigned by the state '{state}' are larger than {MAX_ASSIGNED} bytes together.")
    return texts
_AT_ONCE: Mapping[type, Callable[[Env, Any], Outcome]] = MappingProxyType({
    ast.PassState: evaluate_pass, ast.ChoiceState: evaluate_choice, ast.SucceedState: evaluate_succeed,
})


# What a state that never reads `$$` gets instead of the context object (built for each
# state that does: its EnteredTime alone costs a date formatting). Never mutated.
_NO_CONTEXT: Mapping[str, Any] = MappingProxyType({"State": MappingProxyType({})})
# `$states` other than `$states.input`, `.result` or `.errorOutput` may read the context
_WHOLE_STATES = re.compile(r"\$states(?!\.(?:input|result|errorOutput)\b)")


def _uses_context(state: ast.State) -> bool:
    """Whether the state's definition mentions `$$` or `$states.context` anywhere (paths,
    templates, intrinsics, rules, expressions); decided once per parsed state."""
    found = state.__dict__.get("_uses_context")
    if found is None:
        text = dumps(state.raw)
        found = state.__dict__["_uses_context"] = "$$" in text or _WHOLE_STATES.search(text) is not None
    return found
