"""The Batch emulator over Batch's REST-JSON protocol. Operations not registered answer
NotImplemented (501) and are listed as such in docs/coverage.md."""

from __future__ import annotations

from services.batch.service import BatchService, create, operations

# the resource operations register their handlers on import
from services.batch import (  # noqa: E402,F401  isort: skip
    compute_environments,
    job_definitions,
    job_queues,
    scheduling_policies,
    tags,
)
from services.batch import job_control, job_queries, jobs  # noqa: E402,F401  isort: skip  (job operations)

__all__ = ["BatchService", "create", "operations"]
