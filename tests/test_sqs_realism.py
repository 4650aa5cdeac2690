"""Realism mode: standard queues that duplicate and reorder as AWS's may (services/sqs/realism.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from server.settings import Settings, SettingsError
from tests.conftest import Server, start_server, stop_server
from tests.inprocess import InProcess
from tests.sqs_helpers import error_of, queue

RATE = 0.3


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("realism"), env={"STEPSTACK_SQS_REALISM": str(RATE), "STEPSTACK_SEED": "7"}
    )
    yield running
    stop_server(running)
    assert "Traceback" not in running.log_path.read_text()


def _send(client: Any, url: str, count: int, **extra: Any) -> list[str]:
    bodies = [f"m{i:03d}" for i in range(count)]
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": b, **extra} for i, b in enumerate(bodies[start:start + 10])]
        assert not client.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
    return bodies


def _receive_one_at_a_time(client: Any, url: str, receives: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    for _ in range(receives):
        got += client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=3600, AttributeNames=["ApproximateReceiveCount"]
        ).get("Messages", [])
    return got


def _realism_counts(server: Server, url: str) -> dict[str, Any]:
    status, body = server.admin("GET", f"/_stepstack/sqs/messages?QueueUrl={quote(url, safe='')}")
    assert status == 200, body
    return body.get("Realism", {})


def _out_of_order(bodies: list[str]) -> int:
    return sum(1 for a, b in zip(bodies, bodies[1:]) if b < a)


def test_a_standard_queue_duplicates_and_reorders_at_the_configured_rate(realistic: Server) -> None:
    sqs = realistic.client("sqs")
    url = queue(sqs, "rated")  # fixed names on the seeded server: each run draws the same
    sent = _send(sqs, url, 100)
    got = _receive_one_at_a_time(sqs, url, 100)
    ids = [m["MessageId"] for m in got]
    duplicates = len(ids) - len(set(ids))
    first_seen = list(dict.fromkeys(m["Body"] for m in got))
    counts = _realism_counts(realistic, url)
    assert counts["Rate"] == RATE
    assert counts["DuplicateDeliveries"] == duplicates  # counted as the client saw them
    assert 0.15 * 100 <= duplicates <= 0.45 * 100  # about a RATE share of the receives
    assert 0.15 * 100 <= counts["ShuffledReceives"] <= 0.45 * 100
    assert _out_of_order(first_seen) >= 10
    assert set(first_seen) <= set(sent)
    handles = [m["ReceiptHandle"] for m in got]
    assert len(set(handles)) == len(handles)  # a duplicate comes with a receipt handle of its own
    again = [m for m in got if m["MessageId"] in {i for i in ids if ids.count(i) > 1}]
    assert all(int(m["Attributes"]["ApproximateReceiveCount"]) >= 1 for m in again)
    assert max(int(m["Attributes"]["ApproximateReceiveCount"]) for m in again) >= 2


def test_consumers_that_delete_each_message_once_still_see_every_message(realistic: Server) -> None:
    sqs = realistic.client("sqs")
    url = queue(sqs, "consumed")
    sent = _send(sqs, url, 60)
    processed: list[str] = []
    while True:  # two consumers: each receives a batch, then both process and delete theirs
        batches = [sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3600).get("Messages", [])
                   for _ in range(2)]
        if not any(batches):
            break
        for message in (m for batch in batches for m in batch):
            processed.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # a copy's handle deletes too
    assert set(processed) == set(sent)  # at least once ...
    assert len(processed) > len(sent)  # ... and some more than once: what a consumer must be idempotent for
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None  # every delete held


def test_a_fifo_queue_never_duplicates_or_reorders(realistic: Server) -> None:
    sqs = realistic.client("sqs")
    url = queue(sqs, "ordered.fifo", FifoQueue=True, ContentBasedDeduplication=True)
    sent = _send(sqs, url, 40, MessageGroupId="one")
    got = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages"):
        got.append(messages[0]["Body"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    assert got == sent
    assert "Realism" not in _realism_counts_or_empty(realistic, url)


def _realism_counts_or_empty(server: Server, url: str) -> dict[str, Any]:
    status, body = server.admin("GET", f"/_stepstack/sqs/messages?QueueUrl={quote(url, safe='')}")
    assert status == 200, body
    return body


def test_the_queue_tag_sets_the_rate_and_zero_turns_it_off(realistic: Server, clients: Any, server: Server) -> None:
    sqs = realistic.client("sqs")
    quiet = queue(sqs, "quiet", tags={"stepstack:realism": "0"})
    sent = _send(sqs, quiet, 30)
    assert [m["Body"] for m in _receive_one_at_a_time(sqs, quiet, 30)] == sent
    assert _realism_counts(realistic, quiet) == {}
    plain = clients("sqs")  # the session's server: no STEPSTACK_SQS_REALISM
    off = queue(plain)
    sent = _send(plain, off, 30)
    assert [m["Body"] for m in _receive_one_at_a_time(plain, off, 31)] == sent
    tagged = queue(plain, tags={"stepstack:realism": "0.5"})
    _send(plain, tagged, 30)
    got = _receive_one_at_a_time(plain, tagged, 30)
    assert _realism_counts(server, tagged)["DuplicateDeliveries"] == len(got) - len({m["MessageId"] for m in got}) > 0


@pytest.mark.parametrize("value", ["2", "-0.1", "often", "nan"])
def test_a_realism_tag_that_is_not_a_rate_is_refused(clients: Any, value: str) -> None:
    sqs = clients("sqs")
    url = queue(sqs)
    error = error_of(sqs.tag_queue, QueueUrl=url, Tags={"stepstack:realism": value})["Error"]
    assert error["Code"] == "InvalidParameterValue" and "stepstack:realism" in error["Message"]
    error = error_of(sqs.create_queue, QueueName="realism-bad", tags={"stepstack:realism": value})["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert "stepstack:realism" not in sqs.list_queue_tags(QueueUrl=url).get("Tags", {})


def test_a_realism_tag_on_a_fifo_queue_is_refused(clients: Any) -> None:
    sqs = clients("sqs")
    url = queue(sqs, FifoQueue=True)
    error = error_of(sqs.tag_queue, QueueUrl=url, Tags={"stepstack:realism": "0.5"})["Error"]
    assert error["Code"] == "InvalidParameterValue" and "standard queues only" in error["Message"]


def test_the_same_seed_gives_the_same_deliveries() -> None:
    def run() -> list[str]:
        app = InProcess(seed=11, options={"sqs_realism": 0.5})
        try:
            url = app.sqs("CreateQueue", QueueName="seeded")["QueueUrl"]
            for i in range(20):
                app.sqs("SendMessage", QueueUrl=url, MessageBody=f"m{i:02d}")
            return [
                m["Body"] for _ in range(20)
                for m in app.sqs("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=60).get("Messages", [])
            ]
        finally:
            app.close()

    first = run()
    assert first == run()
    assert first != sorted(first)


@pytest.mark.parametrize("raw", ["1.5", "x", "-1"])
def test_a_realism_setting_that_is_not_a_rate_stops_the_server_starting(raw: str) -> None:
    with pytest.raises(SettingsError, match="STEPSTACK_SQS_REALISM"):
        Settings.from_env({"STEPSTACK_SQS_REALISM": raw})
