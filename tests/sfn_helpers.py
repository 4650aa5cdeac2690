"""Helpers for the Step Functions execution tests: machines, executions, history, activity workers.

Everything here talks to the server through boto3 only (black-box).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

ROLE = "arn:aws:iam::000000000000:role/r"
ACCOUNT = "000000000000"
REGION = "us-east-1"
POLL_EVERY = 0.02
POLL_FOR = 5.0


def unique(prefix: str = "x") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def as_json(definition: dict[str, Any] | str) -> str:
    return definition if isinstance(definition, str) else json.dumps(definition)


def create_machine(sfn: Any, definition: dict[str, Any] | str, type: str = "STANDARD", name: str | None = None) -> str:
    created = sfn.create_state_machine(name=name or unique("sm"), definition=as_json(definition), roleArn=ROLE, type=type)
    return created["stateMachineArn"]


def start(sfn: Any, definition: dict[str, Any] | str, input: Any = None, name: str | None = None) -> tuple[str, str]:
    """Create a machine and start it: (state machine ARN, execution ARN). The input is JSON-encoded."""
    machine = create_machine(sfn, definition)
    params: dict[str, Any] = {"stateMachineArn": machine, "input": json.dumps({} if input is None else input)}
    if name:
        params["name"] = name
    return machine, sfn.start_execution(**params)["executionArn"]


def wait_until_done(sfn: Any, execution_arn: str, timeout: float = POLL_FOR) -> dict[str, Any]:
    """Poll DescribeExecution until the status is not RUNNING; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            pytest.fail(f"execution still RUNNING after {timeout}s: {history_types(sfn, execution_arn)}")
        time.sleep(POLL_EVERY)


def run(sfn: Any, definition: dict[str, Any] | str, input: Any = None) -> tuple[str, dict[str, Any]]:
    """Create a uniquely named machine, start it, wait for the end: (execution ARN, DescribeExecution)."""
    _, arn = start(sfn, definition, input)
    return arn, wait_until_done(sfn, arn)


