"""What SQS keeps: plain records of queues, messages, dedup entries and move tasks.

Records hold values and ids only (deadlines as fields: a message's `due_at` is
when its delay or its invisibility ends), so a store can be snapshotted and
restored; the timers and waiters built from them live in queue.py.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field, fields
from typing import Any

from services.core.deferred import DeferredText
from services.core.records import from_jsonable, to_jsonable

GroupKey = str | None


@dataclass(slots=True, eq=False)
class MessageRecord:
    message_id: str
    body: str | bytes | DeferredText  # bytes: zlib-compressed (a deep queue's large bodies; see queue.py)
    md5_body: str  # "" while the body is a deferred text nobody has read (md5())
    sent_at: float  # service time, epoch seconds
    sender_id: str
    attributes: dict[str, dict[str, Any]] | None = None  # message attributes (None: none, no empty dict per message)
    md5_attributes: str | None = None
    system_attributes: dict[str, dict[str, Any]] | None = None
    md5_system_attributes: str | None = None
    group_id: str | None = None
    dedup_id: str | None = None
    sequence_number: str | None = None
    dead_letter_source_arn: str | None = None
    receive_count: int = 0
    first_received_at: float | None = None
    received_at: float = 0.0  # start of the current receive (for the 12-hour cap)
    # where the message is: "new" | "delayed" | "visible" | "inflight" | "gone"
    state: str = "new"
    due_at: float | None = None  # delayed: when it becomes visible; in flight: when it reappears
    receipt_nonce: str = ""
    order: int = 0  # enqueue order (FIFO: sequence order within the group)
    visible_seq: int = 0  # when it (last) became visible: receive order of a standard queue

    def text(self) -> str:
        """The body as it was sent (a deferred one is made now, and kept)."""
        body = self.body
        if type(body) is str:
            return body
        if type(body) is DeferredText:
            self.body = made = body.text()
            return made
        return zlib.decompress(body).decode("utf-8")  # type: ignore[arg-type]

    def md5(self) -> str:
        if not self.md5_body:
            self.md5_body = hashlib.md5(self.text().encode("utf-8")).hexdigest()
        return self.md5_body

    def moved(self, sent_at: float, dead_letter_source_arn: str | None = None, keep_receives: bool = False) -> MessageRecord:
        """A copy of this message to enqueue elsewhere (dead-letter move, redrive)."""
        return MessageRecord(
            message_id=self.message_id,
            body=self.body,
            md5_body=self.md5_body,
            sent_at=sent_at,
            sender_id=self.sender_id,
            attributes=self.attributes,
            md5_attributes=self.md5_attributes,
            system_attributes=self.system_attributes,
            md5_system_attributes=self.md5_system_attributes,
            group_id=self.group_id,
            dedup_id=self.dedup_id,
            dead_letter_source_arn=dead_letter_source_arn,
            receive_count=self.receive_count if keep_receives else 0,
            first_received_at=self.first_received_at if keep_receives else None,
        )


@dataclass(slots=True)
class DedupRecord:
    """What a FIFO queue answers again for a duplicate within the 5-minute window."""

    expires_at: float
    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system_attributes: str | None
    sequence_number: str | None


@dataclass(slots=True)
class AttemptRecord:
    """A FIFO ReceiveRequestAttemptId: the messages (id, receipt nonce) it returned."""

    expires_at: float
    taken: list[list[str]]


@dataclass(eq=False)
class QueueRecord:
    name: str
    account: str
    region: str
    arn: str
    fifo: bool
    attributes: dict[str, str]
    tags: dict[str, str]
    created_at: float
    modified_at: float
    last_purge: float | None = None
    messages: dict[str, MessageRecord] = field(default_factory=dict)  # every live message, in enqueue order
    dedup: dict[str, DedupRecord] = field(default_factory=dict)  # dedup key -> entry, oldest first
    attempts: dict[str, AttemptRecord] = field(default_factory=dict)
    next_order: int = 1
    next_visible_seq: int = 1


@dataclass(eq=False)
class MoveTaskRecord:
    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: int
    started_at: float
    status: str = "RUNNING"
    moved: int = 0
    failure: str | None = None
    next_step_at: float | None = None  # when the next second's worth of messages moves


@dataclass
class SqsStore:
    queues: dict[str, QueueRecord] = field(default_factory=dict)  # by name
    deleted_at: dict[str, float] = field(default_factory=dict)  # name -> when (strict mode)
    move_tasks: dict[str, MoveTaskRecord] = field(default_factory=dict)  # task handle -> task


def _plain(record: Any) -> dict[str, Any]:
    return {f.name: to_jsonable(getattr(record, f.name)) for f in fields(record)}


def dump_store(store: SqsStore) -> dict[str, Any]:
    return {
        "queues": {
            name: {
                **_plain(q),
                "messages": [_plain(m) for m in q.messages.values()],
                "dedup": {k: _plain(d) for k, d in q.dedup.items()},
                "attempts": {k: _plain(a) for k, a in q.attempts.items()},
            }
            for name, q in store.queues.items()
        },
        "deleted_at": dict(store.deleted_at),
        "move_tasks": {h: _plain(t) for h, t in store.move_tasks.items()},
    }


def load_store(data: dict[str, Any]) -> SqsStore:
    store = SqsStore(deleted_at=dict(data.get("deleted_at", {})))
    for name, raw in data.get("queues", {}).items():
        values = {k: from_jsonable(v) for k, v in raw.items()}
        messages = [MessageRecord(**m) for m in values.pop("messages")]
        dedup = {k: DedupRecord(**d) for k, d in values.pop("dedup").items()}
        attempts = {k: AttemptRecord(**a) for k, a in values.pop("attempts").items()}
        queue = QueueRecord(**values)
        queue.messages = {m.message_id: m for m in messages}
        queue.dedup, queue.attempts = dedup, attempts
        store.queues[name] = queue
    for handle, raw in data.get("move_tasks", {}).items():
        store.move_tasks[handle] = MoveTaskRecord(**raw)
    return store
