"""The internal endpoints: health, reset, the clock; and the flags they report on.

Tests that move the clock or reset run on this module's own server (`fresh`),
so the session server's clock and state stay where other modules expect them.
A poll that must be waiting is checked on the server's inspection seams.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ROOT, Server, free_port, start_server, stop_server
from tests.raw_http import send
from tests.sfn_helpers import wait_for_pollers
from tests.sqs_helpers import wait_for_long_polls

SERVICES = {"sqs", "sns", "stepfunctions", "batch", "logs", "lambda"}


def error_of(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response


@pytest.fixture(scope="module")
def fresh(own_server: Server) -> Server:
    """A server of the module's own, whose clock and state nobody else has touched."""
    return own_server


# -- health -----------------------------------------------------------------------


def test_health_reports_version_and_every_service_running(server: Server) -> None:
    status, body = server.admin("GET", "/_stepstack/health")
    assert status == 200, body
    assert body["version"] == "0.1.0"
    assert {name: entry["state"] for name, entry in body["services"].items()} == {name: "running" for name in SERVICES}


def test_health_answers_head(server: Server) -> None:
    response = send(server.host, server.port, "HEAD", "/_stepstack/health")
    assert response.status == 200
    assert response.body == b""


# -- reset ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_stepstack/reset", "/moto-api/reset"])
def test_reset_answers_ok_json(fresh: Server, path: str) -> None:
    status, body = fresh.admin("POST", path)
    assert status == 200, body
    assert body["status"] == "ok", body
    assert set(body["reset"]) == SERVICES, body


def test_reset_by_get_is_not_allowed(server: Server) -> None:
    status, body = server.admin("GET", "/_stepstack/reset")
    assert status == 405, body
    assert body["__type"] == "MethodNotAllowed", body


def test_unknown_internal_endpoint_gets_json_not_found(server: Server) -> None:
    status, body = server.admin("GET", "/_stepstack/nope")
    assert status == 404, body
    assert body["__type"] == "NotFound", body
    assert isinstance(body["message"], str), body


# -- clock -----------------------------------------------------------------------------


def test_clock_starts_at_real_time(fresh: Server) -> None:
    status, body = fresh.admin("GET", "/_stepstack/clock")
    assert status == 200, body
    # real time plus whatever other tests of this module advanced it by (nothing, when run first)
    assert abs(body["now"] - body["offset_seconds"] - time.time()) < 5, body
    assert body["time_scale"] == 1.0, body
    assert body["pending_timers"] == 0, body
    assert body["iso"].endswith("Z") and body["iso"][:4].isdigit(), body


def test_clock_advance_moves_now_and_offset_forward(fresh: Server) -> None:
    _, before = fresh.admin("GET", "/_stepstack/clock")
    after = fresh.advance(3600)
    assert after["now"] - before["now"] >= 3600, (before, after)
    assert after["now"] - before["now"] < 3600 + 5, (before, after)
    assert after["offset_seconds"] == pytest.approx(before["offset_seconds"] + 3600), (before, after)
    assert after["advanced_seconds"] == 3600, after
    _, read_back = fresh.admin("GET", "/_stepstack/clock")
    assert read_back["now"] >= after["now"], (after, read_back)
    assert read_back["offset_seconds"] == after["offset_seconds"], read_back


def test_clock_advance_by_zero_is_accepted_and_moves_nothing(fresh: Server) -> None:
    _, before = fresh.admin("GET", "/_stepstack/clock")
    after = fresh.advance(0)
    assert after["offset_seconds"] == before["offset_seconds"], (before, after)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"advance_seconds": -1}', "ValidationException"),
        (b'{"advance_seconds": "60"}', "ValidationException"),
        (b"{}", "ValidationException"),
        (b"not json", "SerializationException"),  # only a body that is not JSON at all
        (b'{"advance_seconds": true}', "ValidationException"),
        (b'{"advance_seconds": null}', "ValidationException"),
        (b"[60]", "ValidationException"),
        (b'{"advance_seconds": 1e12}', "ValidationException"),
    ],
    ids=["negative", "string", "missing", "not-json", "bool", "null", "list-body", "too-far"],
)
def test_invalid_clock_advance_gets_json_error_and_leaves_clock_alone(fresh: Server, body: bytes, code: str) -> None:
    _, before = fresh.admin("GET", "/_stepstack/clock")
    response = send(fresh.host, fresh.port, "POST", "/_stepstack/clock", body, {"Content-Type": "application/json"})
    assert response.status == 400, response
    error = response.json()
    assert error["__type"] == code, error
    assert error["message"], error
    _, after = fresh.admin("GET", "/_stepstack/clock")
    assert after["offset_seconds"] == before["offset_seconds"], (before, after)
    assert after["now"] - before["now"] < 5, (before, after)


# -- flags -------------------------------------------------------------------------------


