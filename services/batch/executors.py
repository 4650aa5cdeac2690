"""Which executor runs job attempts: `process` (the default: processes on this machine) or
`docker` (containers, with the optional docker SDK), from the server's `batch_executor` option."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from services.batch.executor import Executor

if TYPE_CHECKING:
    from services.core.clock import Clock

KINDS = ("process", "docker")


class ManagedExecutor(Executor, Protocol):
    """An executor with what the service needs beyond the scheduler's interface."""

    def running(self) -> list[str]: ...  # job ids with an attempt running

    def terminate_all(self, reason: str, grace: float | None = None) -> None: ...  # reset, shutdown

    async def close(self, grace: float = 1.0) -> None: ...  # stop all, wait for them, clean up


def make_executor(kind: str, dispatcher: Any, clock: Clock, options: Mapping[str, Any]) -> ManagedExecutor:
    """The executor of one application. Options read: batch_workdir (the work root; default a
    temporary directory of this server's), batch_keep_workdirs, and write_lines (a test seam:
    services/logs/writer.py's by default)."""
    write_lines = options.get("write_lines")
    if kind == "process":
        from services.batch.process_executor import ProcessExecutor

        return ProcessExecutor(
            dispatcher,
            options.get("batch_workdir"),
            clock,
            keep_workdirs=bool(options.get("batch_keep_workdirs", False)),
            write_lines=write_lines,
        )
    if kind == "docker":
        from services.batch.docker_executor import DockerExecutor

        return DockerExecutor(dispatcher, clock, write_lines=write_lines)
    raise ValueError(f"unknown Batch executor {kind!r} (known: {', '.join(KINDS)})")
