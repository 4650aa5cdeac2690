"""Log groups and streams: create, delete, describe (with pagination), retention and tags."""

from __future__ import annotations

import base64
import bisect
import json
import re
from typing import Any

from services.core.arns import build_arn, parse_arn
from services.core.context import Params, RequestContext, Result
from services.logs.errors import (
    BAD_TOKEN, GROUP_EXISTS, GROUP_NOT_FOUND, STREAM_EXISTS, STREAM_NOT_FOUND, InvalidParameterException,
    ResourceAlreadyExistsException, ResourceNotFoundException, TooManyTagsException, ValidationException,
)
from services.logs.records import LogGroupRecord, LogsStore, LogStreamRecord
from services.logs.service import operations

Ctx = RequestContext[LogsStore]

DAY_MS = 86_400_000
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
PAGE = 50
MAX_TAGS = 50
GROUP_NAME_PATTERN = r"[\.\-_/#A-Za-z0-9]+"
STREAM_NAME_PATTERN = r"[^:*]*"


def check_pattern(member: str, value: str, pattern: str) -> None:
    """The model's `pattern` of a name, which the protocol layer does not enforce, as AWS words it."""
    if re.fullmatch(pattern, value) is None:
        raise InvalidParameterException(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}"
        )


def now_ms(ctx: Ctx) -> int:
    return int(ctx.clock.now() * 1000)


def group_arn(ctx: Ctx, name: str) -> str:
    return build_arn("logs", ctx.region, ctx.account_id, f"log-group:{name}")


def expire(group: LogGroupRecord, now: int) -> None:
    """Drop the events older than the group's retention (by event timestamp, on the service clock)."""
    if group.retention_in_days is None:
        return
    cutoff = now - group.retention_in_days * DAY_MS
    for stream in group.streams.values():
        if stream.events and stream.events[0].timestamp < cutoff:
            cut = bisect.bisect_left(stream.events, cutoff, key=lambda e: e.timestamp)
            group.stored_bytes -= sum(e.size for e in stream.events[:cut])
            del stream.events[:cut]


def require_group(ctx: Ctx, name: str, store: LogsStore | None = None) -> LogGroupRecord:
    group = (store or ctx.store).groups.get(name)
    if group is None:
        raise ResourceNotFoundException(GROUP_NOT_FOUND)
    expire(group, now_ms(ctx))
    return group


def require_stream(group: LogGroupRecord, name: str) -> LogStreamRecord:
    stream = group.streams.get(name)
    if stream is None:
        raise ResourceNotFoundException(STREAM_NOT_FOUND)
    return stream


