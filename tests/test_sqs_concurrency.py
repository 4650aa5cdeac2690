"""SQS under concurrent producers and consumers, each thread with its own boto3 client.

Standard queue: at-least-once delivery, nothing lost. FIFO queue: per-group
order and exactly-once processing within the deduplication window (SQS
developer guide, "Exactly-once processing" and "Message ordering").
Sized to finish well under a minute on a 2-core machine.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

import pytest

from tests.sqs_helpers import queue, wait_for_long_polls
from tests.test_sqs_messages import counts

PRODUCERS = 4
CONSUMERS = 4
DEADLINE_SECONDS = 50


class Workers:
    """Threads that record their first exception instead of dying silently."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()

    def start(self, target: Any, *args: Any) -> None:
        def run() -> None:
            try:
                target(*args)
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                self.errors.append(exc)
                self.stop.set()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, end - time.monotonic()))
        self.stop.set()
        for thread in self.threads:
            thread.join(5)
        assert not self.errors, self.errors
        assert not any(thread.is_alive() for thread in self.threads), "a worker did not finish"


def test_standard_queue_moves_5000_messages_without_losing_any(server: Any) -> None:
    total = 5000
    per_producer = total // PRODUCERS
    admin = server.client("sqs")
    url = queue(admin, prefix="concurrent", VisibilityTimeout=30)
    workers = Workers()
    lock = threading.Lock()
    sent: dict[str, str] = {}  # message id -> body
    processed: dict[str, str] = {}
    deliveries = [0]
    producers_done = threading.Event()
    producers_left = [PRODUCERS]
    started = time.monotonic()

    def produce(index: int) -> None:
        client = server.client("sqs")
        for start in range(0, per_producer, 10):
            entries = [
                {"Id": str(n), "MessageBody": f"p{index}-{start + n}"} for n in range(min(10, per_producer - start))
            ]
            response = client.send_message_batch(QueueUrl=url, Entries=entries)
            assert not response.get("Failed"), response.get("Failed")
            bodies = {entry["Id"]: entry["MessageBody"] for entry in entries}
            with lock:
                for entry in response["Successful"]:
                    sent[entry["MessageId"]] = bodies[entry["Id"]]
            if workers.stop.is_set():
                return
        with lock:
            producers_left[0] -= 1
            if producers_left[0] == 0:
                producers_done.set()

    def consume() -> None:
        client = server.client("sqs")
        while not workers.stop.is_set() and time.monotonic() - started < DEADLINE_SECONDS:
            messages = client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
            ).get("Messages", [])
            if not messages:
                with lock:
                    if producers_done.is_set() and len(processed) >= total:
                        return
                continue
            with lock:
                deliveries[0] += len(messages)
                for message in messages:
                    processed[message["MessageId"]] = message["Body"]
            response = client.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
            )
            assert not response.get("Failed"), response.get("Failed")

    for index in range(PRODUCERS):
        workers.start(produce, index)
    for _ in range(CONSUMERS):
        workers.start(consume)
    workers.join(DEADLINE_SECONDS + 5)

    assert len(sent) == total
    assert processed == sent  # every message processed, with its body, none invented
    assert deliveries[0] >= total
    assert counts(admin, url) == (0, 0, 0)
    assert time.monotonic() - started < 60


GROUPS = 10
PER_GROUP = 100
FIFO_PRODUCERS = 2