def output_of(described: dict[str, Any]) -> Any:
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def history(sfn: Any, execution_arn: str, **params: Any) -> list[dict[str, Any]]:
    """Every event of the execution, following nextToken."""
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = sfn.get_execution_history(executionArn=execution_arn, **params, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def history_types(sfn: Any, execution_arn: str) -> list[str]:
    return [event["type"] for event in history(sfn, execution_arn)]


def details(event: dict[str, Any]) -> dict[str, Any]:
    """The one *EventDetails member of an event ({} when it has none)."""
    found = [value for key, value in event.items() if key.endswith("EventDetails")]
    assert len(found) <= 1, event
    return found[0] if found else {}


def wait_for_event(sfn: Any, execution_arn: str, event_type: str, count: int = 1, timeout: float = POLL_FOR) -> list[dict[str, Any]]:
    """Poll the history until it has `count` events of `event_type`; return the whole history."""
    deadline = time.monotonic() + timeout
    while True:
        events = history(sfn, execution_arn)
        if sum(e["type"] == event_type for e in events) >= count:
            return events
        if time.monotonic() > deadline:
            pytest.fail(f"no {count}x {event_type} after {timeout}s: {[e['type'] for e in events]}")
        time.sleep(POLL_EVERY)


def still_running(sfn: Any, arn: str) -> None:
    """Asked after a clock advance, which settles before it answers: nothing due is left to run."""
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING", history_types(sfn, arn)


def event_count(sfn: Any, execution_arn: str, event_type: str) -> int:
    """How many events of `event_type` the history has now. After a settled clock advance this is
    proof of what did *not* happen: the server has run everything that fell due."""
    return history_types(sfn, execution_arn).count(event_type)


def assert_segmented(
    types: list[str], head: list[str], tail: list[str], inner: Counter[str] | list[str]
) -> None:
    """types == head + (some interleaving of inner) + tail."""
    assert types[: len(head)] == head, types
    assert types[len(types) - len(tail):] == tail, types
    middle = types[len(head): len(types) - len(tail)]
    expected = inner if isinstance(inner, Counter) else Counter(inner)
    assert Counter(middle) == expected, types


def error_of(call: Callable[..., Any], **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


def service_now(server: Server) -> float:
    status, body = server.admin("GET", "/_stepstack/clock")
    assert status == 200, body
    return float(body["now"])


def worker_client(server: Server) -> Any:
    """A client for activity workers: GetActivityTask holds the connection up to 60 s."""
    return server.client("stepfunctions", read_timeout=90, connect_timeout=5)


def create_activity(sfn: Any) -> str:
    return sfn.create_activity(name=unique("act"))["activityArn"]


def waiting_pollers(server: Server, activity_arn: str) -> int:
    """How many GetActivityTask polls wait on the activity, as the server's inspection seam says."""
    status, body = server.admin("GET", f"/_stepstack/stepfunctions/activities?activityArn={quote(activity_arn, safe='')}")
    assert status == 200, body
    return body["WaitingPollers"]


def wait_for_pollers(server: Server, activity_arn: str, count: int, timeout: float = POLL_FOR) -> None:
    """Return once exactly `count` GetActivityTask polls wait on the activity (fail after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while (waiting := waiting_pollers(server, activity_arn)) != count:
        if time.monotonic() > deadline:
            pytest.fail(f"{waiting} GetActivityTask polls wait on {activity_arn} after {timeout}s, not {count}")
        time.sleep(POLL_EVERY)


class TaskFetch:
    """One GetActivityTask call on a background thread, so a test never blocks on it."""

    def __init__(self, server: Server, activity_arn: str, worker_name: str | None = None) -> None:
        self.client = worker_client(server)
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None
        params = {"activityArn": activity_arn, **({"workerName": worker_name} if worker_name else {})}

        def poll() -> None:
            try:
                self.result = self.client.get_activity_task(**params)
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                self.error = exc

        self.thread = threading.Thread(target=poll, daemon=True)
        self.thread.start()

    def wait(self, timeout: float = POLL_FOR) -> dict[str, Any]:
        self.thread.join(timeout)
        if self.thread.is_alive():
            pytest.fail(f"GetActivityTask did not answer within {timeout}s")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def take_task(server: Server, activity_arn: str, worker_name: str | None = None) -> dict[str, Any]:
    """GetActivityTask for a task that is already scheduled (fails the test after 5 s)."""
    task = TaskFetch(server, activity_arn, worker_name).wait()
    assert task.get("taskToken"), task
    return task


class Worker:
    """An activity worker thread: polls, hands the input to `handle`, reports what it returns.

    `handle(input) -> ("success", output) | ("failure", error, cause) | None` (None: never answer).
    """

    def __init__(self, server: Server, activity_arn: str, handle: Callable[[Any], tuple[Any, ...] | None], tasks: int = 1) -> None:
        self.client = worker_client(server)
        self.activity_arn = activity_arn
        self.handle = handle
        self.tasks = tasks
        self.received: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        try:
            while len(self.received) < self.tasks:
                task = self.client.get_activity_task(activityArn=self.activity_arn, workerName="test-worker")
                if not task.get("taskToken"):
                    continue
                self.received.append(task)
                answer = self.handle(json.loads(task["input"]))
                if answer is None:
                    continue
                if answer[0] == "success":
                    self.client.send_task_success(taskToken=task["taskToken"], output=json.dumps(answer[1]))
                else:
                    self.client.send_task_failure(taskToken=task["taskToken"], error=answer[1], cause=answer[2])
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.errors.append(exc)

    def join(self, timeout: float = POLL_FOR) -> None:
        self.thread.join(timeout)
        assert not self.errors, self.errors
        assert not self.thread.is_alive(), f"worker still waiting after {timeout}s; got {len(self.received)} tasks"
