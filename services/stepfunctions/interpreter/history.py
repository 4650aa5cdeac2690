"""Execution history: events with ids, the event that led to each, and typed details.

Each event's details go under the member botocore names for its type:
`*StateEntered` -> stateEnteredEventDetails, `*StateExited` ->
stateExitedEventDetails, otherwise `<typeInCamelCase>EventDetails`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from services.core.clock import Clock
from services.stepfunctions.models import HistoryEvent

_PAYLOAD_FIELDS = ("input", "output", "parameters")

# The last event of the current lane: a Parallel branch or Map iteration runs in
# its own asyncio task, which copies this at its start, so its first event
# follows the ParallelStateStarted/MapStateStarted and the rest follow each other.
# A hidden channel, kept until the Step Functions II interpreter passes lanes
# explicitly; events recorded outside an execution's tasks (timeouts, stops) pass
# `previous` themselves.
_lane: ContextVar[tuple[History, int] | None] = ContextVar("stepstack_history_lane", default=None)


def details_key(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def event_to_wire(event: HistoryEvent, include_data: bool = True) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "timestamp": event.timestamp,
        "type": event.type,
        "id": event.id,
        "previousEventId": event.previous_id,
    }
    if event.details is not None:
        details = event.details
        if not include_data:
            details = {k: v for k, v in details.items() if k not in _PAYLOAD_FIELDS}
        wire[details_key(event.type)] = details
    return wire


class History:
    """Appends to one execution's recorded events; `on_event` hears each new one."""

    def __init__(self, events: list[HistoryEvent], clock: Clock, on_event: Callable[[HistoryEvent], None] | None = None) -> None:
        self.events = events
        self.clock = clock
        self.on_event = on_event

    @property
    def last_id(self) -> int:
        return self.events[-1].id if self.events else 0

    def add(self, event_type: str, details: dict[str, Any] | None = None, previous: int | None = None) -> int:
        events = self.events
        event_id = len(events) + 1
        if previous is None:
            lane = _lane.get()
            previous = lane[1] if lane is not None and lane[0] is self else event_id - 1
        event = HistoryEvent(event_id, previous, self.clock.now(), event_type, details)
        events.append(event)
        _lane.set((self, event_id))
        if self.on_event is not None:
            self.on_event(event)
        return event_id

    def follow(self, event_id: int) -> None:
        """The next event of this lane follows `event_id` (recorded from another task)."""
        _lane.set((self, event_id))

    def rejoin(self) -> None:
        """After branches or iterations end, the next event follows the last one recorded."""
        _lane.set((self, self.last_id))

    def types(self) -> list[str]:
        return [e.type for e in self.events]
