"""The `.sync` integrations through boto3: a Task starting another state machine's execution
(`states:startExecution`, request-response, `.sync`, `.sync:2`, `.waitForTaskToken`) and a Task
submitting an AWS Batch job that really runs (`batch:submitJob`, request-response and `.sync`),
with the history events, outputs, errors and causes recorded on AWS
(v2/services/test_sfn_task_service, v2/callback/test_callback, v2/error_handling/test_task_service_sfn),
and stopping: a stopped or timed-out parent stops its `.sync` child and terminates its job."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.batch_helpers import job, make_ce, make_definition, make_queue, wait_for
from tests.conftest import Server
from tests.sfn_helpers import create_machine, details, history, history_types, unique, wait_for_event, wait_until_done

PASS_RESULT = {"StartAt": "State_1", "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}}
RAISE_FAILURE = {
    "StartAt": "FailState",
    "States": {"FailState": {"Type": "Fail", "Error": "SomeFailure", "Cause": "This state machines raises a 'SomeFailure' failure."}},
}
WAIT_LONG = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 100000, "End": True}}}
START_PARAMS = {"StateMachineArn.$": "$.StateMachineArn", "Input.$": "$.Input", "Name.$": "$.Name"}


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    return own_server  # the timeout test moves this server's clock


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


@pytest.fixture(scope="module")
def batch(server: Server) -> Any:
    return server.client("batch")


@pytest.fixture(scope="module")
def queue(batch: Any) -> str:
    return make_queue(batch, make_ce(batch, vcpus=16))


def task_machine(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Task", "States": {"Task": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True, **fields}}}


def renamed(machine: dict[str, Any], name: str = "Job") -> dict[str, Any]:
    """The same one-task machine with its state named otherwise (state names are unique in a definition)."""
    return {"StartAt": name, "States": {name: machine["States"]["Task"]}}


def start_execution_machine(pattern: str = "", **fields: Any) -> dict[str, Any]:
    suffix = f".{pattern}" if pattern else ""
    return task_machine(f"arn:aws:states:::states:startExecution{suffix}", START_PARAMS, **fields)


def run_parent(sfn: Any, definition: dict[str, Any], given: Any) -> tuple[str, dict[str, Any]]:
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(given))["executionArn"]
    return arn, wait_until_done(sfn, arn, timeout=15)


def event_details(sfn: Any, arn: str, event_type: str) -> dict[str, Any]:
    (found,) = [details(e) for e in history(sfn, arn) if e["type"] == event_type]
    return found


def submitted_output(sfn: Any, arn: str) -> dict[str, Any]:
    events = wait_for_event(sfn, arn, "TaskSubmitted", timeout=15)
    (found,) = [json.loads(details(e)["output"]) for e in events if e["type"] == "TaskSubmitted"]
    return found


def wait_status(read: Any, wanted: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = read()
        if found["status"] == wanted:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.02)


def assert_sdk_metadata(output: dict[str, Any], content_type: str) -> None:
    http = output["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    assert http["HttpHeaders"]["Content-Type"] == content_type
    assert http["AllHttpHeaders"]["Content-Type"] == [content_type]
    assert http["HttpHeaders"]["x-amzn-RequestId"] == output["SdkResponseMetadata"]["RequestId"]


# -- states:startExecution -------------------------------------------------------------------


@pytest.mark.parametrize(("given", "child_input"), [(None, "{}"), ({"Hello": "World"}, '{"Hello":"World"}')])
def test_start_execution_answers_its_arn_and_start_date(sfn: Any, given: Any, child_input: str) -> None:
    target = create_machine(sfn, PASS_RESULT)
    name = unique("child")
    arn, described = run_parent(sfn, start_execution_machine(), {"StateMachineArn": target, "Input": given, "Name": name})
    assert described["status"] == "SUCCEEDED", described
    assert history_types(sfn, arn) == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded",
    ]
    scheduled = event_details(sfn, arn, "TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == ("states", "startExecution")
    assert json.loads(scheduled["parameters"]) == {"StateMachineArn": target, "Input": given, "Name": name}
    output = json.loads(described["output"])
    assert sorted(output) == ["ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"]
    assert_sdk_metadata(output, "application/x-amz-json-1.0")
    child = sfn.describe_execution(executionArn=output["ExecutionArn"])
    assert child["name"] == name and child["stateMachineArn"] == target
    assert child["input"] == child_input  # a null Input starts the child with {}
    assert output["StartDate"] == int(round(child["startDate"].timestamp() * 1000))  # epoch milliseconds


def test_start_execution_sync_waits_and_gives_the_childs_output_as_json_text(sfn: Any) -> None:
    target = create_machine(sfn, PASS_RESULT)
    arn, described = run_parent(sfn, start_execution_machine("sync"), {"StateMachineArn": target, "Input": None, "Name": unique("c")})
    assert described["status"] == "SUCCEEDED", described
    assert history_types(sfn, arn) == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded",
        "TaskStateExited", "ExecutionSucceeded",
    ]
    submitted = event_details(sfn, arn, "TaskSubmitted")
    assert submitted["resource"] == "startExecution.sync"
    assert sorted(json.loads(submitted["output"])) == ["ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"]
    output = json.loads(described["output"])
    assert sorted(output) == [
        "ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails", "StartDate", "StateMachineArn", "Status", "StopDate",
    ]
    assert (output["Input"], output["Output"], output["Status"]) == ("{}", '{"Arg1":"argument1"}', "SUCCEEDED")
    assert output["InputDetails"] == output["OutputDetails"] == {"Included": True}
    child = sfn.describe_execution(executionArn=output["ExecutionArn"])
    assert output["StopDate"] == int(round(child["stopDate"].timestamp() * 1000)) >= output["StartDate"]


def test_start_execution_sync2_gives_the_childs_input_and_output_as_json(sfn: Any) -> None:
    target = create_machine(sfn, PASS_RESULT)
    given = {"StateMachineArn": target, "Input": {"k": [1, 2]}, "Name": unique("c")}
    arn, described = run_parent(sfn, start_execution_machine("sync:2"), given)
    output = json.loads(described["output"])
    assert (output["Input"], output["Output"], output["Status"]) == ({"k": [1, 2]}, {"Arg1": "argument1"}, "SUCCEEDED")
    assert event_details(sfn, arn, "TaskSucceeded")["resource"] == "startExecution.sync:2"


def test_a_failing_child_fails_the_sync_task_with_its_description(sfn: Any) -> None:
    target = create_machine(sfn, RAISE_FAILURE)
    name = unique("c")
    arn, described = run_parent(sfn, start_execution_machine("sync"), {"StateMachineArn": target, "Input": None, "Name": name})
    assert described["status"] == "FAILED" and described["error"] == "States.TaskFailed"
    assert history_types(sfn, arn)[-3:] == ["TaskSubmitted", "TaskFailed", "ExecutionFailed"]
    cause = json.loads(described["cause"])
    assert sorted(cause) == [
        "Cause", "Error", "ExecutionArn", "Input", "InputDetails", "Name", "StartDate", "StateMachineArn", "Status", "StopDate",
    ]
    assert (cause["Error"], cause["Cause"], cause["Status"], cause["Name"], cause["Input"]) == (
        "SomeFailure", "This state machines raises a 'SomeFailure' failure.", "FAILED", name, "{}",
    )
    assert event_details(sfn, arn, "TaskFailed")["error"] == "States.TaskFailed"


def test_a_failing_child_can_be_caught_as_states_task_failed(sfn: Any) -> None:
    target = create_machine(sfn, RAISE_FAILURE)
    catch = [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}]
    definition = start_execution_machine("sync:2", Catch=catch)
    del definition["States"]["Task"]["End"]
    definition["States"]["Task"]["Next"] = "Unreached"
    definition["States"].update(Unreached={"Type": "Succeed"}, Caught={"Type": "Pass", "OutputPath": "$.error", "End": True})
    _, described = run_parent(sfn, definition, {"StateMachineArn": target, "Input": {"a": 1}, "Name": unique("c")})
    caught = json.loads(described["output"])
    assert caught["Error"] == "States.TaskFailed"
    assert json.loads(caught["Cause"])["Input"] == {"a": 1}  # .sync:2: the description's JSON parsed


def test_a_child_timing_out_in_a_task_fails_the_parent_without_a_cause(server: Server, sfn: Any) -> None:
    """Recorded (test_start_execution_sync_delegate_timeout): the child's error States.Timeout, no Cause."""
    activity = sfn.create_activity(name=unique("act"))["activityArn"]
    target = create_machine(sfn, {"StartAt": "Start", "States": {"Start": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 5, "End": True}}})
    machine = create_machine(sfn, start_execution_machine("sync"))
    given = {"StateMachineArn": target, "Input": {"Payload": None}, "Name": unique("c")}
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(given))["executionArn"]
    child_arn = submitted_output(sfn, arn)["ExecutionArn"]
    wait_for_event(sfn, child_arn, "ActivityScheduled")
    server.advance(5)
    described = wait_until_done(sfn, arn)
    assert described["error"] == "States.TaskFailed"
    cause = json.loads(described["cause"])
    assert sorted(cause) == ["Error", "ExecutionArn", "Input", "InputDetails", "Name", "StartDate", "StateMachineArn", "Status", "StopDate"]
    assert (cause["Error"], cause["Status"], cause["Input"]) == ("States.Timeout", "FAILED", '{"Payload":null}')


