"""A Lambda function's ARN as a Task's resource (the legacy integration): LambdaFunctionScheduled,
LambdaFunctionStarted, then LambdaFunctionSucceeded or LambdaFunctionFailed."""

from __future__ import annotations

from typing import Any

from services.stepfunctions.asl import ast
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.interpreter.fields import Env


async def run_function_task(env: Env, state: ast.TaskState, resource: str, value: Any, timeout: int | None) -> Any:
    cause = f"The resource '{resource}' is not available in stepstack yet."
    env.lane.add("TaskStartFailed", {"resourceType": "lambda", "resource": resource, "error": "States.TaskFailed", "cause": cause})
    raise StatesFailure("States.TaskFailed", cause)
