"""CloudWatch Logs through boto3 against a real server: groups, streams, events, filter
patterns, retention on the service clock, tags, and a snapshot round trip."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.inprocess import START, InProcess

DAY_MS = 86_400_000


def error_of(call: Callable[..., Any], **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


def name(prefix: str = "/t/") -> str:
    return prefix + uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def logs(own_server: Server) -> Any:
    return own_server.client("logs")


def server_now_ms(server: Server) -> int:
    status, body = server.admin("GET", "/_stepstack/clock")
    assert status == 200, body
    return int(body["now"] * 1000)


@pytest.fixture()
def stream(logs: Any) -> tuple[str, str]:
    group, stream = name(), "s-" + uuid.uuid4().hex[:6]
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group, stream


def put(logs: Any, group: str, stream: str, events: list[tuple[int, str]]) -> dict[str, Any]:
    return logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": t, "message": m} for t, m in events]
    )


# -- groups and streams ---------------------------------------------------------------------------


def test_log_group_lifecycle_and_described_fields(logs: Any, own_server: Server) -> None:
    group = name()
    before = server_now_ms(own_server)
    logs.create_log_group(logGroupName=group)
    found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert len(found) == 1
    described = found[0]
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    assert described["arn"] == arn + ":*"
    assert described["logGroupArn"] == arn
    assert (described["metricFilterCount"], described["storedBytes"], described["logGroupClass"]) == (0, 0, "STANDARD")
    assert before <= described["creationTime"] <= server_now_ms(own_server)
    assert "retentionInDays" not in described

    error = error_of(logs.create_log_group, logGroupName=group)
    assert error == {"Code": "ResourceAlreadyExistsException", "Message": "The specified log group already exists"}
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    error = error_of(logs.delete_log_group, logGroupName=group)
    assert error == {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}


def test_invalid_group_name_is_an_invalid_parameter(logs: Any) -> None:
    error = error_of(logs.create_log_group, logGroupName="bad name!")
    assert error["Code"] == "InvalidParameterException"
    assert "logGroupName" in error["Message"] and "failed to satisfy constraint" in error["Message"]


def test_log_stream_lifecycle_and_errors(logs: Any) -> None:
    group = name()
    error = error_of(logs.create_log_stream, logGroupName=group, logStreamName="s")
    assert error == {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    error = error_of(logs.create_log_stream, logGroupName=group, logStreamName="s")
    assert error == {"Code": "ResourceAlreadyExistsException", "Message": "The specified log stream already exists"}
    described = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in described] == ["s"]
    assert described[0]["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:log-stream:s"
    assert described[0]["storedBytes"] == 0 and "lastEventTimestamp" not in described[0]
    logs.delete_log_stream(logGroupName=group, logStreamName="s")
    error = error_of(logs.delete_log_stream, logGroupName=group, logStreamName="s")
    assert error == {"Code": "ResourceNotFoundException", "Message": "The specified log stream does not exist."}
    error = error_of(logs.describe_log_streams, logGroupName=group + "-missing")
    assert error["Code"] == "ResourceNotFoundException"


def test_deleting_a_group_deletes_its_streams(logs: Any, stream: tuple[str, str]) -> None:
    group, s = stream
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []


def test_describe_log_groups_pages_in_name_order(logs: Any) -> None:
    base = name("/page/")
    names = [f"{base}/{i:02d}" for i in range(7)]
    for n in reversed(names):
        logs.create_log_group(logGroupName=n)
    seen, token, pages = [], None, 0
    while True:
        page = logs.describe_log_groups(logGroupNamePrefix=base, limit=3, **({"nextToken": token} if token else {}))
        seen += [g["logGroupName"] for g in page["logGroups"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert seen == names and pages == 3
    paginated = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=base, PaginationConfig={"PageSize": 2})
    assert [g["logGroupName"] for p in paginated for g in p["logGroups"]] == names
    error = error_of(logs.describe_log_groups, nextToken="garbage")
    assert error["Code"] == "InvalidParameterException"


def test_describe_log_groups_by_pattern_answers_only_name_arn_and_creation_time(logs: Any) -> None:
    token = uuid.uuid4().hex[:8]
    logs.create_log_group(logGroupName=f"/x/{token}DataLogs")
    logs.create_log_group(logGroupName=f"/x/{token}datalogs")
    found = logs.describe_log_groups(logGroupNamePattern=f"{token}DataLogs")["logGroups"]
    assert [g["logGroupName"] for g in found] == [f"/x/{token}DataLogs"]
    assert set(found[0]) == {"logGroupName", "arn", "creationTime"}
    error = error_of(logs.describe_log_groups, logGroupNamePattern="a", logGroupNamePrefix="a")
    assert error["Code"] == "InvalidParameterException"


def test_describe_log_streams_orders_by_name_or_last_event_time(logs: Any, own_server: Server) -> None:
    group = name()
    logs.create_log_group(logGroupName=group)
    now = server_now_ms(own_server)
    for stream, offset in (("b", 3), ("a", 1), ("c", 2)):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        put(logs, group, stream, [(now - 10_000 + offset, f"in {stream}")])
    names = lambda **kw: [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group, **kw)["logStreams"]]  # noqa: E731
    assert names() == ["a", "b", "c"]
    assert names(descending=True) == ["c", "b", "a"]
    assert names(orderBy="LastEventTime") == ["a", "c", "b"]
    assert names(orderBy="LastEventTime", descending=True) == ["b", "c", "a"]
    assert names(logStreamNamePrefix="b") == ["b"]
    first = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True, limit=2)
    assert [s["logStreamName"] for s in first["logStreams"]] == ["b", "c"]
    rest = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True, nextToken=first["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["a"] and "nextToken" not in rest
    described = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="b")["logStreams"][0]
    assert described["firstEventTimestamp"] == described["lastEventTimestamp"] == now - 10_000 + 3
    error = error_of(logs.describe_log_streams, logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error["Code"] == "InvalidParameterException"


# -- PutLogEvents --------------------------------------------------------------------------------


def test_put_log_events_rejects_too_old_and_too_new_events_and_keeps_the_rest(logs: Any, own_server: Server, stream: tuple[str, str]) -> None:
    group, s = stream
    now = server_now_ms(own_server)
    result = put(logs, group, s, [
        (now - 15 * DAY_MS, "too old 1"), (now - 14 * DAY_MS - 60_000, "too old 2"),
        (now - 1000, "kept 1"), (now, "kept 2"),
        (now + 3 * 3_600_000, "too new"),
    ])
    assert result["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2, "tooNewLogEventStartIndex": 4}
    assert len(result["nextSequenceToken"]) == 56
    events = logs.get_log_events(logGroupName=group, logStreamName=s, startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["kept 1", "kept 2"]
    assert all(e["ingestionTime"] >= now for e in events)


def test_put_log_events_accepts_any_sequence_token(logs: Any, own_server: Server, stream: tuple[str, str]) -> None:
    group, s = stream
    now = server_now_ms(own_server)
    result = logs.put_log_events(logGroupName=group, logStreamName=s, sequenceToken="not-a-real-token",
                                 logEvents=[{"timestamp": now, "message": "ok"}])
    assert "rejectedLogEventsInfo" not in result
    assert [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=s)["events"]] == ["ok"]


def test_put_log_events_refuses_unordered_oversized_and_missing_targets(logs: Any, own_server: Server, stream: tuple[str, str]) -> None:
    group, s = stream
    now = server_now_ms(own_server)
    error = error_of(logs.put_log_events, logGroupName=group, logStreamName=s,
                     logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
    assert error == {"Code": "InvalidParameterException",
                     "Message": "Log events in a single PutLogEvents request must be in chronological order."}
    big = "x" * (1_048_576 - 2 * 26 - 10)
    error = error_of(logs.put_log_events, logGroupName=group, logStreamName=s,
                     logEvents=[{"timestamp": now, "message": big}, {"timestamp": now, "message": "y" * 11}])
    assert error == {"Code": "InvalidParameterException", "Message": "Upload too large: 1048577 bytes exceeds limit of 1048576"}
    put(logs, group, s, [(now, big), (now, "y" * 10)])  # exactly at the limit: accepted
    error = error_of(logs.put_log_events, logGroupName=group, logStreamName=s,
                     logEvents=[{"timestamp": now - DAY_MS - 2, "message": "a"}, {"timestamp": now, "message": "b"}])
    assert error["Code"] == "InvalidParameterException" and "24 hours" in error["Message"]
    error = error_of(logs.put_log_events, logGroupName=group, logStreamName=s,
                     logEvents=[{"timestamp": now, "message": "x"}] * 10_001)
    assert error["Code"] == "InvalidParameterException" and "logEvents" in error["Message"]
    error = error_of(logs.put_log_events, logGroupName=group, logStreamName="nope", logEvents=[{"timestamp": now, "message": "x"}])
    assert error == {"Code": "ResourceNotFoundException", "Message": "The specified log stream does not exist."}
    error = error_of(logs.put_log_events, logGroupName=group + "-no", logStreamName=s, logEvents=[{"timestamp": now, "message": "x"}])
    assert error == {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}


# -- GetLogEvents -----------------------------------------------------------------------------------


def test_get_log_events_pages_forward_and_backward_and_repeats_the_token_at_the_end(logs: Any, own_server: Server, stream: tuple[str, str]) -> None:
    group, s = stream
    now = server_now_ms(own_server)
    put(logs, group, s, [(now - 100 + i, f"m{i}") for i in range(10)])
    messages = lambda page: [e["message"] for e in page["events"]]  # noqa: E731

    tail = logs.get_log_events(logGroupName=group, logStreamName=s, limit=3)  # default: the latest events
    assert messages(tail) == ["m7", "m8", "m9"]
    back = logs.get_log_events(logGroupName=group, logStreamName=s, limit=3, nextToken=tail["nextBackwardToken"])
    assert messages(back) == ["m4", "m5", "m6"]
    assert back["nextForwardToken"].startswith("f/") and back["nextBackwardToken"].startswith("b/")

    head = logs.get_log_events(logGroupName=group, logStreamName=s, limit=4, startFromHead=True)
    assert messages(head) == ["m0", "m1", "m2", "m3"]
    seen, token = messages(head), head["nextForwardToken"]
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName=s, limit=4, startFromHead=True, nextToken=token)
        if page["nextForwardToken"] == token:
            assert page["events"] == []
            break
        seen += messages(page)
        token = page["nextForwardToken"]
    assert seen == [f"m{i}" for i in range(10)]

    put(logs, group, s, [(now, "later")])  # a forward token at the end sees what comes next
    after = logs.get_log_events(logGroupName=group, logStreamName=s, startFromHead=True, nextToken=token)
    assert messages(after) == ["later"]

    earliest = logs.get_log_events(logGroupName=group, logStreamName=s, limit=2, startFromHead=True)
    before_first = logs.get_log_events(logGroupName=group, logStreamName=s, nextToken=earliest["nextBackwardToken"])
    assert before_first["events"] == [] and before_first["nextBackwardToken"] == earliest["nextBackwardToken"]


def test_get_log_events_time_range_is_start_inclusive_end_exclusive(logs: Any, own_server: Server, stream: tuple[str, str]) -> None:
    group, s = stream
    now = server_now_ms(own_server)
    put(logs, group, s, [(now - 30, "a"), (now - 20, "b"), (now - 10, "c")])
    page = logs.get_log_events(logGroupName=group, logStreamName=s, startTime=now - 20, endTime=now - 10, startFromHead=True)
    assert [e["message"] for e in page["events"]] == ["b"]
    by_arn = logs.get_log_events(logGroupIdentifier=f"arn:aws:logs:us-east-1:000000000000:log-group:{group}", logStreamName=s)
    assert [e["message"] for e in by_arn["events"]] == ["a", "b", "c"]
    error = error_of(logs.get_log_events, logGroupName=group, logStreamName=s, nextToken="f/garbage")
    assert error["Code"] == "InvalidParameterException"
    error = error_of(logs.get_log_events, logStreamName=s)
    assert error["Code"] == "InvalidParameterException"


# -- FilterLogEvents --------------------------------------------------------------------------------


@pytest.fixture()
def filled(logs: Any, own_server: Server) -> tuple[str, int]:
    group = name()
    logs.create_log_group(logGroupName=group)
    now = server_now_ms(own_server)
    lines = {
        "app/1": [(now - 50, "ERROR disk full"), (now - 30, json.dumps({"level": "warn", "latency": 250, "user": {"id": "u-17"}}))],
        "app/2": [(now - 40, "INFO started"), (now - 20, json.dumps({"level": "error", "latency": 90, "flag": True, "gone": None}))],
        "other": [(now - 10, "ERROR Internal Server Error in handler")],
    }
    for stream, events in lines.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        put(logs, group, stream, events)
    return group, now


def filtered(logs: Any, group: str, **params: Any) -> list[str]:
    return [e["message"] for e in logs.filter_log_events(logGroupName=group, **params)["events"]]


def test_filter_log_events_interleaves_streams_in_time_order(logs: Any, filled: tuple[str, int]) -> None:
    group, now = filled
    page = logs.filter_log_events(logGroupName=group)
    assert [(e["logStreamName"], e["timestamp"]) for e in page["events"]] == [
        ("app/1", now - 50), ("app/2", now - 40), ("app/1", now - 30), ("app/2", now - 20), ("other", now - 10)
    ]
    assert page["searchedLogStreams"] == [] and "nextToken" not in page
    assert len({e["eventId"] for e in page["events"]}) == 5
    assert filtered(logs, group, logStreamNamePrefix="app/2") == ["INFO started", page["events"][3]["message"]]
    assert len(filtered(logs, group, logStreamNames=["app/1", "other"])) == 3
    assert len(filtered(logs, group, startTime=now - 40, endTime=now - 20)) == 3  # both ends inclusive
    error = error_of(logs.filter_log_events, logGroupName=group, logStreamNames=["app/1"], logStreamNamePrefix="app")
    assert error["Code"] == "InvalidParameterException"


def test_filter_log_events_pages_with_next_token_both_ways(logs: Any, filled: tuple[str, int]) -> None:
    group, now = filled
    first = logs.filter_log_events(logGroupName=group, limit=2)
    second = logs.filter_log_events(logGroupName=group, limit=2, nextToken=first["nextToken"])
    third = logs.filter_log_events(logGroupName=group, limit=2, nextToken=second["nextToken"])
    stamps = [e["timestamp"] for p in (first, second, third) for e in p["events"]]
    assert stamps == [now - 50, now - 40, now - 30, now - 20, now - 10] and "nextToken" not in third
    newest = logs.filter_log_events(logGroupName=group, limit=3, startFromHead=False)
    assert [e["timestamp"] for e in newest["events"]] == [now - 10, now - 20, now - 30]
    older = logs.filter_log_events(logGroupName=group, limit=3, nextToken=newest["nextToken"])
    assert [e["timestamp"] for e in older["events"]] == [now - 40, now - 50]


def test_filter_patterns_with_terms(logs: Any, filled: tuple[str, int]) -> None:
    group, _ = filled
    assert filtered(logs, group, filterPattern="ERROR") == ["ERROR disk full", "ERROR Internal Server Error in handler"]
    assert filtered(logs, group, filterPattern="ERROR disk") == ["ERROR disk full"]
    assert filtered(logs, group, filterPattern='"Internal Server Error"') == ["ERROR Internal Server Error in handler"]
    assert filtered(logs, group, filterPattern="?disk ?started") == ["ERROR disk full", "INFO started"]
    assert filtered(logs, group, filterPattern="ERROR -disk") == ["ERROR Internal Server Error in handler"]
    # case-sensitive, whole terms: only the JSON event says "error"; "Err" is part of longer words
    assert [json.loads(m)["level"] for m in filtered(logs, group, filterPattern="error")] == ["error"]
    assert filtered(logs, group, filterPattern="Err") == []
    assert filtered(logs, group, filterPattern="%Err[a-z]+ in%") == ["ERROR Internal Server Error in handler"]


def test_filter_patterns_with_json_selectors(logs: Any, filled: tuple[str, int]) -> None:
    group, _ = filled
    levels = lambda pattern: [json.loads(m)["level"] for m in filtered(logs, group, filterPattern=pattern)]  # noqa: E731
    assert levels('{ $.level = "warn" }') == ["warn"]
    assert levels("{ $.level = err* }") == ["error"]
    assert levels("{ $.latency > 100 }") == ["warn"]
    assert levels("{ $.latency <= 90 }") == ["error"]
    assert levels('{ $.level = "warn" || $.flag IS TRUE }') == ["warn", "error"]
    assert levels('{ ($.latency >= 90) && $.user.id = "u-17" }') == ["warn"]
    assert levels("{ $.gone IS NULL }") == ["error"]
    assert levels("{ $.flag NOT EXISTS }") == ["warn"]
    assert levels('{ $.level != "warn" }') == ["error"]


def test_unsupported_or_invalid_filter_patterns_are_refused(logs: Any, filled: tuple[str, int]) -> None:
    group, _ = filled
    error = error_of(logs.filter_log_events, logGroupName=group, filterPattern="[ip, user, ...]")
    assert error["Code"] == "InvalidParameterException" and "does not support" in error["Message"]
    error = error_of(logs.filter_log_events, logGroupName=group, filterPattern="{ $.latency > }")
    assert error["Code"] == "InvalidParameterException"
    error = error_of(logs.filter_log_events, logGroupName=group, filterPattern='{ $.level > "a" }')
    assert error["Code"] == "InvalidParameterException"


# -- retention -------------------------------------------------------------------------------------


def test_retention_values_are_those_aws_allows(logs: Any) -> None:
    group = name()
    logs.create_log_group(logGroupName=group)
    error = error_of(logs.put_retention_policy, logGroupName=group, retentionInDays=2)
    assert error["Code"] == "InvalidParameterException"
    assert "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365" in error["Message"]
    logs.put_retention_policy(logGroupName=group, retentionInDays=3653)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 3653
    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    error = error_of(logs.put_retention_policy, logGroupName=group + "-no", retentionInDays=1)
    assert error["Code"] == "ResourceNotFoundException"


def test_events_older_than_the_retention_expire_on_the_service_clock(logs: Any, own_server: Server, stream: tuple[str, str]) -> None:
    group, s = stream
    now = server_now_ms(own_server)
    put(logs, group, s, [(now - 2 * 3_600_000, "two hours old"), (now, "fresh")])
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert described["storedBytes"] == len("two hours old") + len("fresh")
    own_server.advance(22 * 3600 + 60)  # the older event is now past one day
    events = logs.get_log_events(logGroupName=group, logStreamName=s, startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["fresh"]
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == len("fresh")
    later = server_now_ms(own_server)
    result = put(logs, group, s, [(later - DAY_MS - 1000, "expired"), (later, "new")])
    assert result["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}
    own_server.advance(2 * 86400)
    assert filtered(logs, group) == []


# -- tags ------------------------------------------------------------------------------------------------


def test_tags_by_group_name_and_by_arn(logs: Any) -> None:
    group = name()
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    logs.create_log_group(logGroupName=group, tags={"team": "a"})
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"team": "a"}
    logs.tag_log_group(logGroupName=group, tags={"env": "dev"})
    logs.tag_resource(resourceArn=arn, tags={"team": "b", "cost": "1"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "b", "env": "dev", "cost": "1"}
    logs.untag_resource(resourceArn=arn, tagKeys=["cost"])
    logs.untag_log_group(logGroupName=group, tags=["env"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"team": "b"}
    error = error_of(logs.tag_resource, resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    assert error["Code"] == "TooManyTagsException"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "b"}
    error = error_of(logs.list_tags_for_resource, resourceArn=arn + "-missing")
    assert error["Code"] == "ResourceNotFoundException"
    error = error_of(logs.list_tags_log_group, logGroupName=group + "-missing")
    assert error["Code"] == "ResourceNotFoundException"


def test_regions_have_their_own_groups(own_server: Server, logs: Any) -> None:
    group = name()
    logs.create_log_group(logGroupName=group)
    other = own_server.client("logs", region="eu-west-1")
    assert other.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    other.create_log_group(logGroupName=group)
    assert other.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"].startswith("arn:aws:logs:eu-west-1:")


def test_unimplemented_operations_answer_not_implemented(logs: Any) -> None:
    with pytest.raises(ClientError) as caught:
        logs.describe_metric_filters()
    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


# -- in process: internal callers and snapshots -------------------------------------------------------


def test_write_lines_creates_group_and_stream_and_batches_by_aws_limits() -> None:
    from services.logs.writer import batches, write_lines

    app = InProcess()
    try:
        now = int(START * 1000)
        lines = [(now + i, f"line {i}") for i in range(10_005)] + [(now, "")]
        app.run(write_lines(app.dispatcher, "000000000000", "us-east-1", "/aws/batch/job", "def/default/task1", lines))
        app.run(write_lines(app.dispatcher, "000000000000", "us-east-1", "/aws/batch/job", "def/default/task1", [(now + 20_000, "again")]))
        got = app.call("logs", "GetLogEvents", {"logGroupName": "/aws/batch/job", "logStreamName": "def/default/task1", "startFromHead": True})
        assert len(got["events"]) == 10_000 and got["events"][0]["message"] == "line 0"
        rest = app.call("logs", "GetLogEvents", {"logGroupName": "/aws/batch/job", "logStreamName": "def/default/task1", "nextToken": got["nextForwardToken"]})
        assert [e["message"] for e in rest["events"]][-2:] == ["line 10004", "again"]
        assert [len(b) for b in batches(lines)] == [10_000, 5]
        big = [(now, "x" * 600_000), (now, "y" * 600_000)]
        assert [len(b) for b in batches(big)] == [1, 1]
        spread = [(now, "a"), (now + 86_400_001, "b")]
        assert [len(b) for b in batches(spread)] == [1, 1]
        with pytest.raises(Exception) as caught:  # internal calls are validated like wire calls
            app.call("logs", "PutLogEvents", {"logGroupName": "/aws/batch/job", "logStreamName": "def/default/task1", "logEvents": [{"timestamp": now}]})
        assert getattr(caught.value, "code", "") == "InvalidParameterException"
    finally:
        app.close()


def test_snapshot_round_trip_keeps_groups_streams_events_and_tokens() -> None:
    from tests.test_core_snapshots import assert_plain, round_trip

    app = InProcess()
    try:
        now = int(START * 1000)
        app.call("logs", "CreateLogGroup", {"logGroupName": "/snap", "tags": {"k": "v"}})
        app.call("logs", "PutRetentionPolicy", {"logGroupName": "/snap", "retentionInDays": 7})
        app.call("logs", "CreateLogStream", {"logGroupName": "/snap", "logStreamName": "s"})
        app.call("logs", "PutLogEvents", {"logGroupName": "/snap", "logStreamName": "s", "logEvents": [{"timestamp": now - 5, "message": "one"}, {"timestamp": now, "message": "two"}]})
        token = app.call("logs", "GetLogEvents", {"logGroupName": "/snap", "logStreamName": "s", "limit": 1, "startFromHead": True})["nextForwardToken"]
        for store in app.dispatcher.services["logs"].stores._stores.values():
            assert_plain(store)
        restored, before = round_trip(app)
        try:
            assert json.loads(json.dumps(restored.dispatcher.snapshot()))["services"]["logs"] == before["services"]["logs"]
            group = restored.call("logs", "DescribeLogGroups", {})["logGroups"][0]
            assert (group["logGroupName"], group["retentionInDays"], group["storedBytes"]) == ("/snap", 7, 6)
            assert restored.call("logs", "ListTagsLogGroup", {"logGroupName": "/snap"}) == {"tags": {"k": "v"}}
            page = restored.call("logs", "GetLogEvents", {"logGroupName": "/snap", "logStreamName": "s", "nextToken": token})
            assert [e["message"] for e in page["events"]] == ["two"]
            restored.advance(7 * 86400 + 1)  # retention still applies after the restore
            assert restored.call("logs", "FilterLogEvents", {"logGroupName": "/snap"})["events"] == []
        finally:
            restored.close()
    finally:
        app.close()