def test_a_sync_task_waits_for_an_express_child(sfn: Any) -> None:
    target = create_machine(sfn, PASS_RESULT, type="EXPRESS")
    _, described = run_parent(sfn, start_execution_machine("sync:2"), {"StateMachineArn": target, "Input": {}, "Name": unique("c")})
    output = json.loads(described["output"])
    assert ":express:" in output["ExecutionArn"]
    assert (output["Status"], output["Output"]) == ("SUCCEEDED", {"Arg1": "argument1"})


def test_a_missing_state_machine_fails_the_task_as_recorded(sfn: Any) -> None:
    missing = create_machine(sfn, PASS_RESULT).replace(":stateMachine:", ":stateMachine:gone-")
    arn, described = run_parent(sfn, start_execution_machine(), {"StateMachineArn": missing, "Input": None, "Name": "TestStartTarget"})
    assert described["error"] == "StepFunctions.StateMachineDoesNotExistException"
    assert described["cause"].startswith(
        f"State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: "
    )
    assert described["cause"].endswith("; Proxy: null)")
    assert history_types(sfn, arn)[-3:] == ["TaskStarted", "TaskFailed", "ExecutionFailed"]


def test_a_wait_for_task_token_child_is_answered_with_the_parents_token(sfn: Any) -> None:
    target = create_machine(sfn, WAIT_LONG)
    parameters = {
        "StateMachineArn": target,
        "Input": {"Token.$": "$$.Task.Token", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"},
    }
    machine = create_machine(sfn, task_machine("arn:aws:states:::states:startExecution.waitForTaskToken", parameters))
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    child_arn = submitted_output(sfn, arn)["ExecutionArn"]
    child_input = json.loads(sfn.describe_execution(executionArn=child_arn)["input"])
    assert child_input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == arn  # as the parent passed it
    sfn.send_task_success(taskToken=child_input["Token"], output='{"done": true}')
    described = wait_until_done(sfn, arn)
    assert json.loads(described["output"]) == {"done": True}
    assert history_types(sfn, arn)[-4:] == ["TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert sfn.describe_execution(executionArn=child_arn)["status"] == "RUNNING"  # the callback ends the task, not the child
    sfn.stop_execution(executionArn=child_arn)


def test_a_sync_task_is_also_ended_by_a_callback_with_its_token(sfn: Any) -> None:
    """Recorded (test_sync_with_task_token): `$$.Task.Token` exists in a `.sync` task too, and
    SendTaskSuccess with it ends the task with that output while the child still runs."""
    target = create_machine(sfn, WAIT_LONG)
    parameters = {"StateMachineArn": target, "Name": unique("c"), "Input": {"TaskToken.$": "$$.Task.Token"}}
    machine = create_machine(sfn, task_machine("arn:aws:states:::states:startExecution.sync", parameters))
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    child_arn = submitted_output(sfn, arn)["ExecutionArn"]
    token = json.loads(sfn.describe_execution(executionArn=child_arn)["input"])["TaskToken"]
    assert json.loads(event_details(sfn, arn, "TaskScheduled")["parameters"])["Input"]["TaskToken"] == token
    sfn.send_task_success(taskToken=token, output='"SQS_SEND_MESSAGE_AND_WAIT"')
    described = wait_until_done(sfn, arn)
    assert described["output"] == '"SQS_SEND_MESSAGE_AND_WAIT"'
    assert history_types(sfn, arn)[4:] == ["TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert event_details(sfn, arn, "TaskSucceeded")["output"] == '"SQS_SEND_MESSAGE_AND_WAIT"'
    assert sfn.describe_execution(executionArn=child_arn)["status"] == "RUNNING"
    sfn.stop_execution(executionArn=child_arn)


def test_a_sync_task_is_failed_by_send_task_failure_with_its_token(sfn: Any) -> None:
    target = create_machine(sfn, WAIT_LONG)
    parameters = {"StateMachineArn": target, "Input": {"TaskToken.$": "$$.Task.Token"}}
    machine = create_machine(sfn, task_machine("arn:aws:states:::states:startExecution.sync:2", parameters))
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    child_arn = submitted_output(sfn, arn)["ExecutionArn"]
    token = json.loads(sfn.describe_execution(executionArn=child_arn)["input"])["TaskToken"]
    sfn.send_task_failure(taskToken=token, error="Worker.Failed", cause="told so")
    described = wait_until_done(sfn, arn)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Worker.Failed", "told so")
    sfn.stop_execution(executionArn=child_arn)


@pytest.mark.parametrize("pattern", ["sync", "sync:2"])
def test_stopping_the_parent_aborts_its_running_child(sfn: Any, pattern: str) -> None:
    target = create_machine(sfn, WAIT_LONG)
    machine = create_machine(sfn, start_execution_machine(pattern))
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"StateMachineArn": target, "Input": {}, "Name": unique("c")}))["executionArn"]
    child_arn = submitted_output(sfn, arn)["ExecutionArn"]
    assert sfn.describe_execution(executionArn=child_arn)["status"] == "RUNNING"
    sfn.stop_execution(executionArn=arn, error="Stop", cause="by the test")
    child = wait_status(lambda: sfn.describe_execution(executionArn=child_arn), "ABORTED")
    assert history_types(sfn, child_arn)[-1] == "ExecutionAborted"
    assert child["stopDate"] >= sfn.describe_execution(executionArn=arn)["stopDate"]
    assert history_types(sfn, arn)[-2:] == ["TaskSubmitted", "ExecutionAborted"]