def test_server_with_only_sqs_reports_others_disabled_and_refuses_them(tmp_path: Path) -> None:
    only_sqs = start_server(tmp_path, "--services", "sqs")
    try:
        status, body = only_sqs.admin("GET", "/_localstack/health")
        assert status == 200, body
        expected = {"sqs": "running", "sns": "disabled", "stepfunctions": "disabled", "batch": "disabled", "logs": "disabled", "lambda": "disabled"}
        assert body["services"] == expected, body

        refused = error_of(only_sqs.client("sns").list_topics)
        assert refused["Error"]["Code"] == "ServiceNotEnabled", refused
        assert refused["ResponseMetadata"]["HTTPStatusCode"] == 501, refused

        refused = error_of(only_sqs.client("batch").describe_job_queues)
        assert refused["Error"]["Code"] == "ServiceNotEnabled", refused

        served = only_sqs.client("sqs").list_queues()
        assert served["ResponseMetadata"]["HTTPStatusCode"] == 200, served

        status, body = only_sqs.admin("POST", "/_stepstack/reset")
        assert (status, body["reset"]) == (200, ["sqs"]), body
    finally:
        stop_server(only_sqs)
    assert "Traceback" not in only_sqs.log_path.read_text()


def test_time_scale_makes_service_time_run_faster(tmp_path: Path) -> None:
    fast = start_server(tmp_path, "--time-scale", "0.01")
    try:
        _, first = fast.admin("GET", "/_stepstack/clock")
        started = time.monotonic()
        deadline = started + 5
        while (second := fast.admin("GET", "/_stepstack/clock")[1])["now"] - first["now"] < 10:
            assert time.monotonic() < deadline, "10 s of service time did not pass in 5 s of real time"
            time.sleep(0.01)
        real = time.monotonic() - started
    finally:
        stop_server(fast)
    assert first["time_scale"] == 0.01, first
    service = second["now"] - first["now"]
    assert service >= 10, (first, second)
    # 100x, give or take the two requests' own latency
    assert service <= (real + 1) * 100, (service, real)
    assert second["offset_seconds"] == 0, second  # the speed comes from the scale, not from advancing


def test_twelve_digit_access_key_is_used_as_the_account_id(server: Server) -> None:
    client = server.client("sqs", access_key="123456789012")
    url = client.create_queue(QueueName="account-from-key")["QueueUrl"]
    assert url.endswith("/123456789012/account-from-key")
    other = server.client("sqs", access_key="test")
    assert url not in other.list_queues(QueueNamePrefix="account-from-key").get("QueueUrls", [])


@pytest.mark.parametrize(
    "args",
    [
        ("--time-scale", "0"),
        ("--time-scale", "-1"),
        ("--time-scale", "nan"),
        ("--account-id", "12345"),
        ("--account-id", "123456789012\n"),
        ("--services", "sqs,nosuch"),
    ],
    ids=["scale-zero", "scale-negative", "scale-nan", "short-account", "account-trailing-newline", "unknown-service"],
)
def test_server_refuses_to_start_with_invalid_flags(args: tuple[str, str]) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    started = False
    try:
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stepstack/health", timeout=1) as response:
                    started = response.status == 200
            except OSError:
                pass
            if started:
                break
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate(timeout=10)
    assert not started, f"stepstack started and served with invalid flags {args!r}"
    assert process.returncode == 2, (process.returncode, stderr)
    assert stderr.startswith(b"stepstack: "), stderr


def test_reset_releases_waiting_long_polls_and_drops_state(fresh: Server) -> None:
    sqs = fresh.client("sqs", read_timeout=30)
    url = sqs.create_queue(QueueName="reset-me")["QueueUrl"]
    answers: list[Any] = []
    poller = threading.Thread(target=lambda: answers.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)))
    poller.start()
    wait_for_long_polls(fresh, url, 1)
    started = time.monotonic()
    assert fresh.admin("POST", "/_stepstack/reset")[0] == 200
    poller.join(timeout=5)
    assert not poller.is_alive() and time.monotonic() - started < 2
    assert "Messages" not in answers[0]
    assert "QueueUrls" not in fresh.client("sqs").list_queues()


def test_reset_releases_waiting_activity_workers(fresh: Server) -> None:
    sfn = fresh.client("stepfunctions", read_timeout=70)
    activity = sfn.create_activity(name="reset-me")["activityArn"]
    answers: list[Any] = []
    worker = threading.Thread(target=lambda: answers.append(sfn.get_activity_task(activityArn=activity)))
    worker.start()
    wait_for_pollers(fresh, activity, 1)
    started = time.monotonic()
    assert fresh.admin("POST", "/_stepstack/reset")[0] == 200
    worker.join(timeout=5)
    assert not worker.is_alive() and time.monotonic() - started < 2
    assert not answers[0].get("taskToken")
