"""The Batch service of one application: its stores of records, and the runtime beside them
(the scheduler's timers and the running jobs' processes, scheduler.py)."""

from __future__ import annotations

from typing import Any

from services.batch.records import BatchStore, dump_store, load_store
from services.core.service import Operations, Service, ServiceEnv

operations = Operations("batch")


class BatchService(Service[BatchStore]):
    def __init__(self, env: ServiceEnv) -> None:
        super().__init__(env, operations, BatchStore)
        self.runtime: dict[str, Any] = {}  # job id -> its running attempt (process, timers); scheduler.py owns it

    def snapshot(self) -> Any:
        return self.dump_stores(dump_store)

    def restore(self, snapshot: Any) -> None:
        self.load_stores(snapshot, load_store)


def create(env: ServiceEnv) -> BatchService:
    return BatchService(env)
