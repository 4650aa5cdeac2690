"""What CloudWatch Logs keeps: plain records of log groups, their streams and events.

An event is a value (timestamp, ingestion time, sequence number, message); a stream keeps
its events sorted by (timestamp, sequence), the sequence numbering arrivals in the group,
so tokens can name a position between two events that stays put as events come and go.
Retention has no timer: expired events are dropped on the service clock whenever a group
is read or written (groups.expire), which is all a reader can tell apart.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, fields
from typing import Any

from services.core.records import from_jsonable, to_jsonable

EVENT_OVERHEAD = 26  # bytes AWS counts per event on top of its UTF-8 message


@dataclass(slots=True, frozen=True, order=True)
class LogEvent:
    timestamp: int  # ms, as given by the writer
    seq: int  # arrival number in its group: the tie-break of equal timestamps, and the eventId
    ingestion_time: int  # ms, service clock
    message: str

    @property
    def key(self) -> tuple[int, int]:
        return (self.timestamp, self.seq)

    @property
    def size(self) -> int:
        return len(self.message.encode("utf-8"))


@dataclass(eq=False)
class LogStreamRecord:
    name: str
    creation_time: int  # ms
    events: list[LogEvent] = field(default_factory=list)  # sorted by key
    first_event_timestamp: int | None = None
    last_event_timestamp: int | None = None
    last_ingestion_time: int | None = None
    upload_sequence_token: int = 1

    def insert(self, timestamp: int, seq: int, ingestion_time: int, message: str) -> LogEvent:
        event = LogEvent(timestamp, seq, ingestion_time, message)
        if not self.events or self.events[-1].key <= event.key:
            self.events.append(event)
        else:
            bisect.insort(self.events, event)
        if self.first_event_timestamp is None or timestamp < self.first_event_timestamp:
            self.first_event_timestamp = timestamp
        if self.last_event_timestamp is None or timestamp > self.last_event_timestamp:
            self.last_event_timestamp = timestamp
        self.last_ingestion_time = ingestion_time
        return event


@dataclass(eq=False)
class LogGroupRecord:
    name: str
    creation_time: int  # ms
    streams: dict[str, LogStreamRecord] = field(default_factory=dict)  # by name
    retention_in_days: int | None = None
    kms_key_id: str | None = None
    log_group_class: str = "STANDARD"
    deletion_protection: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    stored_bytes: int = 0  # UTF-8 bytes of the messages it holds
    next_seq: int = 1  # numbers the group's events in arrival order (their eventId)


@dataclass
class LogsStore:
    groups: dict[str, LogGroupRecord] = field(default_factory=dict)  # by name


def _dump_stream(stream: LogStreamRecord) -> dict[str, Any]:
    out = {f.name: getattr(stream, f.name) for f in fields(stream) if f.name != "events"}
    out["events"] = [[e.timestamp, e.seq, e.ingestion_time, e.message] for e in stream.events]
    return out


def dump_store(store: LogsStore) -> dict[str, Any]:
    groups = []
    for group in store.groups.values():
        raw = {f.name: to_jsonable(getattr(group, f.name)) for f in fields(group) if f.name != "streams"}
        raw["streams"] = [_dump_stream(s) for s in group.streams.values()]
        groups.append(raw)
    return {"groups": groups}


def load_store(data: dict[str, Any]) -> LogsStore:
    store = LogsStore()
    for raw in from_jsonable(data).get("groups", []):
        streams = raw.pop("streams", [])
        group = LogGroupRecord(**raw)
        for s in streams:
            events = [LogEvent(*e) for e in s.pop("events", [])]
            group.streams[s["name"]] = LogStreamRecord(**s, events=events)
        store.groups[group.name] = group
    return store
