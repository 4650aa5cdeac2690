"""SubmitJob: a job (or an array of them, or a multi-node job) from its definition and the
request's overrides, as AWS Batch documents it.

The definition's containerProperties are merged with containerOverrides (command replaces;
environment and resourceRequirements merge by name and type); parameters merge over the
definition's, for `Ref::name` in the command; retryStrategy, timeout, propagateTags and
schedulingPriority come from the request, else the definition. An array job of size 2-10,000
gets children `<id>:<index>` (SEQUENTIAL: each waits for the one before; N_TO_N on another
array: child i waits for its child i); a multi-node job gets nodes `<id>#<index>`, each with
the container of the last nodeRangeProperties range that covers it.

Where we knowingly differ from AWS: the wording of the shareIdentifier, dependsOn and
arrayProperties errors is ours (AWS's is not recorded).
"""

from __future__ import annotations

import copy
from typing import Any

from services.batch import lookup, scheduler
from services.batch import definition_rules as rules
from services.batch.definition_rules import node_range
from services.batch.errors import ClientException
from services.batch.job_state import STATUSES, Scope, is_unit, settle, watch
from services.batch.records import BatchStore, JobDefinitionRecord, JobQueueRecord, JobRecord
from services.batch.service import operations
from services.core.context import Params, RequestContext, Result

Ctx = RequestContext[BatchStore]

MAX_DEPENDENCIES = 20
ARRAY_SIZES = (2, 10_000)


def scope_of(ctx: Ctx) -> Scope:
    return Scope(ctx.service, ctx.account_id, ctx.region, ctx.store)  # type: ignore[arg-type]


def job_arn(ctx: Ctx, job_id: str) -> str:
    return lookup.batch_arn(ctx, "job", job_id)


# -- containers ------------------------------------------------------------------------------


