"""A look at a queue's messages without touching them, in the shape ReceiveMessage returns.

The inspector behind `GET /_stepstack/sqs/peek?QueueUrl=...` and LocalStack's
`/_aws/sqs/messages` (server/sqs_peek.py): every message that a receive would
return now, in the order it would return them, with every system and message
attribute, while receive counts, receive timestamps and visibility stay as they
are. `ShowInvisible` adds the messages in flight (and, on FIFO queues, the
visible messages of groups locked by them), `ShowDelayed` the delayed ones;
each then carries `IsVisible` / `IsDelayed` among its attributes, as
LocalStack's endpoint does.

Where it differs from what the next receive would see: a message past its
retention is left out, but one due for its dead-letter queue is still shown
here (the receive moves it). Receipt handles are a placeholder that names no
receive, so nothing seen here can delete a message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, zip_longest
from typing import TYPE_CHECKING, Any

from services.core.context import Result
from services.sqs.errors import InvalidAddress, QueueDoesNotExist
from services.sqs.message_ops import _received
from services.sqs.records import MessageRecord
from services.sqs.store import NO_QUEUE, split_queue_url

if TYPE_CHECKING:
    from services.sqs.queue import Queue
    from services.sqs.service import SqsService

PEEK_RECEIPT_HANDLE = "SQS/BACKDOOR/ACCESS"  # LocalStack's placeholder; no valid handle decodes to it
_ALL = frozenset({"All"})
_ALL_NAMES = ("All",)


def flag(value: str | None) -> bool:
    return value is not None and value.lower() in ("true", "1")


def inspect_peek(service: SqsService, query: dict[str, str]) -> dict[str, Any]:
    """The view for `QueueUrl` (its account, else `Account`; the store of `Region`):
    `{"Messages": [...]}`, each message as ReceiveMessage returns it."""
    url = query.get("QueueUrl")
    if not url:
        raise QueueDoesNotExist(NO_QUEUE)
    account, name = split_queue_url(url)
    account = account or query.get("Account")
    if not account or not name:
        raise InvalidAddress(f"The address {url} is not valid for this endpoint.")
    store = service.stores.find(account, query["Region"])
    record = store.queues.get(name) if store is not None else None
    queue = service.queue_by_arn(record.arn) if record is not None else None
    if queue is None:
        raise QueueDoesNotExist(NO_QUEUE)
    return {"Messages": peek(queue, invisible=flag(query.get("ShowInvisible")), delayed=flag(query.get("ShowDelayed")))}


def peek(queue: Queue, *, invisible: bool = False, delayed: bool = False) -> list[Result]:
    """Visible messages in receive order; then, if asked, in-flight and delayed ones (enqueue order)."""
    expired_before = queue.clock.now() - queue.int_attribute("MessageRetentionPeriod")
    shown: Iterable[MessageRecord] = _receive_order(queue)
    if invisible:
        shown = chain(_invisible(queue), shown)
    if delayed:
        shown = chain(shown, (m for m in queue.messages.values() if m.state == "delayed"))
    out = []
    for message in shown:
        if message.sent_at <= expired_before:
            continue
        result = _received(queue, message, "", _ALL, _ALL_NAMES)
        result["ReceiptHandle"] = PEEK_RECEIPT_HANDLE
        extra = result.setdefault("Attributes", {})
        if invisible:
            extra["IsVisible"] = "true" if message.state == "visible" else "false"
        if delayed:
            extra["IsDelayed"] = "true" if message.state == "delayed" else "false"
        out.append(result)
    return out


def _visible(messages: Iterable[MessageRecord]) -> list[MessageRecord]:
    seen: set[str] = set()
    kept = []
    for message in messages:  # a group's deque may still hold messages that left it
        if message.state == "visible" and message.message_id not in seen:
            seen.add(message.message_id)
            kept.append(message)
    return kept


def _receive_order(queue: Queue) -> Iterator[MessageRecord]:
    """What successive receives would take: FIFO a ready group whole, then the next;
    standard one message per ready group in turn (Queue.take's round robin)."""
    groups = [_visible(queue.groups.get(key, ())) for key in queue.ready]
    if queue.fifo:
        return chain.from_iterable(groups)
    return (m for row in zip_longest(*groups) for m in row if m is not None)


def _invisible(queue: Queue) -> list[MessageRecord]:
    """In-flight messages and, FIFO, the visible messages their groups hold back."""
    held = [m for m in queue.messages.values() if m.state == "inflight"]
    if queue.fifo:
        locked = [key for key in queue.groups if key not in queue.ready]
        held.extend(m for key in locked for m in _visible(queue.groups[key]))
        held.sort(key=lambda m: m.order)
    return held
