"""SIGTERM and SIGINT end stepstack within 2 seconds, even with a 20 s long poll, a 60 s
activity poll and a running execution pending; the waiting clients get AWS's empty answers."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, start_server

ROLE = "arn:aws:iam::000000000000:role/r"


def _in_thread(call: Any, **params: Any) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call(**params)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = exc

    outcome["thread"] = threading.Thread(target=run, daemon=True)
    outcome["thread"].start()
    return outcome


def _wait_for(probe: Any, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.02)
    pytest.fail(f"never saw {what}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_the_server_within_two_seconds_with_polls_pending(tmp_path: Path, sig: int) -> None:
    server: Server = start_server(tmp_path)
    try:
        sqs = server.client("sqs", read_timeout=60)
        sfn = server.client("stepfunctions", read_timeout=90)
        url = sqs.create_queue(QueueName="waiting")["QueueUrl"]
        activity = sfn.create_activity(name="idle")["activityArn"]
        wait = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
        machine = sfn.create_state_machine(name="slow", definition=wait, roleArn=ROLE)["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        poll = _in_thread(server.client("sqs", read_timeout=60).receive_message, QueueUrl=url, WaitTimeSeconds=20)
        task = _in_thread(server.client("stepfunctions", read_timeout=90).get_activity_task, activityArn=activity)
        _wait_for(lambda: server.admin("GET", f"/_stepstack/sqs/messages?QueueUrl={url}")[1]["LongPolls"] == 1, "the long poll")
        _wait_for(lambda: server.admin("GET", "/_stepstack/stepfunctions/activities")[1]["WaitingPollers"] == 1, "the activity poll")
        assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"

        started = time.monotonic()
        server.process.send_signal(sig)
        server.process.wait(timeout=5)
        elapsed = time.monotonic() - started
        assert elapsed < 2.0, f"shutdown took {elapsed:.2f}s"
        assert server.process.returncode == (0 if sig == signal.SIGTERM else 130)
        for outcome in (poll, task):
            outcome["thread"].join(5)
        assert "error" not in poll, poll.get("error")
        assert "Messages" not in poll["result"]
        assert "error" not in task, task.get("error")
        assert "taskToken" not in task["result"]
        log = server.log_path.read_text()
        assert "Traceback" not in log, log
        assert "was never retrieved" not in log, log
    finally:
        if server.process.poll() is None:
            server.process.kill()
