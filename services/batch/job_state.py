"""Job status transitions, dependencies and array parents, as AWS Batch documents them.

    SUBMITTED -> PENDING (dependencies outstanding) -> RUNNABLE -> STARTING -> RUNNING
              -> SUCCEEDED | FAILED

Every change of status goes through `set_status`, which keeps an array parent's
`statusSummary` (counted incrementally, so a 10,000-child array costs O(1) per change), moves
the parent (SUBMITTED -> PENDING -> SUCCEEDED | FAILED, derived from its children), and, when a
job ends, settles the jobs that depend on it ("Dependent Job failed" when it failed).

CancelJob of a PENDING job (`cancel_reason`) takes effect, as AWS documents, once all its
dependencies have ended (SUCCEEDED or FAILED): it is then FAILED with isCancelled and the
reason given, whatever they ended with; until then it stays PENDING.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.batch.records import BatchStore, JobRecord

if TYPE_CHECKING:
    from services.batch.service import BatchService
    from services.core.clock import Timer

STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
TERMINAL = frozenset({"SUCCEEDED", "FAILED"})
NOT_STARTED = frozenset({"SUBMITTED", "PENDING", "RUNNABLE"})
DEPENDENT_FAILED = "Dependent Job failed"


@dataclass
class StoreRuntime:
    """What the scheduler keeps beside one store's records; rebuilt from them on restore."""

    runnable: dict[str, dict[str, None]] = field(default_factory=dict)  # queue ARN -> RUNNABLE unit ids, FIFO
    dependents: dict[str, list[str]] = field(default_factory=dict)  # job id -> ids of jobs waiting on it
    attempts: dict[str, Any] = field(default_factory=dict)  # job id -> its running attempt (job_launch.Attempt)
    timers: dict[str, Timer] = field(default_factory=dict)  # job id -> its RUNNABLE time-limit timer
    peak: dict[str, float] = field(default_factory=dict)  # compute environment ARN -> most vCPUs ever in use at once
    history: dict[str, list[tuple[str, float, float, float]]] = field(default_factory=dict)  # queue ARN -> ended fair-share attempts (fair_share.Spell)


@dataclass
class Scope:
    """One store of the Batch service, with its runtime: what the job modules pass around."""

    service: BatchService
    account: str
    region: str
    store: BatchStore

    @property
    def runtime(self) -> StoreRuntime:
        return runtime_of(self.service, self.account, self.region)

    def now_ms(self) -> int:
        return int(self.service.clock.now() * 1000)


def runtime_of(service: BatchService, account: str, region: str) -> StoreRuntime:
    key = (account, region)
    found = service.runtime.get(key)  # type: ignore[call-overload]
    if found is None:
        found = service.runtime[key] = StoreRuntime()  # type: ignore[index]
    return found


def is_unit(job: JobRecord) -> bool:
    """Whether the scheduler places this job itself (array parents and nodes ride on others)."""
    return job.kind in ("job", "child", "multinode")


# -- status -----------------------------------------------------------------------------------


def set_status(scope: Scope, job: JobRecord, status: str, reason: str | None = None) -> None:
    """Move a job to `status` (statusReason `reason` when given) and propagate what follows."""
    old = job.description["status"]
    if old == status:
        if reason is not None:
            job.description["statusReason"] = reason
        return
    description = job.description
    description["status"] = status
    if reason is not None:
        description["statusReason"] = reason
    now = scope.now_ms()
    if status in TERMINAL:
        description.setdefault("stoppedAt", now)
        description["stoppedAt"] = now
        timer = scope.runtime.timers.pop(job.job_id, None)
        if timer is not None:
            timer.cancel()
    if old == "RUNNABLE":
        queue = scope.runtime.runnable.get(job.queue_arn)
        if queue is not None:
            queue.pop(job.job_id, None)
    if job.kind == "child" and job.parent_id is not None:
        _child_moved(scope, job.parent_id, old, status)
    if job.kind == "multinode":
        for node in nodes_of(scope.store, job):
            if node.description["status"] not in TERMINAL and status not in ("RUNNING",):
                set_status(scope, node, status, reason)
    if status in TERMINAL:
        _settle_dependents(scope, job.job_id)
    events = scope.service.env.events
    if events.active:
        events.publish(job.arn, {"type": "JobStatus", "jobId": job.job_id, "status": status})