def test_a_child_started_by_a_request_response_task_outlives_its_stopped_parent(sfn: Any) -> None:
    target = create_machine(sfn, WAIT_LONG)
    definition = {
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "Parameters": {"StateMachineArn": target}, "Next": "Hold"},
            "Hold": {"Type": "Wait", "Seconds": 100000, "End": True},
        },
    }
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    wait_for_event(sfn, arn, "WaitStateEntered")
    child_arn = json.loads(event_details(sfn, arn, "TaskSucceeded")["output"])["ExecutionArn"]
    sfn.stop_execution(executionArn=arn)
    assert sfn.describe_execution(executionArn=child_arn)["status"] == "RUNNING"
    sfn.stop_execution(executionArn=child_arn)


# -- batch:submitJob ---------------------------------------------------------------------------


def test_submit_job_answers_its_ids_and_the_job_runs(sfn: Any, batch: Any, queue: str) -> None:
    definition = make_definition(batch, ["true"])
    name = unique("job")
    params = {"JobName": name, "JobQueue": queue, "JobDefinition": definition}
    arn, described = run_parent(sfn, task_machine("arn:aws:states:::batch:submitJob", params), {})
    assert described["status"] == "SUCCEEDED", described
    assert history_types(sfn, arn)[2:5] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    output = json.loads(described["output"])
    assert sorted(output) == ["JobArn", "JobId", "JobName", "SdkHttpMetadata", "SdkResponseMetadata"]
    assert output["JobName"] == name and output["JobArn"].endswith(f":job/{output['JobId']}")
    assert_sdk_metadata(output, "application/json")
    [done] = wait_for(batch, [output["JobId"]])
    assert done["status"] == "SUCCEEDED" and done["jobName"] == name


