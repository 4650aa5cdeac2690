"""One execution: its identity, status, payloads and history, and the task that runs it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.stepfunctions.interpreter.history import History


@dataclass(eq=False)
class Execution:
    arn: str
    name: str
    machine_arn: str
    machine_name: str
    machine_type: str
    definition: Any  # asl.ast.StateMachineDefinition, as it was when the execution started
    definition_text: str
    role_arn: str
    input_text: str
    started_at: float
    history: History
    status: str = "RUNNING"  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    output_text: str | None = None
    error: str | None = None
    cause: str | None = None
    stopped_at: float | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"

    def finish(self, status: str, now: float, *, output: str | None = None, error: str | None = None, cause: str | None = None) -> None:
        self.status, self.stopped_at = status, now
        self.output_text, self.error, self.cause = output, error, cause
        self.finished.set()
