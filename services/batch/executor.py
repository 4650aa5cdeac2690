"""How a job attempt runs (interface; the executor engineer fills in the process executor).

The scheduler hands the executor a `Launch` for each attempt (one per node of a multi-node
job) and awaits its `Outcome`; it owns every deadline (timeouts are on the service clock) and
calls `kill` when one passes or TerminateJob asks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Launch:
    job_id: str  # the attempt's job (an array child "<id>:<i>", a node "<id>#<n>")
    attempt: int  # 1-based
    command: list[str]  # after Ref:: substitution; empty: the image's default command
    environment: dict[str, str]  # the job's variables and AWS_BATCH_* ones
    image: str
    account: str
    region: str
    log_group: str = "/aws/batch/job"
    log_stream: str = ""  # "<definition name>/default/<task id>"
    vcpus: float = 1.0
    memory: int = 2048  # MiB
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None  # None: it never ran or was killed before exiting
    reason: str | None = None  # the container's reason when it did not exit by itself


class Executor(Protocol):
    async def run(self, launch: Launch) -> Outcome: ...

    def kill(self, job_id: str, reason: str) -> None: ...
