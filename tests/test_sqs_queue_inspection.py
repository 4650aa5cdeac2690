"""stepstack's own inspection endpoint for a queue's messages
(`GET /_stepstack/sqs/messages?QueueUrl=...`, no AWS counterpart): every message
with its state, without side effects; black-box against the running server.

Each test makes its own queues with unique names; nothing resets state. Shared
helpers: tests/sqs_helpers.py and tests/sqs_queue_helpers.py.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from tests.conftest import Server
from tests.sqs_helpers import DEFAULT_ACCOUNT, queue, unique_name
from tests.sqs_queue_helpers import counts


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """A server of the module's own, as every test_sqs_queue_* file has (some move the clock)."""
    return own_server


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


# == Inspection endpoint ================================================================


def inspect(server: Server, url: str) -> tuple[int, Any]:
    return server.admin("GET", "/_stepstack/sqs/messages?" + urllib.parse.urlencode({"QueueUrl": url}))


def inspected_messages(body: Any) -> list[dict[str, Any]]:
    assert set(body) == {"QueueUrl", "QueueArn", "LongPolls", "Messages"}, body
    assert isinstance(body["Messages"], list), body
    return body["Messages"]


def test_inspection_lists_messages_with_their_state(server: Server, sqs: Any) -> None:
    url = queue(sqs)
    visible_id = sqs.send_message(QueueUrl=url, MessageBody="stays visible")["MessageId"]
    inflight_id = sqs.send_message(QueueUrl=url, MessageBody="taken")["MessageId"]
    # receive until the "taken" message is in flight; put others back at once
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        if got and got[0]["MessageId"] == inflight_id:
            break
        for message in got:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    delayed_id = sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=120)["MessageId"]
    status, body = inspect(server, url)
    assert status == 200, body
    states = {m["MessageId"]: (m["Body"], m["State"]) for m in inspected_messages(body)}
    assert states == {
        visible_id: ("stays visible", "visible"),
        inflight_id: ("taken", "inflight"),
        delayed_id: ("later", "delayed"),
    }


def test_inspection_does_not_change_messages(server: Server, sqs: Any) -> None:
    url = queue(sqs)
    message_id = sqs.send_message(QueueUrl=url, MessageBody="look, don't touch")["MessageId"]
    for _ in range(2):
        status, body = inspect(server, url)
        assert status == 200, body
        assert [m["MessageId"] for m in inspected_messages(body)] == [message_id]
    assert counts(sqs, url) == (1, 0, 0)
    received = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [m["MessageId"] for m in received] == [message_id]
    assert received[0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_inspection_of_empty_queue_lists_nothing(server: Server, sqs: Any) -> None:
    status, body = inspect(server, queue(sqs))
    assert status == 200, body
    assert inspected_messages(body) == []


def test_inspection_of_unknown_queue_is_a_json_error(server: Server, sqs: Any) -> None:
    known = queue(sqs)
    assert inspect(server, known)[0] == 200
    sqs.delete_queue(QueueUrl=known)
    for url in (known, f"{server.url}/{DEFAULT_ACCOUNT}/{unique_name('noinspect')}"):
        # stepstack's own endpoint (no AWS counterpart): not found, in the shape of an AWS JSON error
        not_found = {"__type": "QueueDoesNotExist", "message": "The specified queue does not exist."}
        assert inspect(server, url) == (404, not_found)
