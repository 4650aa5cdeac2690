"""Realism mode: standard queues deliver at least once and in best-effort order, as AWS's do.

AWS keeps each message on several servers, so a receive can return a copy that another
receiver already holds (a duplicate, with a receipt handle of its own), and messages sent
together come back in any order. A consumer that assumes exactly-once, ordered delivery breaks
on AWS and never on an emulator tidier than AWS. With a rate r (STEPSTACK_SQS_REALISM, or the
queue tag `stepstack:realism`), each receive from a standard queue is, with probability r,
served from a shuffled window of the next visible messages and, with probability r, also
returns one message that is in flight. FIFO queues never do either. The draws come from the
application's randomness, so with STEPSTACK_SEED a run repeats exactly.
"""

from __future__ import annotations

import random
from collections import deque
from typing import TYPE_CHECKING

from services.sqs.errors import InvalidParameterValue

if TYPE_CHECKING:
    from services.sqs.records import MessageRecord

TAG = "stepstack:realism"
WINDOW = 10  # how far past the next message a shuffled receive reaches
RECENT = 64  # deliveries remembered (by id) as candidates for a duplicate


def check_rate(raw: str, source: str) -> float:
    """A realism rate: a number from 0 to 1."""
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise InvalidParameterValue(f"{source} must be a rate from 0 to 1 (the share of receives made realistic), not {raw!r}.")
    return rate


def check_tags(tags: dict[str, str], fifo: bool) -> None:
    """The realism tag is stepstack's: a rate, and on a standard queue only."""
    raw = tags.get(TAG)
    if raw is None:
        return
    check_rate(raw, f"Tag {TAG}")
    if fifo:
        raise InvalidParameterValue(
            f"Tag {TAG} applies to standard queues only: a FIFO queue delivers each message once, in order."
        )


class Realism:
    """One standard queue's draws and counts (runtime only: nothing here is a record)."""

    __slots__ = ("rng", "recent", "reordered", "duplicates")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.recent: deque[str] = deque(maxlen=RECENT)
        self.reordered = 0
        self.duplicates = 0

    def happens(self, rate: float) -> bool:
        return self.rng.random() < rate

    def shuffle_head(self, group: deque[MessageRecord] | None, limit: int) -> None:
        """Shuffle the next visible messages of a group in place (the receive then takes them
        from the head as usual)."""
        if not group:
            return
        head: list[MessageRecord] = []
        while group and len(head) < limit + WINDOW:
            message = group.popleft()
            if message.state == "visible":
                head.append(message)
        before = [m.message_id for m in head]
        self.rng.shuffle(head)
        group.extendleft(reversed(head))
        if [m.message_id for m in head] != before:
            self.reordered += 1

    def duplicate_of(self, messages: dict[str, MessageRecord]) -> MessageRecord | None:
        """A recently delivered message still in flight, to deliver once more."""
        for _ in range(3):
            if not self.recent:
                return None
            message = messages.get(self.rng.choice(self.recent))
            if message is not None and message.state == "inflight":
                return message
        return None

    def delivered(self, message_id: str) -> None:
        self.recent.append(message_id)
