"""A job attempt's output on its way to CloudWatch Logs: bytes split into lines, each line
stamped with service time as it arrives, written in small batches while the job runs.

As Docker's awslogs driver does, every line of stdout or stderr is one log event (without its
newline), both streams go to the one log stream in arrival order, and a line longer than 16 KiB
is cut into events of 16 KiB; empty lines are dropped. A failing write is logged once per attempt and never fails the
job."""

from __future__ import annotations

import asyncio
import codecs
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from services.core.clock import Clock

log = logging.getLogger("stepstack.batch")

MAX_LINE = 16 * 1024  # Docker's log buffer: a longer line becomes several events
MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 256 * 1024  # well inside PutLogEvents' 1 MiB

Events = list[tuple[int, str]]  # (epoch ms, message)
Write = Callable[[Events], Awaitable[None]]


class WriteLines(Protocol):
    """services/logs/writer.py's write_lines: creates the group and stream, puts the events."""

    def __call__(self, dispatcher: Any, account: str, region: str, group: str, stream: str, lines: Events) -> Awaitable[None]: ...


class Lines:
    """Bytes in, complete lines out (the last, unterminated one at end())."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""

    def feed(self, chunk: bytes) -> list[str]:
        text = self._partial + self._decoder.decode(chunk)
        *lines, self._partial = text.split("\n")
        while len(self._partial) > MAX_LINE:
            lines.append(self._partial[:MAX_LINE])
            self._partial = self._partial[MAX_LINE:]
        return [piece for line in lines for piece in _cut(line)]

    def end(self) -> list[str]:
        rest, self._partial = self._partial + self._decoder.decode(b"", final=True), ""
        return _cut(rest)


def _cut(line: str) -> list[str]:
    """Events of at most MAX_LINE characters; an empty line is no event (CloudWatch Logs
    rejects empty messages)."""
    return [line[i : i + MAX_LINE] for i in range(0, len(line), MAX_LINE)]


class LogSink:
    """Stamps lines with service time and writes them in batches: the first line goes out at
    once, and lines that arrive meanwhile wait for that write to end (no timer needed)."""

    def __init__(self, clock: Clock, write: Write, name: str) -> None:
        self._clock = clock
        self._write = write
        self._name = name
        self._pending: Events = []
        self._ready = asyncio.Event()
        self._closing = False
        self._failed = False
        self._task = asyncio.get_running_loop().create_task(self._flush_loop(), name=f"batch-logs {name}")

    def add(self, lines: list[str]) -> None:
        if lines:
            stamp = int(self._clock.now() * 1000)
            self._pending.extend((stamp, line) for line in lines)
            self._ready.set()

    async def close(self) -> None:
        """Write what is left, then stop."""
        self._closing = True
        self._ready.set()
        await self._task

    def abort(self) -> None:
        """Stop without writing what is left (a reset or shutdown cancelled the attempt)."""
        self._task.cancel()

    async def _flush_loop(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._pending:
                await self._write_safely(self._take())
            if self._closing:
                return

    def _take(self) -> Events:
        count = size = 0
        for _, line in self._pending:
            size += len(line.encode("utf-8")) + 26  # PutLogEvents counts 26 bytes per event
            if count and (count >= MAX_BATCH_EVENTS or size > MAX_BATCH_BYTES):
                break
            count += 1
        batch, self._pending = self._pending[:count], self._pending[count:]
        return batch

    async def _write_safely(self, batch: Events) -> None:
        try:
            await self._write(batch)
        except Exception as exc:  # noqa: BLE001 - a job's logs never fail the job
            if not self._failed:
                self._failed = True
                log.warning("could not write the output of %s to CloudWatch Logs: %s", self._name, exc)


def cloudwatch(write_lines: WriteLines | None, dispatcher: Any, account: str, region: str, group: str, stream: str) -> Write:
    """A Write into one log stream; without an explicit write_lines, services/logs/writer.py's."""

    async def write(events: Events) -> None:
        target = write_lines
        if target is None:
            from services.logs.writer import write_lines as target
        await target(dispatcher, account, region, group, stream, events)

    return write
