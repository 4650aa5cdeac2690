"""services.core.clock.Clock on its own: reading time, timers, advancing, the event loop."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

import pytest

from services.core.clock import Clock

START = 1_700_000_000.0


def frozen_clock() -> Clock:
    return Clock(frozen=True, start=START)


class FakeMonotonic:
    """A monotonic source the test moves by hand (and may move backwards)."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def recorder() -> tuple[list[str], Callable[[str], Callable[[], None]]]:
    fired: list[str] = []

    def make(name: str) -> Callable[[], None]:
        return lambda: fired.append(name)

    return fired, make


# -- reading time -------------------------------------------------------------------


def test_clock_starts_at_real_time_by_default() -> None:
    assert abs(Clock().now() - time.time()) < 1


def test_frozen_clock_does_not_move_without_advance() -> None:
    source = FakeMonotonic()
    clock = Clock(frozen=True, start=START, monotonic=source)
    first = clock.now()
    source.value += 3600  # an hour of real time passes
    assert clock.now() == first == START


def test_advance_moves_now_and_offset_forward() -> None:
    clock = frozen_clock()
    assert clock.advance(90) == START + 90
    assert clock.now() == START + 90
    assert clock.offset == 90


def test_unfrozen_clock_follows_its_monotonic_source_scaled() -> None:
    source = FakeMonotonic()
    clock = Clock(time_scale=0.5, start=START, monotonic=source)
    source.value += 3
    assert clock.now() == pytest.approx(START + 6)  # 0.5 real seconds per service second


def test_now_never_goes_backwards_even_if_the_monotonic_source_does() -> None:
    source = FakeMonotonic()
    clock = Clock(start=START, monotonic=source)
    source.value += 10
    later = clock.now()
    source.value -= 5
    assert clock.now() >= later
    source.value += 20
    assert clock.now() == pytest.approx(START + 25)


def test_advance_by_negative_seconds_raises_value_error() -> None:
    clock = frozen_clock()
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert clock.now() == START
    assert clock.offset == 0


@pytest.mark.parametrize("seconds", [math.nan, math.inf], ids=["nan", "inf"])
def test_advance_by_non_finite_seconds_raises_value_error_and_keeps_time(seconds: float) -> None:
    """A NaN offset would make now() NaN forever: no timer could fire again."""
    clock = frozen_clock()
    fired, make = recorder()
    clock.call_at(START + 5, make("later"))
    with pytest.raises(ValueError):
        clock.advance(seconds)
    assert clock.now() == START
    clock.advance(5)
    assert fired == ["later"]


def test_time_scale_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Clock(time_scale=0)
    with pytest.raises(ValueError):
        Clock(time_scale=-1)


# -- timers and advance ----------------------------------------------------------------


def test_timers_fire_in_deadline_order_on_advance() -> None:
    clock = frozen_clock()
    fired, make = recorder()
    clock.call_later(30, make("c"))
    clock.call_later(10, make("a"))
    clock.call_later(20, make("b"))
    clock.call_later(40, make("d"))
    clock.advance(35)
    assert fired == ["a", "b", "c"]
    clock.advance(5)
    assert fired == ["a", "b", "c", "d"]


def test_timers_with_equal_deadlines_fire_in_insertion_order() -> None:
    clock = frozen_clock()
    fired, make = recorder()
    for name in ("first", "second", "third", "fourth"):
        clock.call_at(START + 10, make(name))
    clock.advance(10)
    assert fired == ["first", "second", "third", "fourth"]


def test_timer_is_not_fired_before_its_deadline() -> None:
    clock = frozen_clock()
    fired, make = recorder()
    clock.call_later(10, make("x"))
    clock.advance(9.999)
    assert fired == []
    clock.advance(0.001)
    assert fired == ["x"]


def test_each_timer_fires_only_once() -> None:
    clock = frozen_clock()
    fired, make = recorder()
    clock.call_later(1, make("x"))
    clock.advance(2)
    clock.advance(2)
    assert fired == ["x"]


def test_cancelled_timer_does_not_fire() -> None:
    clock = frozen_clock()
    fired, make = recorder()
    clock.call_later(5, make("keep"))
    drop = clock.call_later(5, make("drop"))
    drop.cancel()
    clock.advance(10)
    assert fired == ["keep"]
    assert drop.cancelled
    assert clock.pending() == 0


def test_callback_scheduling_an_already_due_timer_sees_it_fire_in_the_same_advance() -> None:
    clock = frozen_clock()
    fired, make = recorder()

    def first() -> None:
        fired.append("first")
        assert clock.now() == START + 10  # advance() moves time first, then fires
        clock.call_at(START + 6, make("scheduled-by-first"))
        clock.call_later(1000, make("not-yet"))

    clock.call_later(5, first)
    clock.call_later(8, make("second"))
    clock.advance(10)
    # the new timer is already due, and its deadline (6) precedes "second"'s (8)
    assert fired == ["first", "scheduled-by-first", "second"]
    assert clock.pending() == 1


def test_pending_counts_live_timers_only() -> None:
    clock = frozen_clock()
    _, make = recorder()
    assert clock.pending() == 0
    timers = [clock.call_later(delay, make(str(delay))) for delay in (1, 2, 3, 4)]
    assert clock.pending() == 4
    timers[2].cancel()
    assert clock.pending() == 3
    clock.advance(2)
    assert clock.pending() == 1
    clock.advance(2)
    assert clock.pending() == 0


