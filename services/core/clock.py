"""One source of time for every service: a clock and its scheduler.

Service time is real time, optionally scaled (`time_scale=0.01` makes a 100 s
wait take 1 s), plus an offset that `advance()` grows. Advancing fires every
timer that falls due, in deadline order, before it returns. Timers are kept in
one heap and the event loop is woken once, for the earliest of them, so a
thousand pending waits cost memory, not CPU.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable

log = logging.getLogger("stepstack.clock")


def _nothing() -> None:
    return None


class Timer:
    """A callback due at a point of service time; cancel() withdraws it and lets go of the
    callback at once (a cancelled timer waiting in the heap must not keep a message alive)."""

    __slots__ = ("when", "seq", "callback", "cancelled", "clock")

    def __init__(self, when: float, seq: int, callback: Callable[[], None], clock: Clock) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.cancelled = False
        self.clock = clock

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self.callback = _nothing
            self.clock._withdrawn()

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


class Clock:
    """Service time with a scheduler; see the module docstring."""

    def __init__(
        self,
        time_scale: float = 1.0,
        *,
        frozen: bool = False,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(time_scale) and time_scale > 0):
            raise ValueError("time_scale must be a positive number")
        self.time_scale = time_scale
        self.frozen = frozen
        self._monotonic = monotonic
        self._mono0 = monotonic()
        self._epoch0 = time.time() if start is None else start
        self._offset = 0.0
        self._last = self._epoch0
        self._timers: list[Timer] = []
        self._seq = itertools.count()
        self._created = 0  # timers ever scheduled: a sign of progress while settling
        self._cancelled = 0  # cancelled timers still in the heap
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.TimerHandle | None = None
        self._wakeup_at: float | None = None

    # -- reading time -------------------------------------------------------

    def now(self) -> float:
        """Epoch seconds of service time; never goes backwards."""
        elapsed = 0.0 if self.frozen else (self._monotonic() - self._mono0) / self.time_scale
        current = self._epoch0 + elapsed + self._offset
        if current < self._last:
            current = self._last
        self._last = current
        return current

    @property
    def offset(self) -> float:
        return self._offset

    # -- scheduling ---------------------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Let the event loop fire timers as real time passes (None: only advance() does)."""
        self._cancel_wakeup()
        self._loop = loop
        self._arm()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, next(self._seq), callback, self)
        self._created += 1
        heapq.heappush(self._timers, timer)
        if self._timers[0] is timer:
            self._arm()
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.now() + delay, callback)

    async def sleep_until(self, when: float) -> None:
        """Wait until service time reaches `when` (cancellable, leaves no timer behind)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        timer = self.call_at(when, lambda: future.done() or future.set_result(None))
        try:
            await future
        finally:
            timer.cancel()

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.now() + seconds)

    def pending(self) -> int:
        """How many timers are still due to fire."""
        return sum(1 for t in self._timers if not t.cancelled)

    def next_deadline(self) -> float | None:
        self._drop_cancelled()
        return self._timers[0].when if self._timers else None

    # -- moving time --------------------------------------------------------

    def advance(self, seconds: float) -> float:
        """Move service time forward and fire every timer now due, in order."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        self._offset += seconds
        self.fire_due()
        return self.now()

    async def advance_settled(self, seconds: float, *, max_rounds: int = 100_000) -> int:
        """Advance in steps, one due deadline at a time, letting the event loop run after each
        until nothing new falls due before the target: Wait -> Retry back-off -> Wait completes
        in one call, as if that much time had passed. Returns how many timers fired."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        remaining = seconds  # the offset grows by exactly `seconds`, step by step
        fired = await self._settle()
        for _ in range(max_rounds):
            due = self.next_deadline()
            step = None if due is None else max(0.0, due - self.now())
            if step is None or step > remaining:
                break
            self._offset += step
            remaining -= step
            fired += self.fire_due()
            fired += await self._settle()
        self._offset += remaining
        fired += self.fire_due()
        return fired + await self._settle()

    def _progress(self) -> tuple[int, int, float | None]:
        return (len(asyncio.all_tasks()), self._created, self.next_deadline())

    async def _settle(self, quiet_rounds: int = 5, max_yields: int = 10_000) -> int:
        """Yield to the loop until nothing moves for a few rounds (no task started or ended, no
        timer scheduled); fire any timer now due on the way."""
        fired = 0
        quiet = 0
        before = self._progress()
        for _ in range(max_yields):
            await asyncio.sleep(0)
            fired += self.fire_due()
            after = self._progress()
            quiet = quiet + 1 if after == before else 0
            if quiet >= quiet_rounds:
                break
            before = after
        return fired

    def reset_offset(self) -> None:
        """Back to wall time (offset 0), as a test suite's reset asks: the one way time moves
        back. Pending timers keep their deadlines."""
        self._offset = 0.0
        elapsed = 0.0 if self.frozen else (self._monotonic() - self._mono0) / self.time_scale
        self._last = self._epoch0 + elapsed
        self._arm()

    def reach(self, when: float) -> None:
        """Move forward to at least `when` (a restored snapshot's time); never backwards."""
        now = self.now()
        if when > now:
            self._offset += when - now
            self._last = max(self._last, when)

    def fire_due(self) -> int:
        """Fire the timers whose time has come; returns how many fired."""
        fired = 0
        now = self.now()
        while self._timers and self._timers[0].when <= now:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                self._cancelled -= 1
                continue
            timer.cancelled = True
            callback, timer.callback = timer.callback, _nothing
            fired += 1
            try:
                callback()
            except Exception:  # a broken callback must not stop the others
                log.exception("timer callback failed")
            now = self.now()
        self._arm()
        return fired

    # -- waking the loop ----------------------------------------------------

    def _withdrawn(self) -> None:
        """A timer was cancelled: once cancelled timers are most of the heap, drop them (a
        deleted message's 12-hour visibility timer must not be kept 12 hours)."""
        self._cancelled += 1
        if self._cancelled > 256 and self._cancelled * 2 > len(self._timers):
            live = [t for t in self._timers if not t.cancelled]
            heapq.heapify(live)
            self._timers = live  # a new list: a drained heap gives its memory back
            self._cancelled = 0

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
            self._cancelled -= 1

    def _cancel_wakeup(self) -> None:
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup = None
        self._wakeup_at = None

    def _arm(self) -> None:
        self._drop_cancelled()
        if self._loop is None or self.frozen or not self._timers:
            self._cancel_wakeup()
            return
        when = self._timers[0].when
        if self._wakeup is not None and self._wakeup_at == when:
            return
        self._cancel_wakeup()
        delay = max(0.0, (when - self.now()) * self.time_scale)
        self._wakeup_at = when
        # a fresh context: timer callbacks must not see the context variables of whichever
        # task happened to arm the wakeup
        self._wakeup = self._loop.call_later(delay, self._on_wakeup, context=contextvars.Context())

    def _on_wakeup(self) -> None:
        self._wakeup = None
        self._wakeup_at = None
        self.fire_due()
