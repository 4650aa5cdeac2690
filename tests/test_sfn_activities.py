"""Step Functions activities: workers polling GetActivityTask and answering with task tokens.

As the API reference documents GetActivityTask (a 60 s long poll that returns an empty taskToken
when no task arrives), SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat (InvalidToken,
TaskTimedOut: "the task token has either expired or the task associated with the token has already
been closed"), and the Task state's TimeoutSeconds / HeartbeatSeconds (States.Timeout
for both, as AWS records it; States.HeartbeatTimeout in ErrorEquals matches a missed heartbeat
alone). Timeouts run on the service clock, which the tests fast-forward on a
server of the module's own. A poll that must still be waiting is checked on the server's seam
(GET /_stepstack/stepfunctions/activities), never by sleeping.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Server
from tests.sfn_helpers import (
    TaskFetch,
    Worker,
    create_activity,
    create_machine,
    details,
    error_of,
    history,
    history_types,
    output_of,
    start,
    still_running,
    take_task,
    unique,
    wait_for_event,
    wait_for_pollers,
    wait_until_done,
    waiting_pollers,
)


@pytest.fixture(scope="module")
def server(own_server: Server) -> Server:
    """The tests here move the clock: they run on a server of the module's own."""
    return own_server


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client("stepfunctions")


def task_machine(activity: str, **fields: Any) -> dict[str, Any]:
    state = {"Type": "Task", "Resource": activity, **fields}
    if "Next" not in fields:
        state["End"] = True
    return {"StartAt": "Work", "States": {"Work": state}}


# -- success and failure -------------------------------------------------------------------------


