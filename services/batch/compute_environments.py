"""Compute environments: Create, Update, Delete, Describe.

Capacity is bookkeeping (nothing is launched): computeResources are validated and stored as
given, with AWS's defaults filled in; the scheduler reads maxvCpus (lookup.capacity).
Statuses follow lifecycle.py (CREATING/UPDATING/DELETING settle on the service clock)."""

from __future__ import annotations

import copy
from typing import Any

from services.batch import lifecycle, scheduler
from services.batch.common import check_name, check_tags, describe_page
from services.batch.errors import ClientException
from services.batch.lookup import Ctx, batch_arn, compute_environment_by_ref, find_compute_environment
from services.batch.records import ComputeEnvironmentRecord
from services.batch.service import operations
from services.core.arns import build_arn
from services.core.context import Params, Result

EC2_KINDS = frozenset({"EC2", "SPOT"})
FARGATE_KINDS = frozenset({"FARGATE", "FARGATE_SPOT"})
# members a Fargate compute environment must not have (AWS: "isn't applicable to Fargate")
NOT_FOR_FARGATE = (
    "minvCpus", "desiredvCpus", "instanceTypes", "imageId", "ec2KeyPair", "instanceRole", "tags",
    "placementGroup", "bidPercentage", "spotIamFleetRole", "launchTemplate", "ec2Configuration", "allocationStrategy",
)
FARGATE_UPDATABLE = frozenset({"maxvCpus", "subnets", "securityGroupIds", "type"})


def is_fargate(environment: ComputeEnvironmentRecord) -> bool:
    return (environment.description.get("computeResources") or {}).get("type") in FARGATE_KINDS


def _kick(ctx: Ctx) -> None:
    scheduler.kick(ctx.service, ctx.account_id, ctx.region)  # type: ignore[arg-type]


def _check_vcpus(resources: dict[str, Any]) -> None:
    low, high = resources.get("minvCpus"), resources.get("maxvCpus")
    desired = resources.get("desiredvCpus")
    for name in ("minvCpus", "maxvCpus", "desiredvCpus"):
        if resources.get(name) is not None and resources[name] < 0:
            raise ClientException(f"{name} must be a non-negative integer")
    if low is not None and high is not None and low > high:
        raise ClientException("minvCpus must be less than or equal to maxvCpus")
    if desired is not None and high is not None and desired > high:
        raise ClientException("desiredvCpus must be less than or equal to maxvCpus")
    if desired is not None and low is not None and desired < low:
        raise ClientException("desiredvCpus must be greater than or equal to minvCpus")


def _resources(raw: dict[str, Any]) -> dict[str, Any]:
    """A MANAGED environment's computeResources as AWS answers them."""
    resources = copy.deepcopy(raw)
    kind = resources["type"]
    if not resources.get("subnets"):
        raise ClientException("computeResources.subnets must be specified")
    if kind in FARGATE_KINDS:
        given = [name for name in NOT_FOR_FARGATE if resources.get(name) not in (None, [], {})]
        if given:
            raise ClientException(f"computeResources.{given[0]} is not applicable to Fargate compute environments")
        resources.setdefault("securityGroupIds", [])
    else:
        if kind == "SPOT" and resources.get("bidPercentage") is not None and not 0 <= resources["bidPercentage"] <= 100:
            raise ClientException("computeResources.bidPercentage must be between 0 and 100")
        if not resources.get("instanceTypes"):
            raise ClientException("computeResources.instanceTypes must be specified")
        resources.setdefault("minvCpus", 0)
        resources.setdefault("desiredvCpus", resources["minvCpus"])
        resources.setdefault("securityGroupIds", [])
        resources.setdefault("tags", {})
        resources.setdefault("allocationStrategy", "BEST_FIT")
        resources.setdefault("ec2Configuration", [{"imageType": "ECS_AL2"}])
    _check_vcpus(resources)
    return resources


@operations.operation("CreateComputeEnvironment")
async def create_compute_environment(ctx: Ctx, req: Params) -> Result:
    name = check_name(req["computeEnvironmentName"], "computeEnvironmentName")
    arn = batch_arn(ctx, "compute-environment", name)
    if find_compute_environment(ctx, arn) is not None:
        raise ClientException("Object already exists")
    kind = req["type"]
    tags = check_tags(req.get("tags"))
    description: dict[str, Any] = {
        "computeEnvironmentName": name,
        "computeEnvironmentArn": arn,
        "type": kind,
        "state": req.get("state", "ENABLED"),
        "status": "CREATING",
        "statusReason": "ComputeEnvironment is being created",
        "serviceRole": req.get("serviceRole") or build_arn(
            "iam", "", ctx.account_id, "role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch", partition="aws"
        ),
        "containerOrchestrationType": "EKS" if req.get("eksConfiguration") else "ECS",
        "uuid": ctx.ids.uuid(),
    }
    if kind == "MANAGED":
        if not req.get("computeResources"):
            raise ClientException("computeResources must be specified for a MANAGED compute environment")
        if req.get("unmanagedvCpus") is not None:
            raise ClientException("unmanagedvCpus can only be specified for an UNMANAGED compute environment")
        description["computeResources"] = _resources(req["computeResources"])
        description["updatePolicy"] = {"terminateJobsOnUpdate": False, "jobExecutionTimeoutMinutes": 30}
    else:
        if req.get("computeResources"):
            raise ClientException("computeResources can't be specified for an UNMANAGED compute environment")
        if req.get("unmanagedvCpus") is not None:
            if req["unmanagedvCpus"] < 0:
                raise ClientException("unmanagedvCpus must be a non-negative integer")
            description["unmanagedvCpus"] = req["unmanagedvCpus"]
    if req.get("eksConfiguration"):
        description["eksConfiguration"] = dict(req["eksConfiguration"])
    else:
        cluster = build_arn("ecs", ctx.region, ctx.account_id, f"cluster/AWSBatch-{name}-{description['uuid']}")
        description["ecsClusterArn"] = cluster
    for key in ("context", "ecsSettings"):
        if req.get(key) is not None:
            description[key] = copy.deepcopy(req[key])
    record = ComputeEnvironmentRecord(name=name, arn=arn, description=description, tags=tags)
    ctx.store.compute_environments[arn] = record
    lifecycle.begin(ctx, record, "CREATING")
    _kick(ctx)
    return {"computeEnvironmentName": name, "computeEnvironmentArn": arn}


