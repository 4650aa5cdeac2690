"""Small raw-HTTP SQS (awsJson1.0) client pieces for ``bench.sqs``.

Unlike :mod:`bench.load`, which replays one request and skips the body,
these helpers read whole responses (receipt handles, batch failures) and
do count- and time-bounded work: filling a queue, draining it with
ReceiveMessage + DeleteMessageBatch, and sampling a server's CPU and RSS
from ``/proc``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from bench.load import READ_LIMIT, LoadTarget, ProtocolError, RawRequest, resolve_loopback
from bench.workloads import json_request

BODY_1K = ("stepstack bench payload 0123456789 " * 32)[:1024]
BATCH_SIZE = 10
CONNECT_TIMEOUT = 5.0
CALL_TIMEOUT = 30.0
STOP_GRACE = 2.0
_HEAD_END = b"\r\n\r\n"
_CRLF = b"\r\n"


# -- request builders ------------------------------------------------------------------


def sqs_request(host: str, port: int, action: str, params: dict[str, Any]) -> RawRequest:
    """An awsJson1.0 SQS request for ``action`` with a fake SigV4 header."""
    body = json.dumps(params, separators=(",", ":")).encode()
    return json_request(host, port, "sqs", f"AmazonSQS.{action}", body)


def send_params(queue_url: str, body: str = BODY_1K) -> dict[str, Any]:
    return {"QueueUrl": queue_url, "MessageBody": body}


def batch_params(queue_url: str, body: str = BODY_1K) -> dict[str, Any]:
    entries = [{"Id": f"m{i}", "MessageBody": body} for i in range(BATCH_SIZE)]
    return {"QueueUrl": queue_url, "Entries": entries}


# -- one keep-alive connection -----------------------------------------------------------


async def read_full_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one HTTP/1.1 response; return (status, keep_alive, body)."""
    while True:
        head = await reader.readuntil(_HEAD_END)
        if not head.startswith(b"HTTP/1."):
            raise ProtocolError(f"bad status line: {head[:40]!r}")
        status = int(head[9:12])
        if not 100 <= status < 200:
            break
    headers: dict[bytes, bytes] = {}
    for line in head[:-4].split(_CRLF)[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    connection = headers.get(b"connection", b"")
    keep_alive = not head.startswith(b"HTTP/1.0") and b"close" not in connection
    if status in (204, 304):
        return status, keep_alive, b""
    if b"chunked" in headers.get(b"transfer-encoding", b""):
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(_CRLF)).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while await reader.readuntil(_CRLF) != _CRLF:
                    pass
                return status, keep_alive, b"".join(parts)
            parts.append((await reader.readexactly(size + 2))[:-2])
    if b"content-length" in headers:
        return status, keep_alive, await reader.readexactly(int(headers[b"content-length"]))
    return status, False, await reader.read()


class SqsConnection:
    """A lazily (re)opened keep-alive connection issuing SQS JSON calls."""

    def __init__(self, target: LoadTarget) -> None:
        self.target = target
        self.address = resolve_loopback(target.host)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.address, self.target.port, limit=READ_LIMIT), CONNECT_TIMEOUT
        )
        self.reader, self.writer = reader, writer
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def call(self, action: str, params: dict[str, Any]) -> tuple[int, bytes]:
        """Send one request and return (status, body); reconnects when the server closes."""
        payload = sqs_request(self.target.host, self.target.port, action, params).encode()
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        try:
            self.writer.write(payload)
            status, keep_alive, body = await asyncio.wait_for(read_full_response(self.reader), CALL_TIMEOUT)
        except BaseException:
            self.close()
            raise
        if not keep_alive:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# -- outcome bookkeeping -----------------------------------------------------------------


