"""The Batch service of one application: its stores of records, and the runtime beside them
(the scheduler's timers and the running jobs' processes, scheduler.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.batch.records import BatchStore, dump_store, load_store
from services.core.service import Operations, Service, ServiceEnv

if TYPE_CHECKING:
    from services.batch.executors import ManagedExecutor

operations = Operations("batch")


class BatchService(Service[BatchStore]):
    def __init__(self, env: ServiceEnv) -> None:
        super().__init__(env, operations, BatchStore)
        self.runtime: dict[Any, Any] = {}  # (account, region) -> job_state.StoreRuntime (attempts, timers); scheduler.py owns it
        self._executor: ManagedExecutor | None = None
        self.inspectors["scheduler"] = self._inspect_scheduler
        if env.options.get("batch_executor") == "docker":
            self.executor  # noqa: B018 - made now, so a missing engine is logged at start

    @property
    def executor(self) -> ManagedExecutor:
        """What runs job attempts (executors.py), made on first use."""
        if self._executor is None:
            from services.batch.executors import make_executor

            options = self.env.options
            self._executor = make_executor(options.get("batch_executor", "process"), self.env.dispatcher, self.clock, options)
        return self._executor

    def release(self) -> None:
        """Reset or shutdown: stop every running job's process (their tasks are cancelled next)."""
        super().release()
        if self._executor is not None:
            self._executor.terminate_all("stepstack reset or shut down", grace=1.0)

    def _inspect_scheduler(self, query: dict[str, str]) -> Any:
        from services.batch import scheduler

        return scheduler.inspect(self, query)

    def snapshot(self) -> Any:
        return self.dump_stores(dump_store)

    def restore(self, snapshot: Any) -> None:
        self.load_stores(snapshot, load_store)
        from services.batch import lifecycle

        lifecycle.rearm(self)  # the status transitions' timers (compute environments, job queues)
        from services.batch import scheduler

        scheduler.restore(self)  # the jobs' runtime: queues, dependencies, timers; lost attempts fail

    async def reset(self) -> None:
        await super().reset()
        self.runtime.clear()


def create(env: ServiceEnv) -> BatchService:
    return BatchService(env)
