"""DescribeJobs, ListJobs and GetJobQueueSnapshot, as AWS Batch answers them.

ListJobs lists a queue's jobs (array children and nodes only under arrayJobId and
multiNodeJobId), in one status (RUNNING when none is given), or, with filters (JOB_NAME,
JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT), in any status; a value ending in `*`
matches as a prefix. GetJobQueueSnapshot answers the first 100 RUNNABLE jobs in the order the
scheduler takes them, and the vCPUs the queue's STARTING/RUNNING jobs use (by share for a
fair-share queue: activeShareCount counts the shares using capacity, as AWS defines it).

Where we knowingly differ from AWS: jobs never age out (AWS forgets ended jobs after about
7 days); ListJobs answers in submission order.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from services.batch import fair_share, lookup
from services.batch.errors import ClientException
from services.batch.jobs import Ctx, scope_of
from services.batch.records import JobRecord
from services.batch.service import operations
from services.core.context import Params, Result

MAX_DESCRIBE = 100
DEFAULT_PAGE, MAX_PAGE = 100, 1000
SNAPSHOT_JOBS = 100
SNAPSHOT_TOP_SHARES = 20
FILTERS = ("JOB_NAME", "JOB_DEFINITION", "BEFORE_CREATED_AT", "AFTER_CREATED_AT")


def detail(job: JobRecord) -> dict[str, Any]:
    """DescribeJobs' JobDetail of one job."""
    description = dict(job.description)
    if job.tags:
        description["tags"] = dict(job.tags)
    else:
        description.pop("tags", None)
    return description


@operations.operation("DescribeJobs")
async def describe_jobs(ctx: Ctx, req: Params) -> Result:
    ids = req["jobs"]
    if len(ids) > MAX_DESCRIBE:
        raise ClientException(f"jobs must contain at most {MAX_DESCRIBE} job ids")
    found = (ctx.store.jobs.get(job_id) for job_id in ids)
    return {"jobs": [detail(job) for job in found if job is not None]}


def summary(job: JobRecord) -> dict[str, Any]:
    """ListJobs' JobSummary of one job."""
    d = job.description
    result: dict[str, Any] = {"jobArn": job.arn, "jobId": job.job_id, "jobName": d["jobName"], "status": d["status"],
                              "createdAt": d["createdAt"], "jobDefinition": job.definition_arn}
    for key in ("statusReason", "startedAt", "stoppedAt", "shareIdentifier", "isCancelled", "isTerminated"):
        if key in d:
            result[key] = d[key]
    container = d.get("container") or {}
    small = {key: container[key] for key in ("exitCode", "reason") if key in container}
    if small:
        result["container"] = small
    if "arrayProperties" in d:
        result["arrayProperties"] = dict(d["arrayProperties"])
    if job.kind == "multinode":
        result["nodeProperties"] = {"numNodes": d["nodeProperties"]["numNodes"]}
    elif job.kind == "node":
        details = d["nodeDetails"]
        result["nodeProperties"] = {"nodeIndex": details["nodeIndex"], "isMainNode": details["isMainNode"]}
    return result


def _name_matches(pattern: str, value: str) -> bool:
    pattern, value = pattern.lower(), value.lower()
    return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern


def _definition_matches(pattern: str, arn: str) -> bool:
    name_revision = arn.rsplit("/", 1)[-1]
    candidates = (arn, name_revision, name_revision.rsplit(":", 1)[0])
    if pattern.endswith("*"):
        return any(c.startswith(pattern[:-1]) for c in candidates)
    return pattern in candidates


def _filter(jobs: list[JobRecord], filters: list[dict[str, Any]]) -> list[JobRecord]:
    for entry in filters:
        name, values = entry.get("name"), entry.get("values") or []
        if name not in FILTERS:
            raise ClientException(f"Invalid filter name {name}; valid names are {', '.join(FILTERS)}")
        if len(values) != 1:
            raise ClientException(f"Filter {name} takes exactly one value")
        value = values[0]
        if name == "JOB_NAME":
            jobs = [j for j in jobs if _name_matches(value, j.description["jobName"])]
        elif name == "JOB_DEFINITION":
            jobs = [j for j in jobs if _definition_matches(value, j.definition_arn)]
        else:
            try:
                at = int(value)
            except ValueError:
                raise ClientException(f"Filter {name} needs a time in epoch milliseconds: {value}") from None
            if name == "BEFORE_CREATED_AT":
                jobs = [j for j in jobs if j.description["createdAt"] < at]
            else:
                jobs = [j for j in jobs if j.description["createdAt"] > at]
    return jobs


