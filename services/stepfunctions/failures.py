"""Errors inside an execution: the `Error` and `Cause` a state fails with.

Not AwsErrors (those answer API calls): a StatesFailure travels through the
interpreter, where Retry and Catch match its `error` name (e.g. `States.Runtime`,
`States.IntrinsicFailure`, `States.TaskFailed`, or a task's own error).
"""

from __future__ import annotations


class StatesFailure(Exception):
    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        self.state: str | None = None  # where it was raised (for the log), set as it leaves a state


def runtime(cause: str) -> StatesFailure:
    return StatesFailure("States.Runtime", cause)


def intrinsic_failure(cause: str) -> StatesFailure:
    return StatesFailure("States.IntrinsicFailure", cause)