@dataclass
class Outcome:
    """Counters for a count/time-bounded phase, with the first bad answer kept."""

    requests: int = 0
    messages: int = 0
    errors: int = 0
    elapsed: float = 0.0
    timeouts: int = 0
    first_error: str | None = None
    statuses: dict[int, int] = field(default_factory=dict)

    def record(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def fail(self, what: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = what[:600]

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "messages": self.messages,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "elapsed_s": round(self.elapsed, 3),
            "requests_per_s": round(self.requests / self.elapsed, 1) if self.elapsed else 0.0,
            "messages_per_s": round(self.messages / self.elapsed, 1) if self.elapsed else 0.0,
            "first_error": self.first_error,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def _describe(action: str, status: int, body: bytes) -> str:
    return f"{action} -> HTTP {status}: {body[:400].decode('utf-8', 'replace')}"


async def _bounded(workers: list[Any], max_seconds: float, out: Outcome) -> None:
    """Run worker coroutines; cancel any still busy STOP_GRACE s after ``max_seconds``.

    Workers check the deadline between calls, so a cancelled one was stuck
    in a call: each counts as one error (a timeout).
    """
    started = time.perf_counter()
    tasks = [asyncio.create_task(w) for w in workers]
    _done, pending = await asyncio.wait(tasks, timeout=max_seconds + STOP_GRACE)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.elapsed = min(time.perf_counter() - started, max_seconds + STOP_GRACE)
    if pending:
        out.timeouts = len(pending)
        out.fail(f"{len(pending)} calls still unanswered {STOP_GRACE:g}s after the {max_seconds:g}s limit")
        out.errors += len(pending) - 1


# -- fill: SendMessageBatch until `total` messages or the deadline ----------------------------


async def fill_queue(
    target: LoadTarget, queue_url: str, total: int, connections: int, max_seconds: float, body: str = BODY_1K
) -> Outcome:
    """Send ``total`` 1 KiB messages in batches of 10 over ``connections`` connections."""
    out = Outcome()
    batches = -(-total // BATCH_SIZE)
    claimed = 0
    params = batch_params(queue_url, body)
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal claimed
        conn = SqsConnection(target)
        try:
            while claimed < batches and time.perf_counter() < deadline and out.errors < 50:
                claimed += 1
                try:
                    status, body = await conn.call("SendMessageBatch", params)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError, TimeoutError) as exc:
                    out.fail(f"SendMessageBatch -> {type(exc).__name__}: {exc}")
                    await asyncio.sleep(0.05)
                    continue
                out.requests += 1
                out.record(status)
                if status != 200:
                    out.fail(_describe("SendMessageBatch", status, body))
                    continue
                data = json.loads(body or b"{}")
                out.messages += len(data.get("Successful", []))
                if data.get("Failed"):
                    out.fail(f"SendMessageBatch Failed entries: {json.dumps(data['Failed'])}")
        finally:
            conn.close()

    await _bounded([worker() for _ in range(max(1, min(connections, batches)))], max_seconds, out)
    return out


# -- drain: ReceiveMessage(10) + DeleteMessageBatch ---------------------------------------


async def receive_delete(target: LoadTarget, queue_url: str, expected: int, workers: int, max_seconds: float) -> Outcome:
    """Workers receive up to 10 and batch-delete them until the queue is empty or time is up.

    ``messages`` counts messages both received and successfully deleted;
    ``requests`` counts receive/delete round trips (two HTTP calls each).
    """
    out = Outcome()
    deadline = time.perf_counter() + max_seconds
    receive = {"QueueUrl": queue_url, "MaxNumberOfMessages": BATCH_SIZE, "WaitTimeSeconds": 0, "VisibilityTimeout": 120}

    async def worker() -> None:
        conn = SqsConnection(target)
        empties = 0
        try:
            while time.perf_counter() < deadline and out.messages < expected and empties < 3 and out.errors < 50:
                try:
                    status, body = await conn.call("ReceiveMessage", receive)
                    out.record(status)
                    if status != 200:
                        out.fail(_describe("ReceiveMessage", status, body))
                        continue
                    messages = json.loads(body or b"{}").get("Messages") or []
                    if not messages:
                        empties += 1
                        continue
                    empties = 0
                    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
                    status, body = await conn.call("DeleteMessageBatch", {"QueueUrl": queue_url, "Entries": entries})
                    out.record(status)
                    if status != 200:
                        out.fail(_describe("DeleteMessageBatch", status, body))
                        continue
                    data = json.loads(body or b"{}")
                    out.requests += 1
                    out.messages += len(data.get("Successful", []))
                    if data.get("Failed"):
                        out.fail(f"DeleteMessageBatch Failed entries: {json.dumps(data['Failed'])}")
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError, TimeoutError) as exc:
                    out.fail(f"receive/delete -> {type(exc).__name__}: {exc}")
                    await asyncio.sleep(0.05)
        finally:
            conn.close()

    await _bounded([worker() for _ in range(workers)], max_seconds, out)
    return out


# -- /proc sampling ----------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` in seconds (all threads)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (KiB) and thread count from ``/proc/<pid>/status``."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    return out


async def cpu_percent(pid: int, seconds: float) -> float:
    """Percent of one core ``pid`` used over the next ``seconds``."""
    before, t0 = cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    return 100.0 * (cpu_seconds(pid) - before) / (time.perf_counter() - t0)
