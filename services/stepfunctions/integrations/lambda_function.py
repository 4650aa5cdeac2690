"""A Lambda function's ARN as a Task's resource (the legacy integration), as AWS records it
(v2/services/test_lambda_task, v2/error_handling/test_task_lambda):

    LambdaFunctionScheduled  {resource, input, inputDetails[, timeoutInSeconds]}
    LambdaFunctionStarted    (no details)
    LambdaFunctionSucceeded  {output: the function's answer, outputDetails}
    | LambdaFunctionFailed   {error: the errorType of its error document, cause: the document}
    | LambdaFunctionTimedOut {error: States.Timeout}   (TimeoutSeconds passed first)

The function is invoked (RequestResponse) in its ARN's account and region with the state's
input (after Parameters). A document without errorType is `Lambda.Unknown`; Lambda's own errors
(a missing function) are `Lambda.<exception>` as for `lambda:invoke`.

Resuming (replay.py): a recorded end carries on; a function started but not ended when the
execution stopped is invoked again, its TimeoutSeconds still counted from the recorded
LambdaFunctionScheduled.

Where we knowingly differ from AWS (not recorded): a missing function or another Lambda error
is recorded as LambdaFunctionFailed (AWS may record LambdaFunctionStartFailed); the
LambdaFunctionTimedOut event has no cause.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from services.stepfunctions.asl import ast
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.lambda_ import function_failure, lambda_failure
from services.stepfunctions.integrations.registry import TaskCall
from services.stepfunctions.integrations.resources import REQUEST, ServiceResource
from services.stepfunctions.integrations.sdk_metadata import CallFailed, call_with_id
from services.stepfunctions.interpreter.dataflow import checked_dumps, dumps
from services.stepfunctions.interpreter.fields import Env
from services.stepfunctions.interpreter.replay import recorded_outcome

_ENDS = ("LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut")


async def run_function_task(env: Env, state: ast.TaskState, resource: str, value: Any, timeout: int | None) -> Any:
    lane, clock = env.lane, env.runner.clock
    details: dict[str, Any] = {"resource": resource, "input": dumps(value), "inputDetails": {"truncated": False}}
    if timeout is not None:
        details["timeoutInSeconds"] = timeout
    scheduled = lane.add("LambdaFunctionScheduled", details)
    scheduled_at = lane.replay.event(scheduled).timestamp if lane.replay is not None else clock.now()
    lane.add("LambdaFunctionStarted")
    if (ended := _recorded_end(env)) is not None:
        return ended()
    lane.replay = None  # what happens from here on is recorded as usual
    work = asyncio.ensure_future(_invoke(env, resource, value))
    expired: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    timer = clock.call_at(scheduled_at + timeout, lambda: expired.done() or expired.set_result(None)) if timeout else None
    try:
        await asyncio.wait({work, expired}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        work.cancel()
        raise
    finally:
        if timer is not None:
            timer.cancel()
    if not work.done():
        work.cancel()
        lane.add("LambdaFunctionTimedOut", {"error": "States.Timeout"})
        raise StatesFailure("States.Timeout", "")
    try:
        result = work.result()
        text = checked_dumps(result, resource)  # recorded: a too large answer fails the task, naming its ARN
    except StatesFailure as failure:
        lane.add("LambdaFunctionFailed", {"error": failure.error, "cause": failure.cause})
        raise
    lane.add("LambdaFunctionSucceeded", {"output": text, "outputDetails": {"truncated": False}})
    return result


async def _invoke(env: Env, resource: str, value: Any) -> Any:
    """The answer of one RequestResponse invocation (parsed when it is JSON), or its failure."""
    parts = resource.split(":")
    call = TaskCall(env, ServiceResource("lambda", "invoke", REQUEST, False, resource), value, None)
    params = {"FunctionName": resource, "InvocationType": "RequestResponse", "Payload": dumps(value).encode("utf-8")}
    try:
        result, _ = await call_with_id(call, "lambda", "Invoke", params, account=parts[4], region=parts[3])
    except CallFailed as failed:
        raise lambda_failure(failed) from None
    body = result.get("Payload") or b""
    if result.get("FunctionError"):
        raise function_failure(body, compact=False)
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode("utf-8", "replace")


def _recorded_end(env: Env) -> Any:
    """Replaying: the function's recorded end, as a function returning or raising it; else None."""
    lane = env.lane
    replay = lane.replay
    if replay is None:
        return None
    end = next((e for e in replay.children.get(lane.last, ()) if e.id not in replay.used and e.type in _ENDS), None)
    if end is None:
        return None
    lane.add(end.type, end.details)
    return recorded_outcome(end, "LambdaFunctionSucceeded")
