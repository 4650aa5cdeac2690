"""The aws cli drives stepstack and understands its answers in all three protocols.

Each command runs the real cli (`python -m awscli`) in a subprocess with
throw-away credentials and no config files, so nothing on the machine leaks in.
The last tests check what the README says about `AWS_ENDPOINT_URL` and
`AWS_DISABLE_HOST_PREFIX_INJECTION`, with the endpoint taken from the environment.
Implemented operations (docs/coverage.md says which) are checked by their real
output. SNS and Batch implement nothing yet, so for them an `An error occurred
(NotImplemented) when calling the <Op> operation` line is what proves the cli
routed the request, got our error and parsed its code from the Query XML (SNS)
and rest-json (Batch) error body; SQS and Step Functions errors are parsed from JSON.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, free_port
from tests.test_every_operation import coverage

if importlib.util.find_spec("awscli") is None:  # pragma: no cover - the test extra installs it
    raise ImportError("awscli is not installed; install the test extra: pip install -e '.[test]'")

# Read, not imported: importing awscli would alias `botocore` to its vendored copy in this process.
AWSCLI_VERSION = importlib.metadata.version("awscli")
# awscli v1 exits 255 on any error; v2 exits 254 for a service error.
SERVICE_ERROR_RC = 255 if AWSCLI_VERSION.startswith("1.") else 254
ROLE = "arn:aws:iam::000000000000:role/r"

# what the tests below call, so that a change in docs/coverage.md points at them
IMPLEMENTED = [
    "sqs.CreateQueue", "sqs.ListQueues", "sqs.GetQueueAttributes", "sqs.GetQueueUrl",
    "sqs.SendMessage", "sqs.ReceiveMessage",
    "stepfunctions.CreateStateMachine", "stepfunctions.ListStateMachines", "stepfunctions.StartExecution",
    "stepfunctions.DescribeExecution", "stepfunctions.ListExecutions", "stepfunctions.StartSyncExecution",
]
NOT_IMPLEMENTED = [
    ("batch", "describe-service-environments", "DescribeServiceEnvironments"),
]


def run_cli(
    server: Server, tmp_path: Path, *args: str, env: dict[str, str] | None = None, endpoint_flag: bool = True
) -> subprocess.CompletedProcess[str]:
    """`aws --endpoint-url <server> ARGS`; without endpoint_flag the endpoint can only come from `env`."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.lower().endswith("_proxy")},
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-such-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-such-credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        **(env or {}),
    }
    endpoint = ["--endpoint-url", server.url] if endpoint_flag else []
    return subprocess.run(
        [sys.executable, "-m", "awscli", *endpoint, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_json(server: Server, tmp_path: Path, *args: str, **options: Any) -> dict[str, Any]:
    """A command that must succeed, and its JSON output."""
    result = run_cli(server, tmp_path, *args, **options)
    assert result.returncode == 0, (args, result.returncode, result.stderr)
    return json.loads(result.stdout)


def test_commands_here_are_checked_against_the_coverage_document() -> None:
    for service, _, operation in NOT_IMPLEMENTED:
        assert not coverage()[service][operation], f"{service}.{operation} is implemented: assert its real output"
    for name in IMPLEMENTED:
        service, operation = name.split(".")
        assert coverage()[service][operation], f"{name} is not implemented: expect NotImplemented"


@pytest.mark.parametrize(("service", "command", "operation"), NOT_IMPLEMENTED, ids=[c[0] for c in NOT_IMPLEMENTED])
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
    created = run_json(server, tmp_path, "sqs", "create-queue", "--queue-name", "cli-smoke", "--attributes", "DelaySeconds=5")
    url = created["QueueUrl"]
    assert url == f"{server.url}/000000000000/cli-smoke"
    listed = run_json(server, tmp_path, "sqs", "list-queues", "--queue-name-prefix", "cli-smoke")
    assert listed["QueueUrls"] == [url]
    attributes = run_json(server, tmp_path, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "DelaySeconds")
    assert attributes["Attributes"] == {"DelaySeconds": "5"}
    missing = run_cli(server, tmp_path, "sqs", "get-queue-url", "--queue-name", "cli-smoke-missing")
    assert missing.returncode == SERVICE_ERROR_RC
    assert "An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the GetQueueUrl operation" in missing.stderr


def test_awscli_sends_and_receives_a_message(server: Server, tmp_path: Path) -> None:
    url = run_json(server, tmp_path, "sqs", "create-queue", "--queue-name", "cli-messages")["QueueUrl"]
    sent = run_json(server, tmp_path, "sqs", "send-message", "--queue-url", url, "--message-body", "hello cli")
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello cli").hexdigest()
    received = run_json(server, tmp_path, "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "0")
    [message] = received["Messages"]
    assert (message["MessageId"], message["Body"]) == (sent["MessageId"], "hello cli")
    assert message["ReceiptHandle"]


def test_awscli_creates_a_state_machine_and_runs_it(server: Server, tmp_path: Path) -> None:
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}})
    created = run_json(
        server, tmp_path, "stepfunctions", "create-state-machine",
        "--name", "cli-smoke", "--definition", definition, "--role-arn", ROLE,
    )
    arn = created["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:000000000000:stateMachine:cli-smoke"
    listed = run_json(server, tmp_path, "stepfunctions", "list-state-machines")
    assert {"name": "cli-smoke", "stateMachineArn": arn, "type": "STANDARD"}.items() <= next(
        m for m in listed["stateMachines"] if m["stateMachineArn"] == arn
    ).items()
    started = run_json(server, tmp_path, "stepfunctions", "start-execution", "--state-machine-arn", arn, "--name", "e1")
    assert started["executionArn"] == "arn:aws:states:us-east-1:000000000000:execution:cli-smoke:e1"
    # a Pass state finishes long before the next cli process has started; a few tries spare a slow machine
    for _ in range(5):
        described = run_json(server, tmp_path, "stepfunctions", "describe-execution", "--execution-arn", started["executionArn"])
        if described["status"] != "RUNNING":
            break
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"ok": 1}
    executions = run_json(server, tmp_path, "stepfunctions", "list-executions", "--state-machine-arn", arn)
    assert [e["executionArn"] for e in executions["executions"]] == [started["executionArn"]]


