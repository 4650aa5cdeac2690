"""Activities: tasks handed to workers that poll GetActivityTask, settled by task token.

Each scheduled task waits in its activity's queue until one worker takes it
(exactly one: a task leaves the queue when it is handed out). Pollers are
futures woken when a task arrives; a poll ends empty after 60 s of service
time. Tokens of settled or timed-out tasks are remembered so late answers get
TaskTimedOut rather than TaskDoesNotExist.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.core.clock import Clock
from services.core.ids import new_uuid
from services.stepfunctions.errors import InvalidToken, TaskDoesNotExist, TaskTimedOut

POLL_SECONDS = 60.0


@dataclass(eq=False)
class ActivityTask:
    token: str
    activity_arn: str
    input: str
    outcome: asyncio.Future[tuple[str, Any]]  # ("success", output) | ("failure", (error, cause))
    on_started: Callable[[str], None]
    on_heartbeat: Callable[[], None]
    started: bool = False


@dataclass
class ActivityBroker:
    clock: Clock
    queues: dict[str, deque[ActivityTask]] = field(default_factory=dict)
    pollers: dict[str, dict[asyncio.Future[None], None]] = field(default_factory=dict)
    live: dict[str, ActivityTask] = field(default_factory=dict)  # token -> unsettled task
    settled: set[str] = field(default_factory=set)
    closed: bool = False  # after a reset: pollers return empty at once

    def schedule(
        self, activity_arn: str, task_input: str, on_started: Callable[[str], None], on_heartbeat: Callable[[], None]
    ) -> ActivityTask:
        token = base64.b64encode(json.dumps({"task": new_uuid(), "activity": activity_arn}).encode()).decode()
        loop = asyncio.get_running_loop()
        task = ActivityTask(token, activity_arn, task_input, loop.create_future(), on_started, on_heartbeat)
        self.live[token] = task
        self.queues.setdefault(activity_arn, deque()).append(task)
        for poller in list(self.pollers.get(activity_arn, {})):
            if not poller.done():
                poller.set_result(None)
                break
        return task

    def withdraw(self, task: ActivityTask) -> None:
        """The execution no longer waits for this task (timed out, stopped, finished)."""
        self.live.pop(task.token, None)
        self.settled.add(task.token)
        queue = self.queues.get(task.activity_arn)
        if queue is not None and task in queue:
            queue.remove(task)
        if not task.outcome.done():
            task.outcome.cancel()

    def _take(self, activity_arn: str, worker: str) -> ActivityTask | None:
        queue = self.queues.get(activity_arn)
        while queue:
            task = queue.popleft()
            if task.token in self.live:
                task.started = True
                task.on_started(worker)
                return task
        return None

    async def poll(self, activity_arn: str, worker: str) -> ActivityTask | None:
        task = self._take(activity_arn, worker)
        if task is not None:
            return task
        deadline = self.clock.now() + POLL_SECONDS
        loop = asyncio.get_running_loop()
        waiting = self.pollers.setdefault(activity_arn, {})
        while True:
            poller: asyncio.Future[None] = loop.create_future()
            waiting[poller] = None
            timer = self.clock.call_at(deadline, lambda p=poller: p.done() or p.set_result(None))
            try:
                await poller
            finally:
                timer.cancel()
                waiting.pop(poller, None)
            task = self._take(activity_arn, worker)
            if task is not None or self.closed or self.clock.now() >= deadline:
                return task

    def _task(self, token: str) -> ActivityTask:
        task = self.live.get(token)
        if task is not None:
            return task
        if token in self.settled:
            raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
        try:
            json.loads(base64.b64decode(token, validate=True))
        except ValueError:
            raise InvalidToken("Invalid Token: 'Invalid token'") from None
        raise TaskDoesNotExist("Task Does Not Exist: 'Provided task does not exist'")

    def succeed(self, token: str, output: str) -> None:
        task = self._task(token)
        self.live.pop(token, None)
        self.settled.add(token)
        if not task.outcome.done():
            task.outcome.set_result(("success", output))

    def fail(self, token: str, error: str, cause: str) -> None:
        task = self._task(token)
        self.live.pop(token, None)
        self.settled.add(token)
        if not task.outcome.done():
            task.outcome.set_result(("failure", (error, cause)))

    def heartbeat(self, token: str) -> None:
        self._task(token).on_heartbeat()

    def close(self) -> None:
        self.closed = True
        for task in list(self.live.values()):
            self.withdraw(task)
        for waiting in self.pollers.values():
            for poller in waiting:
                if not poller.done():
                    poller.set_result(None)
