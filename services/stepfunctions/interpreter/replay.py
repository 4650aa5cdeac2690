"""Resuming an execution from its history: progress is data.

A restored execution runs its definition again from the start with lanes in replay. A state
whose entered and exited events are both recorded is not evaluated again: its recorded
output, assigned variables and next state (kept in the exited event's note) carry on. A state
in progress is evaluated, and every event it would record that is already recorded is found
instead of recorded twice: a Wait sleeps until the deadline its entered event implies, an
activity task is offered again under its recorded token, Parallel branches and Map iterations
replay the same way, one lane each. The first event not recorded switches its lane to
recording, so the history goes on as if the execution had never stopped.

Notes (HistoryEvent.note, never on the wire) carry what the wire events do not: a state's
exited event names the state that follows and the event it closes; the Started, Succeeded and
Failed events of Parallel and Map name their state's entered event (their previousEventId is
whichever event was recorded last, so it cannot find them); an activity's scheduled event
keeps its task token; a retried state's last event before the retry keeps the retry's
deadline.

A redriven execution (RedriveExecution) replays the same way, with one difference: of the
events recorded before its last redrive, only those of states' structure (entered and exited
events, and the start and end of branches and iterations that succeeded) are found again. The
work of a state that did not end (its task's events, its failure) is done again and recorded
anew, and a state re-entered this way starts its clock at the redrive (a Wait waits again).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.models import HistoryEvent

if TYPE_CHECKING:
    from services.stepfunctions.interpreter.history import Lane


def _key(event_type: str, details: dict[str, Any] | None) -> Any:
    """What tells apart events of one type after the same event: a state's name (branches),
    an iteration's index."""
    if not details:
        return None
    if event_type.startswith("MapIteration"):
        return details.get("index")
    return details.get("name") if event_type.endswith(("StateEntered", "StateExited")) else None


# Events that a redrive keeps: what tells which states and iterations ended, and how.
_STRUCTURE = ("StateEntered", "StateExited", "ParallelStateStarted", "MapStateStarted", "MapIterationStarted", "MapIterationSucceeded")


class Replay:
    def __init__(self, events: Sequence[HistoryEvent], redriving_at: float | None = None) -> None:
        """Replay `events`; `redriving_at`: the time of a redrive about to be recorded after them."""
        self.events = events
        self.children: dict[int, list[HistoryEvent]] = {}
        self.by_state: dict[int, list[HistoryEvent]] = {}  # entered id -> events that note it
        for event in events:
            self.children.setdefault(event.previous_id, []).append(event)
            entered = (event.note or {}).get("entered")
            if entered is not None:
                self.by_state.setdefault(entered, []).append(event)
        self.used: set[int] = set()
        boundary, self.restarted_at = 0, 0.0
        for event in events:
            if event.type == "ExecutionRedriven":
                boundary, self.restarted_at = event.id, event.timestamp
        if redriving_at is not None:
            boundary, self.restarted_at = len(events) + 1, redriving_at
        for event in events[: max(boundary - 1, 0)]:  # before the last redrive: the work of unfinished states is done again
            if not event.type.endswith(_STRUCTURE):
                self.used.add(event.id)

    def _take(self, candidates: list[HistoryEvent], event_type: str, key: Any) -> HistoryEvent | None:
        for event in candidates:
            if event.id not in self.used and event.type == event_type and _key(event_type, event.details) == key:
                self.used.add(event.id)
                return event
        return None

    def find(self, lane: Lane, event_type: str, details: dict[str, Any] | None, previous: int | None = None) -> HistoryEvent | None:
        """The recorded event the lane would record now (after `previous` when it names one), or None."""
        key = _key(event_type, details)
        if previous is not None:
            return self._take(self.children.get(previous, []), event_type, key)
        if lane.rejoined is not None:
            return self._take(self.by_state.get(lane.rejoined, []), event_type, key)
        return self._take(self.children.get(lane.last, []), event_type, key)

    def exited(self, entered: int) -> HistoryEvent | None:
        """The exited event of the state entered at `entered`, when it was recorded."""
        return next((e for e in self.by_state.get(entered, ()) if e.type.endswith("StateExited")), None)

    def next_of(self, lane: Lane, event_type: str) -> HistoryEvent | None:
        """Without taking it: a recorded event of that type after the lane's last one."""
        candidates = self.by_state.get(lane.rejoined, []) if lane.rejoined is not None else self.children.get(lane.last, [])
        return next((e for e in candidates if e.id not in self.used and e.type == event_type), None)

    def anything_after(self, lane: Lane) -> bool:
        """Whether an event not yet replayed follows the lane's last one."""
        candidates = self.by_state.get(lane.rejoined, []) if lane.rejoined is not None else self.children.get(lane.last, [])
        return any(e.id not in self.used for e in candidates)

    def event(self, event_id: int) -> HistoryEvent:
        return self.events[event_id - 1]


def recorded_outcome(end: HistoryEvent, succeeded: str) -> Callable[[], Any]:
    """A task's recorded end (`succeeded` is its success event's type) as a function that
    returns the recorded output or raises the recorded failure."""
    details = end.details or {}
    if end.type == succeeded:
        return lambda: json.loads(details["output"])

    def fail() -> Any:
        # an event without an error is a callback failed without error or cause (both null);
        # otherwise a cause left out was empty (a timeout's)
        error = details.get("error")
        cause = details.get("cause", "" if error is not None else None)
        raise StatesFailure(error, cause, heartbeat=(end.note or {}).get("heartbeat", False))

    return fail
