"""Fair-share scheduling, as AWS Batch documents its scheduling policies.

A fair-share queue serves the share identifier whose usage times its weightFactor is lowest (a
weight of 0.25 gets 4 times the capacity of a weight of 1), and inside a share the highest
schedulingPriority first, then FIFO. A share's usage is the vCPUs its jobs run now plus its
vCPU-time over the last shareDecaySeconds (0: the default window of 600 seconds, as the API
reference words it), decayed linearly with age and divided by half the window, so that a share
that ran v vCPUs through the whole window counts v more. computeReservation keeps
(computeReservation/100)^ActiveFairShares of the queue's maximum vCPUs (the sum of its usable
compute environments' maxvCpus) for share identifiers that are not active yet: the jobs of the
active shares (those with SUBMITTED, PENDING, RUNNABLE, STARTING or RUNNING jobs in the queue, or
with an attempt ended inside the window) run only inside the rest.

The usage history is runtime (`StoreRuntime.history`), re-derived on restore from the jobs'
attempts (startedAt, stoppedAt), which the records keep.

Where we knowingly differ from AWS: the shape of the decay (linear) is ours (AWS says only that
recent jobs weigh more); the user guide's "shareDecaySeconds + OrderMinutes" period is not
modelled.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from services.batch import lookup
from services.batch.job_state import TERMINAL, Scope
from services.batch.records import ComputeEnvironmentRecord, JobQueueRecord, JobRecord

DEFAULT_WINDOW = 600.0  # seconds: what shareDecaySeconds 0 means (the API reference's "default minimum time window")
MAX_WINDOW = 604800.0
ACTIVE = ("STARTING", "RUNNING")
Spell = tuple[str, float, float, float]  # (share identifier, vCPUs, started, stopped) of an ended attempt, service seconds


def policy_of(scope: Scope, queue: JobQueueRecord) -> dict[str, Any] | None:
    """The fairsharePolicy of the queue's scheduling policy (None: a FIFO queue)."""
    arn = queue.description.get("schedulingPolicyArn")
    if not arn:
        return None
    record = scope.store.scheduling_policies.get(arn)
    return (record.description.get("fairsharePolicy") or {}) if record is not None else {}


def share_weight(policy: dict[str, Any], share: str) -> float:
    """The share identifier's weightFactor: an exact entry, else a matching prefix* entry, else 1."""
    distribution = policy.get("shareDistribution") or []
    for entry in distribution:
        if entry["shareIdentifier"] == share:
            return float(entry.get("weightFactor", 1.0))
    for entry in distribution:
        pattern = entry["shareIdentifier"]
        if pattern.endswith("*") and fnmatch.fnmatchcase(share, pattern):
            return float(entry.get("weightFactor", 1.0))
    return 1.0


def window(policy: dict[str, Any]) -> float:
    decay = policy.get("shareDecaySeconds") or 0
    return float(decay) if decay > 0 else DEFAULT_WINDOW


def share_of(job: JobRecord) -> str:
    return job.description.get("shareIdentifier") or ""


# -- usage history ----------------------------------------------------------------------------


def record_spell(scope: Scope, job: JobRecord, started: float, stopped: float) -> None:
    """Remember an ended attempt of a fair-share job (finish() calls it)."""
    if job.description.get("shareIdentifier"):
        scope.runtime.history.setdefault(job.queue_arn, []).append((share_of(job), job.vcpus, started, stopped))


def rebuild_history(scope: Scope, jobs: Iterable[JobRecord]) -> None:
    """After a restore: the ended attempts of the units, from their records."""
    history = scope.runtime.history
    history.clear()
    for job in jobs:
        if job.kind not in ("job", "child", "multinode") or not job.description.get("shareIdentifier"):
            continue
        for attempt in job.description.get("attempts") or []:
            if "startedAt" in attempt and "stoppedAt" in attempt:
                spell = (share_of(job), job.vcpus, attempt["startedAt"] / 1000, attempt["stoppedAt"] / 1000)
                history.setdefault(job.queue_arn, []).append(spell)


def _decayed(vcpus: float, start: float, stop: float, now: float, span: float) -> float:
    """The vCPU-time of [start, stop] inside the window, each instant weighed 1 - age/span, over span/2."""
    start, stop = max(start, now - span), min(stop, now)
    if stop <= start:
        return 0.0
    weighed = (stop - start) - ((now - start) ** 2 - (now - stop) ** 2) / (2 * span)
    return vcpus * weighed / (span / 2)