def test_fifo_queue_keeps_group_order_and_delivers_exactly_once(server: Any) -> None:
    admin = server.client("sqs")
    url = queue(admin, prefix="concurrentfifo", FifoQueue=True, VisibilityTimeout=30)
    workers = Workers()
    lock = threading.Lock()
    processed: dict[str, list[int]] = defaultdict(list)  # group -> indexes, in processing order
    sequence_of: dict[tuple[str, int], int] = {}
    message_ids: list[str] = []
    producers_done = threading.Event()
    producers_left = [FIFO_PRODUCERS]
    started = time.monotonic()
    total = GROUPS * PER_GROUP

    def produce(index: int) -> None:
        """Each producer owns some groups; every batch is sent twice (a retry inside the
        deduplication window) and the second send must change nothing."""
        client = server.client("sqs")
        groups = [f"group{g}" for g in range(index, GROUPS, FIFO_PRODUCERS)]
        for start in range(0, PER_GROUP, 5):
            for group in groups:
                entries = [
                    {
                        "Id": str(n),
                        "MessageBody": f"{group}:{start + n}",
                        "MessageGroupId": group,
                        "MessageDeduplicationId": f"{group}-{start + n}",
                    }
                    for n in range(5)
                ]
                first = client.send_message_batch(QueueUrl=url, Entries=entries)
                retry = client.send_message_batch(QueueUrl=url, Entries=entries)
                assert not first.get("Failed") and not retry.get("Failed")
                first_ids = {e["Id"]: e["MessageId"] for e in first["Successful"]}
                assert {e["Id"]: e["MessageId"] for e in retry["Successful"]} == first_ids
                with lock:
                    for n in range(5):
                        sequence = next(e["SequenceNumber"] for e in first["Successful"] if e["Id"] == str(n))
                        sequence_of[(group, start + n)] = int(sequence)
            if workers.stop.is_set():
                return
        with lock:
            producers_left[0] -= 1
            if producers_left[0] == 0:
                producers_done.set()

    def consume() -> None:
        client = server.client("sqs")
        last_sequence: dict[str, int] = {}
        while not workers.stop.is_set() and time.monotonic() - started < DEADLINE_SECONDS:
            messages = client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30,
                MessageSystemAttributeNames=["MessageGroupId", "SequenceNumber"],
            ).get("Messages", [])
            if not messages:
                with lock:
                    if producers_done.is_set() and sum(map(len, processed.values())) >= total:
                        return
                continue
            with lock:  # recorded before the delete: the group stays blocked until then
                for message in messages:
                    group, index = message["Body"].split(":")
                    assert message["Attributes"]["MessageGroupId"] == group
                    sequence = int(message["Attributes"]["SequenceNumber"])
                    assert sequence > last_sequence.get(group, -1), "a consumer saw a group's sequence go back"
                    last_sequence[group] = sequence
                    processed[group].append(int(index))
                    message_ids.append(message["MessageId"])
            response = client.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
            )
            assert not response.get("Failed"), response.get("Failed")

    for index in range(FIFO_PRODUCERS):
        workers.start(produce, index)
    for _ in range(CONSUMERS):
        workers.start(consume)
    workers.join(DEADLINE_SECONDS + 5)

    assert len(message_ids) == len(set(message_ids)) == total  # exactly once
    assert set(processed) == {f"group{g}" for g in range(GROUPS)}
    for group, indexes in processed.items():
        assert indexes == list(range(PER_GROUP)), f"{group} processed out of order"
        sequences = [sequence_of[(group, i)] for i in indexes]
        assert sequences == sorted(sequences)
    assert counts(admin, url) == (0, 0, 0)
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("consumers", [8])
def test_concurrent_long_polls_each_get_distinct_messages(server: Any, consumers: int) -> None:
    """Long polls waiting together on an empty queue: each message sent wakes one and goes to one."""
    admin = server.client("sqs")
    url = queue(admin, prefix="concurrentpoll", VisibilityTimeout=60)
    results: list[list[str]] = []
    lock = threading.Lock()
    workers = Workers()

    def wait_for_one() -> None:
        client = server.client("sqs")
        messages = client.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
        with lock:
            results.append([m["MessageId"] for m in messages])

    for _ in range(consumers):
        workers.start(wait_for_one)
    wait_for_long_polls(server, url, consumers)  # all of them wait together before anything is sent
    sent = [admin.send_message(QueueUrl=url, MessageBody=f"m{i}")["MessageId"] for i in range(consumers)]
    workers.join(10)
    received = [mid for ids in results for mid in ids]
    assert sorted(received) == sorted(sent)
