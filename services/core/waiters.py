"""Waiters: a FIFO of futures that long polls and activity polls sleep on.

Waking resolves the oldest waiter. If that waiter is cancelled before it
resumes (its client disconnected), it passes the wakeup on to the next one, as
asyncio.Queue does, so a message never sits unseen while pollers sleep.
"""

from __future__ import annotations

import asyncio

from services.core.clock import Clock


class Waiters:
    """The pollers waiting on one resource (a queue, an activity), oldest first."""

    __slots__ = ("_waiting", "closed")

    def __init__(self) -> None:
        self._waiting: dict[asyncio.Future[None], None] = {}  # insertion order is FIFO order
        self.closed = False  # released for good (deleted, reset, shut down)

    def __len__(self) -> int:
        return len(self._waiting)

    async def wait(self, clock: Clock, deadline: float) -> bool:
        """Sleep until woken or until service time reaches `deadline`, then look again;
        False once the waiters are closed (nothing will come: answer empty)."""
        if self.closed:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[waiter] = None
        timer = clock.call_at(deadline, lambda: waiter.done() or waiter.set_result(None))
        try:
            await waiter
        except asyncio.CancelledError:
            self._waiting.pop(waiter, None)
            if waiter.done() and not waiter.cancelled() and not self.closed:
                self.wake_one()  # we were woken but will not look: the next one must
            raise
        finally:
            timer.cancel()
            self._waiting.pop(waiter, None)
        return not self.closed

    def wake_one(self) -> None:
        while self._waiting:
            waiter = next(iter(self._waiting))
            del self._waiting[waiter]
            if not waiter.done():
                waiter.set_result(None)
                return

    def wake_all(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(None)

    def close(self) -> None:
        """Release every waiter now and every later one at once."""
        self.closed = True
        self.wake_all()
