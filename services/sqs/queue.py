"""One queue's messages and their lifecycle, all driven by the service clock.

Visible messages wait in per-group deques; `ready` lists the groups that may
deliver now, in round-robin order. A standard queue without group ids is the
single group None; with group ids (fair queues) no group can starve the others.
A FIFO group is locked while any of its messages is in flight, and a message
that becomes visible again goes back to its place in its group.

Timers: one per delayed or in-flight message (end of delay / invisibility) and
one per queue for retention. Long polls are futures woken when a message
becomes visible; an idle poll costs a future and a timer, nothing else.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from typing import Any

from services.core.clock import Clock, Timer
from services.core.ids import new_uuid, random_hex
from services.sqs.errors import MessageNotInflight, OverLimit
from services.sqs.messages import Message

MAX_INFLIGHT_STANDARD = 120_000
MAX_INFLIGHT_FIFO = 20_000
DEDUP_WINDOW = 300.0
_SEQUENCE_BASE = 18_000_000_000_000_000_000

GroupKey = str | None


class Queue:
    def __init__(
        self,
        name: str,
        account: str,
        region: str,
        attributes: dict[str, str],
        tags: dict[str, str],
        clock: Clock,
        find_queue: Callable[[str], Queue | None],
    ) -> None:
        self.name = name
        self.account = account
        self.region = region
        self.arn = f"arn:aws:sqs:{region}:{account}:{name}"
        self.fifo = name.endswith(".fifo")
        self.attributes = attributes
        self.tags = tags
        self.clock = clock
        self.find_queue = find_queue  # ARN -> queue, for dead-letter moves
        self.created_at = self.modified_at = clock.now()
        self.deleted = False
        self.last_purge: float | None = None
        self.messages: dict[str, Message] = {}  # every live message, in enqueue order
        self.groups: dict[GroupKey, deque[Message]] = {}
        self.ready: OrderedDict[GroupKey, None] = OrderedDict()
        self.inflight_by_group: Counter[GroupKey] = Counter()
        self.counts = {"visible": 0, "inflight": 0, "delayed": 0}
        self.waiters: dict[asyncio.Future[None], None] = {}
        self.dedup: dict[tuple[GroupKey, str], tuple[float, Message]] = {}
        self.attempts: dict[str, tuple[float, list[tuple[Message, str]]]] = {}
        self._order = itertools.count(1)
        self._retention_timer: Timer | None = None

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
        self.modified_at = self.clock.now()
        if "MessageRetentionPeriod" in changes:
            self._schedule_retention()

    # -- sending -------------------------------------------------------------------

    def find_duplicate(self, group_id: str | None, dedup_id: str) -> Message | None:
        now = self.clock.now()
        while self.dedup:  # entries are in insertion (time) order: drop the expired head
            key, (expires, _) = next(iter(self.dedup.items()))
            if expires > now:
                break
            del self.dedup[key]
        entry = self.dedup.get(self._dedup_key(group_id, dedup_id))
        return entry[1] if entry is not None else None

    def _dedup_key(self, group_id: str | None, dedup_id: str) -> tuple[GroupKey, str]:
        per_group = self.attributes.get("DeduplicationScope") == "messageGroup"
        return (group_id if per_group else None, dedup_id)

    def enqueue(self, message: Message, delay: float) -> None:
        message.order = next(self._order)
        if self.fifo:
            message.sequence_number = f"{_SEQUENCE_BASE + message.order:020d}"
            if message.dedup_id is not None:
                key = self._dedup_key(message.group_id, message.dedup_id)
                self.dedup[key] = (self.clock.now() + DEDUP_WINDOW, message)
        self.messages[message.message_id] = message
        if delay > 0:
            self._set_state(message, "delayed")
            message.timer = self.clock.call_later(delay, lambda: self._make_visible(message))
        else:
            self._make_visible(message)
        if self._retention_timer is None:
            self._schedule_retention()

    # -- states ----------------------------------------------------------------------

    def _set_state(self, message: Message, state: str) -> None:
        if message.state in self.counts:
            self.counts[message.state] -= 1
        message.state = state
        if state in self.counts:
            self.counts[state] += 1

    def _make_visible(self, message: Message) -> None:
        if message.state == "gone":
            return
        message.timer = None
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
        self._wake_one()

    def remove(self, message: Message) -> None:
        """Take a message out of the queue for good (deleted, expired, purged, moved)."""
        if message.state == "gone":
            return
        if message.timer is not None:
            message.timer.cancel()
            message.timer = None
        was_inflight = message.state == "inflight"
        self._set_state(message, "gone")
        self.messages.pop(message.message_id, None)
        if was_inflight:
            self._release_group(message.group_id)

    def _release_group(self, key: GroupKey) -> None:
        self.inflight_by_group[key] -= 1
        if self.inflight_by_group[key] <= 0:
            del self.inflight_by_group[key]
            if self.fifo and self.groups.get(key) and key not in self.ready:
                self.ready[key] = None
                self._wake_one()

    def _visibility_expired(self, message: Message) -> None:
        if message.state != "inflight":
            return
        message.timer = None
        self._set_state(message, "returning")
        self._release_group(message.group_id)
        self._make_visible(message)

    # -- receiving ---------------------------------------------------------------------

    def _next_visible(self, key: GroupKey) -> Message | None:
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

    def take(self, limit: int, visibility: int) -> list[tuple[Message, str]]:
        """Up to `limit` visible messages, now in flight: (message, receipt nonce)."""
        cap = MAX_INFLIGHT_FIFO if self.fifo else MAX_INFLIGHT_STANDARD
        if self.counts["inflight"] >= cap and self.counts["visible"]:
            raise OverLimit(f"Too many messages in flight (the limit is {cap}).")
        now = self.clock.now()
        retention = self.int_attribute("MessageRetentionPeriod")
        policy = self.redrive_policy
        taken: list[tuple[Message, str]] = []
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
        return taken

    def _deliver(self, message: Message, visibility: int, now: float) -> str:
        self._set_state(message, "inflight")
        self.inflight_by_group[message.group_id] += 1
        message.receive_count += 1
        if message.first_received_at is None:
            message.first_received_at = now
        message.received_at = now
        message.receipt_nonce = random_hex(16)
        message.timer = self.clock.call_at(now + visibility, lambda: self._visibility_expired(message))
        return message.receipt_nonce

    async def receive(self, limit: int, visibility: int, wait: float) -> list[tuple[Message, str]]:
        taken = self.take(limit, visibility)
        if taken or wait <= 0:
            return taken
        deadline = self.clock.now() + wait
        loop = asyncio.get_running_loop()
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            self.waiters[waiter] = None
            timer = self.clock.call_at(deadline, lambda w=waiter: w.done() or w.set_result(None))
            try:
                await waiter
            finally:
                timer.cancel()
                self.waiters.pop(waiter, None)
            if self.deleted:
                return []
            taken = self.take(limit, visibility)
            if taken or self.clock.now() >= deadline:
                return taken

    def _wake_one(self) -> None:
        while self.waiters:
            waiter = next(iter(self.waiters))
            del self.waiters[waiter]
            if not waiter.done():
                waiter.set_result(None)
                return

    def wake_all(self) -> None:
        for waiter in list(self.waiters):
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()

    # -- in-flight changes -----------------------------------------------------------------

    def change_visibility(self, message: Message, timeout: int) -> None:
        if message.state != "inflight":
            raise MessageNotInflight("Message is not in flight.")
        if message.timer is not None:
            message.timer.cancel()
        if timeout == 0:
            self._visibility_expired(message)
        else:
            message.timer = self.clock.call_later(timeout, lambda: self._visibility_expired(message))

    def purge(self) -> None:
        for message in list(self.messages.values()):
            self.remove(message)
        self.groups.clear()
        self.ready.clear()
        self.inflight_by_group.clear()
        self.last_purge = self.clock.now()

    def close(self) -> None:
        """The queue is deleted: drop its messages and timers, release its long polls."""
        self.deleted = True
        self.purge()
        if self._retention_timer is not None:
            self._retention_timer.cancel()
        self.wake_all()

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

    def _dead_letter(self, message: Message, policy: dict[str, Any]) -> bool:
        target = self.find_queue(str(policy.get("deadLetterTargetArn", "")))
        if target is None or target.deleted:
            return False
        self.remove(message)
        target.accept_dead_letter(message, self.arn)
        return True

    def accept_dead_letter(self, message: Message, source_arn: str) -> None:
        # standard queues keep the original enqueue time (retention counts from it); FIFO restarts it
        sent_at = self.clock.now() if self.fifo else message.sent_at
        self.enqueue(message.moved(sent_at, source_arn, keep_receives=True), 0)

    # -- inspection -------------------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        return [
            {
                "MessageId": m.message_id,
                "Body": m.body,
                "State": m.state,
                "ReceiveCount": m.receive_count,
                "SentTimestamp": int(m.sent_at * 1000),
                "MessageGroupId": m.group_id,
                "SequenceNumber": m.sequence_number,
            }
            for m in self.messages.values()
        ]


def new_message_id() -> str:
    return new_uuid()
