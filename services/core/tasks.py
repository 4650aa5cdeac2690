"""Supervised background work: every task is named and owned, and none fails unseen.

A delivery, an execution, a job or a move task outlives the request that
started it. Each is spawned here with a name (for the log) and an owner (the
store it belongs to), so a reset can cancel one owner's work and a shutdown
all of it, and wait until it has really stopped. A task's failure is logged
with its name when it ends; nothing is left "never retrieved".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Hashable
from typing import Any

log = logging.getLogger("stepstack.tasks")


class Supervisor:
    """The application's background tasks, each with its name and owner."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], tuple[str, Hashable]] = {}

    def spawn(self, name: str, work: Coroutine[Any, Any, Any], owner: Hashable) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks[task] = (name, owner)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        name, _ = self._tasks.pop(task, ("?", None))
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("background task %s failed", name, exc_info=error)

    def names(self, owner: Hashable | None = None) -> list[str]:
        return sorted(name for name, own in self._tasks.values() if owner is None or own == owner)

    def __len__(self) -> int:
        return len(self._tasks)

    async def cancel(self, owner: Hashable | None = None) -> None:
        """Cancel the tasks of `owner` (all tasks when None) and wait until they have ended."""
        await self.cancel_where(lambda own: owner is None or own == owner)

    async def cancel_where(self, owned: Callable[[Hashable], bool]) -> None:
        """Cancel the tasks whose owner satisfies `owned` and wait until they have ended,
        again for any such task spawned meanwhile."""
        for _ in range(100):
            tasks = [t for t, (_, own) in self._tasks.items() if owned(own)]
            if not tasks:
                return
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        log.error("tasks kept being spawned while they were cancelled: %s", self.names())

    async def shutdown(self) -> None:
        """Cancel everything and wait (services stop their own child processes in release())."""
        await self.cancel()
