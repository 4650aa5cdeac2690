"""Memory that comes back: a drained queue holds what an empty one holds, and a deep queue's
compressed bodies come back exactly as they were sent. bench/sqs_memory.py has the large figures."""

from __future__ import annotations

import gc
import hashlib
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from services.core.clock import Clock
from services.sqs import queue as queue_module
from tests.inprocess import InProcess
from tests.test_core_snapshots import round_trip

BODY = ("stepstack memory test " * 60)[:1024]


def _fill(app: InProcess, url: str, count: int, body: str = BODY) -> None:
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": f"{body}{start + i}"} for i in range(min(10, count - start))]
        assert not app.sqs("SendMessageBatch", QueueUrl=url, Entries=entries)["Failed"]


def _drain(app: InProcess, url: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while got := app.sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600).get("Messages"):
        seen += got
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        assert not app.sqs("DeleteMessageBatch", QueueUrl=url, Entries=entries)["Failed"]
    return seen


# Not the service's memory, left out of the count: what other threads of the test process
# allocate meanwhile (spare servers starting, the SNS tests' HTTP subscribers), and the
# harness's own output check (botocore) and pattern caches.
_NOT_THE_SERVICE = tuple(
    tracemalloc.Filter(False, pattern)
    for pattern in ("*/threading.py", "*/socketserver.py", "*/http/server.py", "*/http/client.py", "*/subprocess.py",
                    "*/concurrent/*", "*/selectors.py", "*/socket.py", "*/email/*", "*/conftest.py", "*/tracemalloc.py",
                    "*/botocore/*", "*/fnmatch.py", "*/re/*")
)


def _traced() -> int:
    gc.collect()
    return sum(stat.size for stat in tracemalloc.take_snapshot().filter_traces(_NOT_THE_SERVICE).statistics("filename"))


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    yield
    tracemalloc.stop()


def test_a_drained_queue_holds_no_more_than_an_empty_one(app: InProcess, traced: None) -> None:
    url = app.sqs("CreateQueue", QueueName="drained")["QueueUrl"]
    _fill(app, url, 10)
    _drain(app, url)  # every code path warm
    empty = _traced()
    _fill(app, url, 3000)
    stored = _traced()
    assert len(_drain(app, url)) == 3000
    drained = _traced()
    assert stored - empty > 3000 * 1024  # the messages were really held ...
    assert drained - empty < 64 * 1024  # ... and nothing of them is left: no handles, timers or tables


def test_cancelled_timers_let_go_of_their_callbacks_and_leave_the_heap() -> None:
    clock = Clock(frozen=True, start=1_000.0)
    held = [object() for _ in range(2000)]
    timers = [clock.call_at(2_000.0, lambda o=o: o) for o in held]  # type: ignore[misc]
    for timer in timers:
        timer.cancel()
    assert all(t.callback() is None for t in timers)
    assert clock.pending() == 0
    assert len(clock._timers) <= 256  # compacted while the cancelled ones were most of the heap


@pytest.fixture
def deep_queues(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every queue counts as deep: each large body is stored compressed."""
    monkeypatch.setattr(queue_module, "DEEP_QUEUE_BYTES", 0)


def test_a_deep_queue_stores_large_bodies_compressed_and_returns_them_exactly(app: InProcess, deep_queues: None) -> None:
    url = app.sqs("CreateQueue", QueueName="deep")["QueueUrl"]
    body = "ünïcödé ✓ " * 100 + "end"
    sent = app.sqs("SendMessage", QueueUrl=url, MessageBody=body)
    app.sqs("SendMessage", QueueUrl=url, MessageBody="short")
    queue = app.dispatcher.service("sqs").runtimes["arn:aws:sqs:us-east-1:000000000000:deep"]
    stored = {m.body if isinstance(m.body, str) else "compressed" for m in queue.messages.values()}
    assert stored == {"short", "compressed"}
    assert queue.body_bytes < len(body.encode())
    fresh, _ = round_trip(app)  # the compressed body survives a snapshot
    try:
        got = fresh.sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    finally:
        fresh.close()
    assert [m["Body"] for m in got] == [body, "short"]
    assert got[0]["MD5OfBody"] == sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()


def test_dedup_entries_and_receive_attempts_are_forgotten_after_their_five_minutes(app: InProcess) -> None:
    url = app.sqs("CreateQueue", QueueName="forget.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    for i in range(50):
        app.sqs("SendMessage", QueueUrl=url, MessageBody=f"m{i}", MessageGroupId=f"g{i}", MessageDeduplicationId=f"d{i}")
    got = app.sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1")["Messages"]
    record = app.dispatcher.service("sqs").runtimes["arn:aws:sqs:us-east-1:000000000000:forget.fifo"].record
    assert len(record.dedup) == 50 and list(record.attempts) == ["attempt-1"]
    app.advance(299)
    assert len(record.dedup) == 50  # still inside the window: a resend is still a duplicate
    again = app.sqs("SendMessage", QueueUrl=url, MessageBody="m0", MessageGroupId="g0", MessageDeduplicationId="d0")
    assert again["MessageId"] == got[0]["MessageId"]
    app.advance(2)
    assert record.dedup == {} and record.attempts == {}  # nobody sent or received: forgotten anyway
