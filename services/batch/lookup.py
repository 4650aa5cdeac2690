"""Finding Batch resources by the names and ARNs requests give, with AWS's wording when one
is missing, and reading a compute environment's capacity (the scheduler uses these)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.batch import lifecycle
from services.batch.errors import ClientException
from services.batch.records import (
    BatchStore,
    ComputeEnvironmentRecord,
    JobDefinitionRecord,
    JobQueueRecord,
    SchedulingPolicyRecord,
)
from services.core.arns import build_arn
from services.core.context import RequestContext

if TYPE_CHECKING:
    from services.batch.service import BatchService

Ctx = RequestContext[BatchStore]

# An UNMANAGED environment without unmanagedvCpus: the capacity the scheduler assumes (AWS
# leaves it to the instances you register; locally there are none to count).
UNMANAGED_DEFAULT_VCPUS = 256.0


def batch_of(ctx: Ctx) -> BatchService:
    return ctx.service  # type: ignore[return-value]


def batch_arn(ctx: Ctx, kind: str, name: str) -> str:
    """arn:aws:batch:<region>:<account>:<kind>/<name>"""
    return build_arn("batch", ctx.region, ctx.account_id, f"{kind}/{name}")


def _by_ref(ctx: Ctx, table: dict, kind: str, ref: str):  # type: ignore[no-untyped-def]
    record = table.get(ref) if ref.startswith("arn:") else table.get(batch_arn(ctx, kind, ref))
    if record is not None:
        lifecycle.settle(ctx, record)
        if record.arn not in table:  # it has just finished deleting
            return None
    return record


def find_compute_environment(ctx: Ctx, ref: str) -> ComputeEnvironmentRecord | None:
    return _by_ref(ctx, ctx.store.compute_environments, "compute-environment", ref)


def find_queue(ctx: Ctx, ref: str) -> JobQueueRecord | None:
    return _by_ref(ctx, ctx.store.job_queues, "job-queue", ref)


def queue_by_ref(ctx: Ctx, name_or_arn: str) -> JobQueueRecord:
    """A job queue by name or ARN; AWS answers `JobQueue <ref> not found.` for a missing one."""
    queue = find_queue(ctx, name_or_arn)
    if queue is None:
        raise ClientException(f"JobQueue {name_or_arn} not found.")
    return queue


def compute_environment_by_ref(ctx: Ctx, ref: str) -> ComputeEnvironmentRecord:
    environment = find_compute_environment(ctx, ref)
    if environment is None:
        raise ClientException(f"ComputeEnvironment {ref} not found.")
    return environment


def policy_by_arn(ctx: Ctx, arn: str) -> SchedulingPolicyRecord:
    policy = ctx.store.scheduling_policies.get(arn)
    if policy is None:
        raise ClientException(f"SchedulingPolicy {arn} not found.")
    return policy


def latest_active(store: BatchStore, name: str) -> JobDefinitionRecord | None:
    """The highest ACTIVE revision of a definition name."""
    best: JobDefinitionRecord | None = None
    for record in store.job_definitions.values():
        if record.name == name and record.description.get("status") == "ACTIVE":
            if best is None or record.revision > best.revision:
                best = record
    return best


def definition_by_ref(ctx: Ctx, ref: str) -> JobDefinitionRecord:
    """A job definition to submit with: a name (its latest ACTIVE revision), name:revision or
    an ARN (with or without :revision), in AWS's words when there is none or it is INACTIVE."""
    store = ctx.store
    if ref.startswith("arn:"):
        resource = ref.split(":", 5)[5] if ref.count(":") >= 5 else ""
        name_rev = resource.removeprefix("job-definition/")
        if ":" not in name_rev:
            record = latest_active(store, name_rev) if resource.startswith("job-definition/") else None
            if record is None:
                raise ClientException(f"JobDefinition {ref} not found.")
            return record
        record = store.job_definitions.get(ref)
        if record is None:
            raise ClientException(f"JobDefinition {ref} not found.")
    elif ":" in ref:
        record = store.job_definitions.get(batch_arn(ctx, "job-definition", ref))
        if record is None:
            raise ClientException(f"JobDefinition {ref} not found.")
    else:
        record = latest_active(store, ref)
        if record is None:
            raise ClientException(f"JobDefinition name {ref} does not exist or is not in ACTIVE status")
        return record
    if record.description.get("status") != "ACTIVE":
        raise ClientException(f"JobDefinition {record.arn} is not in ACTIVE status")
    return record


def queue_environments(store: BatchStore, queue: JobQueueRecord) -> list[ComputeEnvironmentRecord]:
    """The queue's compute environments that still exist, in computeEnvironmentOrder."""
    order = sorted(queue.description.get("computeEnvironmentOrder", []), key=lambda entry: entry["order"])
    found = (store.compute_environments.get(entry["computeEnvironment"]) for entry in order)
    return [environment for environment in found if environment is not None]


def capacity(environment: ComputeEnvironmentRecord) -> tuple[float, int | None]:
    """(vCPUs, memory in MiB or None when unbounded) the environment can run at once: a managed
    one's maxvCpus; an UNMANAGED one's unmanagedvCpus, or UNMANAGED_DEFAULT_VCPUS without it."""
    description = environment.description
    if description.get("type") == "UNMANAGED":
        vcpus = description.get("unmanagedvCpus")
        return (float(vcpus) if vcpus else UNMANAGED_DEFAULT_VCPUS), None
    resources = description.get("computeResources") or {}
    return float(resources.get("maxvCpus", 0)), None


def usable(record: ComputeEnvironmentRecord | JobQueueRecord) -> bool:
    """Whether jobs can be placed through it: status VALID and state ENABLED."""
    return record.description.get("status") == "VALID" and record.description.get("state") == "ENABLED"
