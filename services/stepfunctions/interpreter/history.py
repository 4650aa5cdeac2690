"""Execution history: events with ids, the event that led to each, and typed details.

Each event's details go under the member botocore names for its type:
`*StateEntered` -> stateEnteredEventDetails, `*StateExited` ->
stateExitedEventDetails, otherwise `<typeInCamelCase>EventDetails`.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from services.core.clock import Clock

_PAYLOAD_FIELDS = ("input", "output", "parameters")

# The last event of the current lane: a Parallel branch or Map iteration runs in
# its own asyncio task, which copies this at its start, so its first event
# follows the ParallelStateStarted/MapStateStarted and the rest follow each other.
_lane: ContextVar[tuple[History, int] | None] = ContextVar("stepstack_history_lane", default=None)


def details_key(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


@dataclass(slots=True)
class HistoryEvent:
    id: int
    previous_id: int
    timestamp: float
    type: str
    details: dict[str, Any] | None

    def to_wire(self, include_data: bool = True) -> dict[str, Any]:
        event: dict[str, Any] = {
            "timestamp": self.timestamp,
            "type": self.type,
            "id": self.id,
            "previousEventId": self.previous_id,
        }
        if self.details is not None:
            details = self.details
            if not include_data:
                details = {k: v for k, v in details.items() if k not in _PAYLOAD_FIELDS}
            event[details_key(self.type)] = details
        return event


class History:
    """The ordered events of one execution."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.events: list[HistoryEvent] = []

    @property
    def last_id(self) -> int:
        return self.events[-1].id if self.events else 0

    def add(self, event_type: str, details: dict[str, Any] | None = None, previous: int | None = None) -> int:
        event_id = len(self.events) + 1
        if previous is None:
            lane = _lane.get()
            previous = lane[1] if lane is not None and lane[0] is self else self.last_id
        self.events.append(HistoryEvent(event_id, previous, self.clock.now(), event_type, details))
        _lane.set((self, event_id))
        return event_id

    def follow(self, event_id: int) -> None:
        """The next event of this lane follows `event_id` (recorded from another task)."""
        _lane.set((self, event_id))

    def rejoin(self) -> None:
        """After branches or iterations end, the next event follows the last one recorded."""
        _lane.set((self, self.last_id))

    def types(self) -> list[str]:
        return [e.type for e in self.events]
