"""Batch benchmark: how soon a submitted job runs, and how many short jobs a queue completes.

A fresh stepstack (or moto) gets a managed EC2 compute environment of 16 vCPUs, a job queue
and a job definition of 1 vCPU whose command is `true`. Then:

* **submit to running**: one job at a time, the wall time from SubmitJob until DescribeJobs
  shows it RUNNING or beyond (median and p99 over `--samples` jobs);
* **jobs/s**: `--jobs` jobs submitted at once, the wall time until every one has ended
  (SUCCEEDED or FAILED, counted apart).

Run ``python -m bench.batch`` (``--targets stepstack``, ``--jobs``, ``--samples``, ``--json PATH``).
moto runs jobs in Docker: without a Docker engine its jobs never run, which shows as failures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.run import HOST, TARGETS, Server, free_port, parse_targets

ROLE = "arn:aws:iam::000000000000:role/bench"
POLL_GAP = 0.002
ENDED = frozenset({"SUCCEEDED", "FAILED"})
STARTED = frozenset({"RUNNING"}) | ENDED


def _client(port: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("batch", endpoint_url=f"http://{HOST}:{port}", region_name="us-east-1", aws_access_key_id="000000000000",
                        aws_secret_access_key="bench", config=Config(retries={"max_attempts": 1}, max_pool_connections=32))


def _setup(batch: Any) -> tuple[str, str]:
    environment = batch.create_compute_environment(
        computeEnvironmentName="bench-ce", type="MANAGED", state="ENABLED", serviceRole=ROLE,
        computeResources={"type": "EC2", "minvCpus": 0, "maxvCpus": 16, "instanceTypes": ["optimal"], "subnets": ["subnet-bench"],
                          "securityGroupIds": ["sg-bench"], "instanceRole": "arn:aws:iam::000000000000:instance-profile/bench"},
    )["computeEnvironmentArn"]
    _wait(lambda: batch.describe_compute_environments(computeEnvironments=[environment])["computeEnvironments"][0]["status"] == "VALID")
    queue = batch.create_job_queue(jobQueueName="bench-queue", state="ENABLED", priority=1,
                                   computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}])["jobQueueArn"]
    _wait(lambda: batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["status"] == "VALID")
    definition = batch.register_job_definition(
        jobDefinitionName="bench-true", type="container",
        containerProperties={"image": "busybox", "command": ["true"],
                             "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "128"}]},
    )["jobDefinitionArn"]
    return queue, definition


def _wait(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the benchmark's setup did not become ready")
        time.sleep(POLL_GAP)


def _statuses(batch: Any, ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), 100):
        for job in batch.describe_jobs(jobs=ids[start:start + 100])["jobs"]:
            found[job["jobId"]] = job["status"]
    return found


def _submit_to_running(batch: Any, queue: str, definition: str, samples: int) -> dict[str, Any]:
    times = []
    for i in range(samples):
        started = time.perf_counter()
        job = batch.submit_job(jobName=f"latency-{i}", jobQueue=queue, jobDefinition=definition)["jobId"]
        deadline = started + 10
        while time.perf_counter() < deadline:
            if _statuses(batch, [job]).get(job) in STARTED:
                times.append((time.perf_counter() - started) * 1000)
                break
            time.sleep(POLL_GAP)
    if not times:
        return {"reached_running": 0}
    times.sort()
    return {"reached_running": len(times), "p50_ms": round(statistics.median(times), 1), "p99_ms": round(times[max(0, int(len(times) * 0.99) - 1)], 1)}


def _throughput(batch: Any, queue: str, definition: str, jobs: int, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    ids = [batch.submit_job(jobName=f"many-{i}", jobQueue=queue, jobDefinition=definition)["jobId"] for i in range(jobs)]
    submitted = time.perf_counter() - started
    statuses: dict[str, str] = {}
    while time.perf_counter() - started < timeout:
        statuses = _statuses(batch, ids)
        if all(s in ENDED for s in statuses.values()) and len(statuses) == jobs:
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    succeeded = sum(1 for s in statuses.values() if s == "SUCCEEDED")
    failed = sum(1 for s in statuses.values() if s == "FAILED")
    return {"jobs": jobs, "succeeded": succeeded, "failed": failed, "unfinished": jobs - succeeded - failed,
            "submit_s": round(submitted, 2), "seconds": round(seconds, 2), "jobs_per_s": round(succeeded / seconds, 1)}


def bench_target(name: str, jobs: int, samples: int, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as logs:
        server = Server(TARGETS[name], free_port(), Path(logs))
        server.start()
        try:
            batch = _client(server.port)
            queue, definition = _setup(batch)
            latency = _submit_to_running(batch, queue, definition, samples)
            return {"target": name, "submit_to_running": latency, **_throughput(batch, queue, definition, jobs, timeout)}
        except Exception as exc:  # noqa: BLE001 - a target that cannot run jobs is a row, not a crash
            return {"target": name, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=parse_targets, default=["stepstack"])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = [bench_target(name, args.jobs, args.samples, args.timeout) for name in args.targets]
    for row in rows:
        print(json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all("error" not in r and r.get("unfinished") == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
