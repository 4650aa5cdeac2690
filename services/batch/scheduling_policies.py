"""Scheduling policies (fair share): Create, Update, Delete, Describe, List.

The policy is stored and answered as given (weights, decay, reservation validated as AWS
documents them); how the scheduler shares capacity by it is scheduler.py's business."""

from __future__ import annotations

import copy
from typing import Any

from services.batch.common import check_name, check_tags, described, page
from services.batch.errors import ClientException
from services.batch.lookup import Ctx, batch_arn, policy_by_arn
from services.batch.records import SchedulingPolicyRecord
from services.batch.service import operations
from services.core.context import Params, Result

MAX_DECAY = 604800  # a week
MAX_RESERVATION = 99
MAX_SHARES = 500
MIN_WEIGHT, MAX_WEIGHT = 0.0001, 999.9999


def _fairshare(raw: dict[str, Any] | None) -> dict[str, Any]:
    policy = copy.deepcopy(raw or {})
    decay = policy.get("shareDecaySeconds")
    if decay is not None and not 0 <= decay <= MAX_DECAY:
        raise ClientException(f"shareDecaySeconds must be between 0 and {MAX_DECAY}")
    reservation = policy.get("computeReservation")
    if reservation is not None and not 0 <= reservation <= MAX_RESERVATION:
        raise ClientException(f"computeReservation must be between 0 and {MAX_RESERVATION}")
    shares = policy.get("shareDistribution") or []
    if len(shares) > MAX_SHARES:
        raise ClientException(f"shareDistribution can contain at most {MAX_SHARES} share identifiers")
    seen: set[str] = set()
    for share in shares:
        identifier = share["shareIdentifier"]
        if not identifier or len(identifier) > 255 or "*" in identifier[:-1]:
            raise ClientException(
                f"shareIdentifier {identifier} is invalid: up to 255 characters, with '*' only as the last character"
            )
        if identifier in seen:
            raise ClientException(f"shareIdentifier {identifier} appears more than once in shareDistribution")
        seen.add(identifier)
        weight = share.get("weightFactor")
        if weight is not None and not MIN_WEIGHT <= weight <= MAX_WEIGHT:
            raise ClientException(f"weightFactor must be between {MIN_WEIGHT} and {MAX_WEIGHT}")
    return policy


@operations.operation("CreateSchedulingPolicy")
async def create_scheduling_policy(ctx: Ctx, req: Params) -> Result:
    name = check_name(req["name"], "name")
    arn = batch_arn(ctx, "scheduling-policy", name)
    if arn in ctx.store.scheduling_policies:
        raise ClientException("Object already exists")
    if req.get("quotaSharePolicy"):
        raise ClientException("quotaSharePolicy is not supported")  # quota shares aren't emulated
    tags = check_tags(req.get("tags"))
    description = {"name": name, "arn": arn, "fairsharePolicy": _fairshare(req.get("fairsharePolicy"))}
    ctx.store.scheduling_policies[arn] = SchedulingPolicyRecord(name=name, arn=arn, description=description, tags=tags)
    return {"name": name, "arn": arn}


@operations.operation("UpdateSchedulingPolicy")
async def update_scheduling_policy(ctx: Ctx, req: Params) -> Result:
    policy = policy_by_arn(ctx, req["arn"])
    if req.get("quotaSharePolicy"):
        raise ClientException("quotaSharePolicy is not supported")
    if req.get("fairsharePolicy") is not None:
        policy.description["fairsharePolicy"] = _fairshare(req["fairsharePolicy"])
    return {}


@operations.operation("DeleteSchedulingPolicy")
async def delete_scheduling_policy(ctx: Ctx, req: Params) -> Result:
    policy = policy_by_arn(ctx, req["arn"])
    for queue in ctx.store.job_queues.values():
        if queue.description.get("schedulingPolicyArn") == policy.arn:
            raise ClientException(f"Cannot delete, found existing JobQueue relationship with SchedulingPolicy {policy.arn}")
    del ctx.store.scheduling_policies[policy.arn]
    return {}


@operations.operation("DescribeSchedulingPolicies")
async def describe_scheduling_policies(ctx: Ctx, req: Params) -> Result:
    arns = req["arns"]
    if len(arns) > 100:
        raise ClientException("arns can contain at most 100 items")
    found = {arn: ctx.store.scheduling_policies[arn] for arn in arns if arn in ctx.store.scheduling_policies}
    return {"schedulingPolicies": [described(record) for record in found.values()]}


@operations.operation("ListSchedulingPolicies")
async def list_scheduling_policies(ctx: Ctx, req: Params) -> Result:
    records = list(ctx.store.scheduling_policies.values())
    return page(records, req, lambda record: {"arn": record.arn}, "schedulingPolicies")