def test_worker_thread_gets_input_and_token_and_its_output_becomes_the_result(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    seen: list[Any] = []

    def handle(document: Any) -> tuple[Any, ...]:
        seen.append(document)
        return ("success", {"total": document["a"] + document["b"]})

    worker = Worker(server, activity, handle)
    definition = task_machine(activity, Parameters={"a.$": "$.x", "b": 10}, ResultPath="$.result")
    _, arn = start(sfn, definition, {"x": 5})
    worker.join()
    assert seen == [{"a": 5, "b": 10}]  # the worker sees the effective input, after Parameters
    assert worker.received[0]["taskToken"]
    assert output_of(wait_until_done(sfn, arn)) == {"x": 5, "result": {"total": 15}}


def test_send_task_failure_fails_the_execution_with_that_error(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    worker = Worker(server, activity, lambda doc: ("failure", "Worker.Broke", "disk on fire"))
    _, arn = start(sfn, task_machine(activity), {"x": 1})
    worker.join()
    described = wait_until_done(sfn, arn)
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("Worker.Broke", "disk on fire")
    events = history(sfn, arn)
    assert [e["type"] for e in events][-2:] == ["ActivityFailed", "ExecutionFailed"]
    assert details(events[-2]) == {"error": "Worker.Broke", "cause": "disk on fire"}


def test_send_task_failure_can_be_caught(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    worker = Worker(server, activity, lambda doc: ("failure", "Worker.Broke", "disk on fire"))
    definition = task_machine(activity, Catch=[{"ErrorEquals": ["Worker.Broke"], "Next": "Recover", "ResultPath": "$.err"}])
    definition["States"]["Recover"] = {"Type": "Pass", "End": True}
    _, arn = start(sfn, definition, {"x": 1})
    worker.join()
    assert output_of(wait_until_done(sfn, arn)) == {"x": 1, "err": {"Error": "Worker.Broke", "Cause": "disk on fire"}}


def test_send_task_success_with_invalid_json_output(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    _, arn = start(sfn, task_machine(activity), {})
    task = take_task(server, activity)
    assert error_of(sfn.send_task_success, taskToken=task["taskToken"], output="{nope")["Code"] == "InvalidOutput"
    sfn.send_task_success(taskToken=task["taskToken"], output='"fine"')  # the task is still open
    assert output_of(wait_until_done(sfn, arn)) == "fine"


def test_get_activity_task_of_a_missing_activity(sfn: Any) -> None:
    missing = f"arn:aws:states:us-east-1:000000000000:activity:{unique('none')}"
    assert error_of(sfn.get_activity_task, activityArn=missing)["Code"] == "ActivityDoesNotExist"


def test_worker_name_is_recorded_in_activity_started(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    _, arn = start(sfn, task_machine(activity, TimeoutSeconds=99, HeartbeatSeconds=30), {"q": 1})
    task = take_task(server, activity, worker_name="worker-7")
    assert json.loads(task["input"]) == {"q": 1}
    events = wait_for_event(sfn, arn, "ActivityStarted")
    scheduled = details(next(e for e in events if e["type"] == "ActivityScheduled"))
    assert scheduled["resource"] == activity
    assert scheduled["timeoutInSeconds"] == 99 and scheduled["heartbeatInSeconds"] == 30
    assert details(next(e for e in events if e["type"] == "ActivityStarted")) == {"workerName": "worker-7"}
    sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    wait_until_done(sfn, arn)


# -- heartbeats and timeouts ---------------------------------------------------------------------


def test_heartbeats_keep_a_task_alive(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    _, arn = start(sfn, task_machine(activity, HeartbeatSeconds=5, TimeoutSeconds=300), {"h": 1})
    task = take_task(server, activity)
    for _ in range(4):  # 12 s of service time, never 5 s without a heartbeat
        server.advance(3)
        sfn.send_task_heartbeat(taskToken=task["taskToken"])  # answers (an error would raise)
        still_running(sfn, arn)
    sfn.send_task_success(taskToken=task["taskToken"], output='{"alive": true}')
    assert output_of(wait_until_done(sfn, arn)) == {"alive": True}
    assert "ActivityTimedOut" not in history_types(sfn, arn)


def test_task_timeout_without_an_answer(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    _, arn = start(sfn, task_machine(activity, TimeoutSeconds=10), {})
    task = take_task(server, activity)
    server.advance(8)
    still_running(sfn, arn)
    server.advance(3)
    described = wait_until_done(sfn, arn)
    assert described["status"] == "FAILED" and described["error"] == "States.Timeout"
    events = history(sfn, arn)
    assert [e["type"] for e in events][-2:] == ["ActivityTimedOut", "ExecutionFailed"]
    assert details(events[-2])["error"] == "States.Timeout"
    late = error_of(sfn.send_task_success, taskToken=task["taskToken"], output="{}")
    assert late["Code"] == "TaskTimedOut"
    assert wait_until_done(sfn, arn)["status"] == "FAILED"  # the late answer changes nothing


def test_heartbeat_timeout_without_heartbeats(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    _, arn = start(sfn, task_machine(activity, HeartbeatSeconds=5, TimeoutSeconds=300), {})
    task = take_task(server, activity)
    server.advance(3)
    still_running(sfn, arn)
    server.advance(3)
    described = wait_until_done(sfn, arn)
    assert described["status"] == "FAILED" and described["error"] == "States.Timeout"  # recorded on AWS
    timed_out = [e for e in sfn.get_execution_history(executionArn=arn)["events"] if e["type"] == "ActivityTimedOut"]
    assert [e["activityTimedOutEventDetails"]["error"] for e in timed_out] == ["States.Timeout"]
    assert error_of(sfn.send_task_heartbeat, taskToken=task["taskToken"])["Code"] == "TaskTimedOut"


def test_a_plain_timeout_is_not_a_heartbeat_timeout(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    catch = [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}]
    definition = task_machine(activity, TimeoutSeconds=10, Catch=catch)
    definition["States"]["Caught"] = {"Type": "Succeed"}
    _, arn = start(sfn, definition, {})
    take_task(server, activity)
    server.advance(11)
    described = wait_until_done(sfn, arn)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")


def test_heartbeat_timeout_can_be_retried(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    retry = [{"ErrorEquals": ["States.HeartbeatTimeout"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    _, arn = start(sfn, task_machine(activity, HeartbeatSeconds=5, TimeoutSeconds=300, Retry=retry), {"r": 1})
    take_task(server, activity)
    server.advance(6)
    wait_for_event(sfn, arn, "ActivityTimedOut")
    server.advance(1.5)
    wait_for_event(sfn, arn, "ActivityScheduled", 2)
    second = take_task(server, activity)
    assert json.loads(second["input"]) == {"r": 1}
    sfn.send_task_success(taskToken=second["taskToken"], output='"second time lucky"')
    assert output_of(wait_until_done(sfn, arn)) == "second time lucky"


# -- polling -------------------------------------------------------------------------------------


def test_get_activity_task_without_work_returns_no_token_after_60_seconds(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    poll = TaskFetch(server, activity)
    wait_for_pollers(server, activity, 1)  # waiting, not answered at once although no task exists
    server.advance(59)
    assert waiting_pollers(server, activity) == 1, "GetActivityTask answered before its 60 s"
    server.advance(2)
    assert not poll.wait().get("taskToken")


def test_a_waiting_worker_gets_a_task_that_arrives_later(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    poll = TaskFetch(server, activity)
    wait_for_pollers(server, activity, 1)
    _, arn = start(sfn, task_machine(activity), {"late": True})
    task = poll.wait()
    assert task["taskToken"] and json.loads(task["input"]) == {"late": True}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"ok": 1}')
    assert output_of(wait_until_done(sfn, arn)) == {"ok": 1}


def test_two_workers_get_different_tasks_each_to_exactly_one_worker(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    machine = create_machine(sfn, task_machine(activity))
    polls = [TaskFetch(server, activity), TaskFetch(server, activity)]
    wait_for_pollers(server, activity, 2)
    arns = [sfn.start_execution(stateMachineArn=machine, input=json.dumps({"job": i}))["executionArn"] for i in range(2)]
    tasks = [p.wait() for p in polls]
    tokens = [t["taskToken"] for t in tasks]
    assert all(tokens) and tokens[0] != tokens[1]
    assert sorted(json.loads(t["input"])["job"] for t in tasks) == [0, 1]
    extra = TaskFetch(server, activity)  # nothing is left for a third worker: it waits
    wait_for_pollers(server, activity, 1)
    server.advance(61)
    assert not extra.wait().get("taskToken")
    for task in tasks:
        job = json.loads(task["input"])["job"]
        sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"done": job}))
    assert [output_of(wait_until_done(sfn, arn)) for arn in arns] == [{"done": 0}, {"done": 1}]


def test_two_worker_threads_share_scheduled_tasks(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    machine = create_machine(sfn, task_machine(activity))
    arns = [sfn.start_execution(stateMachineArn=machine, input=json.dumps({"n": i}))["executionArn"] for i in range(4)]
    workers = [Worker(server, activity, lambda doc: ("success", {"twice": doc["n"] * 2}), tasks=2) for _ in range(2)]
    for worker in workers:
        worker.join()
    tokens = [t["taskToken"] for w in workers for t in w.received]
    assert len(tokens) == len(set(tokens)) == 4
    assert [output_of(wait_until_done(sfn, arn)) for arn in arns] == [{"twice": 2 * i} for i in range(4)]


# -- tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["send_task_success", "send_task_failure", "send_task_heartbeat"])
def test_an_unknown_token_is_invalid(sfn: Any, call: str) -> None:
    params: dict[str, Any] = {"taskToken": "not-a-token-" + unique("t")}
    if call == "send_task_success":
        params["output"] = "{}"
    assert error_of(getattr(sfn, call), **params)["Code"] == "InvalidToken"


def test_a_token_of_a_closed_task_has_timed_out(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    _, arn = start(sfn, task_machine(activity), {})
    task = take_task(server, activity)
    sfn.send_task_success(taskToken=task["taskToken"], output='{"first": true}')
    assert output_of(wait_until_done(sfn, arn)) == {"first": True}
    again = error_of(sfn.send_task_success, taskToken=task["taskToken"], output='{"second": true}')
    assert again["Code"] == "TaskTimedOut"
    failure = error_of(sfn.send_task_failure, taskToken=task["taskToken"], error="Late")
    assert failure["Code"] == "TaskTimedOut"
    assert output_of(sfn.describe_execution(executionArn=arn)) == {"first": True}


def test_a_task_of_a_stopped_execution_can_no_longer_be_answered(sfn: Any, server: Server) -> None:
    activity = create_activity(sfn)
    _, arn = start(sfn, task_machine(activity), {})
    task = take_task(server, activity)
    sfn.stop_execution(executionArn=arn)
    assert wait_until_done(sfn, arn)["status"] == "ABORTED"
    # SendTaskSuccess, TaskTimedOut: "the task associated with the token has already been closed";
    # AWS answers it (message "Provided task does not exist anymore") for tokens of stopped executions
    code = error_of(sfn.send_task_success, taskToken=task["taskToken"], output="{}")["Code"]
    assert code == "TaskTimedOut"
    assert history_types(sfn, arn)[-1] == "ExecutionAborted"
