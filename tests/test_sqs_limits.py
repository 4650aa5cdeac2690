"""SQS's in-flight limit: about 120,000 messages per standard queue, then OverLimit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.conftest import Server
from tests.sqs_helpers import queue

IN_FLIGHT_LIMIT = 120_000
CONNECTIONS = 8


async def _call(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> tuple[int, dict[str, Any]]:
    writer.write(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    return int(status_line.split()[1]), json.loads(payload or b"{}")


async def _drive(server: Server, url: str, operation: str, bodies: list[bytes]) -> list[tuple[int, dict[str, Any]]]:
    """Send `bodies` over a few keep-alive connections, in order per connection."""
    head = (
        f"POST / HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"X-Amz-Target: AmazonSQS.{operation}\r\n"
    ).encode()
    results: list[tuple[int, dict[str, Any]]] = []

    async def worker(chunk: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            for body in chunk:
                results.append(await _call(reader, writer, head, body))
        finally:
            writer.close()

    await asyncio.wait_for(asyncio.gather(*(worker(bodies[i::CONNECTIONS]) for i in range(CONNECTIONS))), timeout=120)
    return results


def test_receive_beyond_120000_in_flight_messages_is_over_limit(server: Server) -> None:
    sqs = server.client("sqs")
    url = queue(sqs, prefix="inflight", VisibilityTimeout=3600)
    total = IN_FLIGHT_LIMIT + 10
    sends = [
        json.dumps({"QueueUrl": url, "Entries": [{"Id": str(i), "MessageBody": "x"} for i in range(10)]}).encode()
        for _ in range(total // 10)
    ]
    sent = asyncio.run(_drive(server, url, "SendMessageBatch", sends))
    assert all(status == 200 and not body.get("Failed") for status, body in sent)
    receive = json.dumps({"QueueUrl": url, "MaxNumberOfMessages": 10}).encode()
    received = asyncio.run(_drive(server, url, "ReceiveMessage", [receive] * (IN_FLIGHT_LIMIT // 10)))
    assert sum(len(body.get("Messages", [])) for _, body in received) == IN_FLIGHT_LIMIT
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == str(IN_FLIGHT_LIMIT)
    assert counts["ApproximateNumberOfMessages"] == "10"
    error = sqs.exceptions.OverLimit
    try:
        sqs.receive_message(QueueUrl=url)
    except error as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    else:
        raise AssertionError("the 120,001st in-flight message was delivered")
    sqs.purge_queue(QueueUrl=url)  # leave nothing heavy behind for the rest of the session