def test_submit_job_sync_succeeds_with_the_job_description_in_pascal_case(sfn: Any, batch: Any, queue: str) -> None:
    definition = make_definition(batch, ["sh", "-c", 'test "$1" = hi && test "$FROM_OVERRIDE" = o', "sh", "Ref::greeting"])
    params = {
        "JobName": unique("job"), "JobQueue": queue, "JobDefinition": definition,
        "Parameters": {"greeting": "hi"},
        "ContainerOverrides": {"Environment": [{"Name": "FROM_OVERRIDE", "Value": "o"}]},
        "Tags": {"team": "data"},
    }
    arn, described = run_parent(sfn, task_machine("arn:aws:states:::batch:submitJob.sync", params), {})
    assert described["status"] == "SUCCEEDED", described
    assert history_types(sfn, arn)[2:7] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited"]
    submitted = event_details(sfn, arn, "TaskSubmitted")
    assert submitted["resource"] == "submitJob.sync" and submitted["resourceType"] == "batch"
    output = json.loads(described["output"])
    job_id = json.loads(submitted["output"])["JobId"]
    assert (output["JobId"], output["Status"], output["JobQueue"]) == (job_id, "SUCCEEDED", queue)
    assert output["Parameters"] == {"greeting": "hi"} and output["Tags"]["team"] == "data"  # map keys as written
    assert output["Container"]["ExitCode"] == 0 and output["Attempts"][0]["Container"]["ExitCode"] == 0
    assert {"Name": "FROM_OVERRIDE", "Value": "o"} in output["Container"]["Environment"]
    assert output["StoppedAt"] == job(batch, job_id)["stoppedAt"]
    assert not any(key[:1].islower() for key in output)