def _arn_group(ctx: Ctx, arn: str, *, tagging: bool = False) -> LogGroupRecord:
    """The group an ARN names (`...:log-group:<name>`, a trailing `:*` allowed outside tagging)."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "logs" or not parsed.resource.startswith("log-group:"):
        if tagging and parsed is not None and parsed.resource.startswith("destination:"):
            raise ResourceNotFoundException("The specified resource does not exist.")
        raise InvalidParameterException(f"Invalid ARN: {arn}" if tagging else f"Invalid log group identifier: {arn}")
    name = parsed.resource[len("log-group:"):]
    if not tagging and name.endswith(":*"):
        name = name[:-2]
    store = ctx.store_at(parsed.account, parsed.region, create=False)
    return require_group(ctx, name, store)


def group_of(ctx: Ctx, req: Params) -> LogGroupRecord:
    """The group of `logGroupName` or `logGroupIdentifier` (a name or an ARN): exactly one."""
    name, identifier = req.get("logGroupName"), req.get("logGroupIdentifier")
    if (name is None) == (identifier is None):
        raise InvalidParameterException("Exactly one of logGroupName and logGroupIdentifier must be specified.")
    if name is not None:
        return require_group(ctx, name)
    if identifier.startswith("arn:"):
        return _arn_group(ctx, identifier)
    return require_group(ctx, identifier)


# -- pagination tokens: opaque, naming the sort key of the last item returned ---------------


def encode_token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def decode_token(token: str, kind: str) -> Any:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        raise InvalidParameterException(BAD_TOKEN) from None
    if not isinstance(value, list) or len(value) != 2 or value[0] != kind:
        raise InvalidParameterException(BAD_TOKEN)
    return value[1]


# -- log groups -----------------------------------------------------------------------------------


def _check_tags(tags: dict[str, str], arn: str, error: type[Exception] = TooManyTagsException) -> None:
    if len(tags) > MAX_TAGS:
        if error is TooManyTagsException:
            raise TooManyTagsException("A resource can have no more than 50 tags.", resourceName=arn)
        raise InvalidParameterException("A resource can have no more than 50 tags.")


@operations.operation("CreateLogGroup")
async def create_log_group(ctx: Ctx, req: Params) -> Result:
    name = req["logGroupName"]
    check_pattern("logGroupName", name, GROUP_NAME_PATTERN)
    if name in ctx.store.groups:
        raise ResourceAlreadyExistsException(GROUP_EXISTS)
    tags = dict(req.get("tags") or {})
    _check_tags(tags, group_arn(ctx, name), InvalidParameterException)
    ctx.store.groups[name] = LogGroupRecord(
        name=name, creation_time=now_ms(ctx), kms_key_id=req.get("kmsKeyId"),
        log_group_class=req.get("logGroupClass", "STANDARD"),
        deletion_protection=bool(req.get("deletionProtectionEnabled", False)), tags=tags,
    )
    return {}


@operations.operation("DeleteLogGroup")
async def delete_log_group(ctx: Ctx, req: Params) -> Result:
    if require_group(ctx, req["logGroupName"]).deletion_protection:
        raise ValidationException("Cannot delete log group with deletion protection enabled. Disable deletion protection first.")
    del ctx.store.groups[req["logGroupName"]]
    return {}


@operations.operation("PutLogGroupDeletionProtection")
async def put_log_group_deletion_protection(ctx: Ctx, req: Params) -> Result:
    group = group_of(ctx, {"logGroupIdentifier": req["logGroupIdentifier"]})
    group.deletion_protection = bool(req["deletionProtectionEnabled"])
    return {}


def describe_group(ctx: Ctx, group: LogGroupRecord, *, brief: bool = False) -> dict[str, Any]:
    arn = group_arn(ctx, group.name)
    if brief:  # what AWS answers when logGroupNamePattern is given
        return {"logGroupName": group.name, "creationTime": group.creation_time, "arn": arn + ":*"}
    out: dict[str, Any] = {
        "logGroupName": group.name, "creationTime": group.creation_time, "metricFilterCount": 0,
        "arn": arn + ":*", "storedBytes": group.stored_bytes, "logGroupClass": group.log_group_class,
        "logGroupArn": arn, "deletionProtectionEnabled": group.deletion_protection,
    }
    if group.retention_in_days is not None:
        out["retentionInDays"] = group.retention_in_days
    if group.kms_key_id:
        out["kmsKeyId"] = group.kms_key_id
    return out


@operations.operation("DescribeLogGroups")
async def describe_log_groups(ctx: Ctx, req: Params) -> Result:
    prefix, pattern = req.get("logGroupNamePrefix"), req.get("logGroupNamePattern")
    identifiers = req.get("logGroupIdentifiers")
    if prefix is not None and pattern is not None:
        raise InvalidParameterException("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive. Only one of these parameters can be passed.")
    if identifiers is not None and (prefix is not None or pattern is not None):
        raise InvalidParameterException("logGroupIdentifiers cannot be specified with logGroupNamePrefix or logGroupNamePattern.")
    wanted_class = req.get("logGroupClass")
    classes = {"INFREQUENT_ACCESS", "ESSENTIALS"} if wanted_class in ("INFREQUENT_ACCESS", "ESSENTIALS") else {wanted_class}
    names = None
    if identifiers is not None:
        names = {i.split(":log-group:", 1)[1].removesuffix(":*") if i.startswith("arn:") else i for i in identifiers}
    after = decode_token(req["nextToken"], "g") if "nextToken" in req else None
    limit = req.get("limit", PAGE)
    now = now_ms(ctx)
    selected = []
    for name in sorted(ctx.store.groups):
        group = ctx.store.groups[name]
        if (after is not None and name <= after) or (prefix is not None and not name.startswith(prefix)):
            continue
        if (pattern and pattern not in name) or (names is not None and name not in names):
            continue
        if wanted_class is not None and group.log_group_class not in classes:
            continue
        selected.append(group)
        if len(selected) > limit:
            break
    out: Result = {}
    page = selected[:limit]
    for group in page:
        expire(group, now)
    out["logGroups"] = [describe_group(ctx, g, brief=pattern is not None) for g in page]
    if len(selected) > limit:
        out["nextToken"] = encode_token(["g", page[-1].name])
    return out


# -- retention ----------------------------------------------------------------------------------


@operations.operation("PutRetentionPolicy")
async def put_retention_policy(ctx: Ctx, req: Params) -> Result:
    days = req["retentionInDays"]
    if days not in RETENTION_DAYS:
        raise InvalidParameterException(
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(map(str, RETENTION_DAYS))}]"
        )
    group = require_group(ctx, req["logGroupName"])
    group.retention_in_days = days
    expire(group, now_ms(ctx))
    return {}


@operations.operation("DeleteRetentionPolicy")
async def delete_retention_policy(ctx: Ctx, req: Params) -> Result:
    require_group(ctx, req["logGroupName"]).retention_in_days = None
    return {}


# -- log streams ----------------------------------------------------------------------------------


@operations.operation("CreateLogStream")
async def create_log_stream(ctx: Ctx, req: Params) -> Result:
    group = require_group(ctx, req["logGroupName"])
    name = req["logStreamName"]
    check_pattern("logStreamName", name, STREAM_NAME_PATTERN)
    if name in group.streams:
        raise ResourceAlreadyExistsException(STREAM_EXISTS)
    group.streams[name] = LogStreamRecord(name=name, creation_time=now_ms(ctx))
    return {}


@operations.operation("DeleteLogStream")
async def delete_log_stream(ctx: Ctx, req: Params) -> Result:
    group = require_group(ctx, req["logGroupName"])
    stream = require_stream(group, req["logStreamName"])
    group.stored_bytes -= sum(e.size for e in stream.events)
    del group.streams[stream.name]
    return {}


def describe_stream(ctx: Ctx, group: LogGroupRecord, stream: LogStreamRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "logStreamName": stream.name, "creationTime": stream.creation_time,
        "arn": f"{group_arn(ctx, group.name)}:log-stream:{stream.name}", "storedBytes": 0,
    }
    if stream.first_event_timestamp is not None:
        out["firstEventTimestamp"] = stream.first_event_timestamp
        out["lastEventTimestamp"] = stream.last_event_timestamp
        out["lastIngestionTime"] = stream.last_ingestion_time
    out["uploadSequenceToken"] = sequence_token(stream)
    return out


def sequence_token(stream: LogStreamRecord) -> str:
    """Ignored on input, as AWS ignores it; still answered in AWS's 56-digit shape."""
    return f"{stream.upload_sequence_token:056d}"


