"""CancelJob, TerminateJob and their bulk forms, as AWS Batch documents them.

CancelJob fails a job that is SUBMITTED, PENDING or RUNNABLE (isCancelled, statusReason the
reason given); a PENDING job only once all its dependencies have completed (it stays PENDING
until then, as AWS documents; job_state.settle); a STARTING or RUNNING job is left alone and the call still succeeds. TerminateJob
also stops a STARTING or RUNNING job: its process is killed and it ends FAILED with the reason
given (isTerminated), never retried. On an array parent both act on every child; on a node,
on its multi-node job. CancelJobs and TerminateJobs take up to 50 ids and answer per job.

Where we knowingly differ from AWS: an unknown job id answers ClientException
`Job <id> not found` (our wording).
"""

from __future__ import annotations

from typing import Any

from services.batch import job_launch, scheduler
from services.batch.errors import ClientException
from services.batch.job_state import NOT_STARTED, TERMINAL, Scope, dependencies_ended, set_status
from services.batch.jobs import Ctx, scope_of
from services.batch.records import JobRecord
from services.batch.service import operations
from services.core.context import Params, Result

MAX_BULK = 50
MAX_REASON = 1024


def _job(scope: Scope, job_id: str) -> JobRecord:
    job = scope.store.jobs.get(job_id)
    if job is None:
        raise ClientException(f"Job {job_id} not found")
    if job.kind == "node" and job.parent_id is not None:
        job = scope.store.jobs.get(job.parent_id) or job
    return job


def _check_reason(reason: str) -> None:
    if len(reason) > MAX_REASON:
        raise ClientException(f"reason must be at most {MAX_REASON} characters")


def _children(scope: Scope, job: JobRecord) -> list[JobRecord]:
    size = job.description["arrayProperties"]["size"]
    found = (scope.store.jobs.get(f"{job.job_id}:{index}") for index in range(size))
    return [child for child in found if child is not None]


def cancel(scope: Scope, job: JobRecord, reason: str) -> None:
    """Fail a job that has not started (an array parent: each child that has not)."""
    if job.kind == "array":
        for child in _children(scope, job):
            cancel(scope, child, reason)
        return
    status = job.description["status"]
    if status == "PENDING" and not dependencies_ended(scope.store, job):
        if job.cancel_reason is None:  # AWS: cancelled once all its dependencies have completed
            job.cancel_reason = reason
    elif status in NOT_STARTED:
        job.description["isCancelled"] = True
        set_status(scope, job, "FAILED", reason)


def terminate(scope: Scope, job: JobRecord, reason: str) -> None:
    """Cancel a job that has not started; kill a STARTING or RUNNING one."""
    if job.kind == "array":
        for child in _children(scope, job):
            terminate(scope, child, reason)
        return
    status = job.description["status"]
    if status in TERMINAL:
        return
    if status in NOT_STARTED:
        cancel(scope, job, reason)
        return
    attempt = scope.runtime.attempts.get(job.job_id)
    if attempt is None:  # no process to stop (it is gone): the job ends now
        job.description["isTerminated"] = True
        set_status(scope, job, "FAILED", reason)
        return
    if job.stop_kind != "terminate":
        job.stop_kind, job.stop_reason = "terminate", reason
        job_launch.stop(scope.service, attempt, reason)


@operations.operation("CancelJob")
async def cancel_job(ctx: Ctx, req: Params) -> Result:
    _check_reason(req["reason"])
    scope = scope_of(ctx)
    cancel(scope, _job(scope, req["jobId"]), req["reason"])
    scheduler.kick(scope.service, scope.account, scope.region)
    return {}


@operations.operation("TerminateJob")
async def terminate_job(ctx: Ctx, req: Params) -> Result:
    _check_reason(req["reason"])
    scope = scope_of(ctx)
    terminate(scope, _job(scope, req["jobId"]), req["reason"])
    scheduler.kick(scope.service, scope.account, scope.region)
    return {}


def _bulk(ctx: Ctx, req: Params, act: Any) -> Result:
    jobs = req["jobs"]
    if not 1 <= len(jobs) <= MAX_BULK:
        raise ClientException(f"jobs must contain between 1 and {MAX_BULK} job ids")
    _check_reason(req["reason"])
    scope = scope_of(ctx)
    successful: list[str] = []
    errors: list[dict[str, str]] = []
    for job_id in jobs:
        try:
            act(scope, _job(scope, job_id), req["reason"])
        except ClientException as error:
            errors.append({"job": job_id, "code": error.code, "message": error.message})
        else:
            successful.append(job_id)
    scheduler.kick(scope.service, scope.account, scope.region)
    return {"successful": successful, "errors": errors}


@operations.operation("CancelJobs")
async def cancel_jobs(ctx: Ctx, req: Params) -> Result:
    return _bulk(ctx, req, cancel)


@operations.operation("TerminateJobs")
async def terminate_jobs(ctx: Ctx, req: Params) -> Result:
    return _bulk(ctx, req, terminate)
