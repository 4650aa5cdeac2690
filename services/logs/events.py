"""Log events: PutLogEvents (AWS's batch rules and rejections), GetLogEvents (one stream,
forward and backward tokens) and FilterLogEvents (a group, interleaved, filter patterns)."""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Iterator
from typing import Any

from services.core.context import Params, Result
from services.logs.errors import BAD_TOKEN, InvalidParameterException
from services.logs.filter_pattern import FilterPatternError, compile_filter_pattern
from services.logs.groups import (
    DAY_MS, Ctx, decode_token, encode_token, group_of, now_ms, require_group, require_stream, sequence_token,
)
from services.logs.records import EVENT_OVERHEAD, LogEvent, LogStreamRecord
from services.logs.service import operations

MAX_BATCH_BYTES = 1_048_576
MAX_PAST_MS = 14 * DAY_MS
MAX_FUTURE_MS = 2 * 3_600_000
MAX_SPAN_MS = DAY_MS
MAX_EVENTS = 10_000
MAX_RESPONSE_BYTES = 1_048_576

Boundary = tuple[int, int]  # the (timestamp, seq) of the first event after a position
_TOKEN = re.compile(r"([fb])/(\d{20})(\d{36})/s")


@operations.operation("PutLogEvents")
async def put_log_events(ctx: Ctx, req: Params) -> Result:
    group = require_group(ctx, req["logGroupName"])
    stream = require_stream(group, req["logStreamName"])
    events = req["logEvents"]
    size = sum(len(e["message"].encode("utf-8")) + EVENT_OVERHEAD for e in events)
    if size > MAX_BATCH_BYTES:
        raise InvalidParameterException(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    stamps = [e["timestamp"] for e in events]
    if any(later < earlier for earlier, later in zip(stamps, stamps[1:])):
        raise InvalidParameterException("Log events in a single PutLogEvents request must be in chronological order.")
    now = now_ms(ctx)
    too_old_end = bisect.bisect_left(stamps, now - MAX_PAST_MS)  # exclusive, as AWS's field
    too_new_start = bisect.bisect_right(stamps, now + MAX_FUTURE_MS)  # inclusive
    expired_end = 0
    if group.retention_in_days is not None:
        expired_end = bisect.bisect_left(stamps, now - group.retention_in_days * DAY_MS)
    first = max(too_old_end, expired_end)
    accepted = events[first:too_new_start] if first < too_new_start else []
    if accepted and accepted[-1]["timestamp"] - accepted[0]["timestamp"] > MAX_SPAN_MS:
        raise InvalidParameterException("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    for event in accepted:
        stream.insert(event["timestamp"], group.next_seq, now, event["message"])
        group.next_seq += 1
        group.stored_bytes += len(event["message"].encode("utf-8"))
    stream.upload_sequence_token += 1
    out: Result = {"nextSequenceToken": sequence_token(stream)}
    rejected: dict[str, int] = {}
    if too_old_end:
        rejected["tooOldLogEventEndIndex"] = too_old_end
    if expired_end:
        rejected["expiredLogEventEndIndex"] = expired_end
    if too_new_start < len(events):
        rejected["tooNewLogEventStartIndex"] = too_new_start
    if rejected:
        out["rejectedLogEventsInfo"] = rejected
    return out


# -- GetLogEvents ------------------------------------------------------------------------------


def _stream_token(direction: str, at: Boundary) -> str:
    return f"{direction}/{at[0]:020d}{at[1]:036d}/s"


def _parse_stream_token(token: str) -> tuple[str, Boundary]:
    m = _TOKEN.fullmatch(token)
    if m is None:
        raise InvalidParameterException(BAD_TOKEN)
    return m.group(1), (int(m.group(2)), int(m.group(3)))


def _boundary(events: list[LogEvent], index: int) -> Boundary:
    if index < len(events):
        return events[index].key
    return (events[-1].timestamp, events[-1].seq + 1) if events else (0, 0)


def _output(event: LogEvent) -> dict[str, Any]:
    return {"timestamp": event.timestamp, "message": event.message, "ingestionTime": event.ingestion_time}


@operations.operation("GetLogEvents")
async def get_log_events(ctx: Ctx, req: Params) -> Result:
    group = group_of(ctx, req)
    stream: LogStreamRecord = require_stream(group, req["logStreamName"])
    events = stream.events
    lo = bisect.bisect_left(events, req["startTime"], key=lambda e: e.timestamp) if "startTime" in req else 0
    hi = bisect.bisect_left(events, req["endTime"], key=lambda e: e.timestamp) if "endTime" in req else len(events)
    hi = max(lo, hi)
    limit = req.get("limit", MAX_EVENTS)
    token = _parse_stream_token(req["nextToken"]) if "nextToken" in req else None
    if token is not None:
        at = bisect.bisect_left(events, token[1], key=lambda e: e.key)
        forward = token[0] == "f"
        start = min(max(at, lo), hi) if forward else max(min(at, hi), lo)
    else:
        forward = bool(req.get("startFromHead", False))
        start = lo if forward else hi
    budget, count = MAX_RESPONSE_BYTES, 0
    step = 1 if forward else -1
    index = start if forward else start - 1
    while count < limit and lo <= index < hi:
        budget -= events[index].size + EVENT_OVERHEAD
        if budget < 0:
            break
        count += 1
        index += step
    first, end = (start, start + count) if forward else (start - count, start)
    if count == 0 and token is not None:
        back, ahead = token[1], token[1]
    else:
        back, ahead = _boundary(events, first), _boundary(events, end)
    return {
        "events": [_output(e) for e in events[first:end]],
        "nextForwardToken": _stream_token("f", ahead),
        "nextBackwardToken": _stream_token("b", back),
    }


# -- FilterLogEvents ---------------------------------------------------------------------------


def _in_range(stream: LogStreamRecord, start: int | None, end: int | None, forward: bool) -> Iterator[tuple[LogEvent, str]]:
    events = stream.events
    lo = bisect.bisect_left(events, start, key=lambda e: e.timestamp) if start is not None else 0
    hi = bisect.bisect_right(events, end, key=lambda e: e.timestamp) if end is not None else len(events)
    indexes = range(lo, hi) if forward else range(hi - 1, lo - 1, -1)
    return ((events[i], stream.name) for i in indexes)


@operations.operation("FilterLogEvents")
async def filter_log_events(ctx: Ctx, req: Params) -> Result:
    group = group_of(ctx, req)
    names, prefix = req.get("logStreamNames"), req.get("logStreamNamePrefix")
    if names is not None and prefix is not None:
        raise InvalidParameterException("logStreamNames and logStreamNamePrefix are mutually exclusive.")
    try:
        matches = compile_filter_pattern(req.get("filterPattern"))
    except FilterPatternError as error:
        raise InvalidParameterException(str(error)) from None
    after = decode_token(req["nextToken"], "e") if "nextToken" in req else None
    if after is not None and (not isinstance(after, list) or len(after) != 3 or after[0] not in ("f", "b")):
        raise InvalidParameterException(BAD_TOKEN)
    forward = after[0] == "f" if after is not None else bool(req.get("startFromHead", True))
    if names is not None:
        streams = [group.streams[n] for n in dict.fromkeys(names) if n in group.streams]
    else:
        streams = [s for s in group.streams.values() if prefix is None or s.name.startswith(prefix)]
    sources = [_in_range(s, req.get("startTime"), req.get("endTime"), forward) for s in streams]
    merged = heapq.merge(*sources, key=lambda pair: pair[0].key, reverse=not forward)
    limit = req.get("limit", MAX_EVENTS)
    budget = MAX_RESPONSE_BYTES
    found: list[dict[str, Any]] = []
    last: tuple[int, int] | None = None
    more = False
    for event, stream_name in merged:
        if after is not None and (event.key <= tuple(after[1:]) if forward else event.key >= tuple(after[1:])):
            continue
        if not matches(event.message):
            continue
        budget -= event.size + EVENT_OVERHEAD
        if len(found) >= limit or budget < 0:
            more = True
            break
        found.append({
            "logStreamName": stream_name, "timestamp": event.timestamp, "message": event.message,
            "ingestionTime": event.ingestion_time, "eventId": f"{event.timestamp:020d}{event.seq:036d}",
        })
        last = event.key
    out: Result = {"events": found, "searchedLogStreams": []}
    if more and last is not None:
        out["nextToken"] = encode_token(["e", ["f" if forward else "b", *last]])
    return out