def test_a_failed_sync_job_is_caught_with_its_description_as_the_cause(sfn: Any, batch: Any, queue: str) -> None:
    definition = make_definition(batch, ["false"])
    params = {"JobName": unique("job"), "JobQueue": queue, "JobDefinition": definition}
    catch = [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]
    machine = task_machine("arn:aws:states:::batch:submitJob.sync", params, Catch=catch)
    del machine["States"]["Task"]["End"]
    machine["States"]["Task"]["Next"] = "Caught"
    machine["States"]["Caught"] = {"Type": "Pass", "End": True}
    arn, described = run_parent(sfn, machine, {})
    caught = json.loads(described["output"])
    assert caught["Error"] == "States.TaskFailed"
    cause = json.loads(caught["Cause"])
    assert cause["Status"] == "FAILED" and cause["Container"]["ExitCode"] == 1
    assert cause["StatusReason"] == job(batch, cause["JobId"])["statusReason"]
    assert history_types(sfn, arn)[4:6] == ["TaskSubmitted", "TaskFailed"]


def test_a_field_submit_job_does_not_have_fails_the_task(sfn: Any, batch: Any, queue: str) -> None:
    params = {"JobName": "j", "JobQueue": queue, "JobDefinition": "d", "ContainerOverrides": {"Vcpu": 1}}
    _, described = run_parent(sfn, task_machine("arn:aws:states:::batch:submitJob", params), {})
    assert described["error"] == "States.Runtime"
    assert "'Vcpu'" in described["cause"]


def test_a_batch_error_fails_the_task_named_after_it(sfn: Any) -> None:
    params = {"JobName": "j", "JobQueue": "no-such-queue", "JobDefinition": "no-such-definition"}
    _, described = run_parent(sfn, task_machine("arn:aws:states:::batch:submitJob", params), {})
    assert described["error"] == "Batch.ClientException", described
    assert "(Service: AWSBatch; Status Code: 400; Error Code: ClientException; Request ID: " in described["cause"]