def test_next_deadline_skips_cancelled_timers() -> None:
    clock = frozen_clock()
    _, make = recorder()
    assert clock.next_deadline() is None
    early = clock.call_later(1, make("early"))
    clock.call_later(2, make("late"))
    early.cancel()
    assert clock.next_deadline() == START + 2


def test_state_reset_keeps_timers_so_no_waiter_is_stranded() -> None:
    """POST /_stepstack/reset drops service state; timers (and whoever awaits them) stay."""
    from services.core.dispatch import Dispatcher
    from services.core.service import Operations, Service

    clock = frozen_clock()
    fired, make = recorder()
    operations = Operations("demo")
    dispatcher = Dispatcher(clock, [lambda env: Service(env, operations, dict)], ["demo"])
    service = dispatcher.services["demo"]
    service.stores.get("000000000000", "us-east-1")["k"] = "v"
    clock.call_later(1, make("x"))
    asyncio.run(dispatcher.reset())
    assert service.stores.get("000000000000", "us-east-1") == {}
    clock.advance(5)
    assert fired == ["x"]


def test_callback_raising_does_not_stop_later_timers(caplog: pytest.LogCaptureFixture) -> None:
    clock = frozen_clock()
    fired, make = recorder()

    def broken() -> None:
        raise RuntimeError("boom")

    clock.call_later(1, make("before"))
    clock.call_later(2, broken)
    clock.call_later(3, make("after"))
    with caplog.at_level(logging.ERROR, logger="stepstack.clock"):
        clock.advance(5)
    assert fired == ["before", "after"]
    assert clock.pending() == 0
    [record] = caplog.records
    assert record.getMessage() == "timer callback failed"
    assert record.exc_info is not None and repr(record.exc_info[1]) == "RuntimeError('boom')"


# -- with an event loop ------------------------------------------------------------------------


async def let_the_loop_run(rounds: int = 5) -> None:
    """Yield to the event loop a few times: ready tasks run, and a handle due now fires."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def test_bound_clock_fires_call_later_by_itself_in_real_time() -> None:
    async def scenario() -> float:
        clock = Clock()
        clock.bind(asyncio.get_running_loop())
        done = asyncio.Event()
        started = time.monotonic()
        clock.call_later(0.05, done.set)
        await asyncio.wait_for(done.wait(), timeout=1)
        return time.monotonic() - started

    elapsed = asyncio.run(scenario())
    assert 0.03 <= elapsed < 1


def test_bound_clock_fires_earlier_timer_added_after_a_later_one() -> None:
    async def scenario() -> list[str]:
        clock = Clock()
        clock.bind(asyncio.get_running_loop())
        fired, make = recorder()
        done = asyncio.Event()
        clock.call_later(3600, make("hour"))
        clock.call_later(0.02, lambda: (fired.append("soon"), done.set()))
        await asyncio.wait_for(done.wait(), timeout=1)
        return fired

    assert asyncio.run(scenario()) == ["soon"]


def test_frozen_bound_clock_does_not_fire_timers_by_itself() -> None:
    async def scenario() -> list[str]:
        clock = frozen_clock()
        clock.bind(asyncio.get_running_loop())
        fired, make = recorder()
        clock.call_at(clock.now(), make("x"))  # due at once: a wakeup, had one been armed, fires now
        await let_the_loop_run()
        before = list(fired)
        clock.advance(0)
        return before + fired

    assert asyncio.run(scenario()) == ["x"]


def test_sleep_completes_when_another_task_advances_the_clock() -> None:
    async def scenario() -> tuple[float, float]:
        clock = Clock()
        clock.bind(asyncio.get_running_loop())
        started = clock.now()
        sleeper = asyncio.create_task(clock.sleep(3600))
        await let_the_loop_run()  # the sleeper registers its timer and waits on it
        assert not sleeper.done() and clock.pending() == 1
        clock.advance(3600)
        await asyncio.wait_for(sleeper, timeout=1)
        return clock.now() - started, clock.pending()

    service_elapsed, pending = asyncio.run(scenario())
    assert service_elapsed >= 3600
    assert pending == 0


def test_cancelling_a_sleeping_task_leaves_no_pending_timer() -> None:
    async def scenario() -> tuple[int, int]:
        clock = Clock()
        clock.bind(asyncio.get_running_loop())
        sleeper = asyncio.create_task(clock.sleep(3600))
        await let_the_loop_run()
        during = clock.pending()
        sleeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeper
        return during, clock.pending()

    during, after = asyncio.run(scenario())
    assert during == 1
    assert after == 0


def test_time_scale_makes_sleep_return_in_scaled_real_time() -> None:
    async def scenario() -> float:
        clock = Clock(time_scale=0.01)
        clock.bind(asyncio.get_running_loop())
        started = time.monotonic()
        await asyncio.wait_for(clock.sleep(5), timeout=2)
        return time.monotonic() - started

    elapsed = asyncio.run(scenario())
    assert 0.03 <= elapsed < 0.5  # 5 s of service time is 0.05 s of real time


def test_unbinding_stops_real_time_firing() -> None:
    async def scenario() -> list[str]:
        clock = Clock()
        clock.bind(asyncio.get_running_loop())
        fired, make = recorder()
        clock.call_at(clock.now(), make("x"))  # due at once: the bound loop would fire it next round
        clock.bind(None)
        await let_the_loop_run()
        return fired

    assert asyncio.run(scenario()) == []
