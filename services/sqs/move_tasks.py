"""Message move tasks: redrive a dead-letter queue back to its sources or elsewhere.

A task moves up to MaxNumberOfMessagesPerSecond visible messages per second of
service time (500 when the caller leaves it to the system), so a test can
fast-forward through a redrive. Messages go to the queue they died in
(DeadLetterQueueSourceArn) unless a DestinationArn is given.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field


from services.core.clock import Timer
from services.core.context import Params, RequestContext, Result
from services.core.ids import new_uuid
from services.sqs.errors import InvalidParameterValue, ResourceNotFoundException, UnsupportedOperation
from services.sqs.messages import Message
from services.sqs.queue import Queue
from services.sqs.service import directory, handlers
from services.sqs.store import SqsStore

Ctx = RequestContext[SqsStore]
SYSTEM_RATE = 500


@dataclass(eq=False)
class MoveTask:
    handle: str
    source: Queue
    destination_arn: str | None
    rate: int | None
    to_move: int
    started_at: float
    status: str = "RUNNING"
    moved: int = 0
    failure: str | None = None
    timer: Timer | None = field(default=None, repr=False)

    def step(self) -> None:
        """Move one second's worth of messages, then schedule the next second."""
        self.timer = None
        if self.status != "RUNNING":
            return
        budget = self.rate or SYSTEM_RATE
        while budget and self.moved < self.to_move:
            message = self._next_visible()
            if message is None:
                break
            target_arn = self.destination_arn or message.dead_letter_source_arn or ""
            target = directory.by_arn(target_arn)
            if target is None:
                self.status, self.failure = "FAILED", "AWS.SimpleQueueService.NonExistentQueue"
                return
            self.source.remove(message)
            target.enqueue(message.moved(self.source.clock.now()), 0)
            self.moved += 1
            budget -= 1
        if self.moved >= self.to_move or self.source.counts["visible"] == 0:
            self.status = "COMPLETED"
            return
        self.timer = self.source.clock.call_later(1.0, self.step)

    def _next_visible(self) -> Message | None:
        for message in self.source.messages.values():
            if message.state == "visible":
                return message
        return None

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def describe(self) -> Result:
        out: Result = {
            "Status": self.status,
            "SourceArn": self.source.arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": int(self.started_at * 1000),
        }
        if self.status == "RUNNING":
            out["TaskHandle"] = self.handle
        if self.destination_arn:
            out["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            out["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            out["FailureReason"] = self.failure
        return out


def _is_dead_letter_queue(queue: Queue) -> bool:
    store = handlers.stores.get(queue.account, queue.region)  # type: ignore[union-attr]
    return any(
        (policy := q.redrive_policy) is not None and policy.get("deadLetterTargetArn") == queue.arn
        for q in store.queues.values()
    )


def _tasks_of(source_arn: str) -> list[MoveTask]:
    tasks = [t for _, store in handlers.stores.items() for t in store.move_tasks.values()]  # type: ignore[union-attr]
    return sorted((t for t in tasks if t.source.arn == source_arn), key=lambda t: -t.started_at)


@handlers.operation("StartMessageMoveTask")
async def start_message_move_task(ctx: Ctx, req: Params) -> Result:
    source = directory.by_arn(req["SourceArn"])
    if source is None:
        raise ResourceNotFoundException("The resource that you specified for the SourceArn parameter doesn't exist.")
    if not _is_dead_letter_queue(source):
        raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
    destination = req.get("DestinationArn")
    if destination is not None and directory.by_arn(destination) is None:
        raise ResourceNotFoundException("The resource that you specified for the DestinationArn parameter doesn't exist.")
    rate = req.get("MaxNumberOfMessagesPerSecond")
    if rate is not None and not 1 <= rate <= 500:
        raise InvalidParameterValue(f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.")
    if any(t.status == "RUNNING" for t in _tasks_of(source.arn)):
        raise UnsupportedOperation("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
    token = json.dumps({"taskId": new_uuid(), "sourceArn": source.arn}, separators=(",", ":"))
    handle = base64.b64encode(token.encode()).decode()
    task = MoveTask(handle, source, destination, rate, source.counts["visible"], ctx.clock.now())
    ctx.store.move_tasks[handle] = task
    task.step()
    return {"TaskHandle": handle}


@handlers.operation("CancelMessageMoveTask")
async def cancel_message_move_task(ctx: Ctx, req: Params) -> Result:
    handle = req["TaskHandle"]
    task = next((t for _, s in handlers.stores.items() for h, t in s.move_tasks.items() if h == handle), None)  # type: ignore[union-attr]
    if task is None:
        raise ResourceNotFoundException("Task does not exist.")
    if task.status != "RUNNING":
        raise UnsupportedOperation(f"Only active tasks can be cancelled; this task is {task.status}.")
    task.stop()
    task.status = "CANCELLED"
    return {"ApproximateNumberOfMessagesMoved": task.moved}


@handlers.operation("ListMessageMoveTasks")
async def list_message_move_tasks(ctx: Ctx, req: Params) -> Result:
    source = directory.by_arn(req["SourceArn"])
    if source is None:
        raise ResourceNotFoundException("The resource that you specified for the SourceArn parameter doesn't exist.")
    limit = req.get("MaxResults", 1)
    if not 1 <= limit <= 10:
        raise InvalidParameterValue(f"Value {limit} for parameter MaxResults is invalid. Reason: Must be between 1 and 10.")
    return {"Results": [t.describe() for t in _tasks_of(source.arn)[:limit]]}


