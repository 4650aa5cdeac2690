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
