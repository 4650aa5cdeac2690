"""The Batch scheduler (stub: the jobs engineer fills it in).

`kick` is called whenever something the scheduler depends on changes (a compute environment
or job queue created, updated, enabled, disabled or deleted; a job submitted or ended), so it
can move jobs on. Until jobs exist it does nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.batch.service import BatchService


def kick(service: BatchService, account: str, region: str) -> None:
    """Re-examine the queues of one account and region (cheap when nothing can move)."""