def nodes_of(store: BatchStore, job: JobRecord) -> list[JobRecord]:
    count = (job.description.get("nodeProperties") or {}).get("numNodes", 0)
    found = (store.jobs.get(f"{job.job_id}#{index}") for index in range(count))
    return [node for node in found if node is not None]


def _child_moved(scope: Scope, parent_id: str, old: str, new: str) -> None:
    parent = scope.store.jobs.get(parent_id)
    if parent is None:
        return
    array = parent.description["arrayProperties"]
    summary = array["statusSummary"]
    summary[old] = summary.get(old, 0) - 1
    summary[new] = summary.get(new, 0) + 1
    array["statusSummaryLastUpdatedAt"] = scope.now_ms()
    size = array["size"]
    done = summary["SUCCEEDED"] + summary["FAILED"]
    if done == size:
        if summary["FAILED"]:
            set_status(scope, parent, "FAILED", parent.description.get("statusReason") or "Array Child Job failed")
        else:
            set_status(scope, parent, "SUCCEEDED")
    elif parent.description["status"] == "SUBMITTED" and new != "SUBMITTED":
        set_status(scope, parent, "PENDING")
    if new == "RUNNING" and "startedAt" not in parent.description:
        parent.description["startedAt"] = scope.now_ms()


# -- dependencies -----------------------------------------------------------------------------


def watch(scope: Scope, job: JobRecord) -> None:
    """Index the job under each dependency it waits on."""
    for dependency in job.depends:
        scope.runtime.dependents.setdefault(dependency, []).append(job.job_id)


def dependency_state(store: BatchStore, job: JobRecord) -> str:
    """"ready", "waiting" or "failed": where the job's dependencies stand."""
    waiting = False
    for dependency in job.depends:
        found = store.jobs.get(dependency)
        status = found.description["status"] if found is not None else "SUCCEEDED"
        if status == "FAILED":
            return "failed"
        if status != "SUCCEEDED":
            waiting = True
    return "waiting" if waiting else "ready"


def dependencies_ended(store: BatchStore, job: JobRecord) -> bool:
    for dependency in job.depends:
        found = store.jobs.get(dependency)
        if found is not None and found.description["status"] not in TERMINAL:
            return False
    return True


def settle(scope: Scope, job: JobRecord) -> None:
    """A SUBMITTED or PENDING unit moves on as its dependencies allow."""
    if job.description["status"] not in ("SUBMITTED", "PENDING") or not is_unit(job):
        return
    if job.cancel_reason is not None:
        if dependencies_ended(scope.store, job):
            job.description["isCancelled"] = True
            set_status(scope, job, "FAILED", job.cancel_reason)
        return
    state = dependency_state(scope.store, job)
    if state == "failed":
        set_status(scope, job, "FAILED", DEPENDENT_FAILED)
    elif state == "waiting":
        set_status(scope, job, "PENDING")
    else:
        enter_runnable(scope, job)


def _settle_dependents(scope: Scope, job_id: str) -> None:
    for dependent_id in scope.runtime.dependents.pop(job_id, []):
        dependent = scope.store.jobs.get(dependent_id)
        if dependent is not None:
            settle(scope, dependent)


def enter_runnable(scope: Scope, job: JobRecord) -> None:
    from services.batch import scheduler

    set_status(scope, job, "RUNNABLE")
    job.runnable_at = scope.service.clock.now()
    job.environment_arn = None
    scope.runtime.runnable.setdefault(job.queue_arn, {})[job.job_id] = None
    scheduler.arm_runnable_limit(scope, job)


def ids_of(job_id: str) -> tuple[str, str | None]:
    """(base id, suffix) of an array child "<id>:<i>" or node "<id>#<n>"."""
    for mark in (":", "#"):
        if mark in job_id:
            base, _, rest = job_id.partition(mark)
            return base, rest
    return job_id, None
