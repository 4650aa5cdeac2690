"""Which Retrier or Catcher handles an error, and how long a retry waits."""

from __future__ import annotations

from collections.abc import Sequence
from random import Random

from services.stepfunctions.asl.ast import Catcher, Retrier

# Errors that no wildcard catches: they always end the execution.
_TERMINAL = frozenset({"States.Runtime", "States.DataLimitExceeded"})
_TIMEOUTS = frozenset({"States.Timeout", "States.HeartbeatTimeout"})


def error_matches(error_equals: Sequence[str], error: str | None, heartbeat: bool = False) -> bool:
    """Whether a Retrier's or Catcher's ErrorEquals names the error. A missed heartbeat is
    States.Timeout, which States.HeartbeatTimeout also names (and only it). A task failed
    without an error name (SendTaskFailure without one) is a task failure."""
    error = error or ""
    if error in error_equals:
        return True
    if heartbeat and "States.HeartbeatTimeout" in error_equals:
        return True
    if error in _TERMINAL:
        return False
    if "States.ALL" in error_equals:
        return True
    if "States.Timeout" in error_equals and error in _TIMEOUTS:
        return True
    return "States.TaskFailed" in error_equals and error not in _TIMEOUTS and not error.startswith("States.")


def find_retrier(retriers: Sequence[Retrier], error: str, heartbeat: bool = False) -> int | None:
    for index, retrier in enumerate(retriers):
        if error_matches(retrier.error_equals, error, heartbeat):
            return index
    return None


def find_catcher(catchers: Sequence[Catcher], error: str, heartbeat: bool = False) -> Catcher | None:
    return next((c for c in catchers if error_matches(c.error_equals, error, heartbeat)), None)


def retry_delay(retrier: Retrier, attempt: int, rng: Random) -> float:
    """Seconds before retry number `attempt` (0-based) of this retrier."""
    delay = retrier.interval_seconds * retrier.backoff_rate**attempt
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    if retrier.jitter_strategy == "FULL":
        delay = rng.uniform(0, delay)
    return delay
