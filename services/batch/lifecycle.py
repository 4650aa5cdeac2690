"""Status lifecycles of compute environments and job queues, on the service clock.

Create answers with CREATING, Update with UPDATING, Delete with DELETING; each settles
`transition_seconds` later (0 by default, so a Describe right after a Create shows VALID):
CREATING/UPDATING -> VALID, DELETING -> DELETED, and a DELETED record leaves the store.
The due time is the record's `settles_at`; a timer settles it and kicks the scheduler, and
every lookup settles a due record first, so the answer never depends on the timer having run.
Timers are runtime: `rearm` re-derives them after a restore.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union

from services.batch import scheduler
from services.batch.records import BatchStore, ComputeEnvironmentRecord, JobQueueRecord

if TYPE_CHECKING:
    from services.batch.service import BatchService
    from services.core.context import RequestContext

Settling = Union[ComputeEnvironmentRecord, JobQueueRecord]

HEALTHY = MappingProxyType({ComputeEnvironmentRecord: "ComputeEnvironment Healthy", JobQueueRecord: "JobQueue Healthy"})


def transition_seconds(service: BatchService) -> float:
    return float(service.env.options.get("batch_transition_seconds", 0.0))


def _table(store: BatchStore, record: Settling) -> dict[str, Any]:
    return store.compute_environments if isinstance(record, ComputeEnvironmentRecord) else store.job_queues


def begin(ctx: RequestContext[BatchStore], record: Settling, status: str) -> None:
    """Put the record in a transitional status and arm the timer that settles it."""
    service: BatchService = ctx.service  # type: ignore[assignment]
    record.description["status"] = status
    record.settles_at = ctx.clock.now() + transition_seconds(service)
    arm(service, ctx.account_id, ctx.region, record)


def arm(service: BatchService, account: str, region: str, record: Settling) -> None:
    if record.settles_at is None:
        return
    arn, kind = record.arn, type(record)

    def fire() -> None:
        store = service.stores.find(account, region)
        if store is None:
            return
        current = (store.compute_environments if kind is ComputeEnvironmentRecord else store.job_queues).get(arn)
        if current is not None and _settle(store, current, service.clock.now()):
            scheduler.kick(service, account, region)

    service.clock.call_at(record.settles_at, fire)


def _settle(store: BatchStore, record: Settling, now: float) -> bool:
    """Settle a due record; True when it changed."""
    if record.settles_at is None or now < record.settles_at:
        return False
    record.settles_at = None
    status = record.description.get("status")
    if status == "DELETING":
        record.description["status"] = "DELETED"
        _table(store, record).pop(record.arn, None)
    elif status in ("CREATING", "UPDATING"):
        record.description["status"] = "VALID"
        record.description["statusReason"] = HEALTHY[type(record)]
    return True


def settle(ctx: RequestContext[BatchStore], record: Settling) -> None:
    """Settle one record now if it is due (lookups call this before answering)."""
    _settle(ctx.store, record, ctx.clock.now())


def settle_all(ctx: RequestContext[BatchStore]) -> None:
    """Settle every due environment and queue of the request's store (Describe calls this)."""
    now = ctx.clock.now()
    for table in (ctx.store.compute_environments, ctx.store.job_queues):
        for record in list(table.values()):
            _settle(ctx.store, record, now)


def rearm(service: BatchService) -> None:
    """After a restore: one timer per record still in transition."""
    for (account, region), store in service.stores.items():
        for table in (store.compute_environments, store.job_queues):
            for record in table.values():
                arm(service, account, region, record)
