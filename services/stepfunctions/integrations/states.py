"""`arn:aws:states:::states:startExecution`: a Task starts an execution of another state machine.

As recorded on AWS (v2/services/test_sfn_task_service, v2/callback/test_callback):
- request-response: the answer is `{ExecutionArn, StartDate, SdkHttpMetadata, SdkResponseMetadata}`;
- `.sync` / `.sync:2`: TaskSubmitted records that answer; the task ends when the child does, with
  the child described in PascalCase (`Input`/`Output` as JSON text for `.sync`, as JSON for
  `.sync:2`); a child that ends FAILED, TIMED_OUT or ABORTED fails the task with
  `States.TaskFailed` and that description (with the child's `Error` and `Cause`) as the cause;
- `.waitForTaskToken`: the child (or anyone) answers with SendTaskSuccess/Failure.
`Input` may be any JSON (a null or absent one is `{}`); a StartExecution error fails the task as
`StepFunctions.<Code>Exception` (`StepFunctions.StateMachineDoesNotExistException`) with the SDK's
message suffix. Stopping the parent (StopExecution, or its TimeoutSeconds) stops a `.sync` child.

The child is associated with its parent as AWS documents it: by the
`AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` member of its input, which the parent passes itself
(`"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"`); nothing else is added.

Where we knowingly differ: a string `Input` is used as the child's input text as is (it must be
JSON text); the child is stopped with no error or cause; see docs/differences.md.
"""

from __future__ import annotations

import asyncio
import json
from types import MappingProxyType
from typing import Any

from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.registry import INTEGRATIONS, TaskCall
from services.stepfunctions.integrations.resources import REQUEST, SYNC, SYNC2, TOKEN
from services.stepfunctions.integrations.sdk_metadata import (
    JSON_TYPE, CallFailed, call_with_id, exception_name, plain_headers, service_failure, with_metadata, without_nulls,
)
from services.stepfunctions.interpreter.dataflow import dumps

_MEMBERS = MappingProxyType({"StateMachineArn": "stateMachineArn", "Input": "input", "Name": "name", "TraceHeader": "traceHeader"})
_ENDED = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


def epoch_ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(round(seconds * 1000))


def _request(call: TaskCall) -> dict[str, Any]:
    params = without_nulls(call.params) if isinstance(call.params, dict) else {}
    request: dict[str, Any] = {}
    for key, value in params.items():
        member = _MEMBERS.get(key)
        if member is None:
            raise StatesFailure("States.Runtime", f"The field '{key}' is not supported by Step Functions for the resource '{call.resource.arn}'.")
        if key == "Input":
            value = value if isinstance(value, str) else dumps(value)
        request[member] = value
    return request


def _child(call: TaskCall, arn: str) -> Any:
    parts = arn.split(":")
    store = call.service.stores.find(parts[4], parts[3]) if len(parts) > 6 else None
    return store.executions.get(arn) if store is not None else None


async def finish(call: TaskCall, submitted: Any) -> Any:
    """Until the child ends (its ExecutionStatus change event): its description, or the task fails."""
    arn = submitted["ExecutionArn"]
    ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def heard(_: str, event: dict[str, Any]) -> None:
        if event.get("type") == "ExecutionStatus" and event.get("status") in _ENDED and not ended.done():
            ended.set_result(None)

    subscription = call.events.subscribe(arn, heard)
    try:
        child = _child(call, arn)
        if child is None:
            raise StatesFailure("States.TaskFailed", f"The execution '{arn}' does not exist any more.")
        if child.running:
            await ended
    finally:
        subscription.cancel()
    described = _described(child, parsed=call.resource.pattern == SYNC2)
    if child.status != "SUCCEEDED":
        raise StatesFailure("States.TaskFailed", dumps(described))
    return described


def _described(child: Any, parsed: bool) -> dict[str, Any]:
    """The child as the `.sync` integration describes it (DescribeExecution in PascalCase)."""

    def payload(text: str) -> Any:
        return json.loads(text) if parsed else text

    out: dict[str, Any] = {}
    if child.cause:
        out["Cause"] = child.cause
    if child.error:
        out["Error"] = child.error
    out.update(ExecutionArn=child.arn, Input=payload(child.input_text), InputDetails={"Included": True}, Name=child.name)
    if child.output_text is not None:
        out.update(Output=payload(child.output_text), OutputDetails={"Included": True})
    out.update(StartDate=epoch_ms(child.started_at), StateMachineArn=child.machine_arn, Status=child.status)
    if child.stopped_at is not None:
        out["StopDate"] = epoch_ms(child.stopped_at)
    return out


async def stop(call: TaskCall, submitted: Any) -> None:
    """The parent stopped (or timed out) while its `.sync` child runs: the child is stopped."""
    arn = submitted.get("ExecutionArn") if isinstance(submitted, dict) else None
    child = _child(call, arn) if arn else None
    if child is not None and child.running:
        await call.aws("stepfunctions", "StopExecution", {"executionArn": arn})


@INTEGRATIONS.register("states", "startExecution", (REQUEST, SYNC, SYNC2, TOKEN), finish=finish, stop=stop)
async def start_execution(call: TaskCall) -> Any:
    try:
        answer, request_id = await call_with_id(call, "stepfunctions", "StartExecution", _request(call))
    except CallFailed as failed:
        raise service_failure("StepFunctions", "AWSStepFunctions", exception_name(failed.error.code), failed) from None
    body = json.dumps({"executionArn": answer["executionArn"], "startDate": answer["startDate"]}, separators=(",", ":"))
    result = {"ExecutionArn": answer["executionArn"], "StartDate": epoch_ms(answer["startDate"])}
    return with_metadata(result, plain_headers(JSON_TYPE, len(body), request_id, call.clock.now()), request_id)
