"""Execution history: events with ids, the event that led to each, and typed details.

Each event's details go under the member botocore names for its type:
`*StateEntered` -> stateEnteredEventDetails, `*StateExited` ->
stateExitedEventDetails, otherwise `<typeInCamelCase>EventDetails`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.core.clock import Clock
from services.stepfunctions.models import HistoryEvent

_PAYLOAD_FIELDS = ("input", "output", "parameters")

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
        """Record an event; it follows `previous`, by default the event recorded just before."""
        events = self.events
        event_id = len(events) + 1
        event = HistoryEvent(event_id, event_id - 1 if previous is None else previous, self.clock.now(), event_type, details)
        events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event_id

    def lane(self) -> Lane:
        return Lane(self, self.last_id)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


class Lane:
    """One thread of events: the execution's, or a Parallel branch's or Map iteration's, whose
    first event follows the ParallelStateStarted / MapIterationStarted it branched from and
    whose others follow each other, as AWS links them."""

    __slots__ = ("history", "last")

    def __init__(self, history: History, last: int) -> None:
        self.history = history
        self.last = last

    def add(self, event_type: str, details: dict[str, Any] | None = None, previous: int | None = None) -> int:
        self.last = self.history.add(event_type, details, self.last if previous is None else previous)
        return self.last

    def branch(self) -> Lane:
        return Lane(self.history, self.last)

    def follow(self, event_id: int) -> None:
        """The next event of this lane follows `event_id` (recorded from another task)."""
        self.last = event_id

    def rejoin(self) -> None:
        """After branches or iterations end, the next event follows the last one recorded."""
        self.last = self.history.last_id
