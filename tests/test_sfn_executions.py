"""Step Functions execution API and data flow, as the API reference and developer guide document them.

StartExecution, DescribeExecution, DescribeStateMachineForExecution, ListExecutions, StopExecution,
StartSyncExecution; InputPath / Parameters / ResultSelector / ResultPath / OutputPath, the context
object, and Wait states on the service clock (moved by the tests, on a server of the module's own).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.sfn_helpers import (
    ACCOUNT,
    REGION,
    ROLE,
    create_machine,
    details,
    error_of,
    history,
    history_types,
    output_of,
    run,
    service_now,
    start,
    still_running,
    unique,
    wait_for_event,
    wait_until_done,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
LONG_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100_000, "End": True}}}
BY_MODE = {
    "StartAt": "Mode",
    "States": {
        "Mode": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.mode", "StringEquals": "wait", "Next": "Hold"},
                {"Variable": "$.mode", "StringEquals": "fail", "Next": "Boom"},
            ],
            "Default": "Done",
        },
        "Hold": {"Type": "Wait", "Seconds": 100_000, "Next": "Done"},
        "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "asked to fail"},
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


@pytest.fixture
def sync_sfn(server: Server) -> Any:
    # StartSyncExecution has the endpoint host prefix "sync-", which 127.0.0.1 cannot take.
    return server.client("stepfunctions", inject_host_prefix=False)


def machine_name(machine_arn: str) -> str:
    return machine_arn.rsplit(":", 1)[1]


# -- StartExecution ------------------------------------------------------------------------------


def test_start_execution_generates_a_uuid_name_and_an_execution_arn(sfn: Any) -> None:
    machine = create_machine(sfn, PASS)
    started = sfn.start_execution(stateMachineArn=machine)
    arn = started["executionArn"]
    prefix = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name(machine)}:"
    assert arn.startswith(prefix) and UUID.fullmatch(arn[len(prefix):]), arn
    assert isinstance(started["startDate"], datetime)
    described = wait_until_done(sfn, arn)
    assert described["name"] == arn[len(prefix):]
    assert json.loads(described["input"]) == {}  # no input means "{}"


def test_start_execution_with_an_explicit_name(sfn: Any) -> None:
    machine = create_machine(sfn, PASS)
    name = unique("run")
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input='{"a": 1}')["executionArn"]
    assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name(machine)}:{name}"
    assert wait_until_done(sfn, arn)["name"] == name


def test_same_name_and_input_while_running_is_idempotent_otherwise_already_exists(sfn: Any) -> None:
    machine = create_machine(sfn, LONG_WAIT)
    name = unique("idem")
    first = sfn.start_execution(stateMachineArn=machine, name=name, input='{"same": true}')
    again = sfn.start_execution(stateMachineArn=machine, name=name, input='{"same": true}')
    assert again["executionArn"] == first["executionArn"]
    assert sfn.describe_execution(executionArn=first["executionArn"])["status"] == "RUNNING"
    different = error_of(sfn.start_execution, stateMachineArn=machine, name=name, input='{"same": false}')
    assert different["Code"] == "ExecutionAlreadyExists"
    listed = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["executionArn"] for e in listed] == [first["executionArn"]]  # only one execution exists
    sfn.stop_execution(executionArn=first["executionArn"])
    closed = error_of(sfn.start_execution, stateMachineArn=machine, name=name, input='{"same": true}')
    assert closed["Code"] == "ExecutionAlreadyExists"


def test_same_name_after_the_execution_finished_already_exists(sfn: Any) -> None:
    machine = create_machine(sfn, PASS)
    name = unique("done")
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input="{}")["executionArn"]
    wait_until_done(sfn, arn)
    error = error_of(sfn.start_execution, stateMachineArn=machine, name=name, input="{}")
    assert error["Code"] == "ExecutionAlreadyExists"


@pytest.mark.parametrize("bad", ["{not json", "{'single': 1}", '{"a": 1'])
def test_invalid_json_input_is_rejected(sfn: Any, bad: str) -> None:
    machine = create_machine(sfn, PASS)
    assert error_of(sfn.start_execution, stateMachineArn=machine, input=bad)["Code"] == "InvalidExecutionInput"
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []


def test_start_execution_of_a_missing_machine(sfn: Any) -> None:
    missing = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{unique('none')}"
    assert error_of(sfn.start_execution, stateMachineArn=missing)["Code"] == "StateMachineDoesNotExist"


# -- DescribeExecution / DescribeStateMachineForExecution ----------------------------------------


def test_describe_execution_of_running_and_succeeded_executions(sfn: Any, server: Server) -> None:
    machine, arn = start(sfn, BY_MODE, {"mode": "wait", "n": 7})
    running = sfn.describe_execution(executionArn=arn)
    assert running["status"] == "RUNNING" and running["stateMachineArn"] == machine
    assert running["executionArn"] == arn and running["name"] == arn.rsplit(":", 1)[1]
    assert json.loads(running["input"]) == {"mode": "wait", "n": 7}
    assert "stopDate" not in running and "output" not in running
    wait_for_event(sfn, arn, "WaitStateEntered")
    server.advance(100_001)
    done = wait_until_done(sfn, arn)
    assert done["status"] == "SUCCEEDED" and done["startDate"] == running["startDate"]
    assert done["stopDate"] >= done["startDate"]
    assert json.loads(done["output"]) == {"mode": "wait", "n": 7}
    assert done.get("redriveCount", 0) == 0
    assert "error" not in done and "cause" not in done


def test_describe_execution_of_a_failed_execution(sfn: Any) -> None:
    _, described = run(sfn, BY_MODE, {"mode": "fail"})
    assert described["status"] == "FAILED"
    assert described["error"] == "Boom" and described["cause"] == "asked to fail"
    assert "output" not in described and described["stopDate"] >= described["startDate"]


def test_describe_state_machine_for_execution_returns_the_definition_it_ran(sfn: Any) -> None:
    definition = json.dumps(LONG_WAIT)
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    described = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert described["stateMachineArn"] == machine and described["name"] == machine_name(machine)
    assert described["definition"] == definition and described["roleArn"] == ROLE
    sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(PASS))
    assert sfn.describe_state_machine_for_execution(executionArn=arn)["definition"] == definition
    sfn.stop_execution(executionArn=arn)


def test_missing_and_malformed_execution_arns(sfn: Any) -> None:
    machine = create_machine(sfn, PASS)
    missing = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name(machine)}:{unique('ghost')}"
    for call in (sfn.describe_execution, sfn.stop_execution, sfn.get_execution_history, sfn.describe_state_machine_for_execution):
        assert error_of(call, executionArn=missing)["Code"] == "ExecutionDoesNotExist", call
    assert error_of(sfn.describe_execution, executionArn="not-an-arn")["Code"] == "InvalidArn"
    assert error_of(sfn.describe_execution, executionArn=machine)["Code"] == "InvalidArn"  # a machine, not an execution


# -- ListExecutions ------------------------------------------------------------------------------


def test_list_executions_newest_first_with_status_filter(sfn: Any, server: Server) -> None:
    machine = create_machine(sfn, BY_MODE)
    arns = {}
    for mode in ("ok", "fail", "wait"):
        arns[mode] = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"mode": mode}))["executionArn"]
        server.advance(1)
    wait_until_done(sfn, arns["ok"]), wait_until_done(sfn, arns["fail"])
    listed = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["executionArn"] for e in listed] == [arns["wait"], arns["fail"], arns["ok"]]
    assert [e["status"] for e in listed] == ["RUNNING", "FAILED", "SUCCEEDED"]
    assert all(e["stateMachineArn"] == machine and e["name"] == e["executionArn"].rsplit(":", 1)[1] for e in listed)
    assert "stopDate" not in listed[0] and listed[1]["stopDate"] >= listed[1]["startDate"]
    for status, mode in (("RUNNING", "wait"), ("SUCCEEDED", "ok"), ("FAILED", "fail")):
        filtered = sfn.list_executions(stateMachineArn=machine, statusFilter=status)["executions"]
        assert [e["executionArn"] for e in filtered] == [arns[mode]], status
    assert sfn.list_executions(stateMachineArn=machine, statusFilter="ABORTED")["executions"] == []
    sfn.stop_execution(executionArn=arns["wait"])
    aborted = sfn.list_executions(stateMachineArn=machine, statusFilter="ABORTED")["executions"]
    assert [e["executionArn"] for e in aborted] == [arns["wait"]]


def test_list_executions_paginates(sfn: Any, server: Server) -> None:
    machine = create_machine(sfn, PASS)
    arns = []
    for _ in range(5):
        arns.append(sfn.start_execution(stateMachineArn=machine)["executionArn"])
        server.advance(1)
    first = sfn.list_executions(stateMachineArn=machine, maxResults=2)
    assert len(first["executions"]) == 2 and first["nextToken"]
    seen = [e["executionArn"] for e in first["executions"]]
    token = first["nextToken"]
    while token:
        page = sfn.list_executions(stateMachineArn=machine, maxResults=2, nextToken=token)
        assert len(page["executions"]) <= 2
        seen += [e["executionArn"] for e in page["executions"]]
        token = page.get("nextToken")
    assert seen == list(reversed(arns))
    missing = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{unique('none')}"
    assert error_of(sfn.list_executions, stateMachineArn=missing)["Code"] == "StateMachineDoesNotExist"


# -- StopExecution -------------------------------------------------------------------------------


def test_stop_a_running_execution(sfn: Any, server: Server) -> None:
    _, arn = start(sfn, BY_MODE, {"mode": "wait"})
    wait_for_event(sfn, arn, "WaitStateEntered")
    stopped = sfn.stop_execution(executionArn=arn, error="Halt", cause="operator said so")
    assert isinstance(stopped["stopDate"], datetime)
    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED" and described["stopDate"] == stopped["stopDate"]
    assert described["error"] == "Halt" and described["cause"] == "operator said so"
    events = history(sfn, arn)
    assert events[-1]["type"] == "ExecutionAborted"
    assert details(events[-1]) == {"error": "Halt", "cause": "operator said so"}
    server.advance(100_001)  # the Wait's deadline passes (and the advance settles): nothing may resume
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
    types = history_types(sfn, arn)
    assert types[-1] == "ExecutionAborted" and "WaitStateExited" not in types and "ExecutionSucceeded" not in types


def test_stop_without_error_or_cause(sfn: Any) -> None:
    _, arn = start(sfn, LONG_WAIT, {})
    wait_for_event(sfn, arn, "WaitStateEntered")
    sfn.stop_execution(executionArn=arn)
    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED" and "stopDate" in described
    assert "error" not in described and "cause" not in described and "output" not in described
    assert history_types(sfn, arn) == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]


def test_stop_a_finished_execution_leaves_it_as_it_was(sfn: Any) -> None:
    arn, before = run(sfn, PASS, {"x": 1})
    try:
        sfn.stop_execution(executionArn=arn, error="Late")  # stepstack answers 200
    except ClientError as exc:
        # AWS's answer is unknown: the API reference documents no error for this case and no recording
        # of it is at hand, so success or an honest error passes; a missing execution would be a lie
        assert exc.response["Error"]["Code"] not in ("ExecutionDoesNotExist", "NotImplemented"), exc.response
    after = sfn.describe_execution(executionArn=arn)
    assert after["status"] == "SUCCEEDED" and after["output"] == before["output"]
    assert after["stopDate"] == before["stopDate"] and "error" not in after
    assert history_types(sfn, arn)[-1] == "ExecutionSucceeded"


# -- EXPRESS and StartSyncExecution --------------------------------------------------------------


def test_start_sync_execution_returns_the_output(sync_sfn: Any) -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"done": True}, "ResultPath": "$.r", "End": True}}}
    machine = create_machine(sync_sfn, definition, type="EXPRESS")
    result = sync_sfn.start_sync_execution(stateMachineArn=machine, input='{"a": 1}', name=unique("sync"))
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"a": 1, "r": {"done": True}}
    assert json.loads(result["input"]) == {"a": 1}
    assert result["stateMachineArn"] == machine and result["stopDate"] >= result["startDate"]
    assert result["executionArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:express:{machine_name(machine)}:")
    billing = result["billingDetails"]
    assert billing["billedMemoryUsedInMB"] >= 0 and billing["billedDurationInMilliseconds"] >= 0


def test_start_sync_execution_of_a_failing_machine(sync_sfn: Any) -> None:
    machine = create_machine(sync_sfn, BY_MODE, type="EXPRESS")
    result = sync_sfn.start_sync_execution(stateMachineArn=machine, input='{"mode": "fail"}')
    assert result["status"] == "FAILED"
    assert result["error"] == "Boom" and result["cause"] == "asked to fail"
    assert "output" not in result


def test_start_sync_execution_of_a_standard_machine_is_not_supported(sync_sfn: Any) -> None:
    machine = create_machine(sync_sfn, PASS)
    error = error_of(sync_sfn.start_sync_execution, stateMachineArn=machine)
    assert error["Code"] == "StateMachineTypeNotSupported"


def test_execution_history_of_an_express_execution_is_not_available(sync_sfn: Any) -> None:
    # API reference, GetExecutionHistory: "This API action is not supported by EXPRESS state machines."
    # AWS rejects the execution's ARN itself (its resource type is "express"), as recorded against AWS
    # in LocalStack's test_sfn_api_express snapshot (get_execution_history_error).
    not_in_context = {"Code": "InvalidArn", "Message": "Invalid Arn: 'Resource type not valid in this context: express'"}
    machine = create_machine(sync_sfn, PASS, type="EXPRESS")
    arn = sync_sfn.start_sync_execution(stateMachineArn=machine)["executionArn"]
    assert error_of(sync_sfn.get_execution_history, executionArn=arn) == not_in_context
    async_arn = sync_sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert error_of(sync_sfn.get_execution_history, executionArn=async_arn) == not_in_context


def test_express_executions_cannot_be_described_stopped_or_listed(sync_sfn: Any) -> None:
    # Recorded against AWS (LocalStack's test_sfn_api_express snapshot): DescribeExecution and
    # StopExecution refuse the ARN, ListExecutions refuses the machine.
    not_in_context = {"Code": "InvalidArn", "Message": "Invalid Arn: 'Resource type not valid in this context: express'"}
    machine = create_machine(sync_sfn, PASS, type="EXPRESS")
    arn = sync_sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert error_of(sync_sfn.describe_execution, executionArn=arn) == not_in_context
    assert error_of(sync_sfn.stop_execution, executionArn=arn) == not_in_context
    assert error_of(sync_sfn.list_executions, stateMachineArn=machine) == {
        "Code": "StateMachineTypeNotSupported", "Message": "This operation is not supported by this type of state machine",
    }


# -- data flow -----------------------------------------------------------------------------------


def pass_state(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", **fields, "End": True}}}


@pytest.mark.parametrize(
    ("fields", "document", "expected"),
    [
        ({"InputPath": "$.sub"}, {"sub": {"k": 1}, "other": 2}, {"k": 1}),
        ({"Result": "r", "ResultPath": "$"}, {"a": 1}, "r"),
        ({"Result": "r", "ResultPath": "$.x.y"}, {"a": 1}, {"a": 1, "x": {"y": "r"}}),  # creates the objects
        ({"Result": "r", "ResultPath": "$.a.b"}, {"a": {"c": 3}}, {"a": {"c": 3, "b": "r"}}),
        ({"Result": "r", "ResultPath": None}, {"a": 1}, {"a": 1}),  # null discards the result
        ({"OutputPath": "$.keep"}, {"keep": [1, 2], "drop": 0}, [1, 2]),
        ({"Parameters": {"fixed": "f", "moved.$": "$.a", "list.$": "$.items[1]"}}, {"a": 5, "items": [9, 8]},
         {"fixed": "f", "moved": 5, "list": 8}),
        ({"InputPath": "$.in", "Parameters": {"v.$": "$.val"}, "ResultPath": "$.out", "OutputPath": "$.out"},
         {"in": {"val": 42}}, {"v": 42}),
    ],
)
def test_pass_data_flow(sfn: Any, fields: dict[str, Any], document: Any, expected: Any) -> None:
    _, described = run(sfn, pass_state(**fields), document)
    assert output_of(described) == expected


def test_input_parameters_result_selector_result_path_output_path_in_order(sfn: Any) -> None:
    # Developer guide, "Processing input and output": InputPath -> Parameters -> (task) ->
    # ResultSelector -> ResultPath (applied to the raw state input) -> OutputPath.
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Parallel",
                "InputPath": "$.data",
                "Parameters": {"v1.$": "$.val1", "v2.$": "$.val2"},
                "Branches": [{"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}],
                "ResultSelector": {"sum.$": "States.MathAdd($[0].v1, $[0].v2)", "tag": "selected"},
                "ResultPath": "$.data.result",
                "OutputPath": "$.data",
                "End": True,
            }
        },
    }
    document = {"comment": "example", "data": {"val1": 23, "val2": 17}, "extra": "e"}
    _, described = run(sfn, definition, document)
    assert output_of(described) == {"val1": 23, "val2": 17, "result": {"sum": 40, "tag": "selected"}}


def test_map_result_selector(sfn: Any) -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "ResultSelector": {"n.$": "States.ArrayLength($)", "first.$": "$[0]"},
                "ResultPath": "$.summary",
                "End": True,
            }
        },
    }
    _, described = run(sfn, definition, {"xs": ["a", "b", "c"]})
    assert output_of(described) == {"xs": ["a", "b", "c"], "summary": {"n": 3, "first": "a"}}


def test_context_object_fields(sfn: Any) -> None:
    definition = {
        "StartAt": "Ctx",
        "States": {
            "Ctx": {
                "Type": "Pass",
                "Parameters": {
                    "executionId.$": "$$.Execution.Id",
                    "executionName.$": "$$.Execution.Name",
                    "machineId.$": "$$.StateMachine.Id",
                    "machineName.$": "$$.StateMachine.Name",
                    "stateName.$": "$$.State.Name",
                    "executionInput.$": "$$.Execution.Input",
                    "role.$": "$$.Execution.RoleArn",
                    "startTime.$": "$$.Execution.StartTime",
                    "enteredTime.$": "$$.State.EnteredTime",
                },
                "End": True,
            }
        },
    }
    name = unique("ctx")
    machine, arn = start(sfn, definition, {"hello": "world"}, name=name)
    out = output_of(wait_until_done(sfn, arn))
    assert out["executionId"] == arn and out["executionName"] == name
    assert out["machineId"] == machine and out["machineName"] == machine_name(machine)
    assert out["stateName"] == "Ctx" and out["executionInput"] == {"hello": "world"} and out["role"] == ROLE
    for stamp in (out["startTime"], out["enteredTime"]):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", stamp), stamp


@pytest.mark.parametrize(
    "fields",
    [
        {"InputPath": "$.missing"},
        {"Parameters": {"v.$": "$.missing"}},
        {"OutputPath": "$.missing"},
    ],
    ids=["InputPath", "Parameters", "OutputPath"],
)
def test_a_path_that_matches_nothing_fails_with_states_runtime(sfn: Any, fields: dict[str, Any]) -> None:
    arn, described = run(sfn, pass_state(**fields), {"present": 1})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime", described
    assert history_types(sfn, arn)[-1] == "ExecutionFailed"


# -- Wait on the service clock -------------------------------------------------------------------


def test_a_wait_of_one_day_ends_only_after_a_day(sfn: Any, server: Server) -> None:
    definition = {"StartAt": "Day", "States": {"Day": {"Type": "Wait", "Seconds": 86_400, "End": True}}}
    _, arn = start(sfn, definition, {"d": 1})
    wait_for_event(sfn, arn, "WaitStateEntered")
    server.advance(86_000)
    still_running(sfn, arn)
    server.advance(401)
    described = wait_until_done(sfn, arn)
    assert output_of(described) == {"d": 1}
    assert (described["stopDate"] - described["startDate"]).total_seconds() >= 86_400


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_wait_with_timestamp_path(sfn: Any, server: Server) -> None:
    until = iso(service_now(server) + 3_600)
    definition = {"StartAt": "Until", "States": {"Until": {"Type": "Wait", "TimestampPath": "$.until", "End": True}}}
    _, arn = start(sfn, definition, {"until": until})
    wait_for_event(sfn, arn, "WaitStateEntered")
    server.advance(3_400)
    still_running(sfn, arn)
    server.advance(202)
    assert output_of(wait_until_done(sfn, arn)) == {"until": until}


def test_wait_with_seconds_path(sfn: Any, server: Server) -> None:
    definition = {"StartAt": "For", "States": {"For": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}
    _, arn = start(sfn, definition, {"s": 500})
    wait_for_event(sfn, arn, "WaitStateEntered")
    server.advance(450)
    still_running(sfn, arn)
    server.advance(51)
    assert output_of(wait_until_done(sfn, arn)) == {"s": 500}


def test_wait_until_a_timestamp_in_the_past_does_not_wait(sfn: Any) -> None:
    definition = {"StartAt": "Past", "States": {"Past": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": True}}}
    arn, described = run(sfn, definition, {"p": 1})
    assert output_of(described) == {"p": 1}
    assert history_types(sfn, arn) == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]
