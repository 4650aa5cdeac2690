"""An environment's output on its way to its CloudWatch Logs stream: lines stamped with service
time as they arrive, written in the background, and flushed before an invocation answers (so
the log is there when Invoke returns, as a test expects). A failing write is logged once and
never fails an invocation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from services.core.errors import AwsError

if TYPE_CHECKING:
    from services.core.clock import Clock

log = logging.getLogger("stepstack.lambda")

Events = list[tuple[int, str]]


class Sink:
    def __init__(self, clock: Clock, write: Callable[[Events], Awaitable[object]], name: str) -> None:
        self._clock = clock
        self._write = write
        self._name = name
        self._pending: Events = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._failed = False
        self._closed = False

    def add(self, lines: list[str]) -> None:
        if not lines or self._closed:
            return
        stamp = int(self._clock.now() * 1000)
        self._pending.extend((stamp, line) for line in lines)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.flush(), name=f"lambda-logs {self._name}")

    async def flush(self) -> None:
        """Write every line added so far (in order: one writer at a time)."""
        async with self._lock:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await self._write(batch)
                except Exception as exc:  # noqa: BLE001 - logs never fail an invocation
                    if not self._failed:
                        self._failed = True
                        log.warning("could not write the output of %s to CloudWatch Logs: %s", self._name, exc)

    async def close(self) -> None:
        await self.flush()
        self._closed = True

    def abort(self) -> None:
        self._closed = True
        self._pending.clear()
        if self._task is not None:
            self._task.cancel()


def stream_writer(write_lines: Any, dispatcher: Any, account: str, region: str, group: str, stream: str) -> Callable[[Events], Awaitable[object]]:
    """Writes to one stream: the first write creates the group and stream (services/logs/writer.py),
    the next ones only put events (a warm invocation costs one PutLogEvents), and create again
    if the group or stream was deleted meanwhile."""
    from services.logs import writer

    create = write_lines or writer.write_lines
    created = False

    async def write(events: Events) -> None:
        nonlocal created
        if not created or write_lines is not None:
            await create(dispatcher, account, region, group, stream, events)
            created = True
            return
        try:
            for batch in writer.batches(events):
                await dispatcher.call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream, "logEvents": batch},
                                      account_id=account, region=region)
        except AwsError as error:
            if error.code != "ResourceNotFoundException":
                raise
            await create(dispatcher, account, region, group, stream, events)

    return write
