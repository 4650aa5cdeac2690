"""Hold many idle SQS long polls open and sample the server's CPU and RSS.

Each connection sends one ``ReceiveMessage`` with ``WaitTimeSeconds=20`` to
an empty queue and then just waits. Once every request is written (and a
short settle pause has passed) the server's CPU use is measured from
``/proc/<pid>/stat`` and its RSS from ``/proc/<pid>/status``; then all
connections are closed. The whole phase is bounded by ``open_timeout`` +
settle + measure + a few seconds, well inside the 20 s poll.
"""

from __future__ import annotations

import asyncio
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any

from bench.load import READ_LIMIT, LoadTarget, resolve_loopback
from bench.sqs_client import cpu_percent, proc_status, read_full_response, sqs_request

WAIT_SECONDS = 20
OPEN_PARALLEL = 256
CONNECT_TIMEOUT = 10.0
FD_RESERVE = 256


def raise_nofile() -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit; return (soft, hard) now in force.

    Child processes started afterwards (the servers) inherit the new limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def allowed_connections(wanted: int) -> tuple[int, str | None]:
    """How many sockets this process may hold; a note when fewer than wanted."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft - FD_RESERVE >= wanted:
        return wanted, None
    allowed = max(1, soft - FD_RESERVE)
    return allowed, f"RLIMIT_NOFILE is {soft}: held {allowed} connections instead of {wanted}"


@dataclass
class _Held:
    opened: int = 0
    open_errors: int = 0
    early_answers: int = 0
    first_answer: str | None = None
    first_open_error: str | None = None


async def idle_long_polls(
    target: LoadTarget,
    queue_url: str,
    pid: int,
    count: int,
    measure_s: float,
    settle_s: float,
    open_timeout: float,
) -> dict[str, Any]:
    """Open ``count`` long polls, measure the server at ``pid``, close them; return numbers."""
    count, note = allowed_connections(count)
    address = resolve_loopback(target.host)
    params = {"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": WAIT_SECONDS}
    payload = sqs_request(target.host, target.port, "ReceiveMessage", params).encode()
    held = _Held()
    writers: list[asyncio.StreamWriter] = []
    gate = asyncio.Semaphore(OPEN_PARALLEL)
    all_sent = asyncio.Event()

    def _settled() -> None:
        if held.opened + held.open_errors >= count:
            all_sent.set()

    async def one() -> None:
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(address, target.port, limit=READ_LIMIT), CONNECT_TIMEOUT
                )
                writers.append(writer)
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                writer.write(payload)
                await writer.drain()
            except (OSError, TimeoutError) as exc:
                held.open_errors += 1
                held.first_open_error = held.first_open_error or f"{type(exc).__name__}: {exc}"
                _settled()
                return
            held.opened += 1
            _settled()
        try:  # nothing should come back before the 20 s wait ends
            status, _keep, body = await read_full_response(reader)
            held.early_answers += 1
            held.first_answer = held.first_answer or f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}"
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            held.early_answers += 1
            held.first_answer = held.first_answer or "connection closed by server"

    idle_cpu = await cpu_percent(pid, settle_s)
    idle = proc_status(pid)
    started = time.perf_counter()
    tasks = [asyncio.create_task(one()) for _ in range(count)]
    result: dict[str, Any] = {"requested": count, "note": note, "idle_cpu_pct": round(idle_cpu, 1),
                              "idle_rss_kib": idle.get("VmRSS"), "idle_threads": idle.get("Threads")}
    try:
        try:
            await asyncio.wait_for(all_sent.wait(), open_timeout)
        except TimeoutError:
            result["open_timed_out"] = True
        result["open_s"] = round(time.perf_counter() - started, 2)
        await asyncio.sleep(settle_s)
        before = proc_status(pid)
        cpu = await cpu_percent(pid, measure_s)
        after = proc_status(pid)
        result.update(
            held=held.opened - held.early_answers,
            open_errors=held.open_errors,
            first_open_error=held.first_open_error,
            early_answers=held.early_answers,
            first_answer=held.first_answer,
            cpu_pct=round(cpu, 1),
            measure_s=measure_s,
            rss_kib=after.get("VmRSS"),
            rss_kib_before_measure=before.get("VmRSS"),
            threads=after.get("Threads"),
            elapsed_to_end_of_measure_s=round(time.perf_counter() - started, 2),
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in writers:
            writer.close()
    after_close = await cpu_percent(pid, settle_s)
    result["cpu_pct_after_close"] = round(after_close, 1)
    result["rss_kib_after_close"] = proc_status(pid).get("VmRSS")
    return result
