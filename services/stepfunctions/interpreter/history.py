"""Execution history: events with ids, the event that led to each, and typed details.

Each event's details go under the member botocore names for its type:
`*StateEntered` -> stateEnteredEventDetails, `*StateExited` ->
stateExitedEventDetails, otherwise `<typeInCamelCase>EventDetails`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.core.clock import Clock
from services.stepfunctions.models import HistoryEvent

if TYPE_CHECKING:
    from services.stepfunctions.interpreter.replay import Replay

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

    def add(
        self, event_type: str, details: dict[str, Any] | None = None, previous: int | None = None,
        note: dict[str, Any] | None = None,
    ) -> int:
        """Record an event; it follows `previous`, by default the event recorded just before."""
        events = self.events
        event_id = len(events) + 1
        event = HistoryEvent(event_id, event_id - 1 if previous is None else previous, self.clock.now(), event_type, details, note)
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
    whose others follow each other, as AWS links them.

    A lane that is `replay`ing an execution being resumed finds each event it would record
    among the recorded ones instead (interpreter/replay.py), until one is not there: from
    then on it records as usual."""

    __slots__ = ("history", "last", "replay", "rejoined")

    def __init__(self, history: History, last: int, replay: Replay | None = None) -> None:
        self.history = history
        self.last = last
        self.replay = replay
        self.rejoined: int | None = None  # replaying: the state whose branches just ended

    def add(
        self, event_type: str, details: dict[str, Any] | None = None, previous: int | None = None,
        note: dict[str, Any] | None = None,
    ) -> int:
        if self.replay is not None:
            recorded = self.replay.find(self, event_type, details, previous)
            if recorded is not None:
                self.last, self.rejoined = recorded.id, None
                return recorded.id
            self.replay = None
            if self.rejoined is not None:  # what a rejoin records next follows the last event recorded
                self.last, self.rejoined = self.history.last_id, None
        self.last = self.history.add(event_type, details, self.last if previous is None else previous, note)
        return self.last

    def branch(self) -> Lane:
        return Lane(self.history, self.last, self.replay)

    def follow(self, event_id: int) -> None:
        """The next event of this lane follows `event_id` (recorded from another task)."""
        self.last = event_id

    def rejoin(self, entered: int) -> None:
        """After the branches or iterations of the state entered at `entered` end, the next event
        follows the last one recorded (replaying: the one recorded for that state next)."""
        if self.replay is not None:
            self.rejoined = entered
        else:
            self.last = self.history.last_id
