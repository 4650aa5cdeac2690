"""Job queues: Create, Update, Delete, Describe.

A queue's computeEnvironmentOrder is stored with ARNs (AWS answers ARNs whichever form was
given). Statuses follow lifecycle.py."""

from __future__ import annotations

import copy
from typing import Any

from services.batch import lifecycle, scheduler
from services.batch.common import check_name, check_tags, describe_page
from services.batch.compute_environments import is_fargate
from services.batch.errors import ClientException
from services.batch.lookup import Ctx, batch_arn, find_compute_environment, find_queue, policy_by_arn, queue_by_ref
from services.batch.records import JobQueueRecord
from services.batch.service import operations
from services.core.context import Params, Result

MAX_ENVIRONMENTS = 3
MIN_LIMIT_SECONDS, MAX_LIMIT_SECONDS = 600, 86400


def _kick(ctx: Ctx) -> None:
    scheduler.kick(ctx.service, ctx.account_id, ctx.region)  # type: ignore[arg-type]


def _order(ctx: Ctx, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """computeEnvironmentOrder with ARNs: each environment exists and is VALID, at most three,
    orders unique, and EC2 (EC2, SPOT) and Fargate (FARGATE, FARGATE_SPOT) not mixed."""
    if len(raw) > MAX_ENVIRONMENTS:
        raise ClientException(f"computeEnvironmentOrder can contain at most {MAX_ENVIRONMENTS} compute environments")
    orders: set[int] = set()
    arns: set[str] = set()
    kinds: set[bool] = set()
    resolved = []
    for entry in raw:
        ref = entry["computeEnvironment"]
        environment = find_compute_environment(ctx, ref)
        if environment is None:
            raise ClientException(f"computeEnvironment {ref} does not exist")
        if environment.description.get("status") != "VALID":
            raise ClientException(f"computeEnvironment {environment.arn} is not VALID")
        if entry["order"] in orders:
            raise ClientException("computeEnvironmentOrder can't contain two compute environments with the same order")
        if environment.arn in arns:
            raise ClientException(f"computeEnvironment {environment.arn} appears more than once in computeEnvironmentOrder")
        orders.add(entry["order"])
        arns.add(environment.arn)
        kinds.add(is_fargate(environment))
        resolved.append({"order": entry["order"], "computeEnvironment": environment.arn})
    if len(kinds) > 1:
        raise ClientException("computeEnvironmentOrder can't mix EC2 and Fargate compute environments")
    return resolved


def _limit_actions(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(raw) > 5:
        raise ClientException("jobStateTimeLimitActions can contain at most 5 actions")
    for action in raw:
        if action["state"] != "RUNNABLE":
            raise ClientException("jobStateTimeLimitActions.state must be RUNNABLE")
        if action["action"] != "CANCEL":
            raise ClientException("jobStateTimeLimitActions.action must be CANCEL")
        if not MIN_LIMIT_SECONDS <= action["maxTimeSeconds"] <= MAX_LIMIT_SECONDS:
            raise ClientException(
                f"jobStateTimeLimitActions.maxTimeSeconds must be between {MIN_LIMIT_SECONDS} and {MAX_LIMIT_SECONDS}"
            )
        if not action["reason"]:
            raise ClientException("jobStateTimeLimitActions.reason must be specified")
    return copy.deepcopy(raw)


def _priority(value: int) -> int:
    if not 0 <= value <= 1000:
        raise ClientException("priority must be between 0 and 1000")
    return value


@operations.operation("CreateJobQueue")
async def create_job_queue(ctx: Ctx, req: Params) -> Result:
    name = check_name(req["jobQueueName"], "jobQueueName")
    arn = batch_arn(ctx, "job-queue", name)
    if find_queue(ctx, arn) is not None:
        raise ClientException("Object already exists")
    if req.get("serviceEnvironmentOrder") or req.get("jobQueueType") not in (None, "ECS", "EKS", "ECS_FARGATE", "EKS_FARGATE"):
        raise ClientException("Service environment job queues are not supported")  # service jobs aren't emulated
    if not req.get("computeEnvironmentOrder"):
        raise ClientException("computeEnvironmentOrder must contain at least one compute environment")
    tags = check_tags(req.get("tags"))
    description: dict[str, Any] = {
        "jobQueueName": name,
        "jobQueueArn": arn,
        "state": req.get("state", "ENABLED"),
        "status": "CREATING",
        "statusReason": "JobQueue is being created",
        "priority": _priority(req["priority"]),
        "computeEnvironmentOrder": _order(ctx, req["computeEnvironmentOrder"]),
        "jobStateTimeLimitActions": _limit_actions(req.get("jobStateTimeLimitActions") or []),
    }
    if req.get("schedulingPolicyArn"):
        description["schedulingPolicyArn"] = policy_by_arn(ctx, req["schedulingPolicyArn"]).arn
    if req.get("jobQueueType"):
        description["jobQueueType"] = req["jobQueueType"]
    record = JobQueueRecord(name=name, arn=arn, description=description, tags=tags)
    ctx.store.job_queues[arn] = record
    lifecycle.begin(ctx, record, "CREATING")
    _kick(ctx)
    return {"jobQueueName": name, "jobQueueArn": arn}


@operations.operation("UpdateJobQueue")
async def update_job_queue(ctx: Ctx, req: Params) -> Result:
    record = queue_by_ref(ctx, req["jobQueue"])
    description = record.description
    if description.get("status") in ("DELETING", "DELETED"):
        raise ClientException(f"Cannot update, JobQueue {record.arn} is being deleted")
    if req.get("serviceEnvironmentOrder"):
        raise ClientException("Service environment job queues are not supported")
    changes: dict[str, Any] = {}
    if req.get("state"):
        changes["state"] = req["state"]
    if req.get("priority") is not None:
        changes["priority"] = _priority(req["priority"])
    if req.get("computeEnvironmentOrder") is not None:
        if not req["computeEnvironmentOrder"]:
            raise ClientException("computeEnvironmentOrder must contain at least one compute environment")
        changes["computeEnvironmentOrder"] = _order(ctx, req["computeEnvironmentOrder"])
    if req.get("jobStateTimeLimitActions") is not None:
        changes["jobStateTimeLimitActions"] = _limit_actions(req["jobStateTimeLimitActions"])
    if req.get("schedulingPolicyArn"):
        if not description.get("schedulingPolicyArn"):
            # AWS: a FIFO queue can't become a fair-share one (nor the reverse); the policy can be replaced
            raise ClientException("Cannot add a scheduling policy to a job queue created without one")
        changes["schedulingPolicyArn"] = policy_by_arn(ctx, req["schedulingPolicyArn"]).arn
    description.update(changes)
    lifecycle.begin(ctx, record, "UPDATING")
    description["statusReason"] = "JobQueue is being updated"
    _kick(ctx)
    return {"jobQueueName": record.name, "jobQueueArn": record.arn}


@operations.operation("DeleteJobQueue")
async def delete_job_queue(ctx: Ctx, req: Params) -> Result:
    record = queue_by_ref(ctx, req["jobQueue"])
    if record.description.get("status") in ("DELETING", "DELETED"):
        return {}
    if record.description.get("state") != "DISABLED":
        raise ClientException(f"Cannot delete, JobQueue {record.arn} must be in DISABLED state")
    lifecycle.begin(ctx, record, "DELETING")
    record.description["statusReason"] = "JobQueue is being deleted"
    _kick(ctx)
    return {}


@operations.operation("DescribeJobQueues")
async def describe_job_queues(ctx: Ctx, req: Params) -> Result:
    lifecycle.settle_all(ctx)
    return describe_page(req, "jobQueues", lambda ref: find_queue(ctx, ref), ctx.store.job_queues.values())
