"""Step Functions loggingConfiguration: executions' history events in their CloudWatch Logs
group as AWS's log records (record shape and level filtering as recorded against AWS in
LocalStack's stepfunctions/v2/logs snapshots)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

ROLE = "arn:aws:iam::000000000000:role/stepstack"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"r": 1}, "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "asked to"}}}
ENDS = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}


@pytest.fixture
def sfn(server: Server) -> Any:
    # StartSyncExecution has the endpoint host prefix "sync-", which 127.0.0.1 cannot take.
    return server.client("stepfunctions", inject_host_prefix=False)


@pytest.fixture
def logs(server: Server) -> Any:
    return server.client("logs")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def machine(sfn: Any, logs: Any, definition: dict[str, Any], level: str, include: bool, kind: str = "STANDARD") -> tuple[str, str]:
    group = unique("/aws/states/g")
    logs.create_log_group(logGroupName=group)
    config = {
        "level": level, "includeExecutionData": include,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"}}],
    }
    arn = sfn.create_state_machine(
        name=unique("m"), definition=json.dumps(definition), roleArn=ROLE, type=kind, loggingConfiguration=config
    )["stateMachineArn"]
    return arn, group


def records(logs: Any, group: str, until: Any, deadline: float = 10.0) -> list[dict[str, Any]]:
    """The group's records once `until(records)` holds (waits on the group, with a deadline)."""
    end = time.monotonic() + deadline
    while True:
        found = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group).get("events", [])]
        if until(found) or time.monotonic() > end:
            return found


def ended(found: list[dict[str, Any]]) -> bool:
    return any(r["type"] in ENDS for r in found)


def test_an_express_execution_logs_every_event_with_data(sfn: Any, logs: Any) -> None:
    arn, group = machine(sfn, logs, PASS, "ALL", True, kind="EXPRESS")
    execution = sfn.start_sync_execution(stateMachineArn=arn, input='{"a": 1}')["executionArn"]
    found = records(logs, group, ended)
    assert [r["type"] for r in found] == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert [r["id"] for r in found] == ["1", "2", "3", "4"]
    assert [r["previous_event_id"] for r in found][2:] == ["2", "3"]
    assert all(r["execution_arn"] == execution and r["redrive_count"] == "0" for r in found)
    assert all(r["event_timestamp"].isdigit() for r in found)
    assert json.loads(found[0]["details"]["input"]) == {"a": 1} and found[0]["details"]["roleArn"] == ROLE
    assert json.loads(found[-1]["details"]["output"]) == {"r": 1}
    assert found[-1]["details"]["outputDetails"] == {"truncated": False}
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    name = arn.split(":")[-1]
    assert len(streams) == 1 and streams[0]["logStreamName"].startswith(f"states/{name}/")


def test_without_execution_data_inputs_and_outputs_are_left_out(sfn: Any, logs: Any) -> None:
    arn, group = machine(sfn, logs, PASS, "ALL", False)
    sfn.start_execution(stateMachineArn=arn, input='{"secret": 1}')
    found = records(logs, group, ended)
    assert [r["details"] for r in found] == [{"roleArn": ROLE}, {"name": "P"}, {"name": "P"}, {}]
    assert "secret" not in json.dumps(found)


def test_a_standard_execution_logs_its_failure(sfn: Any, logs: Any) -> None:
    arn, group = machine(sfn, logs, FAIL, "ALL", False)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    found = records(logs, group, ended)
    assert [r["type"] for r in found] == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert found[-1]["details"] == {"error": "Boom", "cause": "asked to"}
    assert found[-1]["execution_arn"] == execution
    history = sfn.get_execution_history(executionArn=execution)["events"]
    assert [str(e["id"]) for e in history] == [r["id"] for r in found]


@pytest.mark.parametrize(("level", "expected"), [("ERROR", ["FailStateEntered", "ExecutionFailed"]), ("FATAL", ["ExecutionFailed"])])
def test_partial_levels_log_only_errors(sfn: Any, logs: Any, level: str, expected: list[str]) -> None:
    arn, group = machine(sfn, logs, FAIL, level, True)
    sfn.start_execution(stateMachineArn=arn)
    assert [r["type"] for r in records(logs, group, ended)] == expected


BY_INPUT = {
    "StartAt": "C",
    "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "F"}], "Default": "P"},
        "P": {"Type": "Pass", "End": True},
        "F": {"Type": "Fail", "Error": "Boom", "Cause": "asked to"},
    },
}


@pytest.mark.parametrize("level", ["ERROR", "FATAL"])
def test_a_succeeding_execution_logs_nothing_below_all(sfn: Any, logs: Any, level: str) -> None:
    arn, group = machine(sfn, logs, BY_INPUT, level, True, kind="EXPRESS")
    succeeded = sfn.start_sync_execution(stateMachineArn=arn, input='{"fail": false}')
    assert succeeded["status"] == "SUCCEEDED"
    failed = sfn.start_sync_execution(stateMachineArn=arn, input='{"fail": true}')["executionArn"]
    found = records(logs, group, ended)
    assert {r["execution_arn"] for r in found} == {failed}
    assert found[-1]["type"] == "ExecutionFailed"


def test_level_off_writes_nothing(sfn: Any, logs: Any) -> None:
    arn, group = machine(sfn, logs, FAIL, "OFF", True, kind="EXPRESS")
    assert sfn.start_sync_execution(stateMachineArn=arn)["status"] == "FAILED"
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []


def test_a_malformed_or_missing_destination_is_refused(sfn: Any) -> None:
    def refused(config: dict[str, Any]) -> str:
        with pytest.raises(ClientError) as caught:
            sfn.create_state_machine(name=unique("m"), definition=json.dumps(PASS), roleArn=ROLE, loggingConfiguration=config)
        assert caught.value.response["Error"]["Code"] == "InvalidLoggingConfiguration"
        return caught.value.response["Error"]["Message"]

    bad = [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:s3:::not-a-group"}}]
    assert "not-a-group" in refused({"level": "ALL", "destinations": bad})
    assert refused({"level": "ERROR"}) == "Invalid Logging Configuration: Must specify exactly one Log Destination."



def test_a_log_group_that_does_not_exist_is_refused(sfn: Any, logs: Any) -> None:
    # recorded on AWS (LocalStack's test_sfn_api_logs snapshot, test_deleted_log_group)
    group = unique("gone")
    logs.create_log_group(logGroupName=group)
    config = {"level": "ALL", "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"}}]}
    arn = sfn.create_state_machine(name=unique("m"), definition=json.dumps(PASS), roleArn=ROLE, loggingConfiguration=config)["stateMachineArn"]
    logs.delete_log_group(logGroupName=group)
    for call, params in ((sfn.create_state_machine, {"name": unique("m"), "definition": json.dumps(PASS), "roleArn": ROLE}),
                         (sfn.update_state_machine, {"stateMachineArn": arn})):
        with pytest.raises(ClientError) as caught:
            call(**params, loggingConfiguration=config)
        assert caught.value.response["Error"] == {"Code": "InvalidLoggingConfiguration", "Message": "Invalid Logging Configuration: Log Destination not found."}
