"""The SQS service of one application: its stores of records and the queues' runtime."""

from __future__ import annotations

from typing import Any

from services.core.errors import AwsError
from services.core.service import Operations, Service, ServiceEnv
from services.sqs.queue import Queue
from services.sqs.records import QueueRecord, SqsStore, dump_store, load_store

operations = Operations("sqs")


class QueueNotFound(AwsError):
    """The inspection endpoint's answer for an unknown queue (not an SQS wire error: 404)."""

    code, status, sender_fault = "QueueDoesNotExist", 404, True


class SqsService(Service[SqsStore]):
    """SQS in one application. Records: the stores. Runtime: one Queue per live queue (its
    timers, long polls and delivery order) and the timers of running move tasks."""

    def __init__(self, env: ServiceEnv) -> None:
        super().__init__(env, operations, SqsStore)
        self.runtimes: dict[str, Queue] = {}  # queue ARN -> its runtime
        self.move_timers: dict[str, Any] = {}  # task handle -> the timer of its next step
        self.inspectors["messages"] = self._inspect_messages
        self.inspectors["peek"] = self._inspect_peek

    def open_queue(self, record: QueueRecord) -> Queue:
        realism = float(self.env.options.get("sqs_realism", 0.0))
        queue = Queue(record, self.env.clock, self.env.ids, self.env.events, self.queue_by_arn, realism)
        self.runtimes[record.arn] = queue
        return queue

    def close_queue(self, queue: Queue) -> None:
        queue.close()
        self.runtimes.pop(queue.arn, None)

    def queue_by_arn(self, arn: str) -> Queue | None:
        queue = self.runtimes.get(arn)
        return queue if queue is not None and not queue.deleted else None

    def closing(self) -> bool:
        return self.env.dispatcher.closing

    # -- lifecycle --------------------------------------------------------------------

    def release(self) -> None:
        for queue in self.runtimes.values():
            queue.waiters.wake_all()

    def _stop_runtime(self) -> None:
        for queue in self.runtimes.values():
            queue.stop()
        self.runtimes.clear()
        for timer in self.move_timers.values():
            timer.cancel()
        self.move_timers.clear()

    async def reset(self) -> None:
        self._stop_runtime()
        await super().reset()

    def snapshot(self) -> Any:
        return self.dump_stores(dump_store)

    def restore(self, snapshot: Any) -> None:
        from services.sqs.move_tasks import arm_move_task

        self._stop_runtime()
        self.load_stores(snapshot, load_store)
        for _, store in self.stores.items():
            for record in store.queues.values():
                self.open_queue(record)
        for _, store in self.stores.items():
            for task in store.move_tasks.values():
                arm_move_task(self, task)

    # -- inspection -------------------------------------------------------------------

    def _inspect_messages(self, query: dict[str, str]) -> dict[str, Any]:
        from services.sqs.errors import MissingParameter
        from services.sqs.store import split_queue_url

        url = query.get("QueueUrl")
        if not url:
            raise MissingParameter("The request must contain the parameter QueueUrl.")
        account, name = split_queue_url(url)
        store = self.stores.find(account or query["Account"], query["Region"])
        record = store.queues.get(name) if store is not None else None
        queue = self.queue_by_arn(record.arn) if record is not None else None
        if queue is None:
            raise QueueNotFound("The specified queue does not exist.")
        shown: dict[str, Any] = {"QueueUrl": url, "QueueArn": queue.arn, "LongPolls": len(queue.waiters)}
        rate = queue.realism_rate()
        if rate or queue.realism is not None:
            made = queue.realism
            shown["Realism"] = {
                "Rate": rate,
                "ShuffledReceives": made.reordered if made else 0,
                "DuplicateDeliveries": made.duplicates if made else 0,
            }
        shown["Messages"] = queue.inspect()
        return shown

    def _inspect_peek(self, query: dict[str, str]) -> dict[str, Any]:
        """The messages as ReceiveMessage returns them, untouched (services/sqs/peek.py)."""
        from services.sqs.peek import inspect_peek

        return inspect_peek(self, query)


def create(env: ServiceEnv) -> SqsService:
    return SqsService(env)
