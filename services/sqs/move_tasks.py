"""Message move tasks: redrive a dead-letter queue back to its sources or elsewhere.

A task moves up to MaxNumberOfMessagesPerSecond visible messages per second of
service time (500 when the caller leaves it to the system), so a test can
fast-forward through a redrive. Messages go to the queue they died in
(DeadLetterQueueSourceArn) unless a DestinationArn is given. A task is a record
in the store of its source queue's account and region; its next step is a
timer at `next_step_at`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING

from services.core.context import Params, RequestContext, Result
from services.sqs.errors import InvalidParameterValue, ResourceNotFoundException, UnsupportedOperation
from services.sqs.queue import Queue
from services.sqs.queue_ops import dead_letter_target
from services.sqs.records import MessageRecord, MoveTaskRecord, SqsStore
from services.sqs.service import operations
from services.sqs.store import queue_by_arn, sqs_of

if TYPE_CHECKING:
    from services.sqs.service import SqsService

Ctx = RequestContext[SqsStore]
SYSTEM_RATE = 500


def arm_move_task(sqs: SqsService, task: MoveTaskRecord) -> None:
    """Schedule the task's next step (after a start, a step, or a restore)."""
    if task.status == "RUNNING" and task.next_step_at is not None:
        sqs.move_timers[task.handle] = sqs.clock.call_at(task.next_step_at, lambda: step(sqs, task))


def step(sqs: SqsService, task: MoveTaskRecord) -> None:
    """Move one second's worth of messages, then schedule the next second."""
    sqs.move_timers.pop(task.handle, None)
    task.next_step_at = None
    if task.status != "RUNNING":
        return
    source = sqs.queue_by_arn(task.source_arn)
    if source is None:
        task.status, task.failure = "FAILED", "AWS.SimpleQueueService.NonExistentQueue"
        return
    budget = task.rate or SYSTEM_RATE
    while budget and task.moved < task.to_move:
        message = _next_visible(source)
        if message is None:
            break
        target = sqs.queue_by_arn(task.destination_arn or message.dead_letter_source_arn or "")
        if target is None:
            task.status, task.failure = "FAILED", "AWS.SimpleQueueService.NonExistentQueue"
            return
        source.remove(message)
        target.enqueue(message.moved(sqs.clock.now()), 0)
        task.moved += 1
        budget -= 1
    if task.moved >= task.to_move or source.counts["visible"] == 0:
        task.status = "COMPLETED"
        return
    task.next_step_at = sqs.clock.now() + 1.0
    arm_move_task(sqs, task)


def _next_visible(queue: Queue) -> MessageRecord | None:
    for message in queue.messages.values():
        if message.state == "visible":
            return message
    return None


def describe(task: MoveTaskRecord) -> Result:
    out: Result = {
        "Status": task.status,
        "SourceArn": task.source_arn,
        "ApproximateNumberOfMessagesMoved": task.moved,
        "ApproximateNumberOfMessagesToMove": task.to_move,
        "StartedTimestamp": int(task.started_at * 1000),
    }
    if task.status == "RUNNING":
        out["TaskHandle"] = task.handle
    if task.destination_arn:
        out["DestinationArn"] = task.destination_arn
    if task.rate is not None:
        out["MaxNumberOfMessagesPerSecond"] = task.rate
    if task.failure:
        out["FailureReason"] = task.failure
    return out


def _is_dead_letter_queue(ctx: Ctx, queue: Queue) -> bool:
    store = ctx.store_at(queue.account, queue.region)
    return any(dead_letter_target(q) == queue.arn for q in store.queues.values())


def _tasks_of(ctx: Ctx, source: Queue) -> list[MoveTaskRecord]:
    tasks = ctx.store_at(source.account, source.region).move_tasks.values()
    return sorted((t for t in tasks if t.source_arn == source.arn), key=lambda t: -t.started_at)


@operations.operation("StartMessageMoveTask")
async def start_message_move_task(ctx: Ctx, req: Params) -> Result:
    source = queue_by_arn(ctx, req["SourceArn"])
    if source is None:
        raise ResourceNotFoundException("The resource that you specified for the SourceArn parameter doesn't exist.")
    if not _is_dead_letter_queue(ctx, source):
        raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
    destination = req.get("DestinationArn")
    if destination is not None and queue_by_arn(ctx, destination) is None:
        raise ResourceNotFoundException("The resource that you specified for the DestinationArn parameter doesn't exist.")
    rate = req.get("MaxNumberOfMessagesPerSecond")
    if rate is not None and not 1 <= rate <= 500:
        raise InvalidParameterValue(f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.")
    if any(t.status == "RUNNING" for t in _tasks_of(ctx, source)):
        # AWS's recorded answer: InvalidParameterValue, not UnsupportedOperation
        raise InvalidParameterValue("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
    token = json.dumps({"taskId": ctx.ids.uuid(), "sourceArn": source.arn}, separators=(",", ":"))
    handle = base64.b64encode(token.encode()).decode()
    task = MoveTaskRecord(handle, source.arn, destination, rate, source.counts["visible"], ctx.clock.now())
    ctx.store_at(source.account, source.region).move_tasks[handle] = task
    step(sqs_of(ctx), task)
    return {"TaskHandle": handle}


def _task_by_handle(ctx: Ctx, handle: str) -> MoveTaskRecord:
    """The task a handle names; AWS's recorded answers for a malformed handle, an unknown source
    queue and an unknown task."""
    try:
        token = json.loads(base64.b64decode(handle, validate=True))
        source_arn, task_id = token["sourceArn"], token["taskId"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise InvalidParameterValue("Value for parameter TaskHandle is invalid.") from None
    if not isinstance(source_arn, str) or not isinstance(task_id, str):
        raise InvalidParameterValue("Value for parameter TaskHandle is invalid.")
    source = queue_by_arn(ctx, source_arn)
    if source is None:
        raise ResourceNotFoundException("The resource that you specified for the SourceArn parameter doesn't exist.")
    task = ctx.store_at(source.account, source.region).move_tasks.get(handle)
    if task is None:
        raise ResourceNotFoundException("Task does not exist.")
    return task


@operations.operation("CancelMessageMoveTask")
async def cancel_message_move_task(ctx: Ctx, req: Params) -> Result:
    task = _task_by_handle(ctx, req["TaskHandle"])
    if task.status != "RUNNING":
        raise UnsupportedOperation(f"Only active tasks can be cancelled; this task is {task.status}.")
    timer = sqs_of(ctx).move_timers.pop(task.handle, None)
    if timer is not None:
        timer.cancel()
    task.status, task.next_step_at = "CANCELLED", None
    return {"ApproximateNumberOfMessagesMoved": task.moved}


@operations.operation("ListMessageMoveTasks")
async def list_message_move_tasks(ctx: Ctx, req: Params) -> Result:
    source = queue_by_arn(ctx, req["SourceArn"])
    if source is None:
        raise ResourceNotFoundException("The resource that you specified for the SourceArn parameter doesn't exist.")
    limit = req.get("MaxResults", 1)
    if not 1 <= limit <= 10:
        raise InvalidParameterValue(f"Value {limit} for parameter MaxResults is invalid. Reason: Must be between 1 and 10.")
    return {"Results": [describe(t) for t in _tasks_of(ctx, source)[:limit]]}