def test_stopping_the_parent_terminates_its_running_job(sfn: Any, batch: Any, queue: str) -> None:
    definition = make_definition(batch, ["sleep", "60"])
    params = {"JobName": unique("job"), "JobQueue": queue, "JobDefinition": definition}
    machine = create_machine(sfn, task_machine("arn:aws:states:::batch:submitJob.sync", params))
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    job_id = submitted_output(sfn, arn)["JobId"]
    wait_status(lambda: job(batch, job_id), "RUNNING")
    sfn.stop_execution(executionArn=arn)
    ended = wait_status(lambda: job(batch, job_id), "FAILED")
    assert ended["statusReason"] == (
        f"The Task state in AWS Step Functions execution [{arn}] which was managing this resource was aborted"
    )
    assert history_types(sfn, arn)[-2:] == ["TaskSubmitted", "ExecutionAborted"]


def test_a_parent_timing_out_stops_its_child_and_its_job(server: Server, sfn: Any, batch: Any, queue: str) -> None:
    target = create_machine(sfn, WAIT_LONG)
    definition = make_definition(batch, ["sleep", "60"])
    machine = create_machine(sfn, {
        "TimeoutSeconds": 500,
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
            start_execution_machine("sync"),
            renamed(task_machine("arn:aws:states:::batch:submitJob.sync", {"JobName": "j", "JobQueue": queue, "JobDefinition": definition})),
        ]}},
    })
    given = {"StateMachineArn": target, "Input": {}, "Name": unique("c")}
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(given))["executionArn"]
    outputs = [json.loads(details(e)["output"]) for e in wait_for_event(sfn, arn, "TaskSubmitted", count=2, timeout=15) if e["type"] == "TaskSubmitted"]
    child_arn = next(o["ExecutionArn"] for o in outputs if "ExecutionArn" in o)
    job_id = next(o["JobId"] for o in outputs if "JobId" in o)
    server.advance(500)
    assert sfn.describe_execution(executionArn=arn)["status"] == "TIMED_OUT"
    assert wait_status(lambda: sfn.describe_execution(executionArn=child_arn), "ABORTED")["status"] == "ABORTED"
    ended = wait_status(lambda: job(batch, job_id), "FAILED")
    assert ended["statusReason"].endswith("which was managing this resource timed out")


# -- resuming ----------------------------------------------------------------------------------


def test_a_restored_sync_task_waits_for_its_resumed_child_without_starting_another() -> None:
    from tests.inprocess import InProcess

    role = "arn:aws:iam::000000000000:role/r"
    wait = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 100, "Next": "Done"},
                                          "Done": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}}
    first = InProcess(seed=5)
    try:
        child_machine = first.sfn("CreateStateMachine", name="child", definition=json.dumps(wait), roleArn=role)["stateMachineArn"]
        parent = task_machine("arn:aws:states:::states:startExecution.sync:2", {"StateMachineArn": child_machine, "Name": "kid"})
        machine = first.sfn("CreateStateMachine", name="parent", definition=json.dumps(parent), roleArn=role)["stateMachineArn"]
        arn = first.sfn("StartExecution", stateMachineArn=machine, name="run", input="{}")["executionArn"]
        first.settle()
        first.advance(40)
        snapshot = json.loads(json.dumps(first.dispatcher.snapshot()))
    finally:
        first.close()
    resumed = InProcess(seed=6)
    try:
        resumed.run(resumed.dispatcher.restore(snapshot))
        resumed.settle()
        assert resumed.sfn("DescribeExecution", executionArn=arn)["status"] == "RUNNING"
        resumed.advance(60)
        described = resumed.sfn("DescribeExecution", executionArn=arn)
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"])["Output"] == {"ok": 1}
        types = [e["type"] for e in resumed.sfn("GetExecutionHistory", executionArn=arn, maxResults=1000)["events"]]
        assert types.count("TaskSubmitted") == 1 and types[-3:] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
        children = resumed.sfn("ListExecutions", stateMachineArn=child_machine)["executions"]
        assert [c["name"] for c in children] == ["kid"]
    finally:
        resumed.close()
