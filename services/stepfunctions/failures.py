"""Errors inside an execution: the `Error` and `Cause` a state fails with.

Not AwsErrors (those answer API calls): a StatesFailure travels through the
interpreter, where Retry and Catch match its `error` name (e.g. `States.Runtime`,
`States.IntrinsicFailure`, `States.TaskFailed`, or a task's own error).
"""

from __future__ import annotations


# Failures of the language itself: AWS prefixes their cause with the state and its entered event.
PREFIXED_ERRORS = frozenset({"States.Runtime", "States.QueryEvaluationError"})


class StatesFailure(Exception):
    def __init__(self, error: str | None, cause: str | None = "", *, heartbeat: bool = False) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        self.state: str | None = None  # where it was raised (for the log), set as it leaves a state
        self.located = False  # the cause already names its state (the innermost one raising it)
        self.location: str | None = None  # the field whose JSONata evaluation failed
        self.heartbeat = heartbeat  # a States.Timeout of a missed heartbeat (matches States.HeartbeatTimeout)

    def locate(self, state: str, entered_id: int) -> None:
        """Prefix a language failure's cause as AWS does, once, at the state that raised it."""
        if not self.located:
            self.located = True
            if self.error in PREFIXED_ERRORS:
                self.cause = f"An error occurred while executing the state '{state}' (entered at the event id #{entered_id}). {self.cause}"


def runtime(cause: str) -> StatesFailure:
    return StatesFailure("States.Runtime", cause)


def intrinsic_failure(cause: str) -> StatesFailure:
    return StatesFailure("States.IntrinsicFailure", cause)
