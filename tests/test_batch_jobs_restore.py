"""A Batch snapshot restored in-process: RUNNABLE jobs keep their place and time limits, a
RUNNING job whose process is gone fails that attempt and is retried by its strategy."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.inprocess import InProcess

EC2 = {"type": "EC2", "maxvCpus": 1, "instanceTypes": ["optimal"], "subnets": ["s"], "securityGroupIds": ["g"]}


def _world(app: InProcess) -> tuple[Any, str, str]:
    def call(op: str, **params: Any) -> Any:
        return app.call("batch", op, params)

    ce = call("CreateComputeEnvironment", computeEnvironmentName="ce", type="MANAGED", computeResources=EC2)["computeEnvironmentArn"]
    actions = [{"reason": "held too long", "state": "RUNNABLE", "maxTimeSeconds": 600, "action": "CANCEL"}]
    queue = call("CreateJobQueue", jobQueueName="q", priority=1, jobStateTimeLimitActions=actions,
                 computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])["jobQueueArn"]
    definition = call("RegisterJobDefinition", jobDefinitionName="d", type="container",
                      containerProperties={"image": "x", "command": ["sleep", "30"], "vcpus": 1, "memory": 64})["jobDefinitionArn"]
    return call, queue, definition


def test_a_restored_running_job_retries_and_runnable_limits_still_fire(app: InProcess) -> None:
    call, queue, definition = _world(app)
    running = call("SubmitJob", jobName="r", jobQueue=queue, jobDefinition=definition, retryStrategy={"attempts": 2})["jobId"]
    waiting = call("SubmitJob", jobName="w", jobQueue=queue, jobDefinition=definition)["jobId"]
    app.settle()
    snapshot = app.dispatcher.snapshot()
    app.run(app.dispatcher.restore(snapshot))
    app.settle()
    jobs = {j["jobId"]: j for j in call("DescribeJobs", jobs=[running, waiting])["jobs"]}
    lost = jobs[running]
    assert lost["status"] == "RUNNABLE" and len(lost["attempts"]) == 1  # to be retried, behind the one waiting
    assert lost["attempts"][0]["container"]["reason"].startswith("stepstack restored a snapshot")
    assert jobs[waiting]["status"] == "RUNNING"  # the freed vCPU went to the job that was waiting
    app.advance(601)
    (held,) = call("DescribeJobs", jobs=[running])["jobs"]
    assert (held["status"], held["statusReason"]) == ("FAILED", "held too long")
    call("TerminateJob", jobId=waiting, reason="done")
    for _ in range(100):
        if call("DescribeJobs", jobs=[waiting])["jobs"][0]["status"] == "FAILED":
            break
        app.run(asyncio.sleep(0.05))
    assert call("DescribeJobs", jobs=[waiting])["jobs"][0]["statusReason"] == "done"


def _until(app: InProcess, call: Any, job_id: str, status: str) -> dict[str, Any]:
    for _ in range(200):
        (found,) = call("DescribeJobs", jobs=[job_id])["jobs"]
        if found["status"] == status:
            return found
        app.run(asyncio.sleep(0.02))
    raise AssertionError(f"{job_id} not {status}: {found['status']}")


def test_a_restore_keeps_fair_share_history_and_a_pending_cancellation(app: InProcess) -> None:
    call, _, definition = _world(app)
    ce = call("CreateComputeEnvironment", computeEnvironmentName="fs", type="MANAGED", computeResources=EC2)["computeEnvironmentArn"]
    policy = call("CreateSchedulingPolicy", name="p", fairsharePolicy={"shareDecaySeconds": 3600})["arn"]
    queue = call("CreateJobQueue", jobQueueName="fq", priority=1, schedulingPolicyArn=policy,
                 computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])["jobQueueArn"]

    def submit(share: str, **extra: Any) -> str:
        return call("SubmitJob", jobName=share, jobQueue=queue, jobDefinition=definition, shareIdentifier=share,
                    schedulingPriorityOverride=0, **extra)["jobId"]

    hog = submit("busy")
    app.settle()
    app.advance(1000)
    blocker = submit("other")
    call("TerminateJob", jobId=hog, reason="done")
    _until(app, call, blocker, "RUNNING")
    cancelled = submit("other", dependsOn=[{"jobId": blocker}])
    call("CancelJob", jobId=cancelled, reason="no longer wanted")
    busy_next, fresh = submit("busy"), submit("fresh")
    app.run(app.dispatcher.restore(app.dispatcher.snapshot()))
    app.settle()  # the blocker's process did not survive: its slot is free again
    _until(app, call, fresh, "RUNNING")  # the hog's 1,000 s still weigh on "busy" after the restore
    assert call("DescribeJobs", jobs=[busy_next])["jobs"][0]["status"] == "RUNNABLE"
    (gone,) = call("DescribeJobs", jobs=[cancelled])["jobs"]
    assert (gone["status"], gone["statusReason"], gone["isCancelled"]) == ("FAILED", "no longer wanted", True)
    call("TerminateJobs", jobs=[fresh, busy_next], reason="cleanup")
    _until(app, call, fresh, "FAILED")
