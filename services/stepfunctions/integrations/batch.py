"""`arn:aws:states:::batch:submitJob` (request-response and `.sync`), as AWS documents it
("Run AWS Batch workloads with Step Functions"):

- Parameters are SubmitJob's members in PascalCase (`JobName`, `JobQueue`, `JobDefinition`,
  `Parameters`, `ContainerOverrides: {ResourceRequirements: [{Type, Value}]}`, `ArrayProperties`,
  `DependsOn`, `RetryStrategy`, `Timeout`, `Tags`, `PropagateTags`, ...), mapped to Batch's
  camelCase members with the botocore model, recursively (the keys of maps such as Parameters
  and Tags are kept as written); a field SubmitJob does not have fails the task (States.Runtime).
- request-response: SubmitJob's answer in PascalCase (`JobArn`, `JobId`, `JobName`) with the
  SDK's HTTP metadata; `.sync` records that as TaskSubmitted, waits for the job's final status
  (Batch's JobStatus change events, no polling) and succeeds with the job's DescribeJobs
  description in PascalCase, or fails with `States.TaskFailed` and that description as the
  cause when the job ends FAILED.
- Stopping the execution (StopExecution, or its TimeoutSeconds) terminates a `.sync` job with
  TerminateJob, with the reason AWS gives.
A Batch error fails the task as `Batch.<Code>Exception` (`Batch.ClientException`).
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from typing import Any

from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.registry import INTEGRATIONS, TaskCall
from services.stepfunctions.integrations.resources import REQUEST, SYNC
from services.stepfunctions.integrations.sdk_metadata import (
    CallFailed, call_with_id, exception_name, plain_headers, service_failure, with_metadata, without_nulls,
)
from services.stepfunctions.interpreter.dataflow import dumps

_FINAL = frozenset({"SUCCEEDED", "FAILED"})


@cache
def _shapes() -> tuple[Any, Any, Any]:
    """SubmitJob's input and output shapes and JobDetail, from botocore's batch model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("batch")
    submit = model.operation_model("SubmitJob")
    return submit.input_shape, submit.output_shape, model.shape_for("JobDetail")


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def to_members(shape: Any, value: Any, where: str) -> Any:
    """A PascalCase value (as a Task's Parameters write it) in the model's member names."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value  # wrong types are the validator's to refuse, as on the wire
        names = {_pascal(m): m for m in shape.members}
        out: dict[str, Any] = {}
        for key, item in value.items():
            member = names.get(key)
            if member is None:
                raise StatesFailure("States.Runtime", f"The field '{key}' at '{where}' is not supported by Step Functions.")
            out[member] = to_members(shape.members[member], item, f"{where}.{key}")
        return out
    if kind == "list" and isinstance(value, list):
        return [to_members(shape.member, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        return {k: to_members(shape.value, v, f"{where}.{k}") for k, v in value.items()}
    return value


def from_members(shape: Any, value: Any) -> Any:
    """A service's answer in PascalCase, as the optimized integrations give it."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            _pascal(k): from_members(shape.members[k], v) if k in shape.members else v for k, v in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [from_members(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: from_members(shape.value, v) for k, v in value.items()}
    return value


async def _batch(call: TaskCall, operation: str, params: dict[str, Any]) -> tuple[Any, str]:
    """The answer and its request id; a Batch error as `Batch.<Code>Exception`."""
    try:
        return await call_with_id(call, "batch", operation, params)
    except CallFailed as failed:
        raise service_failure("Batch", "AWSBatch", exception_name(failed.error.code), failed) from None


async def _describe(call: TaskCall, job_id: str) -> dict[str, Any]:
    jobs = (await _batch(call, "DescribeJobs", {"jobs": [job_id]}))[0]["jobs"]
    if not jobs:
        raise StatesFailure("States.TaskFailed", f"The job '{job_id}' does not exist any more.")
    return jobs[0]


async def finish(call: TaskCall, submitted: Any) -> Any:
    """Until the job's final status (its JobStatus change event): its description, or the task fails."""
    job_id, arn = submitted["JobId"], submitted["JobArn"]
    ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def heard(_: str, event: dict[str, Any]) -> None:
        if event.get("type") == "JobStatus" and event.get("status") in _FINAL and not ended.done():
            ended.set_result(None)

    subscription = call.events.subscribe(arn, heard)  # before the first look: no change is missed
    try:
        job = await _describe(call, job_id)
        if job["status"] not in _FINAL:
            await ended
            job = await _describe(call, job_id)
    finally:
        subscription.cancel()
    described = from_members(_shapes()[2], job)
    if job["status"] != "SUCCEEDED":
        raise StatesFailure("States.TaskFailed", dumps(described))
    return described


async def stop(call: TaskCall, submitted: Any) -> None:
    """The execution stopped or timed out while its `.sync` job runs: the job is terminated."""
    job_id = submitted.get("JobId") if isinstance(submitted, dict) else None
    if not job_id:
        return
    how = "timed out" if call.execution.status == "TIMED_OUT" else "was aborted"
    reason = f"The Task state in AWS Step Functions execution [{call.execution.arn}] which was managing this resource {how}"
    await _batch(call, "TerminateJob", {"jobId": job_id, "reason": reason[:1024]})


@INTEGRATIONS.register("batch", "submitJob", (REQUEST, SYNC), finish=finish, stop=stop)
async def submit_job(call: TaskCall) -> Any:
    request_shape, answer_shape, _ = _shapes()
    params = without_nulls(call.params) if isinstance(call.params, dict) else {}
    answer, request_id = await _batch(call, "SubmitJob", to_members(request_shape, params, "Parameters"))
    length = len(json.dumps(answer, separators=(",", ":")))
    headers = plain_headers("application/json", length, request_id, call.clock.now())
    return with_metadata(from_members(answer_shape, answer), headers, request_id)