def _updatable(ctx: Ctx, ref: str) -> ComputeEnvironmentRecord:
    record = compute_environment_by_ref(ctx, ref)
    if record.description.get("status") in ("DELETING", "DELETED"):
        raise ClientException(f"Cannot update, ComputeEnvironment {record.arn} is being deleted")
    return record


@operations.operation("UpdateComputeEnvironment")
async def update_compute_environment(ctx: Ctx, req: Params) -> Result:
    record = _updatable(ctx, req["computeEnvironment"])
    description = record.description
    changes: dict[str, Any] = {}
    if req.get("unmanagedvCpus") is not None:
        if description["type"] != "UNMANAGED":
            raise ClientException("unmanagedvCpus can only be specified for an UNMANAGED compute environment")
        if req["unmanagedvCpus"] < 0:
            raise ClientException("unmanagedvCpus must be a non-negative integer")
        changes["unmanagedvCpus"] = req["unmanagedvCpus"]
    update = {k: v for k, v in (req.get("computeResources") or {}).items() if k != "updateToLatestImageVersion"}
    resources = None
    if update:
        if description["type"] != "MANAGED":
            raise ClientException("computeResources can't be specified for an UNMANAGED compute environment")
        current = description["computeResources"]
        if current["type"] in FARGATE_KINDS:
            extra = sorted(set(update) - FARGATE_UPDATABLE)
            if extra:
                raise ClientException(f"computeResources.{extra[0]} is not applicable to Fargate compute environments")
        if "type" in update and (update["type"] in FARGATE_KINDS) != (current["type"] in FARGATE_KINDS):
            raise ClientException("computeResources.type can't be changed between EC2 and Fargate")
        resources = {**copy.deepcopy(current), **copy.deepcopy(update)}
        _check_vcpus(resources)
    for key in ("updatePolicy", "context", "ecsSettings"):
        if req.get(key) is not None:
            changes[key] = {**description.get(key, {}), **req[key]} if key == "updatePolicy" else copy.deepcopy(req[key])
    if req.get("eksConfiguration"):
        if "eksConfiguration" not in description:
            raise ClientException("eksConfiguration can only be updated on an EKS compute environment")
        changes["eksConfiguration"] = {**description["eksConfiguration"], **copy.deepcopy(req["eksConfiguration"])}
    if req.get("serviceRole"):
        changes["serviceRole"] = req["serviceRole"]
    if req.get("state"):
        changes["state"] = req["state"]
    description.update(changes)
    if resources is not None:
        description["computeResources"] = resources
    lifecycle.begin(ctx, record, "UPDATING")
    description["statusReason"] = "ComputeEnvironment is being updated"
    _kick(ctx)
    return {"computeEnvironmentName": record.name, "computeEnvironmentArn": record.arn}


@operations.operation("DeleteComputeEnvironment")
async def delete_compute_environment(ctx: Ctx, req: Params) -> Result:
    record = compute_environment_by_ref(ctx, req["computeEnvironment"])
    if record.description.get("status") in ("DELETING", "DELETED"):
        return {}
    for queue in ctx.store.job_queues.values():
        if any(entry["computeEnvironment"] == record.arn for entry in queue.description.get("computeEnvironmentOrder", [])):
            raise ClientException("Cannot delete, found existing JobQueue relationship")
    if record.description.get("state") != "DISABLED":
        raise ClientException(f"Cannot delete, ComputeEnvironment {record.arn} must be in DISABLED state")
    lifecycle.begin(ctx, record, "DELETING")
    record.description["statusReason"] = "ComputeEnvironment is being deleted"
    _kick(ctx)
    return {}


@operations.operation("DescribeComputeEnvironments")
async def describe_compute_environments(ctx: Ctx, req: Params) -> Result:
    lifecycle.settle_all(ctx)
    return describe_page(req, "computeEnvironments", lambda ref: find_compute_environment(ctx, ref), ctx.store.compute_environments.values())