@operations.operation("DescribeLogStreams")
async def describe_log_streams(ctx: Ctx, req: Params) -> Result:
    group = group_of(ctx, req)
    prefix, order = req.get("logStreamNamePrefix"), req.get("orderBy", "LogStreamName")
    if order == "LastEventTime" and prefix is not None:
        raise InvalidParameterException("Cannot order by LastEventTime with a logStreamNamePrefix.")
    descending = bool(req.get("descending", False))

    def key(s: LogStreamRecord) -> list[Any]:
        return [s.name] if order == "LogStreamName" else [s.last_event_timestamp or 0, s.name]

    after = decode_token(req["nextToken"], "s" + order[0]) if "nextToken" in req else None
    streams = sorted((s for s in group.streams.values() if prefix is None or s.name.startswith(prefix)), key=key, reverse=descending)
    if after is not None:
        streams = [s for s in streams if (key(s) < after if descending else key(s) > after)]
    limit = req.get("limit", PAGE)
    page = streams[:limit]
    out: Result = {"logStreams": [describe_stream(ctx, group, s) for s in page]}
    if len(streams) > limit:
        out["nextToken"] = encode_token(["s" + order[0], key(page[-1])])
    return out


# -- tags ---------------------------------------------------------------------------------------


@operations.operation("TagLogGroup")
async def tag_log_group(ctx: Ctx, req: Params) -> Result:
    group = require_group(ctx, req["logGroupName"])
    merged = {**group.tags, **req["tags"]}
    _check_tags(merged, group_arn(ctx, group.name), InvalidParameterException)
    group.tags = merged
    return {}


@operations.operation("UntagLogGroup")
async def untag_log_group(ctx: Ctx, req: Params) -> Result:
    group = require_group(ctx, req["logGroupName"])
    for key in req["tags"]:
        group.tags.pop(key, None)
    return {}


@operations.operation("ListTagsLogGroup")
async def list_tags_log_group(ctx: Ctx, req: Params) -> Result:
    return {"tags": dict(require_group(ctx, req["logGroupName"]).tags)}


@operations.operation("TagResource")
async def tag_resource(ctx: Ctx, req: Params) -> Result:
    group = _arn_group(ctx, req["resourceArn"], tagging=True)
    merged = {**group.tags, **req["tags"]}
    _check_tags(merged, req["resourceArn"])
    group.tags = merged
    return {}


@operations.operation("UntagResource")
async def untag_resource(ctx: Ctx, req: Params) -> Result:
    group = _arn_group(ctx, req["resourceArn"], tagging=True)
    for key in req["tagKeys"]:
        group.tags.pop(key, None)
    return {}


@operations.operation("ListTagsForResource")
async def list_tags_for_resource(ctx: Ctx, req: Params) -> Result:
    return {"tags": dict(_arn_group(ctx, req["resourceArn"], tagging=True).tags)}
