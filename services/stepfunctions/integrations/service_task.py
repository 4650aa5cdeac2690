"""A Task on a service integration, with the history AWS records for each pattern:

- request-response: TaskScheduled, TaskStarted, then TaskSucceeded (the call's answer) or
  TaskFailed;
- `.sync`: TaskScheduled, TaskStarted, TaskSubmitted (the call's answer), then TaskSucceeded
  when the work it started ends well, else TaskFailed; a `.sync` task has a token too, and a
  callback with it ends the task first (recorded on AWS: test_sync_with_task_token);
- `.waitForTaskToken`: TaskScheduled, TaskStarted, TaskSubmitted, then TaskSucceeded with the
  output of SendTaskSuccess, TaskFailed with the error and cause of SendTaskFailure, or
  TaskTimedOut (`States.Timeout`) when TimeoutSeconds or HeartbeatSeconds pass first.

The token exists before Parameters/Arguments are evaluated (`$$.Task.Token`): the runner asks
`task_token` for it, and the callback is expected before the call is made (a worker may answer
before the call returns). TimeoutSeconds counts from TaskScheduled; a missed heartbeat is
`States.Timeout`, matched alone by `States.HeartbeatTimeout`, as for activities.

Resuming (replay.py): a recorded end carries on; a recorded TaskSubmitted is not submitted
again (a callback waits under its recorded token, a `.sync` task waits for the work it
started); otherwise the call is made again. Stopping the execution withdraws the callback and
stops the work of a `.sync` task (`Integration.stop`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from services.core.errors import AwsError
from services.stepfunctions.asl import ast
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations import catalog  # noqa: F401  (registers the integrations)
from services.stepfunctions.integrations.mocks.tasks import mocked_state
from services.stepfunctions.integrations.registry import INTEGRATIONS, Integration, TaskCall
from services.stepfunctions.integrations.resources import REQUEST, SYNC, SYNC2, TOKEN, ServiceResource
from services.stepfunctions.interpreter.dataflow import checked_dumps
from services.stepfunctions.interpreter.fields import Env
from services.stepfunctions.interpreter.replay import recorded_outcome

log = logging.getLogger("stepstack.stepfunctions")

_ENDS = ("TaskSucceeded", "TaskFailed", "TaskTimedOut")


def task_token(env: Env) -> str:
    """The token of this attempt of a `.waitForTaskToken` or `.sync` task (the recorded one when
    resumed; a retry or a redrive gets a new one)."""
    lane = env.lane
    if lane.replay is not None:
        recorded = lane.replay.next_of(lane, "TaskScheduled")
        token = ((recorded.note or {}) if recorded is not None else {}).get("token")
        if token:
            return token
    return env.runner.broker.new_token(env.runner.execution.arn)


async def run_service_task(
    env: Env, state: ast.TaskState, resource: ServiceResource, value: Any, timeout: int | None, heartbeat: int | None,
) -> Any:
    mocked = mocked_state(env, state)  # a test case's mocked response answers instead (mocks/tasks.py)
    integration = mocked.integration() if mocked is not None else INTEGRATIONS.find(resource)
    names = {"resourceType": resource.resource_type, "resource": resource.resource}
    if integration is None or resource.pattern not in integration.patterns or (env.runner.service is None and mocked is None):
        what = "this integration pattern of " if integration is not None else ""
        cause = f"stepstack does not run {what}the resource '{resource.arn}' yet."
        env.lane.add("TaskStartFailed", {**names, "error": "States.TaskFailed", "cause": cause})
        raise StatesFailure("States.TaskFailed", cause)
    token = env.task_token if resource.pattern != REQUEST else None  # `.sync` tasks have one too (resources.waits_for_token)
    return await _Attempt(env, state, resource, integration, value, timeout, heartbeat, token).run()


class _Attempt:
    def __init__(
        self, env: Env, state: ast.TaskState, resource: ServiceResource, integration: Integration, value: Any,
        timeout: int | None, heartbeat: int | None, token: str | None,
    ) -> None:
        self.env, self.state, self.lane = env, state, env.lane
        self.integration, self.timeout, self.heartbeat = integration, timeout, heartbeat
        self.call = TaskCall(env, resource, value, token)
        self.names = {"resourceType": resource.resource_type, "resource": resource.resource}
        self.expired: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.timers: dict[str, Any] = {}

    async def run(self) -> Any:
        lane, call, clock = self.lane, self.call, self.call.clock
        details: dict[str, Any] = {**self.names, "region": call.region, "parameters": checked_dumps(call.params, self.state.name)}
        if self.timeout is not None:
            details["timeoutInSeconds"] = self.timeout
        if self.heartbeat is not None and call.resource.pattern == TOKEN:
            details["heartbeatInSeconds"] = self.heartbeat
        scheduled = lane.add("TaskScheduled", details, note={"token": call.token} if call.token else None)
        scheduled_at = lane.replay.event(scheduled).timestamp if lane.replay is not None else clock.now()
        if self.timeout is not None:
            self.timers["timeout"] = clock.call_at(scheduled_at + self.timeout, lambda: self._expire("timeout"))
        try:
            return await self._run()
        finally:
            for timer in self.timers.values():
                timer.cancel()

    async def _run(self) -> Any:
        lane, call, pattern = self.lane, self.call, self.call.resource.pattern
        lane.add("TaskStarted", dict(self.names))
        if (ended := self._recorded_end()) is not None:
            return ended()
        callback = None
        if call.token is not None:
            callback = call.env.runner.broker.expect(call.token, self._arm_heartbeat if pattern == TOKEN else lambda: None)
            if pattern == TOKEN:
                self._arm_heartbeat()
        try:
            submitted = self._recorded_submission()
            if submitted is _NOTHING:
                starting = asyncio.ensure_future(self.integration.start(call))
                try:
                    submitted = await self._within_time(starting)
                except asyncio.CancelledError:
                    if pattern in (SYNC, SYNC2) and starting.done() and not starting.cancelled() and starting.exception() is None:
                        self._stop_work(starting.result())  # stopped as the call returned: its work is stopped too
                    raise
                if pattern == REQUEST:
                    return self._succeeded(submitted)
                lane.add("TaskSubmitted", {**self.names, "output": checked_dumps(submitted, self.names["resourceType"]), "outputDetails": {"truncated": False}})
            if callback is not None and pattern == TOKEN:
                return await self._answered(callback)
            assert self.integration.finish is not None
            try:
                result = await self._within_time(self._finished(submitted, callback))
            except asyncio.CancelledError:
                self._stop_work(submitted)
                raise
            if result is _ANSWERED:
                return await self._answered(callback)
            return self._succeeded(result)
        except StatesFailure as failure:
            if failure.error == "States.Timeout" and getattr(failure, "timed_out", False):
                lane.add("TaskTimedOut", {"error": "States.Timeout", **self.names}, note={"heartbeat": failure.heartbeat})
            else:
                # recorded (v2/callback ..._no_error_field): SendTaskFailure without error or cause records neither
                given = {key: text for key, text in (("error", failure.error), ("cause", failure.cause)) if text}
                lane.add("TaskFailed", {**given, **self.names})
            raise
        finally:
            if callback is not None and call.token in call.env.runner.broker.live:
                call.env.runner.broker.withdraw(callback)

    async def _finished(self, submitted: Any, callback: Any) -> Any:
        """`.sync`: the end of the work it started, unless a callback with its token comes first
        (then _ANSWERED)."""
        assert self.integration.finish is not None
        finishing = asyncio.ensure_future(self.integration.finish(self.call, submitted))
        try:
            await asyncio.wait({finishing, callback.outcome} if callback is not None else {finishing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not finishing.done():
                finishing.cancel()
        return finishing.result() if finishing.done() and not finishing.cancelled() else _ANSWERED

    # -- outcomes ---------------------------------------------------------------------

    def _succeeded(self, result: Any) -> Any:
        # recorded: a too large result fails the task, naming its resource type ('lambda'), not the state
        self.lane.add("TaskSucceeded", {**self.names, "output": checked_dumps(result, self.names["resourceType"]), "outputDetails": {"truncated": False}})
        return result

    async def _answered(self, callback: Any) -> Any:
        await self._within_time(asyncio.shield(callback.outcome))
        kind, payload = callback.outcome.result()
        if kind == "failure":
            error, cause = payload
            raise StatesFailure(error, cause)
        output = json.loads(payload)
        self.lane.add("TaskSucceeded", {**self.names, "output": payload, "outputDetails": {"truncated": False}})
        return output

    async def _within_time(self, work: Any) -> Any:
        """`work`'s result, unless TimeoutSeconds or HeartbeatSeconds pass first (States.Timeout)."""
        task = asyncio.ensure_future(work)
        try:
            await asyncio.wait({task, self.expired}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task.done():
            try:
                return task.result()
            except AwsError as error:  # an integration that let a service's error through
                raise StatesFailure("States.TaskFailed", f"{error.code}: {error.message}") from None
            except UnicodeEncodeError:  # JSON text may escape a lone surrogate ("\ud800"); no request carries one
                raise StatesFailure("States.Runtime", "The task's parameters hold a lone surrogate (a text escaped as"
                                    " \\uD800-\\uDFFF without its pair), which no request can carry.") from None
        task.cancel()
        failure = StatesFailure("States.Timeout", "", heartbeat=self.expired.result() == "heartbeat")
        failure.timed_out = True  # type: ignore[attr-defined]
        raise failure

    def _expire(self, why: str) -> None:
        if not self.expired.done():
            self.expired.set_result(why)

    def _arm_heartbeat(self) -> None:
        if self.heartbeat is None:
            return
        if "heartbeat" in self.timers:
            self.timers["heartbeat"].cancel()
        self.timers["heartbeat"] = self.call.clock.call_later(self.heartbeat, lambda: self._expire("heartbeat"))

    def _stop_work(self, submitted: Any) -> None:
        """The execution stopped while a `.sync` task's work runs: that work is stopped too."""
        stop, call = self.integration.stop, self.call
        if stop is None:
            return
        parts = call.execution.arn.split(":")

        async def stopping() -> None:
            try:
                await stop(call, submitted)
            except (AwsError, StatesFailure) as error:
                log.info("execution %s: stopping the work of its task failed: %s", call.execution.arn, error)

        call.service.env.tasks.spawn(f"stepfunctions stop {call.resource.resource}", stopping(), owner=call.service.owner(parts[4], parts[3]))

    # -- resuming ---------------------------------------------------------------------

    def _recorded_end(self) -> Any:
        """Replaying: the task's recorded end as a function returning or raising it; else None."""
        lane = self.lane
        replay = lane.replay
        if replay is None:
            return None
        submitted = replay.next_of(lane, "TaskSubmitted")
        candidates = replay.children.get(submitted.id if submitted is not None else lane.last, ())
        end = next((e for e in candidates if e.id not in replay.used and e.type in _ENDS), None)
        if end is None:
            return None
        if submitted is not None:
            lane.add("TaskSubmitted", submitted.details)
        lane.add(end.type, end.details)
        return recorded_outcome(end, "TaskSucceeded")

    def _recorded_submission(self) -> Any:
        """Replaying: what the recorded TaskSubmitted says was submitted (not submitted again)."""
        lane = self.lane
        if lane.replay is None or (recorded := lane.replay.next_of(lane, "TaskSubmitted")) is None:
            return _NOTHING
        lane.add("TaskSubmitted", recorded.details)
        lane.replay = None  # what happens from here on is recorded as usual
        return json.loads((recorded.details or {}).get("output", "null"))


_NOTHING = object()
_ANSWERED = object()  # a `.sync` task answered by a callback before its work ended
