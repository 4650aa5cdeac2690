"""What Batch keeps: plain records of compute environments, job queues, job definitions,
scheduling policies and jobs.

Records hold values and ids only (times as epoch milliseconds, as AWS answers them; a job's
deadlines as fields), so a store can be snapshotted and restored; the scheduler's timers and
the executors' processes are runtime, rebuilt from the records (service.py, scheduler.py).
Each record keeps the AWS-shaped description it answers with in `description` where that is
simplest, beside the fields the scheduler reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from services.core.records import from_jsonable, to_jsonable


@dataclass(eq=False)
class ComputeEnvironmentRecord:
    name: str
    arn: str
    description: dict[str, Any]  # DescribeComputeEnvironments' entry (state, status, computeResources...)
    tags: dict[str, str] = field(default_factory=dict)
    settles_at: float | None = None  # service time (s) a CREATING/UPDATING/DELETING status settles (lifecycle.py)


@dataclass(eq=False)
class JobQueueRecord:
    name: str
    arn: str
    description: dict[str, Any]  # DescribeJobQueues' entry (state, status, priority, computeEnvironmentOrder...)
    tags: dict[str, str] = field(default_factory=dict)
    settles_at: float | None = None  # service time (s) a CREATING/UPDATING/DELETING status settles (lifecycle.py)


@dataclass(eq=False)
class JobDefinitionRecord:
    name: str
    revision: int
    arn: str  # arn:aws:batch:<region>:<account>:job-definition/<name>:<revision>
    description: dict[str, Any]  # DescribeJobDefinitions' entry (status ACTIVE | INACTIVE, type, containerProperties...)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class SchedulingPolicyRecord:
    name: str
    arn: str
    description: dict[str, Any]  # DescribeSchedulingPolicies' entry (fairsharePolicy...)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class JobRecord:
    job_id: str  # array children: "<parent id>:<index>"; nodes: "<parent id>#<index>"
    arn: str
    queue_arn: str
    definition_arn: str
    description: dict[str, Any]  # DescribeJobs' entry as it stands (status, attempts, container, timestamps...)
    tags: dict[str, str] = field(default_factory=dict)
    deadline: float | None = None  # service time (s) the running attempt times out (timeout.attemptDurationSeconds)
    kind: str = "job"  # job | array (a parent) | child (of an array) | multinode (a parent) | node (of a multinode job)
    parent_id: str | None = None  # an array child's or a node's parent
    depends: list[str] = field(default_factory=list)  # job ids that must succeed before this one runs
    vcpus: float = 1.0  # what placing it takes from a compute environment (a multinode job: all its nodes)
    memory: int = 2048  # MiB
    seq: int = 0  # submission order in the store (FIFO within a queue)
    runnable_at: float | None = None  # service time it last became RUNNABLE
    runnable_deadline: float | None = None  # service time a jobStateTimeLimitAction cancels it if still RUNNABLE
    environment_arn: str | None = None  # the compute environment it runs on (STARTING/RUNNING)
    stop_reason: str | None = None  # why the running attempt is being stopped (TerminateJob, timeout)
    stop_kind: str | None = None  # "terminate" | "timeout"
    cancel_reason: str | None = None  # CancelJob of a PENDING job: it is cancelled with this reason once its dependencies end


@dataclass
class BatchStore:
    compute_environments: dict[str, ComputeEnvironmentRecord] = field(default_factory=dict)  # by ARN
    job_queues: dict[str, JobQueueRecord] = field(default_factory=dict)  # by ARN
    job_definitions: dict[str, JobDefinitionRecord] = field(default_factory=dict)  # by ARN (name:revision)
    next_revision: dict[str, int] = field(default_factory=dict)  # definition name -> its next revision (never reused)
    scheduling_policies: dict[str, SchedulingPolicyRecord] = field(default_factory=dict)  # by ARN
    jobs: dict[str, JobRecord] = field(default_factory=dict)  # by job id, in submission order


def _plain(record: Any) -> dict[str, Any]:
    return {f.name: to_jsonable(getattr(record, f.name)) for f in fields(record)}


_TABLES: Mapping[str, tuple[type, str]] = MappingProxyType({
    "compute_environments": (ComputeEnvironmentRecord, "arn"),
    "job_queues": (JobQueueRecord, "arn"),
    "job_definitions": (JobDefinitionRecord, "arn"),
    "scheduling_policies": (SchedulingPolicyRecord, "arn"),
    "jobs": (JobRecord, "job_id"),
})


def dump_store(store: BatchStore) -> dict[str, Any]:
    data: dict[str, Any] = {name: [_plain(r) for r in getattr(store, name).values()] for name in _TABLES}
    data["next_revision"] = dict(store.next_revision)
    return data


def load_store(data: dict[str, Any]) -> BatchStore:
    data = from_jsonable(data)
    store = BatchStore(next_revision=dict(data.get("next_revision", {})))
    for name, (kind, key) in _TABLES.items():
        table = getattr(store, name)
        for raw in data.get(name, []):
            record = kind(**raw)
            table[getattr(record, key)] = record
    return store