def _page(items: list[JobRecord], req: Params) -> Result:
    limit = req.get("maxResults")
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise ClientException(f"maxResults must be between 1 and {MAX_PAGE}")
    limit = limit or DEFAULT_PAGE
    start = 0
    if req.get("nextToken"):
        try:
            start = int(json.loads(base64.urlsafe_b64decode(req["nextToken"].encode()))["offset"])
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise ClientException("Invalid nextToken") from None
    result: Result = {"jobSummaryList": [summary(job) for job in items[start : start + limit]]}
    if start + limit < len(items):
        result["nextToken"] = base64.urlsafe_b64encode(json.dumps({"offset": start + limit}).encode()).decode()
    return result


@operations.operation("ListJobs")
async def list_jobs(ctx: Ctx, req: Params) -> Result:
    store = ctx.store
    if req.get("arrayJobId"):
        parent = store.jobs.get(req["arrayJobId"])
        size = (parent.description.get("arrayProperties") or {}).get("size", 0) if parent is not None else 0
        jobs = [j for j in (store.jobs.get(f"{parent.job_id}:{i}") for i in range(size)) if j is not None] if parent else []
    elif req.get("multiNodeJobId"):
        parent = store.jobs.get(req["multiNodeJobId"])
        count = (parent.description.get("nodeProperties") or {}).get("numNodes", 0) if parent is not None else 0
        jobs = [j for j in (store.jobs.get(f"{parent.job_id}#{i}") for i in range(count)) if j is not None] if parent else []
    elif req.get("jobQueue"):
        queue = lookup.find_queue(ctx, req["jobQueue"])
        arn = queue.arn if queue is not None else req["jobQueue"]
        jobs = [j for j in store.jobs.values() if j.queue_arn == arn and j.kind in ("job", "array", "multinode")]
    else:
        raise ClientException("One of jobQueue, arrayJobId or multiNodeJobId must be specified")
    if req.get("filters"):
        jobs = _filter(jobs, req["filters"])
    else:
        status = req.get("jobStatus") or "RUNNING"
        jobs = [j for j in jobs if j.description["status"] == status]
    return _page(jobs, req)


@operations.operation("GetJobQueueSnapshot")
async def get_job_queue_snapshot(ctx: Ctx, req: Params) -> Result:
    """The first RUNNABLE jobs of a queue in the order the scheduler would take them, and the
    vCPUs its dispatched (STARTING/RUNNING) jobs use, in all and by share for a fair-share queue."""
    queue = lookup.queue_by_ref(ctx, req["jobQueue"])
    scope = scope_of(ctx)
    policy = fair_share.policy_of(scope, queue)
    if policy is not None:
        jobs = fair_share.ShareOrder(scope, queue, policy).first(SNAPSHOT_JOBS)
    else:
        waiting = scope.runtime.runnable.get(queue.arn, {})
        jobs = [j for j in (ctx.store.jobs.get(job_id) for job_id in waiting) if j is not None][:SNAPSHOT_JOBS]
    now = int(ctx.clock.now() * 1000)
    front = [{"jobArn": j.arn, "earliestTimeAtPosition": int((j.runnable_at or 0) * 1000)} for j in jobs]
    running = fair_share.active_units(scope, queue)
    utilization: dict[str, Any] = {
        "totalCapacityUsage": [{"capacityUnit": "VCPU", "quantity": float(sum(j.vcpus for j in running))}],
        "lastUpdatedAt": now,
    }
    if policy is not None:
        by_share: dict[str, float] = {}
        for j in running:
            share = fair_share.share_of(j)
            by_share[share] = by_share.get(share, 0.0) + j.vcpus
        top = sorted(by_share.items(), key=lambda item: (-item[1], item[0]))[:SNAPSHOT_TOP_SHARES]
        utilization["fairshareUtilization"] = {
            "activeShareCount": len(by_share),
            "topCapacityUtilization": [
                {"shareIdentifier": share, "capacityUsage": [{"capacityUnit": "VCPU", "quantity": vcpus}]} for share, vcpus in top
            ],
        }
    return {"frontOfQueue": {"jobs": front, "lastUpdatedAt": now}, "queueUtilization": utilization}
