"""Helpers of the Batch job tests: resources made with unique names, and waits on DescribeJobs
with a deadline (no sleeping on the service clock: tests fast-forward it)."""

from __future__ import annotations

import time
import uuid
from typing import Any

FINAL = ("SUCCEEDED", "FAILED")


def unique(prefix: str = "r") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_ce(batch: Any, vcpus: int = 4, **extra: Any) -> str:
    resources = {"type": "EC2", "minvCpus": 0, "maxvCpus": vcpus, "instanceTypes": ["optimal"],
                 "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]}
    return batch.create_compute_environment(computeEnvironmentName=unique("ce"), type="MANAGED",
                                            computeResources=resources, **extra)["computeEnvironmentArn"]


def make_queue(batch: Any, *environments: str, priority: int = 1, **extra: Any) -> str:
    order = [{"order": i + 1, "computeEnvironment": e} for i, e in enumerate(environments)]
    return batch.create_job_queue(jobQueueName=unique("q"), priority=priority, computeEnvironmentOrder=order, **extra)["jobQueueArn"]


def make_definition(batch: Any, command: list[str], **extra: Any) -> str:
    container = {"image": "busybox", "command": command, "vcpus": 1, "memory": 128, **extra.pop("container", {})}
    return batch.register_job_definition(jobDefinitionName=unique("jd"), type="container", containerProperties=container,
                                         **extra)["jobDefinitionArn"]


def submit(batch: Any, queue: str, definition: str, **extra: Any) -> str:
    return batch.submit_job(jobName=extra.pop("jobName", unique("job")), jobQueue=queue, jobDefinition=definition, **extra)["jobId"]


def describe(batch: Any, *job_ids: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    ids = list(job_ids)
    for start in range(0, len(ids), 100):
        found += batch.describe_jobs(jobs=ids[start : start + 100])["jobs"]
    return found


def job(batch: Any, job_id: str) -> dict[str, Any]:
    (found,) = describe(batch, job_id)
    return found


def wait_for(batch: Any, job_ids: list[str] | str, statuses: tuple[str, ...] = FINAL, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Poll DescribeJobs until every job is in one of `statuses`."""
    ids = [job_ids] if isinstance(job_ids, str) else list(job_ids)
    deadline = time.monotonic() + timeout
    while True:
        jobs = describe(batch, *ids)
        if len(jobs) == len(ids) and all(j["status"] in statuses for j in jobs):
            return jobs
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs not {statuses} in {timeout}s: {[(j['jobId'], j['status']) for j in jobs]}")
        time.sleep(0.02)


def statuses(batch: Any, job_ids: list[str]) -> dict[str, str]:
    return {j["jobId"]: j["status"] for j in describe(batch, *job_ids)}


def wait_count(batch: Any, job_ids: list[str], status: str, count: int, timeout: float = 15.0) -> dict[str, str]:
    """Poll until exactly `count` of the jobs are in `status` and none is still moving towards it."""
    deadline = time.monotonic() + timeout
    while True:
        now = statuses(batch, job_ids)
        moving = [s for s in now.values() if s in ("SUBMITTED", "PENDING", "STARTING")]
        if sum(1 for s in now.values() if s == status) == count and not moving:
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"not {count} {status} in {timeout}s: {now}")
        time.sleep(0.02)


def max_overlap(jobs: list[dict[str, Any]], weight: Any = lambda j: 1) -> float:
    """Most jobs (by weight) running at once, from their startedAt/stoppedAt (an end at the same
    millisecond as a start comes first)."""
    events: list[tuple[int, int, float]] = []
    for j in jobs:
        for attempt in j.get("attempts") or []:
            events.append((attempt["startedAt"], 1, weight(j)))
            events.append((attempt["stoppedAt"], 0, -weight(j)))
    running = peak = 0.0
    for _, _, delta in sorted(events):
        running += delta
        peak = max(peak, running)
    return peak
