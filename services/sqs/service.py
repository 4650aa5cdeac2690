"""The SQS handler registry, its state and the directory that finds queues."""

from __future__ import annotations

from services.core.handlers import ServiceHandlers
from services.sqs.store import QueueDirectory, SqsStore

handlers: ServiceHandlers[SqsStore] = ServiceHandlers("sqs", SqsStore)
directory = QueueDirectory(handlers.stores)  # type: ignore[arg-type]


@handlers.on_reset
def close_all_queues() -> None:
    """Release every long poll and timer before the state is dropped."""
    for _, store in handlers.stores.items():  # type: ignore[union-attr]
        for queue in store.queues.values():
            queue.close()
        for task in store.move_tasks.values():
            task.stop()
