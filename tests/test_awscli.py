"""The aws cli understands stepstack's wire errors in all three protocols.

Each command runs the real cli (`python -m awscli`) in a subprocess with
throw-away credentials and no config files, so nothing on the machine leaks in.
An `An error occurred (NotImplemented) when calling the <Op> operation` line
proves the cli routed the request, got our error and parsed its code from the
JSON (SQS, Step Functions), Query XML (SNS) and rest-json (Batch) error body.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Server

if importlib.util.find_spec("awscli") is None:  # pragma: no cover - the test extra installs it
    raise ImportError("awscli is not installed; install the test extra: pip install -e '.[test]'")

import awscli

# awscli v1 exits 255 on any error; v2 exits 254 for a service error.
SERVICE_ERROR_RC = 255 if awscli.__version__.startswith("1.") else 254

COMMANDS = [
    ("sns", "list-topics", "ListTopics"),
    ("batch", "describe-job-queues", "DescribeJobQueues"),
]


def run_cli(server: Server, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-such-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-such-credentials"),
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", server.url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("service", "command", "operation"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_awscli_reports_not_implemented_error_parsed_from_the_wire(
    server: Server, tmp_path: Path, service: str, command: str, operation: str
) -> None:
    result = run_cli(server, tmp_path, service, command)
    assert result.returncode == SERVICE_ERROR_RC, (result.returncode, result.stdout, result.stderr)
    expected = f"An error occurred (NotImplemented) when calling the {operation} operation"
    assert expected in result.stderr, result.stderr
    assert operation in result.stderr.split(expected, 1)[1], result.stderr  # our message names it too
    assert result.stdout == "", result.stdout


def test_awscli_creates_lists_and_reads_a_queue(server: Server, tmp_path: Path) -> None:
    created = run_cli(server, tmp_path, "sqs", "create-queue", "--queue-name", "cli-smoke", "--attributes", "DelaySeconds=5")
    assert created.returncode == 0, created.stderr
    url = json.loads(created.stdout)["QueueUrl"]
    assert url == f"{server.url}/000000000000/cli-smoke"
    listed = run_cli(server, tmp_path, "sqs", "list-queues", "--queue-name-prefix", "cli-smoke")
    assert json.loads(listed.stdout)["QueueUrls"] == [url]
    attributes = run_cli(server, tmp_path, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "DelaySeconds")
    assert json.loads(attributes.stdout)["Attributes"] == {"DelaySeconds": "5"}
    missing = run_cli(server, tmp_path, "sqs", "get-queue-url", "--queue-name", "cli-smoke-missing")
    assert missing.returncode == SERVICE_ERROR_RC
    assert "An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the GetQueueUrl operation" in missing.stderr


def test_awscli_lists_state_machines(server: Server, tmp_path: Path) -> None:
    result = run_cli(server, tmp_path, "stepfunctions", "list-state-machines")
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout)["stateMachines"], list)


def test_awscli_reports_client_validation_error_code_from_the_wire(server: Server, tmp_path: Path) -> None:
    """A 400 from the server (not the cli's own checks) reaches the user with its code."""
    arn = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
    args = ["list-executions", "--state-machine-arn", arn, "--page-size", "5000"]
    result = run_cli(server, tmp_path, "stepfunctions", *args)
    assert result.returncode == SERVICE_ERROR_RC, (result.returncode, result.stderr)
    assert "An error occurred (ValidationException) when calling the ListExecutions operation" in result.stderr
    assert "less than or equal to 1000" in result.stderr, result.stderr