def override_container(base: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """The definition's container with containerOverrides applied, as AWS merges them."""
    container = copy.deepcopy(base)
    if not overrides:
        return container
    if overrides.get("command") is not None:
        container["command"] = list(overrides["command"])
    if overrides.get("environment"):
        rules.environment(overrides["environment"])
        merged = {e["name"]: e for e in container.get("environment") or [] if "name" in e}
        for variable in overrides["environment"]:
            merged[variable["name"]] = dict(variable)
        container["environment"] = list(merged.values())
    if overrides.get("resourceRequirements"):
        merged = {r["type"]: r for r in container.get("resourceRequirements") or []}
        merged.update({r["type"]: dict(r) for r in overrides["resourceRequirements"]})
        container["resourceRequirements"] = list(merged.values())
    for key in ("vcpus", "memory", "instanceType"):
        if overrides.get(key) is not None:
            container[key] = overrides[key]
    return container


def sizes(container: dict[str, Any]) -> tuple[float, int]:
    """(vCPUs, MiB) the container asks for: resourceRequirements, else the legacy fields."""
    requirements = {r["type"]: r["value"] for r in container.get("resourceRequirements") or []}
    try:
        vcpus = float(requirements["VCPU"]) if "VCPU" in requirements else float(container.get("vcpus") or 1)
        memory = int(float(requirements["MEMORY"])) if "MEMORY" in requirements else int(container.get("memory") or 2048)
    except ValueError:
        raise ClientException("Invalid resourceRequirements value") from None
    return vcpus, memory


def node_containers(definition: dict[str, Any], overrides: dict[str, Any] | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(nodeProperties as the job has them, one container per node)."""
    properties = copy.deepcopy(definition["nodeProperties"])
    overrides = overrides or {}
    if overrides.get("numNodes") is not None:
        properties["numNodes"] = overrides["numNodes"]
    count, main = properties["numNodes"], properties["mainNode"]
    if not 0 <= main < count:
        raise ClientException("nodeProperties.mainNode must be less than numNodes")
    containers: list[dict[str, Any] | None] = [None] * count
    for entry in properties.get("nodeRangeProperties") or []:
        first, last = node_range(entry["targetNodes"], count)
        for index in range(first, last + 1):
            containers[index] = copy.deepcopy(entry.get("container") or {})
    for entry in overrides.get("nodePropertyOverrides") or []:
        first, last = node_range(entry["targetNodes"], count)
        for index in range(first, last + 1):
            containers[index] = override_container(containers[index] or {}, entry.get("containerOverrides"))
    if any(c is None for c in containers):
        raise ClientException("nodeRangeProperties must cover every node of the job")
    return properties, [c for c in containers if c is not None]


# -- SubmitJob -------------------------------------------------------------------------------


def _check_share(req: Params, queue: JobQueueRecord, definition: JobDefinitionRecord) -> int | None:
    share = req.get("shareIdentifier")
    priority = req.get("schedulingPriorityOverride")
    if priority is None:
        priority = definition.description.get("schedulingPriority")
    if queue.description.get("schedulingPolicyArn"):
        if not share:
            raise ClientException(f"Job queue {queue.arn} has a scheduling policy: shareIdentifier must be specified")
        if priority is None:
            raise ClientException("Either schedulingPriority in job definition or schedulingPriorityOverride should be specified.")
    elif share:
        raise ClientException(f"Job queue {queue.arn} has no scheduling policy: shareIdentifier cannot be specified")
    if priority is not None and not 0 <= priority <= 9999:
        raise ClientException("schedulingPriorityOverride must be between 0 and 9999")
    return priority


def _check_dependencies(store: BatchStore, depends_on: list[dict[str, Any]], array_size: int | None) -> None:
    if len(depends_on) > MAX_DEPENDENCIES:
        raise ClientException(f"A job can depend on at most {MAX_DEPENDENCIES} jobs")
    for dependency in depends_on:
        kind, job_id = dependency.get("type"), dependency.get("jobId")
        if kind == "SEQUENTIAL" and array_size is None:
            raise ClientException("A SEQUENTIAL dependency is only valid for an array job")
        if job_id is None:
            if kind != "SEQUENTIAL":
                raise ClientException("dependsOn jobId must be specified")
            continue
        target = store.jobs.get(job_id)
        if target is None:
            raise ClientException(f"Dependent job {job_id} does not exist")
        if kind == "N_TO_N":
            size = (target.description.get("arrayProperties") or {}).get("size")
            if array_size is None or target.kind != "array" or size != array_size:
                raise ClientException(f"An N_TO_N dependency needs two array jobs of the same size: {job_id}")


def _child_depends(parent_id: str, index: int, depends_on: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for dependency in depends_on:
        kind, job_id = dependency.get("type"), dependency.get("jobId")
        if kind == "SEQUENTIAL" and job_id is None:
            if index > 0:
                found.append(f"{parent_id}:{index - 1}")
        elif kind == "N_TO_N" and job_id is not None:
            found.append(f"{job_id}:{index}")
        elif job_id is not None:
            found.append(job_id)
    return found


_UNSUPPORTED_OVERRIDES = ("eksPropertiesOverride", "ecsPropertiesOverride", "consumableResourcePropertiesOverride")


def _refuse_unsupported_overrides(req: Params) -> None:
    """Overrides of what stepstack does not run (EKS and ECS-properties jobs, consumable
    resources) are refused, never dropped."""
    entries = [req, *((req.get("nodeOverrides") or {}).get("nodePropertyOverrides") or [])]
    for entry in entries:
        for key in _UNSUPPORTED_OVERRIDES:
            if entry.get(key):
                raise ClientException(f"stepstack does not support {key} yet")


@operations.operation("SubmitJob")
async def submit_job(ctx: Ctx, req: Params) -> Result:
    from services.batch.common import check_name, check_tags

    name = check_name(req["jobName"], "jobName")
    _refuse_unsupported_overrides(req)
    queue = lookup.queue_by_ref(ctx, req["jobQueue"])
    if queue.description.get("state") != "ENABLED":
        raise ClientException(f"Job queue {queue.arn} is not in ENABLED state and cannot accept jobs")
    definition = lookup.definition_by_ref(ctx, req["jobDefinition"])
    if definition.description.get("type") not in ("container", "multinode") or (
        "containerProperties" not in definition.description and "nodeProperties" not in definition.description
    ):
        raise ClientException(f"JobDefinition {definition.arn} cannot be run by stepstack (only container and multinode jobs)")
    priority = _check_share(req, queue, definition)
    size = (req.get("arrayProperties") or {}).get("size")
    multinode = "nodeProperties" in definition.description
    if size is not None:
        if not ARRAY_SIZES[0] <= size <= ARRAY_SIZES[1]:
            raise ClientException(f"Array job size must be between {ARRAY_SIZES[0]} and {ARRAY_SIZES[1]}")
        if multinode:
            raise ClientException("Multi-node parallel jobs cannot be array jobs")
    depends_on = list(req.get("dependsOn") or [])
    _check_dependencies(ctx.store, depends_on, size)
    tags = check_tags(req.get("tags"))
    base = definition.description
    description: dict[str, Any] = {
        "jobName": name, "jobQueue": queue.arn, "status": "SUBMITTED", "attempts": [],
        "createdAt": int(ctx.clock.now() * 1000), "dependsOn": depends_on, "jobDefinition": definition.arn,
        "parameters": {**(base.get("parameters") or {}), **(req.get("parameters") or {})},
        "propagateTags": req.get("propagateTags", base.get("propagateTags", False)),
        "platformCapabilities": list(base.get("platformCapabilities") or ["EC2"]),
    }
    for key, check in (("retryStrategy", rules.retry_strategy), ("timeout", rules.timeout)):
        value = check(req[key]) if req.get(key) else base.get(key)
        if value:
            description[key] = copy.deepcopy(value)
    if req.get("shareIdentifier"):
        description["shareIdentifier"] = req["shareIdentifier"]
    if priority is not None:
        description["schedulingPriority"] = priority
    if tags:
        description["tags"] = tags
    job_id = ctx.ids.uuid()
    scope = scope_of(ctx)
    records = _build(ctx, job_id, description, definition, req, depends_on, size, multinode)
    for record in records:
        record.tags = dict(tags)
        ctx.store.jobs[record.job_id] = record
    for record in records:
        watch(scope, record)
    for record in records:
        if is_unit(record):
            settle(scope, record)
    scheduler.kick(scope.service, scope.account, scope.region)
    return {"jobArn": job_arn(ctx, job_id), "jobName": name, "jobId": job_id}


def _record(ctx: Ctx, job_id: str, description: dict[str, Any], queue: str, definition: str, kind: str, **fields: Any) -> JobRecord:
    description = {**description, "jobId": job_id, "jobArn": job_arn(ctx, job_id)}
    return JobRecord(job_id=job_id, arn=description["jobArn"], queue_arn=queue, definition_arn=definition,
                     description=description, kind=kind, seq=len(ctx.store.jobs), **fields)


def _build(ctx: Ctx, job_id: str, description: dict[str, Any], definition: JobDefinitionRecord, req: Params,
           depends_on: list[dict[str, Any]], size: int | None, multinode: bool) -> list[JobRecord]:
    queue, definition_arn = description["jobQueue"], definition.arn
    if multinode:
        properties, containers = node_containers(definition.description, req.get("nodeOverrides"))
        description["nodeProperties"] = properties
        total = [sizes(c) for c in containers]
        parent = _record(ctx, job_id, description, queue, definition_arn, "multinode",
                         depends=[d["jobId"] for d in depends_on if d.get("jobId")],
                         vcpus=sum(v for v, _ in total), memory=sum(m for _, m in total))
        parent.description["nodeDetails"] = {}
        nodes = []
        for index, container in enumerate(containers):
            node_description = {key: value for key, value in description.items() if key != "nodeProperties"}
            node_description["container"] = container
            node_description["attempts"] = []
            node_description["nodeDetails"] = {"nodeIndex": index, "isMainNode": index == properties["mainNode"]}
            node = _record(ctx, f"{job_id}#{index}", node_description, queue, definition_arn, "node",
                           parent_id=job_id, vcpus=total[index][0], memory=total[index][1])
            nodes.append(node)
        return [parent, *nodes]
    container = override_container(definition.description.get("containerProperties") or {}, req.get("containerOverrides"))
    vcpus, memory = sizes(container)
    if size is None:
        description["container"] = container
        return [_record(ctx, job_id, description, queue, definition_arn, "job",
                        depends=[d["jobId"] for d in depends_on if d.get("jobId")], vcpus=vcpus, memory=memory)]
    parent_description = dict(description)
    parent_description["arrayProperties"] = {"size": size, "statusSummary": {status: 0 for status in STATUSES}}
    parent_description["arrayProperties"]["statusSummary"]["SUBMITTED"] = size
    parent_description["container"] = container
    parent = _record(ctx, job_id, parent_description, queue, definition_arn, "array", vcpus=vcpus, memory=memory)
    children = [parent]
    for index in range(size):
        child_description = dict(description)
        child_description["container"] = copy.deepcopy(container)
        child_description["arrayProperties"] = {"index": index}
        child_description["attempts"] = []
        children.append(_record(ctx, f"{job_id}:{index}", child_description, queue, definition_arn, "child",
                                parent_id=job_id, depends=_child_depends(job_id, index, depends_on),
                                vcpus=vcpus, memory=memory))
    return children
