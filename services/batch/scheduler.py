"""The Batch scheduler: which RUNNABLE job runs next, and where.

`kick` is called whenever something the scheduler depends on changes (a compute environment
or job queue created, updated, enabled, disabled or deleted; a job submitted or ended). It
serves the queues of one account and region by priority (higher first); a job is placed on
the first usable compute environment, in its queue's computeEnvironmentOrder, with its vCPUs
(and memory, where the environment counts memory) free. A queue without a scheduling policy
is FIFO: when its first job that could fit waits for capacity, the jobs behind it wait too
(a job bigger than every environment of its queue never fits and stays RUNNABLE, as on AWS,
without holding the others). A queue with a fair-share policy is served in fair_share.py's
order (share usage over shareDecaySeconds, weightFactor, schedulingPriority) and within its
computeReservation. Disabled queues and environments hold their jobs. A job with propagateTags
whose tags and its definition's are more than 50 together fails when it would start (when AWS
creates its task), as AWS documents.

Where we knowingly differ from AWS: a jobStateTimeLimitAction applies to any job RUNNABLE past
its maxTimeSeconds, whatever holds it; the statusReason of a job with too many tags to
propagate is our wording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.batch import fair_share, lookup
from services.batch.job_state import Scope, enter_runnable, runtime_of, set_status
from services.batch.records import BatchStore, ComputeEnvironmentRecord, JobQueueRecord, JobRecord

if TYPE_CHECKING:
    from services.batch.service import BatchService

ACTIVE = ("STARTING", "RUNNING")
MAX_TAGS = 50
TOO_MANY_TAGS = "The job and its job definition have more than 50 tags together: they cannot be propagated to its task"


def kick(service: BatchService, account: str, region: str) -> None:
    """Re-examine the queues of one account and region (cheap when nothing can move)."""
    store = service.stores.find(account, region)
    if store is None or not store.jobs:
        return
    scope = Scope(service, account, region, store)
    runnable = scope.runtime.runnable
    if not any(runnable.values()):
        return
    usage = _usage(scope)
    queues = sorted(
        (q for q in store.job_queues.values() if lookup.usable(q) and runnable.get(q.arn)),
        key=lambda q: -int(q.description.get("priority", 0)),
    )
    for queue in queues:
        environments = [e for e in lookup.queue_environments(store, queue) if lookup.usable(e)]
        if not environments:
            continue
        policy = fair_share.policy_of(scope, queue)
        if policy is not None:
            _serve_fair_share(scope, queue, environments, usage, policy)
        else:
            _serve_fifo(scope, queue, environments, usage)


def _active(scope: Scope) -> list[JobRecord]:
    """The STARTING/RUNNING units: those with an attempt under way."""
    found = (scope.store.jobs.get(job_id) for job_id in scope.runtime.attempts)
    return [job for job in found if job is not None and job.description["status"] in ACTIVE]


def _usage(scope: Scope) -> dict[str, list[float]]:
    """Compute environment ARN -> [vCPUs, MiB] its STARTING/RUNNING jobs take."""
    usage: dict[str, list[float]] = {}
    for job in _active(scope):
        if job.environment_arn:
            used = usage.setdefault(job.environment_arn, [0.0, 0.0])
            used[0] += job.vcpus
            used[1] += job.memory
    return usage


def _fits(job: JobRecord, environment: ComputeEnvironmentRecord, usage: dict[str, list[float]], *, now: bool) -> bool:
    vcpus, memory = lookup.capacity(environment)
    used = usage.get(environment.arn, [0.0, 0.0]) if now else [0.0, 0.0]
    if used[0] + job.vcpus > vcpus + 1e-9:
        return False
    return memory is None or used[1] + job.memory <= memory


def _place(scope: Scope, job: JobRecord, environments: list[ComputeEnvironmentRecord], usage: dict[str, list[float]]) -> str:
    """"placed", "busy" (it fits an environment, not now), "never" (bigger than them all) or
    "failed" (its tags cannot be propagated to its task)."""
    for environment in environments:
        if _fits(job, environment, usage, now=True):
            if too_many_tags(scope, job):
                set_status(scope, job, "FAILED", TOO_MANY_TAGS)
                return "failed"
            used = usage.setdefault(environment.arn, [0.0, 0.0])
            used[0] += job.vcpus
            used[1] += job.memory
            peak = scope.runtime.peak
            peak[environment.arn] = max(peak.get(environment.arn, 0.0), used[0])
            _start(scope, job, environment)
            return "placed"
    return "busy" if any(_fits(job, e, usage, now=False) for e in environments) else "never"


def too_many_tags(scope: Scope, job: JobRecord) -> bool:
    """propagateTags: the job's and its definition's tags (the job's win on a key) go to its task
    when the task is created; more than MAX_TAGS of them and AWS fails the job."""
    if not job.description.get("propagateTags"):
        return False
    definition = scope.store.job_definitions.get(job.definition_arn)
    return len({**(definition.tags if definition is not None else {}), **job.tags}) > MAX_TAGS


def _start(scope: Scope, job: JobRecord, environment: ComputeEnvironmentRecord) -> None:
    from services.batch import job_launch

    job.environment_arn = environment.arn
    set_status(scope, job, "STARTING")
    job_launch.start(scope, job, environment)


def _serve_fifo(scope: Scope, queue: JobQueueRecord, environments: list[ComputeEnvironmentRecord], usage: dict[str, list[float]]) -> None:
    waiting = scope.runtime.runnable.get(queue.arn, {})
    for job_id in list(waiting):
        job = scope.store.jobs.get(job_id)
        if job is None:
            waiting.pop(job_id, None)
            continue
        if _place(scope, job, environments, usage) == "busy":
            return  # FIFO: the ones behind it wait their turn


def _serve_fair_share(scope: Scope, queue: JobQueueRecord, environments: list[ComputeEnvironmentRecord],
                      usage: dict[str, list[float]], policy: dict) -> None:
    order = fair_share.ShareOrder(scope, queue, policy)
    limit = fair_share.reserved_limit(scope, queue, policy, environments)
    used = sum(j.vcpus for j in fair_share.active_units(scope, queue))
    while (job := order.peek()) is not None:
        if limit is not None and used + job.vcpus > limit + 1e-9 and any(_fits(job, e, usage, now=False) for e in environments):
            return  # computeReservation: what is left is kept for share identifiers not active yet
        outcome = _place(scope, job, environments, usage)
        if outcome == "busy":
            return  # the share whose turn it is waits for capacity; the others wait behind it
        order.take(job, placed=outcome == "placed")
        if outcome == "placed":
            used += job.vcpus


# -- the RUNNABLE time limit ------------------------------------------------------------------


def arm_runnable_limit(scope: Scope, job: JobRecord) -> None:
    """Arm the queue's jobStateTimeLimitAction for a job that just became RUNNABLE."""
    queue = scope.store.job_queues.get(job.queue_arn)
    actions = (queue.description.get("jobStateTimeLimitActions") or []) if queue is not None else []
    action = next((a for a in actions if a.get("state") == "RUNNABLE"), None)
    if action is None or job.runnable_at is None:
        job.runnable_deadline = None
        return
    job.runnable_deadline = job.runnable_at + float(action["maxTimeSeconds"])
    rearm_runnable_limit(scope, job, action["reason"])


def rearm_runnable_limit(scope: Scope, job: JobRecord, reason: str) -> None:
    service, account, region, job_id = scope.service, scope.account, scope.region, job.job_id
    runtime = runtime_of(service, account, region)
    old = runtime.timers.pop(job_id, None)
    if old is not None:
        old.cancel()
    if job.runnable_deadline is None:
        return

    def fire() -> None:
        runtime.timers.pop(job_id, None)
        store = service.stores.find(account, region)
        current = store.jobs.get(job_id) if store is not None else None
        if current is None or current.description["status"] != "RUNNABLE":
            return
        current.runnable_deadline = None
        current.description["isCancelled"] = True
        set_status(Scope(service, account, region, store), current, "FAILED", reason)  # type: ignore[arg-type]
        kick(service, account, region)

    runtime.timers[job_id] = service.clock.call_at(job.runnable_deadline, fire)


def limit_reason(store: BatchStore, job: JobRecord) -> str | None:
    queue = store.job_queues.get(job.queue_arn)
    for action in (queue.description.get("jobStateTimeLimitActions") or []) if queue is not None else []:
        if action.get("state") == "RUNNABLE":
            return action["reason"]
    return None


def inspect(service: BatchService, query: dict[str, str]) -> dict[str, object]:
    """GET /_stepstack/batch/scheduler: per store, the RUNNABLE jobs by queue, the running
    attempts, and the most vCPUs each compute environment has had in use at once."""
    views = []
    for (account, region), store in service.stores.items():
        runtime = runtime_of(service, account, region)
        views.append({
            "account": account, "region": region,
            "runnable": {queue: list(ids) for queue, ids in runtime.runnable.items() if ids},
            "running": sorted(runtime.attempts),
            "peakVcpus": dict(runtime.peak),
        })
    return {"stores": views}


def restore(service: BatchService) -> None:
    """After a restore: rebuild each store's runtime from its records, re-arm the RUNNABLE time
    limits, fail the attempts whose processes did not survive, and kick the scheduler."""
    from services.batch.job_launch import fail_lost_attempt
    from services.batch.job_state import is_unit, settle, watch

    service.runtime.clear()
    for (account, region), store in service.stores.items():
        scope = Scope(service, account, region, store)
        runtime = scope.runtime
        jobs = sorted(store.jobs.values(), key=lambda j: j.seq)
        fair_share.rebuild_history(scope, jobs)
        for job in jobs:
            status = job.description["status"]
            if status in ("SUBMITTED", "PENDING"):
                watch(scope, job)
        for job in sorted(jobs, key=lambda j: (j.runnable_at or 0.0, j.seq)):
            if job.description["status"] == "RUNNABLE" and is_unit(job):
                runtime.runnable.setdefault(job.queue_arn, {})[job.job_id] = None
                reason = limit_reason(store, job)
                if reason is not None and job.runnable_deadline is not None:
                    rearm_runnable_limit(scope, job, reason)
        lost = [job for job in jobs if is_unit(job) and job.description["status"] in ACTIVE]
        fresh = [job for job in jobs if is_unit(job) and job.description["status"] == "SUBMITTED"]
        for job in lost:  # listed first: failing one places others, which are not lost
            fail_lost_attempt(scope, job)
        for job in fresh:
            settle(scope, job)
        kick(service, account, region)


__all__ = ["kick", "enter_runnable", "arm_runnable_limit"]
