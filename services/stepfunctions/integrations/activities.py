"""Activities: tasks handed to workers that poll GetActivityTask, settled by task token.

Each scheduled task waits in its activity's queue until one worker takes it
(exactly one: a task leaves the queue when it is handed out). Pollers wait on
the activity's Waiters, woken when a task arrives; a poll ends empty after 60 s
of service time. Tokens of settled or timed-out tasks are remembered so late
answers get TaskTimedOut rather than TaskDoesNotExist. One broker serves the
whole application: task tokens are global, as on AWS. Everything here is
runtime of running executions (whose records are their histories).
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
from services.core.ids import Ids
from services.core.waiters import Waiters
from services.stepfunctions.errors import InvalidToken, TaskDoesNotExist, TaskTimedOut

POLL_SECONDS = 60.0
MAX_SETTLED = 100_000  # settled tokens remembered (for TaskTimedOut), oldest forgotten first


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
    ids: Ids
    closing: Callable[[], bool] = lambda: False  # shutting down: polls answer empty at once
    exists: Callable[[str], bool] = lambda arn: True  # whether an activity ARN names an activity
    queues: dict[str, deque[ActivityTask]] = field(default_factory=dict)
    pollers: dict[str, Waiters] = field(default_factory=dict)
    live: dict[str, ActivityTask] = field(default_factory=dict)  # token -> unsettled task
    settled: dict[str, None] = field(default_factory=dict)  # an ordered set

    def schedule(
        self, activity_arn: str, task_input: str, on_started: Callable[[str], None], on_heartbeat: Callable[[], None],
        *, token: str | None = None, taken: bool = False,
    ) -> ActivityTask:
        """A task for the activity's workers. A resumed execution passes its recorded `token`,
        and `taken` when a worker had it already (then it is not offered again)."""
        if token is None:
            token = base64.b64encode(json.dumps({"task": self.ids.uuid(), "activity": activity_arn}).encode()).decode()
        loop = asyncio.get_running_loop()
        task = ActivityTask(token, activity_arn, task_input, loop.create_future(), on_started, on_heartbeat, started=taken)
        self.live[token] = task
        if taken:
            return task
        self.queues.setdefault(activity_arn, deque()).append(task)
        waiting = self.pollers.get(activity_arn)
        if waiting is not None:
            waiting.wake_one()
        return task

    def new_token(self, execution_arn: str) -> str:
        """A task token for a service Task of the execution that a callback may answer
        (`.waitForTaskToken`, `.sync`, `.sync:2`); `expect` makes it live."""
        return base64.b64encode(json.dumps({"task": self.ids.uuid(), "execution": execution_arn}).encode()).decode()

    def expect(self, token: str, on_heartbeat: Callable[[], None]) -> ActivityTask:
        """A callback (`.waitForTaskToken`, or a `.sync` task's token): answered by SendTaskSuccess /
        SendTaskFailure with its token, kept alive by SendTaskHeartbeat; no worker polls for it."""
        task = ActivityTask(token, "", "", asyncio.get_running_loop().create_future(), lambda _: None, on_heartbeat, started=True)
        self.live[token] = task
        return task

    def withdraw(self, task: ActivityTask) -> None:
        """The execution no longer waits for this task (timed out, stopped, finished)."""
        self.live.pop(task.token, None)
        self._settle(task.token)
        queue = self.queues.get(task.activity_arn)
        if queue is not None and task in queue:
            queue.remove(task)
        if not task.outcome.done():
            task.outcome.cancel()

    def _settle(self, token: str) -> None:
        self.settled[token] = None
        if len(self.settled) > MAX_SETTLED:
            del self.settled[next(iter(self.settled))]

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
        waiting = self.pollers.get(activity_arn)
        if waiting is None:
            waiting = self.pollers[activity_arn] = Waiters()
        while not self.closing() and self.clock.now() < deadline:
            if not await waiting.wait(self.clock, deadline):
                return None
            task = self._take(activity_arn, worker)
            if task is not None:
                return task
        return None

    def waiting_pollers(self, activity_arn: str | None = None) -> int:
        return sum(len(w) for arn, w in self.pollers.items() if activity_arn is None or arn == activity_arn)

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
        self._settle(token)
        if not task.outcome.done():
            task.outcome.set_result(("success", output))

    def fail(self, token: str, error: str | None, cause: str | None) -> None:
        task = self._task(token)
        self.live.pop(token, None)
        self._settle(token)
        if not task.outcome.done():
            task.outcome.set_result(("failure", (error, cause)))

    def heartbeat(self, token: str) -> None:
        self._task(token).on_heartbeat()

    def release(self) -> None:
        """Answer every waiting poll now, empty."""
        for waiting in self.pollers.values():
            waiting.wake_all()

    def close(self) -> None:
        """The application drops its state: tasks are withdrawn, pollers answered empty."""
        for task in list(self.live.values()):
            self.withdraw(task)
        for waiting in self.pollers.values():
            waiting.close()
        self.pollers.clear()
        self.queues.clear()