def test_awscli_reports_client_validation_error_code_from_the_wire(server: Server, tmp_path: Path) -> None:
    """A 400 from the server (not the cli's own checks) reaches the user with its code."""
    arn = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
    args = ["list-executions", "--state-machine-arn", arn, "--page-size", "5000"]
    result = run_cli(server, tmp_path, "stepfunctions", *args)
    assert result.returncode == SERVICE_ERROR_RC, (result.returncode, result.stderr)
    assert "An error occurred (ValidationException) when calling the ListExecutions operation" in result.stderr
    assert "less than or equal to 1000" in result.stderr, result.stderr


def test_awscli_takes_the_endpoint_from_aws_endpoint_url(server: Server, tmp_path: Path) -> None:
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = server.client("stepfunctions").create_state_machine(
        name="cli-env-endpoint", definition=definition, roleArn=ROLE
    )["stateMachineArn"]
    listed = run_json(
        server, tmp_path, "stepfunctions", "list-state-machines",
        env={"AWS_ENDPOINT_URL": server.url}, endpoint_flag=False,
    )
    assert arn in [m["stateMachineArn"] for m in listed["stateMachines"]]


@pytest.mark.skipif(not AWSCLI_VERSION.startswith("1."), reason="the caveat is aws-cli v1's")
def test_awscli_v1_ignores_aws_endpoint_url_for_sqs(server: Server, tmp_path: Path) -> None:
    """The README's caveat: aws-cli v1 sends `sqs` commands to AWS whatever AWS_ENDPOINT_URL says.

    Without --endpoint-url, v1 sets one itself for sqs (and emr, rds, docdb, neptune, health) in
    the regions of awscli/customizations/overridesslcommonname.py, here https://queue.amazonaws.com,
    and an explicit endpoint outranks AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_SQS. A dead proxy for
    every host but loopback keeps that request off the network and makes it fail at once.
    """
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    env = {
        "AWS_ENDPOINT_URL": server.url, "AWS_ENDPOINT_URL_SQS": server.url,
        "HTTPS_PROXY": dead_proxy, "HTTP_PROXY": dead_proxy, "NO_PROXY": "127.0.0.1,localhost",
    }
    run_json(server, tmp_path, "stepfunctions", "list-state-machines", env=env, endpoint_flag=False)  # reaches us

    result = run_cli(
        server, tmp_path, "--debug", "sqs", "create-queue", "--queue-name", "cli-v1-caveat",
        env=env, endpoint_flag=False,
    )
    assert result.returncode == 255, (result.returncode, result.stderr[-2000:])
    assert "url=https://queue.amazonaws.com/" in result.stderr
    assert f'Failed to connect to proxy URL: "{dead_proxy}"' in result.stderr
    assert "QueueUrls" not in server.client("sqs").list_queues(QueueNamePrefix="cli-v1-caveat")


def test_awscli_starts_a_sync_execution_with_host_prefix_injection_disabled(server: Server, tmp_path: Path) -> None:
    """StartSyncExecution's endpoint carries the host prefix `sync-`; `sync-127.0.0.1` resolves nowhere."""
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}})
    arn = server.client("stepfunctions").create_state_machine(
        name="cli-sync", definition=definition, roleArn=ROLE, type="EXPRESS"
    )["stateMachineArn"]
    env = {"AWS_ENDPOINT_URL": server.url, "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}
    started = run_json(
        server, tmp_path, "stepfunctions", "start-sync-execution", "--state-machine-arn", arn,
        env=env, endpoint_flag=False,
    )
    assert (started["status"], json.loads(started["output"])) == ("SUCCEEDED", {"ok": 1})
