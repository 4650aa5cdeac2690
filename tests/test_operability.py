"""Operability: the start-up banner and ready line, logs you can debug with, health in
LocalStack's shape, and resets and clocks for test suites."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, start_server, stop_server

ROLE = "arn:aws:iam::000000000000:role/r"


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("operability"))
    yield running
    stop_server(running)


def log_lines(server: Server) -> list[str]:
    return server.log_path.read_text().splitlines()


def wait_for_line(server: Server, predicate, what: str, timeout: float = 10) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_lines(server):
            if predicate(line):
                return line
        time.sleep(0.02)
    pytest.fail(f"the log never showed {what}:\n" + "\n".join(log_lines(server)))


def test_the_banner_comes_before_ready_on_its_own_line(own: Server) -> None:
    wait_for_line(own, lambda line: line == "Ready.", "Ready.")
    lines = log_lines(own)
    banner = next(i for i, line in enumerate(lines) if line.startswith("stepstack "))
    assert lines[banner] == f"stepstack 0.1.0 listening on http://127.0.0.1:{own.port}"
    assert banner < lines.index("Ready.")
    block = lines[banner : lines.index("Ready.")]
    assert any(line.split()[:2] == ["sqs", "23/23"] for line in block), block
    assert any(line.split()[:1] == ["stepfunctions"] for line in block), block
    assert any("time scale 1, strict off, account 000000000000, region us-east-1" in line for line in block), block
    assert any("init directory (none)" in line for line in block), block


def test_localstack_health_says_running(own: Server) -> None:
    status, body = own.admin("GET", "/_localstack/health")
    assert status == 200
    assert body == {
        "services": {"sqs": "running", "sns": "running", "stepfunctions": "running", "batch": "running", "logs": "running", "lambda": "running"},
        "edition": "community",
        "version": "0.1.0",
    }


def test_stepstack_health_counts_operations_and_shows_init(own: Server) -> None:
    status, body = own.admin("GET", "/_stepstack/health")
    assert status == 200
    assert body["services"]["sqs"] == {"state": "running", "implemented": 23, "operations": 23}
    assert body["services"]["sns"] == {"state": "running", "implemented": 42, "operations": 42}
    assert body["init"] == {"directory": None, "state": "SUCCESSFUL", "hooks": []}
    assert body["ready"] is True


def test_localstack_init_ready_is_completed(own: Server) -> None:
    assert own.admin("GET", "/_localstack/init/ready") == (200, {"completed": True, "scripts": []})
    status, body = own.admin("GET", "/_localstack/init")
    assert body["completed"] == {"BOOT": True, "START": True, "READY": True, "SHUTDOWN": False}


def test_a_failed_request_logs_its_error_code(own: Server) -> None:
    sqs = own.client("sqs")
    with pytest.raises(ClientError):
        sqs.get_queue_url(QueueName="no-such-queue-for-the-log")
    line = wait_for_line(own, lambda l: "sqs GetQueueUrl 400" in l, "the request line")
    assert "sqs GetQueueUrl 400 QueueDoesNotExist" in line


def test_a_failed_execution_logs_its_error_cause_and_state(own: Server) -> None:
    sfn = own.client("stepfunctions")
    definition = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}
    machine = sfn.create_state_machine(name="logged-failure", definition=json.dumps(definition), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="one")["executionArn"]
    wait_for_line(own, lambda l: "stepfunctions StartExecution 200" in l, "the start")
    line = wait_for_line(own, lambda l: f"execution {arn} FAILED" in l, "the end")
    assert line.endswith(f"execution {arn} FAILED in state 'Boom': error=Broken cause=on purpose")


def test_a_tls_handshake_on_the_plain_port_logs_one_clear_line(own: Server) -> None:
    with socket.create_connection((own.host, own.port), timeout=5) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64)
        assert sock.recv(100) == b""  # closed, no HTTP answer to a handshake
    line = wait_for_line(own, lambda l: "TLS handshake" in l, "the TLS line")
    assert "stepstack speaks plain HTTP: use http://" in line


def _offset(server: Server) -> float:
    return server.admin("GET", "/_stepstack/clock")[1]["offset_seconds"]


def test_reset_returns_the_clock_to_wall_time_unless_asked_to_keep_it(own: Server) -> None:
    own.advance(3600)
    assert _offset(own) == 3600
    assert own.admin("POST", "/_stepstack/reset?keep_clock=true")[0] == 200
    assert _offset(own) == 3600
    status, body = own.admin("POST", "/_stepstack/reset")
    assert status == 200 and body["clock"]["offset_seconds"] == 0
    assert _offset(own) == 0
    own.advance(60)
    status, body = own.admin("POST", "/_stepstack/clock", {"reset": True})
    assert (status, body["offset_seconds"]) == (200, 0)


def test_a_per_service_reset_leaves_the_others_alone(own: Server) -> None:
    sqs, sfn = own.client("sqs"), own.client("stepfunctions")
    sqs.create_queue(QueueName="kept-apart")
    activity = sfn.create_activity(name="kept")["activityArn"]
    status, body = own.admin("POST", "/_stepstack/reset?service=sqs")
    assert (status, body["reset"]) == (200, ["sqs"])
    assert "QueueUrls" not in sqs.list_queues()
    assert sfn.describe_activity(activityArn=activity)["name"] == "kept"
    sqs.create_queue(QueueName="kept-apart")
    assert own.admin("POST", "/_localstack/state/stepfunctions/reset")[0] == 200
    assert sfn.list_activities()["activities"] == []
    assert len(sqs.list_queues()["QueueUrls"]) == 1
    status, body = own.admin("POST", "/_stepstack/reset?service=nope")
    assert (status, body["__type"]) == (400, "ValidationException")


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"STEPSTACK_LOG_FORMAT": "json"})
    try:
        sqs = server.client("sqs")
        with pytest.raises(ClientError):
            sqs.get_queue_url(QueueName="missing")
        line = wait_for_line(server, lambda l: '"GetQueueUrl"' in l, "the request line")
        entry = json.loads(line)
        assert (entry["logger"], entry["service"], entry["operation"], entry["status"], entry["error"]) == (
            "stepstack.request", "sqs", "GetQueueUrl", 400, "QueueDoesNotExist"
        )
        wait_for_line(server, lambda l: l == "Ready.", "Ready.")
        for text in log_lines(server):
            if text.startswith("{"):
                json.loads(text)
    finally:
        stop_server(server)


def test_debug_logs_show_bodies_and_error_messages(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--log-level", "debug")
    try:
        sqs = server.client("sqs")
        with pytest.raises(ClientError):
            sqs.get_queue_url(QueueName="missing-at-debug")
        wait_for_line(server, lambda l: "missing-at-debug" in l and "request" in l, "the request body")
        line = wait_for_line(server, lambda l: "sqs GetQueueUrl 400 QueueDoesNotExist" in l, "the request line")
        assert line.endswith("The specified queue does not exist.")
    finally:
        stop_server(server)


