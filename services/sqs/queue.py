"""One queue's runtime: its messages' lifecycle, driven by the service clock.

The queue's state is its QueueRecord (records.py); everything here is built
from it again by `rearm()` after a restore. Visible messages wait in per-group
deques; `ready` lists the groups that may deliver now, in round-robin order. A
standard queue without group ids is the single group None; with group ids
(fair queues) no group can starve the others. A FIFO group is locked while any
of its messages is in flight, and a message that becomes visible again goes
back to its place in its group.

Timers: one per delayed or in-flight message (at its `due_at`) and one per
queue for retention. Long polls wait on the queue's Waiters; an idle poll costs
a future and a timer, nothing else.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from typing import Any

from services.core.clock import Clock, Timer
from services.core.events import ChangeEvents
from services.core.ids import Ids
from services.core.waiters import Waiters
from services.sqs.errors import MessageNotInflight, OverLimit
from services.sqs.realism import TAG as REALISM_TAG
from services.sqs.realism import Realism
from services.sqs.records import AttemptRecord, DedupRecord, GroupKey, MessageRecord, QueueRecord

MAX_INFLIGHT_STANDARD = 120_000
MAX_INFLIGHT_FIFO = 20_000
DEDUP_WINDOW = 300.0
_SEQUENCE_BASE = 18_000_000_000_000_000_000
# A queue that already holds this much body stores each new large body zlib-compressed when that
# saves an eighth or more: a deep backlog costs a fraction of its size, a shallow queue nothing.
DEEP_QUEUE_BYTES = 16 * 1024 * 1024
COMPRESS_FROM = 512

Taken = list[tuple[MessageRecord, str]]


class Queue:
    """The runtime of one queue around its record (see the module docstring)."""

    def __init__(
        self,
        record: QueueRecord,
        clock: Clock,
        ids: Ids,
        events: ChangeEvents,
        find_queue: Callable[[str], Queue | None],
        realism: float = 0.0,
    ) -> None:
        self.record = record
        self.name, self.account, self.region, self.arn = record.name, record.account, record.region, record.arn
        self.fifo = record.fifo
        self.attributes = record.attributes
        self.tags = record.tags
        self.messages = record.messages
        self.clock = clock
        self.ids = ids
        self.events = events
        self.find_queue = find_queue  # ARN -> queue, for dead-letter moves
        self.default_realism = realism  # STEPSTACK_SQS_REALISM; the queue's tag wins (realism.py)
        self.realism: Realism | None = None  # built on the first realistic receive
        self.deleted = False
        self.waiters = Waiters()
        self.groups: dict[GroupKey, deque[MessageRecord]] = {}
        self.ready: OrderedDict[GroupKey, None] = OrderedDict()
        self.inflight_by_group: Counter[GroupKey] = Counter()
        self.counts = {"visible": 0, "inflight": 0, "delayed": 0}
        self.timers: dict[str, Timer] = {}  # message id -> the end of its delay or invisibility
        self.body_bytes = 0  # what the stored bodies take (compressed ones at their compressed size)
        self._retention_timer: Timer | None = None
        self._forget_timer: Timer | None = None  # the next dedup entry or receive attempt to expire
        self.rearm()

    def rearm(self) -> None:
        """Rebuild groups, counts and timers from the records (after a restore)."""
        self.body_bytes = sum(len(m.body) for m in self.messages.values())
        for message in sorted(self.messages.values(), key=lambda m: (m.visible_seq, m.order)):
            state = message.state
            if state == "visible":
                message.state = "new"
                self._make_visible(message, wake=False, restoring=True)
            elif state == "inflight":
                self.counts["inflight"] += 1
                self.inflight_by_group[message.group_id] += 1
                self._arm(message, self._visibility_expired)
            elif state == "delayed":
                self.counts["delayed"] += 1
                self._arm(message, self._make_visible)
        if self.fifo:
            for key in self.inflight_by_group:
                self.ready.pop(key, None)
        self._schedule_retention()
        self._arm_forgetting()

    def _arm(self, message: MessageRecord, callback: Callable[[MessageRecord], None]) -> None:
        self.timers[message.message_id] = self.clock.call_at(message.due_at or 0.0, lambda: callback(message))

    def _disarm(self, message: MessageRecord) -> None:
        timer = self.timers.pop(message.message_id, None)
        if timer is not None:
            timer.cancel()

    # -- attributes --------------------------------------------------------------

    def int_attribute(self, name: str) -> int:
        return int(self.attributes[name])

    @property
    def redrive_policy(self) -> dict[str, Any] | None:
        raw = self.attributes.get("RedrivePolicy")
        return json.loads(raw) if raw else None

    def set_attributes(self, changes: dict[str, str]) -> None:
        for name, value in changes.items():
            if value == "" and name in ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"):
                self.attributes.pop(name, None)
            else:
                self.attributes[name] = value
        self.record.modified_at = self.clock.now()
        if "MessageRetentionPeriod" in changes:
            self._schedule_retention()

    # -- sending -------------------------------------------------------------------

    def find_duplicate(self, group_id: str | None, dedup_id: str) -> DedupRecord | None:
        entry = self.record.dedup.get(self._dedup_key(group_id, dedup_id))
        return entry if entry is not None and entry.expires_at > self.clock.now() else None

    def remember_attempt(self, attempt: str, entry: AttemptRecord) -> None:
        attempts = self.record.attempts
        attempts.pop(attempt, None)  # re-inserted at the end: the table stays in expiry order
        attempts[attempt] = entry
        self._arm_forgetting()

    # -- forgetting: dedup entries and receive attempts last their 5 minutes, no longer ------

    def _arm_forgetting(self) -> None:
        if self._forget_timer is not None or self.deleted:
            return
        heads = [next(iter(table.values())).expires_at for table in (self.record.dedup, self.record.attempts) if table]
        if heads:
            self._forget_timer = self.clock.call_at(min(heads), self._forget)

    def _forget(self) -> None:
        self._forget_timer = None
        now = self.clock.now()
        record = self.record
        for name in ("dedup", "attempts"):
            table: dict[str, DedupRecord] | dict[str, AttemptRecord] = getattr(record, name)
            expired = list(itertools.takewhile(lambda key: table[key].expires_at <= now, table))
            for key in expired:
                del table[key]
            if expired and not table:
                setattr(record, name, {})  # a fresh table: the old one stays at its largest size
        self._arm_forgetting()

    def _dedup_key(self, group_id: str | None, dedup_id: str) -> str:
        per_group = self.attributes.get("DeduplicationScope") == "messageGroup"
        return f"{group_id}\n{dedup_id}" if per_group else dedup_id  # ids are printable: no newline

    def enqueue(self, message: MessageRecord, delay: float) -> None:
        message.order = self.record.next_order
        self.record.next_order += 1
        if self.fifo:
            message.sequence_number = f"{_SEQUENCE_BASE + message.order:020d}"
            if message.dedup_id is not None:
                key = self._dedup_key(message.group_id, message.dedup_id)
                self.record.dedup.pop(key, None)  # an expired entry of the same id: to the end
                self.record.dedup[key] = DedupRecord(
                    self.clock.now() + DEDUP_WINDOW, message.message_id, message.md5(),
                    message.md5_attributes, message.md5_system_attributes, message.sequence_number,
                )
                self._arm_forgetting()
        self._store_body(message)
        self.messages[message.message_id] = message
        if delay > 0:
            self._set_state(message, "delayed")
            message.due_at = self.clock.now() + delay
            self._arm(message, self._make_visible)
        else:
            self._make_visible(message)
        if self._retention_timer is None:
            self._schedule_retention()

    def _store_body(self, message: MessageRecord) -> None:
        body = message.body
        if self.body_bytes >= DEEP_QUEUE_BYTES and type(body) is str and len(body) >= COMPRESS_FROM:
            encoded = body.encode("utf-8")
            packed = zlib.compress(encoded, 1)
            if len(packed) * 8 <= len(encoded) * 7:
                message.body = packed
        self.body_bytes += len(message.body)

    # -- states ----------------------------------------------------------------------

    def _set_state(self, message: MessageRecord, state: str) -> None:
        counts = self.counts
        if message.state in counts:
            counts[message.state] -= 1
        message.state = state
        if state in counts:
            counts[state] += 1
        if self.events.active:
            self.events.publish(self.arn, {"type": "MessageState", "messageId": message.message_id, "state": state})

    def _make_visible(self, message: MessageRecord, wake: bool = True, restoring: bool = False) -> None:
        if message.state == "gone":
            return
        self.timers.pop(message.message_id, None)
        message.due_at = None
        if not restoring:
            message.visible_seq = self.record.next_visible_seq
            self.record.next_visible_seq += 1
        self._set_state(message, "visible")
        key = message.group_id
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = deque()
        if self.fifo and group and group[-1].order > message.order:
            index = next(i for i, m in enumerate(group) if m.order > message.order)
            group.insert(index, message)
        else:
            group.append(message)
        if key not in self.ready and not (self.fifo and self.inflight_by_group[key]):
            self.ready[key] = None
        if wake:
            self.waiters.wake_one()

    def remove(self, message: MessageRecord) -> None:
        """Take a message out of the queue for good (deleted, expired, purged, moved)."""
        if message.state == "gone":
            return
        self._disarm(message)
        was_inflight = message.state == "inflight"
        self._set_state(message, "gone")
        if self.messages.pop(message.message_id, None) is not None:
            self.body_bytes -= len(message.body)
            if not self.messages:
                self._fresh_tables()
        if was_inflight:
            self._release_group(message.group_id)

    def _fresh_tables(self) -> None:
        """The queue is empty: new tables in place of ones sized for its deepest moment (a dict
        never shrinks as keys leave it)."""
        self.record.messages = self.messages = {}
        if not self.timers:
            self.timers = {}
        self.body_bytes = 0

    def _release_group(self, key: GroupKey) -> None:
        self.inflight_by_group[key] -= 1
        if self.inflight_by_group[key] <= 0:
            del self.inflight_by_group[key]
            if self.fifo and self.groups.get(key) and key not in self.ready:
                self.ready[key] = None
                self.waiters.wake_one()

    def _visibility_expired(self, message: MessageRecord) -> None:
        if message.state != "inflight":
            return
        self._make_visible(message)  # back in its group, which stays locked (FIFO) ...
        self._release_group(message.group_id)  # ... until its in-flight count says otherwise

    # -- receiving ---------------------------------------------------------------------

    def _next_visible(self, key: GroupKey) -> MessageRecord | None:
        group = self.groups.get(key)
        while group:
            message = group.popleft()
            if message.state == "visible":
                return message
        return None

    def _drop_group_if_empty(self, key: GroupKey) -> None:
        if not self.groups.get(key):
            self.groups.pop(key, None)
            self.ready.pop(key, None)

    def take(self, limit: int, visibility: int) -> Taken:
        """Up to `limit` visible messages, now in flight: (message, receipt nonce)."""
        cap = MAX_INFLIGHT_FIFO if self.fifo else MAX_INFLIGHT_STANDARD
        if self.counts["inflight"] >= cap and self.counts["visible"]:
            raise OverLimit(f"Too many messages in flight (the limit is {cap}).")
        now = self.clock.now()
        retention = self.int_attribute("MessageRetentionPeriod")
        policy = self.redrive_policy
        taken: Taken = []
        rate = self.realism_rate()
        duplicate = None
        if rate:
            realism = self._realism()
            if self.ready and realism.happens(rate):
                realism.shuffle_head(self.groups.get(next(iter(self.ready))), limit)
            if realism.happens(rate):
                duplicate = realism.duplicate_of(self.messages)
                if duplicate is not None:
                    limit -= 1
        while len(taken) < limit and self.ready:
            key = next(iter(self.ready))
            message = self._next_visible(key)
            if message is None:
                self._drop_group_if_empty(key)
                continue
            if message.sent_at + retention <= now:
                self.remove(message)
                self._drop_group_if_empty(key)
                continue
            if policy is not None and message.receive_count >= int(policy.get("maxReceiveCount", 0)):
                if self._dead_letter(message, policy):
                    self._drop_group_if_empty(key)
                    continue
            taken.append((message, self._deliver(message, visibility, now)))
            if self.fifo:
                self.ready.pop(key, None)  # locked until its in-flight messages settle
                if limit > len(taken) and self.groups.get(key):
                    # FIFO returns as many messages of one group as it can
                    while len(taken) < limit and (nxt := self._next_visible(key)) is not None:
                        taken.append((nxt, self._deliver(nxt, visibility, now)))
                if not self.groups.get(key):
                    self.groups.pop(key, None)
            elif self.groups.get(key):
                self.ready.move_to_end(key)
            else:
                self._drop_group_if_empty(key)
        if rate:
            self._realistic(taken, duplicate, visibility, now)
        return taken

    # -- realism (realism.py) -----------------------------------------------------------

    def realism_rate(self) -> float:
        if self.fifo:
            return 0.0
        tag = self.tags.get(REALISM_TAG)
        return float(tag) if tag is not None else self.default_realism

    def _realism(self) -> Realism:
        if self.realism is None:
            self.realism = Realism(self.ids.derived_random(f"sqs-realism:{self.arn}"))
        return self.realism

    def _realistic(self, taken: Taken, duplicate: MessageRecord | None, visibility: int, now: float) -> None:
        realism = self._realism()
        for message, _ in taken:
            realism.delivered(message.message_id)
        if duplicate is not None:
            self._disarm(duplicate)  # delivered again: a new receive of the same message
            duplicate.receive_count += 1
            duplicate.received_at = now
            duplicate.receipt_nonce = self.ids.hex(16)
            duplicate.due_at = now + visibility
            self._arm(duplicate, self._visibility_expired)
            taken.insert(realism.rng.randrange(len(taken) + 1), (duplicate, duplicate.receipt_nonce))
            realism.duplicates += 1

    def _deliver(self, message: MessageRecord, visibility: int, now: float) -> str:
        self._set_state(message, "inflight")
        self.inflight_by_group[message.group_id] += 1
        message.receive_count += 1
        if message.first_received_at is None:
            message.first_received_at = now
        message.received_at = now
        message.receipt_nonce = self.ids.hex(16)
        message.due_at = now + visibility
        self._arm(message, self._visibility_expired)
        return message.receipt_nonce

    async def receive(self, limit: int, visibility: int, wait: float, closing: Callable[[], bool]) -> Taken:
        taken = self.take(limit, visibility)
        if taken or wait <= 0:
            return taken
        deadline = self.clock.now() + wait
        while not closing() and self.clock.now() < deadline:
            if not await self.waiters.wait(self.clock, deadline) or self.deleted:
                return []
            taken = self.take(limit, visibility)
            if taken:
                return taken
        return []

    # -- in-flight changes -----------------------------------------------------------------

    def change_visibility(self, message: MessageRecord, timeout: int) -> None:
        if message.state != "inflight":
            raise MessageNotInflight("Message is not in flight.")
        self._disarm(message)
        if timeout == 0:
            self._visibility_expired(message)
        else:
            message.due_at = self.clock.now() + timeout
            self._arm(message, self._visibility_expired)

    def purge(self) -> None:
        for message in list(self.messages.values()):
            self.remove(message)
        self.groups.clear()
        self.ready.clear()
        self.inflight_by_group.clear()
        self.record.last_purge = self.clock.now()

    def close(self) -> None:
        """The queue is deleted: drop its messages and timers, release its long polls."""
        self.deleted = True
        self.purge()
        self._cancel_queue_timers()
        self.waiters.close()

    def stop(self) -> None:
        """The application drops its state (reset, restore): timers go, records stay as they are."""
        self.deleted = True
        for timer in self.timers.values():
            timer.cancel()
        self.timers.clear()
        self._cancel_queue_timers()
        self.waiters.close()

    def _cancel_queue_timers(self) -> None:
        for timer in (self._retention_timer, self._forget_timer):
            if timer is not None:
                timer.cancel()
        self._retention_timer = self._forget_timer = None

    # -- retention ----------------------------------------------------------------------

    def _schedule_retention(self) -> None:
        if self._retention_timer is not None:
            self._retention_timer.cancel()
            self._retention_timer = None
        if self.deleted or not self.messages:
            return
        oldest = min((m.sent_at for m in itertools.islice(self.messages.values(), 64)), default=None)
        if oldest is not None:
            due = oldest + self.int_attribute("MessageRetentionPeriod")
            self._retention_timer = self.clock.call_at(due, self._expire_old)

    def _expire_old(self) -> None:
        self._retention_timer = None
        limit = self.clock.now() - self.int_attribute("MessageRetentionPeriod")
        for message in list(itertools.islice(self.messages.values(), 10_000)):
            if message.sent_at <= limit:
                self.remove(message)
            elif message.state != "gone" and message.dead_letter_source_arn is None:
                break
        self._schedule_retention()

    # -- dead letters -----------------------------------------------------------------------

    def _dead_letter(self, message: MessageRecord, policy: dict[str, Any]) -> bool:
        target = self.find_queue(str(policy.get("deadLetterTargetArn", "")))
        if target is None or target.deleted:
            return False
        self.remove(message)
        target.accept_dead_letter(message, self.arn)
        return True

    def accept_dead_letter(self, message: MessageRecord, source_arn: str) -> None:
        # standard queues keep the original enqueue time (retention counts from it); FIFO restarts it
        sent_at = self.clock.now() if self.fifo else message.sent_at
        self.enqueue(message.moved(sent_at, source_arn, keep_receives=True), 0)

    # -- inspection -------------------------------------------------------------------------

    def inspect(self) -> list[dict[str, Any]]:
        return [
            {
                "MessageId": m.message_id,
                "Body": m.text(),
                "State": m.state,
                "ReceiveCount": m.receive_count,
                "SentTimestamp": int(m.sent_at * 1000),
                "MessageGroupId": m.group_id,
                "SequenceNumber": m.sequence_number,
            }
            for m in self.messages.values()
        ]
