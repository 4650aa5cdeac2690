"""Batch jobs through boto3 against a real server running real processes: states, outcomes,
retries, timeouts, termination, dependencies, array and multi-node jobs, and the scheduler
(capacity, queue priority, fair share, disabled queues), as AWS Batch documents them."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.batch_helpers import (
    describe, job, make_ce, make_definition, make_queue, statuses, submit, unique, wait_count, wait_for,
)
from tests.conftest import Server

SLEEP = ["sleep", "30"]


@pytest.fixture(scope="module")
def batch(own_server: Server) -> Any:
    return own_server.client("batch")


@pytest.fixture(scope="module")
def queue(batch: Any) -> str:
    return make_queue(batch, make_ce(batch, vcpus=64))


def error(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_a_job_sees_its_environment_and_parameters_and_succeeds(batch: Any, queue: str) -> None:
    check = (
        'test "$1" = hi && test "$FROM_DEF" = d && test "$FROM_OVERRIDE" = o && test "$AWS_BATCH_JOB_ID" = "$2" '
        '&& test "$AWS_BATCH_JOB_ATTEMPT" = 1 && test -n "$AWS_BATCH_JQ_NAME" && test -n "$AWS_BATCH_CE_NAME" || exit 9'
    )
    definition = make_definition(batch, ["sh", "-c", check, "sh", "Ref::greeting", "Ref::me"],
                                 parameters={"greeting": "hello", "me": "nobody"},
                                 container={"environment": [{"name": "FROM_DEF", "value": "d"}]})
    job_id = submit(batch, queue, definition, parameters={"greeting": "hi"},
                    containerOverrides={"environment": [{"name": "FROM_OVERRIDE", "value": "o"}]})
    batch.submit_job  # noqa: B018
    # the job's own id is only known now: a second job checks it with its parameter
    second = submit(batch, queue, definition, parameters={"greeting": "hi", "me": "placeholder"},
                    containerOverrides={"environment": [{"name": "FROM_OVERRIDE", "value": "o"}],
                                        "command": ["sh", "-c", check.replace('"$2"', '"$AWS_BATCH_JOB_ID"'), "sh", "Ref::greeting"]})
    first, other = wait_for(batch, [job_id, second])
    assert other["status"] == "SUCCEEDED", other
    assert first["status"] == "FAILED" and first["container"]["exitCode"] == 9  # "nobody" is not its id
    assert other["statusReason"] == "Essential container in task exited"
    assert other["createdAt"] <= other["startedAt"] <= other["stoppedAt"]
    assert other["container"]["logStreamName"].startswith(definition.rsplit("/", 1)[1].split(":")[0] + "/default/")
    assert len(other["attempts"]) == 1 and other["attempts"][0]["container"]["exitCode"] == 0
    assert other["parameters"] == {"greeting": "hi", "me": "placeholder"}


def test_a_jobs_output_is_in_its_cloudwatch_logs_stream(own_server: Server, batch: Any, queue: str) -> None:
    definition = make_definition(batch, ["sh", "-c", 'echo "hello $1"; echo "to stderr" >&2; echo last', "sh", "Ref::who"])
    job_id = submit(batch, queue, definition, parameters={"who": "world"})
    [done] = wait_for(batch, [job_id])
    assert done["status"] == "SUCCEEDED", done
    stream = done["container"]["logStreamName"]
    logs = own_server.client("logs")
    deadline = time.monotonic() + 10  # the last lines are written as the process ends: wait on the stream
    while True:
        events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream, startFromHead=True)["events"]
        if len(events) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert sorted(e["message"] for e in events) == ["hello world", "last", "to stderr"]
    assert [e["message"] for e in events if e["message"] != "to stderr"] == ["hello world", "last"]  # stdout in order
    assert all(done["startedAt"] <= e["timestamp"] <= done["stoppedAt"] for e in events)
    names = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/batch/job")["logStreams"]]
    assert stream in names


def test_a_non_zero_exit_fails_the_job_with_its_exit_code(batch: Any, queue: str) -> None:
    job_id = submit(batch, queue, make_definition(batch, ["sh", "-c", "exit 3"]))
    (found,) = wait_for(batch, job_id)
    assert (found["status"], found["container"]["exitCode"]) == ("FAILED", 3)
    assert found["statusReason"] == "Essential container in task exited"
    task_id = found["container"]["logStreamName"].rsplit("/", 1)[1]
    assert len(task_id) == 32 and found["attempts"][0]["container"]["taskArn"].endswith(task_id)


def test_evaluate_on_exit_retries_one_exit_code_and_exits_on_another(batch: Any, queue: str) -> None:
    definition = make_definition(batch, ["sh", "-c", "exit $((3 + AWS_BATCH_JOB_ATTEMPT))"])
    strategy = {"attempts": 3, "evaluateOnExit": [{"onExitCode": "4", "action": "RETRY"}, {"onExitCode": "5", "action": "EXIT"}]}
    job_id = submit(batch, queue, definition, retryStrategy=strategy)
    (found,) = wait_for(batch, job_id)
    assert found["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in found["attempts"]] == [4, 5]  # EXIT on 5 though one attempt remains
    no_match = submit(batch, queue, make_definition(batch, ["sh", "-c", "exit 7"]), retryStrategy={"attempts": 2, "evaluateOnExit": [{"onExitCode": "1*", "action": "EXIT"}]})
    (found,) = wait_for(batch, no_match)
    assert [a["container"]["exitCode"] for a in found["attempts"]] == [7, 7]  # no entry matches: retried


def test_a_retry_can_succeed(batch: Any, queue: str) -> None:
    definition = make_definition(batch, ["sh", "-c", 'test "$AWS_BATCH_JOB_ATTEMPT" -ge 2'], retryStrategy={"attempts": 3})
    (found,) = wait_for(batch, submit(batch, queue, definition))
    assert found["status"] == "SUCCEEDED" and [a["container"]["exitCode"] for a in found["attempts"]] == [1, 0]


def test_a_timeout_kills_a_sleeping_job(own_server: Server, batch: Any, queue: str) -> None:
    definition = make_definition(batch, SLEEP, timeout={"attemptDurationSeconds": 60}, retryStrategy={"attempts": 2})
    job_id = submit(batch, queue, definition)
    wait_for(batch, job_id, ("RUNNING",))
    own_server.advance(30)
    assert job(batch, job_id)["status"] == "RUNNING"
    own_server.advance(31)
    (found,) = wait_for(batch, job_id)
    assert found["status"] == "FAILED" and found["statusReason"] == "Job attempt duration exceeded timeout"
    assert len(found["attempts"]) == 1  # a timed-out job is not retried
    assert found["attempts"][0]["statusReason"] == "Job attempt duration exceeded timeout"


def test_terminate_kills_a_running_job_and_cancel_leaves_it(own_server: Server, batch: Any, queue: str) -> None:
    definition = make_definition(batch, SLEEP, retryStrategy={"attempts": 3})
    job_id = submit(batch, queue, definition)
    wait_for(batch, job_id, ("RUNNING",))
    batch.cancel_job(jobId=job_id, reason="too late")
    own_server.advance(0)  # let whatever the cancel set going settle, no time passing
    assert job(batch, job_id)["status"] == "RUNNING"  # CancelJob does not stop a RUNNING job
    batch.terminate_job(jobId=job_id, reason="stop it")
    (found,) = wait_for(batch, job_id)
    assert (found["status"], found["statusReason"], found.get("isTerminated")) == ("FAILED", "stop it", True)
    assert len(found["attempts"]) == 1  # never retried
    assert error(batch.terminate_job, jobId="no-such-job", reason="x")[0] == "ClientException"


def test_cancel_fails_a_runnable_job(batch: Any) -> None:
    queue = make_queue(batch, make_ce(batch, vcpus=1))
    blocker = submit(batch, queue, make_definition(batch, SLEEP))
    wait_for(batch, blocker, ("RUNNING",))
    waiting = submit(batch, queue, make_definition(batch, ["true"]))
    assert job(batch, waiting)["status"] == "RUNNABLE"
    batch.cancel_job(jobId=waiting, reason="not needed")
    found = job(batch, waiting)
    assert (found["status"], found["statusReason"], found.get("isCancelled")) == ("FAILED", "not needed", True)
    assert "startedAt" not in found and found["attempts"] == []
    batch.terminate_job(jobId=blocker, reason="done")
    wait_for(batch, blocker)


def test_bulk_cancel_and_terminate_answer_per_job(batch: Any) -> None:
    queue = make_queue(batch, make_ce(batch, vcpus=2))
    definition = make_definition(batch, SLEEP)
    jobs = [submit(batch, queue, definition) for _ in range(4)]
    wait_count(batch, jobs, "RUNNING", 2)
    runnable = [j for j, s in statuses(batch, jobs).items() if s == "RUNNABLE"]
    answer = batch.cancel_jobs(jobs=[*runnable, "missing-id"], reason="bulk cancel")
    assert sorted(answer["successful"]) == sorted(runnable)
    assert [(e["job"], e["code"]) for e in answer["errors"]] == [("missing-id", "ClientException")]
    answer = batch.terminate_jobs(jobs=jobs, reason="bulk stop")
    assert sorted(answer["successful"]) == sorted(jobs) and answer["errors"] == []
    found = {j["jobId"]: j for j in wait_for(batch, jobs)}
    assert {found[j]["statusReason"] for j in runnable} == {"bulk cancel"}
    assert {j["statusReason"] for j in found.values() if j["jobId"] not in runnable} == {"bulk stop"}
    assert error(batch.cancel_jobs, jobs=[f"j{i}" for i in range(51)], reason="x")[0] == "ClientException"


def test_dependencies_run_in_order_and_a_failed_one_fails_its_dependents(batch: Any, queue: str) -> None:
    ok = make_definition(batch, ["sleep", "0.2"])
    first = submit(batch, queue, ok)
    second = submit(batch, queue, ok, dependsOn=[{"jobId": first}])
    assert job(batch, second)["status"] == "PENDING"
    third = submit(batch, queue, ok, dependsOn=[{"jobId": second}])
    a, b, c = wait_for(batch, [first, second, third])
    assert [a["status"], b["status"], c["status"]] == ["SUCCEEDED"] * 3
    assert a["stoppedAt"] <= b["startedAt"] and b["stoppedAt"] <= c["startedAt"]
    failing = submit(batch, queue, make_definition(batch, ["sh", "-c", "exit 1"]))
    child = submit(batch, queue, ok, dependsOn=[{"jobId": failing}])
    grandchild = submit(batch, queue, ok, dependsOn=[{"jobId": child}])
    _, b, c = wait_for(batch, [failing, child, grandchild])
    assert (b["status"], b["statusReason"]) == ("FAILED", "Dependent Job failed")
    assert (c["status"], c["statusReason"]) == ("FAILED", "Dependent Job failed")
    assert b["attempts"] == []
    assert error(batch.submit_job, jobName="x", jobQueue=queue, jobDefinition=ok, dependsOn=[{"jobId": "nope"}])[0] == "ClientException"


def test_an_array_job_with_n_to_n_dependencies(batch: Any, queue: str) -> None:
    first = submit(batch, queue, make_definition(batch, ["sh", "-c", 'test "$AWS_BATCH_JOB_ARRAY_INDEX" != 3']), arrayProperties={"size": 5})
    second = submit(batch, queue, make_definition(batch, ["true"]), arrayProperties={"size": 5}, dependsOn=[{"jobId": first, "type": "N_TO_N"}])
    children = [f"{first}:{i}" for i in range(5)] + [f"{second}:{i}" for i in range(5)]
    wait_for(batch, children + [first, second])
    a, b = describe(batch, first, second)
    assert a["status"] == "FAILED" and b["status"] == "FAILED"
    summary = a["arrayProperties"]["statusSummary"]
    assert (summary["SUCCEEDED"], summary["FAILED"], summary["RUNNING"], a["arrayProperties"]["size"]) == (4, 1, 0, 5)
    assert b["arrayProperties"]["statusSummary"]["FAILED"] == 1
    b3 = job(batch, f"{second}:3")
    assert (b3["status"], b3["statusReason"], b3["arrayProperties"]["index"]) == ("FAILED", "Dependent Job failed", 3)
    for i in (0, 1, 2, 4):
        assert job(batch, f"{first}:{i}")["stoppedAt"] <= job(batch, f"{second}:{i}")["startedAt"]
    listed = batch.list_jobs(arrayJobId=first, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert sorted(s["arrayProperties"]["index"] for s in listed) == [0, 1, 2, 4]
    in_queue = batch.list_jobs(jobQueue=queue, jobStatus="FAILED")["jobSummaryList"]
    assert {first, second} <= {s["jobId"] for s in in_queue} and not any(":" in s["jobId"] for s in in_queue)


def test_a_sequential_array_runs_its_children_one_after_another(batch: Any, queue: str) -> None:
    parent = submit(batch, queue, make_definition(batch, ["sleep", "0.1"]), arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
    children = wait_for(batch, [f"{parent}:{i}" for i in range(3)])
    assert all(c["status"] == "SUCCEEDED" for c in children)
    assert children[0]["stoppedAt"] <= children[1]["startedAt"] and children[1]["stoppedAt"] <= children[2]["startedAt"]
    (found,) = wait_for(batch, parent)
    assert found["status"] == "SUCCEEDED" and found["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 3


def test_a_two_node_job_succeeds_when_its_main_node_does(batch: Any, queue: str) -> None:
    check = 'test "$AWS_BATCH_JOB_NUM_NODES" = 2 && test "$AWS_BATCH_JOB_MAIN_NODE_INDEX" = 0 && test "$AWS_BATCH_JOB_NODE_INDEX" = 0'
    definition = batch.register_job_definition(
        jobDefinitionName=unique("mnp"), type="multinode",
        nodeProperties={"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [
            {"targetNodes": "0", "container": {"image": "busybox", "command": ["sh", "-c", check], "vcpus": 1, "memory": 128}},
            {"targetNodes": "1", "container": {"image": "busybox", "command": SLEEP, "vcpus": 1, "memory": 128}},
        ]},
    )["jobDefinitionArn"]
    job_id = submit(batch, queue, definition)
    (found,) = wait_for(batch, job_id)
    assert found["status"] == "SUCCEEDED", found
    nodes = batch.list_jobs(multiNodeJobId=job_id, filters=[{"name": "AFTER_CREATED_AT", "values": ["0"]}])["jobSummaryList"]
    assert sorted(n["jobId"] for n in nodes) == [f"{job_id}#0", f"{job_id}#1"]
    main, other = describe(batch, f"{job_id}#0", f"{job_id}#1")
    assert main["status"] == "SUCCEEDED" and main["nodeDetails"] == {"nodeIndex": 0, "isMainNode": True}
    assert other["status"] == "FAILED"  # stopped when the main node ended


def test_max_vcpus_limits_how_many_run_at_once_fifo(batch: Any) -> None:
    queue = make_queue(batch, make_ce(batch, vcpus=2))
    definition = make_definition(batch, SLEEP)
    jobs = [submit(batch, queue, definition) for _ in range(4)]
    now = wait_count(batch, jobs, "RUNNING", 2)
    assert [now[j] for j in jobs] == ["RUNNING", "RUNNING", "RUNNABLE", "RUNNABLE"]
    big = submit(batch, queue, definition, containerOverrides={"vcpus": 3})  # bigger than the environment
    batch.terminate_job(jobId=jobs[0], reason="make room")
    wait_for(batch, jobs[0])
    now = wait_count(batch, jobs, "RUNNING", 2)
    assert now[jobs[2]] == "RUNNING" and now[jobs[3]] == "RUNNABLE"
    assert job(batch, big)["status"] == "RUNNABLE"
    batch.terminate_jobs(jobs=[*jobs, big], reason="cleanup")
    wait_for(batch, [*jobs, big])


def test_a_higher_priority_queue_is_served_first(batch: Any) -> None:
    environment = make_ce(batch, vcpus=1)
    low, high = make_queue(batch, environment, priority=1), make_queue(batch, environment, priority=10)
    sleeper = make_definition(batch, SLEEP)
    blocker = submit(batch, low, sleeper)
    wait_for(batch, blocker, ("RUNNING",))
    low_job = submit(batch, low, sleeper)
    high_job = submit(batch, high, sleeper)
    batch.terminate_job(jobId=blocker, reason="next")
    wait_for(batch, high_job, ("RUNNING",))
    assert job(batch, low_job)["status"] == "RUNNABLE"
    batch.terminate_jobs(jobs=[low_job, high_job], reason="cleanup")
    wait_for(batch, [low_job, high_job])


def test_fair_share_divides_a_saturated_environment_by_weight(batch: Any) -> None:
    policy = batch.create_scheduling_policy(name=unique("fs"), fairsharePolicy={"shareDistribution": [
        {"shareIdentifier": "light", "weightFactor": 1.0}, {"shareIdentifier": "heavy", "weightFactor": 3.0}]})["arn"]
    environment = make_ce(batch, vcpus=4, state="DISABLED")  # everything waits until it is enabled
    queue = make_queue(batch, environment, schedulingPolicyArn=policy)
    definition = make_definition(batch, SLEEP)
    heavy = [submit(batch, queue, definition, shareIdentifier="heavy", schedulingPriorityOverride=0) for _ in range(6)]
    light = [submit(batch, queue, definition, shareIdentifier="light", schedulingPriorityOverride=0) for _ in range(6)]
    assert set(statuses(batch, heavy + light).values()) == {"RUNNABLE"}  # a disabled environment holds them
    batch.update_compute_environment(computeEnvironment=environment, state="ENABLED")
    now = wait_count(batch, heavy + light, "RUNNING", 4)
    running_light = sum(1 for j in light if now[j] == "RUNNING")
    assert (running_light, 4 - running_light) == (3, 1)  # weight 1 gets 3 times what weight 3 gets
    freed = next(j for j in light if now[j] == "RUNNING")
    batch.terminate_job(jobId=freed, reason="free one")
    wait_for(batch, freed)
    now = wait_count(batch, heavy + light, "RUNNING", 4)
    assert sum(1 for j in light if now[j] == "RUNNING") == 3  # the freed slot goes back to the light share
    assert job(batch, heavy[0])["shareIdentifier"] == "heavy"
    assert error(batch.submit_job, jobName="x", jobQueue=queue, jobDefinition=definition)[0] == "ClientException"
    plain = make_queue(batch, make_ce(batch, vcpus=1))
    assert error(batch.submit_job, jobName="x", jobQueue=plain, jobDefinition=definition, shareIdentifier="light")[0] == "ClientException"
    batch.terminate_jobs(jobs=heavy + light, reason="cleanup")
    wait_for(batch, heavy + light)


def test_a_disabled_queue_holds_its_jobs(own_server: Server, batch: Any) -> None:
    queue = make_queue(batch, make_ce(batch, vcpus=1))
    blocker = submit(batch, queue, make_definition(batch, SLEEP))
    wait_for(batch, blocker, ("RUNNING",))
    waiting = submit(batch, queue, make_definition(batch, ["true"]))
    batch.update_job_queue(jobQueue=queue, state="DISABLED")
    batch.terminate_job(jobId=blocker, reason="room")
    wait_for(batch, blocker)
    own_server.advance(0)  # the scheduler has had its chance to start the waiting job
    assert job(batch, waiting)["status"] == "RUNNABLE"
    assert error(batch.submit_job, jobName="x", jobQueue=queue, jobDefinition=make_definition(batch, ["true"]))[0] == "ClientException"
    batch.update_job_queue(jobQueue=queue, state="ENABLED")
    assert wait_for(batch, waiting)[0]["status"] == "SUCCEEDED"


def test_a_job_stuck_runnable_is_cancelled_by_the_queues_time_limit(own_server: Server, batch: Any) -> None:
    actions = [{"reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", "state": "RUNNABLE", "maxTimeSeconds": 600, "action": "CANCEL"}]
    queue = make_queue(batch, make_ce(batch, vcpus=1), jobStateTimeLimitActions=actions)
    stuck = submit(batch, queue, make_definition(batch, ["true"]), containerOverrides={"vcpus": 2})
    assert job(batch, stuck)["status"] == "RUNNABLE"
    front = batch.get_job_queue_snapshot(jobQueue=queue)["frontOfQueue"]
    assert [j["jobArn"].rsplit("/", 1)[1] for j in front["jobs"]] == [stuck]
    own_server.advance(601)
    found = job(batch, stuck)
    assert (found["status"], found["statusReason"]) == ("FAILED", "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY")


def test_list_jobs_by_status_and_by_name(batch: Any) -> None:
    queue = make_queue(batch, make_ce(batch, vcpus=1))
    sleeper = make_definition(batch, SLEEP)
    running = submit(batch, queue, sleeper, jobName="alpha-1")
    wait_for(batch, running, ("RUNNING",))
    waiting = [submit(batch, queue, sleeper, jobName=f"beta-{i}") for i in range(3)]
    assert [s["jobId"] for s in batch.list_jobs(jobQueue=queue)["jobSummaryList"]] == [running]  # RUNNING by default
    page = batch.list_jobs(jobQueue=queue, jobStatus="RUNNABLE", maxResults=2)
    rest = batch.list_jobs(jobQueue=queue, jobStatus="RUNNABLE", maxResults=2, nextToken=page["nextToken"])
    assert [s["jobId"] for s in page["jobSummaryList"] + rest["jobSummaryList"]] == waiting and "nextToken" not in rest
    named = batch.list_jobs(jobQueue=queue, filters=[{"name": "JOB_NAME", "values": ["BETA*"]}])["jobSummaryList"]
    assert sorted(s["jobName"] for s in named) == ["beta-0", "beta-1", "beta-2"]
    assert describe(batch, running, "unknown-id")[0]["jobId"] == running and len(describe(batch, running, "unknown-id")) == 1
    assert error(batch.describe_jobs, jobs=[f"j{i}" for i in range(101)])[0] == "ClientException"
    batch.terminate_jobs(jobs=[running, *waiting], reason="cleanup")
    wait_for(batch, [running, *waiting])