def active_units(scope: Scope, queue: JobQueueRecord) -> list[JobRecord]:
    found = (scope.store.jobs.get(job_id) for job_id in scope.runtime.attempts)
    return [j for j in found if j is not None and j.queue_arn == queue.arn and j.description["status"] in ACTIVE]


def usage(scope: Scope, queue: JobQueueRecord, policy: dict[str, Any]) -> dict[str, float]:
    """Share identifier -> vCPUs running now + decayed average vCPUs over the window."""
    now, span = scope.service.clock.now(), window(policy)
    result: dict[str, float] = {}
    for job in active_units(scope, queue):
        attempt = scope.runtime.attempts.get(job.job_id)
        started = attempt.started if attempt is not None else now
        share = share_of(job)
        result[share] = result.get(share, 0.0) + job.vcpus + _decayed(job.vcpus, started, now, now, span)
    spells = scope.runtime.history.get(queue.arn)
    if spells:
        spells[:] = [s for s in spells if s[3] >= now - MAX_WINDOW]
        for share, vcpus, start, stop in spells:
            if stop >= now - span:
                result[share] = result.get(share, 0.0) + _decayed(vcpus, start, stop, now, span)
    return result


def active_shares(scope: Scope, queue: JobQueueRecord, policy: dict[str, Any]) -> set[str]:
    """The share identifiers with a job not yet ended in the queue, or an attempt ended inside the window."""
    store, runtime = scope.store, scope.runtime
    shares = {share_of(j) for j in active_units(scope, queue)}
    for job_id in runtime.runnable.get(queue.arn, {}):
        job = store.jobs.get(job_id)
        if job is not None:
            shares.add(share_of(job))
    for waiting in runtime.dependents.values():
        for job_id in waiting:
            job = store.jobs.get(job_id)
            if job is not None and job.queue_arn == queue.arn and job.description["status"] not in TERMINAL:
                shares.add(share_of(job))
    since = scope.service.clock.now() - window(policy)
    shares.update(s[0] for s in runtime.history.get(queue.arn, []) if s[3] >= since)
    shares.discard("")
    return shares


def reserved_limit(scope: Scope, queue: JobQueueRecord, policy: dict[str, Any], environments: list[ComputeEnvironmentRecord]) -> float | None:
    """The vCPUs the queue's active shares may use together (None: no computeReservation)."""
    reservation = policy.get("computeReservation") or 0
    if reservation <= 0:
        return None
    ratio = (reservation / 100) ** len(active_shares(scope, queue, policy))
    return (1 - ratio) * sum(lookup.capacity(e)[0] for e in environments)


# -- the order of service ---------------------------------------------------------------------


class ShareOrder:
    """The RUNNABLE jobs of a fair-share queue in the order the scheduler takes them: the share
    whose usage times weight is lowest, then its highest schedulingPriority, then FIFO."""

    def __init__(self, scope: Scope, queue: JobQueueRecord, policy: dict[str, Any]) -> None:
        waiting = scope.runtime.runnable.get(queue.arn, {})
        self.shares: dict[str, list[JobRecord]] = {}
        for job_id in list(waiting):
            job = scope.store.jobs.get(job_id)
            if job is None:
                waiting.pop(job_id, None)
                continue
            self.shares.setdefault(share_of(job), []).append(job)
        for jobs in self.shares.values():
            jobs.sort(key=lambda j: (-int(j.description.get("schedulingPriority") or 0), j.seq))
        self.usage = usage(scope, queue, policy)
        self.weights = {share: share_weight(policy, share) for share in self.shares}

    def peek(self) -> JobRecord | None:
        if not self.shares:
            return None
        share = min(self.shares, key=lambda s: (self.usage.get(s, 0.0) * self.weights[s], self.shares[s][0].seq))
        return self.shares[share][0]

    def take(self, job: JobRecord, placed: bool) -> None:
        """The job leaves the order (placed: its vCPUs count towards its share's usage)."""
        share = share_of(job)
        jobs = self.shares[share]
        jobs.remove(job)
        if not jobs:
            del self.shares[share]
        if placed:
            self.usage[share] = self.usage.get(share, 0.0) + job.vcpus

    def first(self, count: int) -> list[JobRecord]:
        """The next `count` jobs, as if each were placed (this consumes the order)."""
        found: list[JobRecord] = []
        while len(found) < count and (job := self.peek()) is not None:
            found.append(job)
            self.take(job, placed=True)
        return found
