"""Running one attempt of a job: its Launches (one per node of a multi-node job), its timeout
on the service clock, and what its exit means (success, a retry, or failure) as AWS documents
retryStrategy and evaluateOnExit.

A job placed by the scheduler is STARTING; its attempt's task makes it RUNNING at once and
awaits the executor. `timeout.attemptDurationSeconds` after the attempt started, the executor
is told to kill it ("Job attempt duration exceeded timeout"). When it ends: exit 0 is
SUCCEEDED; otherwise the attempt is retried while retryStrategy.attempts remain and the first
evaluateOnExit entry whose conditions all match says RETRY (no entry matches: retry, as AWS
does); a job terminated (TerminateJob) or timed out is never retried, as AWS documents. A multi-node job's outcome is its main node's: when
the main node ends, the other nodes are stopped.

Where we knowingly differ from AWS: a restored RUNNING job's process is gone (it ran in the
stepstack that took the snapshot), so that attempt fails with RESTORED_REASON and is retried
when its strategy allows.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.batch import fair_share
from services.batch.executor import Executor, Launch, Outcome
from services.batch.job_state import Scope, enter_runnable, nodes_of, runtime_of, set_status
from services.batch.records import ComputeEnvironmentRecord, JobRecord

if TYPE_CHECKING:
    from services.batch.service import BatchService
    from services.core.clock import Timer

log = logging.getLogger("stepstack.batch")

EXITED = "Essential container in task exited"
TIMED_OUT = "Job attempt duration exceeded timeout"
RESTORED_REASON = "stepstack restored a snapshot: the attempt's process did not survive it"
MAIN_NODE_IP = "127.0.0.1"
_REF = re.compile(r"Ref::([A-Za-z0-9_\-]+)")


@dataclass
class Attempt:
    """A running attempt (runtime): its launches, task and timeout timer."""

    job_id: str
    number: int
    started: float
    launches: list[Launch]
    task_ids: list[str]
    task: asyncio.Task[None] | None = None
    timer: Timer | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # node job id -> its outcome


def executor_of(service: BatchService) -> Executor:
    """The service's executor (service.py makes it on first use)."""
    return service.executor


def substitute(command: list[str], parameters: dict[str, str]) -> list[str]:
    """Replace Ref::name by the parameter's value (unknown names stay as they are)."""
    return [_REF.sub(lambda m: parameters.get(m.group(1), m.group(0)), part) for part in command]


def definition_name(job: JobRecord) -> str:
    return job.definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def _launch(scope: Scope, job: JobRecord, container: dict[str, Any], environment: ComputeEnvironmentRecord,
            number: int, task_id: str, extra_env: dict[str, str]) -> Launch:
    queue = scope.store.job_queues.get(job.queue_arn)
    variables = {e["name"]: e["value"] for e in container.get("environment") or [] if "name" in e}
    variables.update({
        "AWS_BATCH_JOB_ID": job.job_id,
        "AWS_BATCH_JQ_NAME": queue.name if queue is not None else job.queue_arn.rsplit("/", 1)[-1],
        "AWS_BATCH_CE_NAME": environment.name,
        "AWS_BATCH_JOB_ATTEMPT": str(number),
        **extra_env,
    })
    parameters = job.description.get("parameters") or {}
    return Launch(
        job_id=job.job_id, attempt=number,
        command=substitute(list(container.get("command") or []), parameters),
        environment=variables, image=container.get("image", ""),
        account=scope.account, region=scope.region,
        **_log_target(scope, job, container, task_id),
        vcpus=float(container.get("vcpus") or 1), memory=int(container.get("memory") or 2048),
    )


def _log_target(scope: Scope, job: JobRecord, container: dict[str, Any], task_id: str) -> dict[str, str]:
    """Where the awslogs driver writes: the definition's awslogs-group (default /aws/batch/job)
    and a stream `<awslogs-stream-prefix or definition name>/default/<task id>`."""
    options = (container.get("logConfiguration") or {}).get("options") or {}
    prefix = options.get("awslogs-stream-prefix") or definition_name(job)
    return {"log_group": options.get("awslogs-group") or "/aws/batch/job", "log_stream": f"{prefix}/default/{task_id}"}


def _task_arn(scope: Scope, task_id: str) -> str:
    return f"arn:aws:ecs:{scope.region}:{scope.account}:task/stepstack/{task_id}"


def start(scope: Scope, job: JobRecord, environment: ComputeEnvironmentRecord) -> None:
    """Begin the next attempt of a placed (STARTING) unit."""
    number = len(job.description.get("attempts", [])) + 1
    ids = scope.service.env.ids
    launches: list[Launch] = []
    task_ids: list[str] = []
    if job.kind == "multinode":
        properties = job.description["nodeProperties"]
        for node in nodes_of(scope.store, job):
            index = node.description["nodeDetails"]["nodeIndex"]
            task_id = ids.hex(32)
            extra = {
                "AWS_BATCH_JOB_NODE_INDEX": str(index), "AWS_BATCH_JOB_MAIN_NODE_INDEX": str(properties["mainNode"]),
                "AWS_BATCH_JOB_NUM_NODES": str(properties["numNodes"]),
                "AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS": MAIN_NODE_IP,
            }
            launches.append(_launch(scope, node, node.description.get("container") or {}, environment, number, task_id, extra))
            task_ids.append(task_id)
    else:
        task_id = ids.hex(32)
        extra = {}
        if job.kind == "child":
            extra["AWS_BATCH_JOB_ARRAY_INDEX"] = str(job.description["arrayProperties"]["index"])
        launches.append(_launch(scope, job, job.description.get("container") or {}, environment, number, task_id, extra))
        task_ids.append(task_id)
    attempt = Attempt(job.job_id, number, scope.service.clock.now(), launches, task_ids)
    scope.runtime.attempts[job.job_id] = attempt
    service = scope.service
    owner = service.owner(scope.account, scope.region)
    attempt.task = service.env.tasks.spawn(f"batch job {job.job_id} attempt {number}", _run(scope, job.job_id, attempt), owner)


def _mark_running(scope: Scope, job: JobRecord, launch: Launch, task_id: str, now: int) -> None:
    container = job.description.setdefault("container", {})
    container["logStreamName"] = launch.log_stream
    container["taskArn"] = _task_arn(scope, task_id)
    for key in ("exitCode", "reason"):
        container.pop(key, None)
    job.description["startedAt"] = now
    set_status(scope, job, "RUNNING")


async def _run(scope: Scope, job_id: str, attempt: Attempt) -> None:
    job = scope.store.jobs.get(job_id)
    if job is None:
        return
    now = scope.now_ms()
    executor = executor_of(scope.service)
    try:
        if job.kind == "multinode":
            job.description["startedAt"] = now
            set_status(scope, job, "RUNNING")
            nodes = nodes_of(scope.store, job)
            for node, launch, task_id in zip(nodes, attempt.launches, attempt.task_ids):
                _mark_running(scope, node, launch, task_id, now)
        else:
            _mark_running(scope, job, attempt.launches[0], attempt.task_ids[0], now)
        _arm_timeout(scope, job, attempt)
        if job.kind == "multinode":
            outcome = await _run_nodes(scope, job, attempt, executor)
        else:
            outcome = await executor.run(attempt.launches[0])
    except asyncio.CancelledError:
        raise
    except Exception as error:  # the executor failed: the attempt fails with its reason
        log.exception("batch job %s: the executor failed", job_id)
        outcome = Outcome(None, f"CannotStartContainerError: {error}")
    finally:
        if attempt.timer is not None:
            attempt.timer.cancel()
        runtime = scope.runtime
        if runtime.attempts.get(job_id) is attempt:
            del runtime.attempts[job_id]
    if scope.store.jobs.get(job_id) is job:
        finish(scope, job, attempt, outcome)


async def _run_nodes(scope: Scope, job: JobRecord, attempt: Attempt, executor: Executor) -> Outcome:
    main = job.description["nodeProperties"]["mainNode"]
    nodes = nodes_of(scope.store, job)
    tasks = {launch.job_id: asyncio.ensure_future(executor.run(launch)) for launch in attempt.launches}
    main_id = f"{job.job_id}#{main}"
    try:
        main_outcome = await tasks[main_id]
        for node_id, task in tasks.items():
            if node_id != main_id and not task.done():
                executor.kill(node_id, "The main node exited")
        results = await asyncio.gather(*tasks.values(), return_exceptions=True)
    finally:
        for task in tasks.values():
            task.cancel()
    now = scope.now_ms()
    for node, launch, task_id, result in zip(nodes, attempt.launches, attempt.task_ids, results):
        outcome = result if isinstance(result, Outcome) else Outcome(None, str(result))
        _record_attempt(scope, node, attempt, outcome, task_id, launch, now)
        node_status = "SUCCEEDED" if outcome.exit_code == 0 else "FAILED"
        set_status(scope, node, node_status, _status_reason(job))
    return main_outcome


def _arm_timeout(scope: Scope, job: JobRecord, attempt: Attempt) -> None:
    seconds = (job.description.get("timeout") or {}).get("attemptDurationSeconds")
    if not seconds:
        job.deadline = None
        return
    job.deadline = attempt.started + float(seconds)
    service, account, region, job_id = scope.service, scope.account, scope.region, job.job_id

    def fire() -> None:
        runtime = runtime_of(service, account, region)
        if runtime.attempts.get(job_id) is not attempt:
            return
        store = service.stores.find(account, region)
        current = store.jobs.get(job_id) if store is not None else None
        if current is None or current.stop_kind is not None:
            return
        current.stop_kind, current.stop_reason = "timeout", TIMED_OUT
        stop(service, attempt, TIMED_OUT)

    attempt.timer = service.clock.call_at(job.deadline, fire)


def stop(service: BatchService, attempt: Attempt, reason: str) -> None:
    """Ask the executor to kill every process of the attempt."""
    executor = executor_of(service)
    for launch in attempt.launches:
        executor.kill(launch.job_id, reason)


def _status_reason(job: JobRecord) -> str:
    return TIMED_OUT if job.stop_kind == "timeout" else EXITED


def _record_attempt(scope: Scope, job: JobRecord, attempt: Attempt, outcome: Outcome, task_id: str, launch: Launch, now: int) -> dict[str, Any]:
    container: dict[str, Any] = {"taskArn": _task_arn(scope, task_id), "logStreamName": launch.log_stream}
    if outcome.exit_code is not None:
        container["exitCode"] = outcome.exit_code
    if outcome.reason:
        container["reason"] = outcome.reason
    detail = {
        "container": container, "startedAt": int(attempt.started * 1000), "stoppedAt": now,
        "statusReason": _status_reason(job),
    }
    job.description.setdefault("attempts", []).append(detail)
    summary = job.description.setdefault("container", {})
    for key in ("exitCode", "reason"):
        summary.pop(key, None)
        if key in container:
            summary[key] = container[key]
    return detail


def finish(scope: Scope, job: JobRecord, attempt: Attempt, outcome: Outcome) -> None:
    """Record the ended attempt and move the job on: SUCCEEDED, RUNNABLE again, or FAILED."""
    from services.batch import scheduler

    now = scope.now_ms()
    detail = _record_attempt(scope, job, attempt, outcome, attempt.task_ids[0], attempt.launches[0], now)
    fair_share.record_spell(scope, job, attempt.started, now / 1000)
    if job.kind == "multinode":
        detail["container"].pop("logStreamName", None)
    stop_kind, stop_reason = job.stop_kind, job.stop_reason
    job.stop_kind = job.stop_reason = None
    job.deadline = None
    job.environment_arn = None
    if stop_kind == "terminate":
        job.description["isTerminated"] = True
        set_status(scope, job, "FAILED", stop_reason)
    elif stop_kind == "timeout":  # AWS: a job terminated for its timeout is not retried
        set_status(scope, job, "FAILED", TIMED_OUT)
    elif outcome.exit_code == 0:
        set_status(scope, job, "SUCCEEDED", EXITED)
    elif _retry(job, outcome, detail["statusReason"]):
        job.description["statusReason"] = detail["statusReason"]
        enter_runnable(scope, job)
    else:
        set_status(scope, job, "FAILED", detail["statusReason"])
    scheduler.kick(scope.service, scope.account, scope.region)


def _matches(pattern: str | None, value: str | None) -> bool:
    if pattern is None:
        return True
    return value is not None and fnmatch.fnmatchcase(value, pattern)


def _retry(job: JobRecord, outcome: Outcome, status_reason: str) -> bool:
    strategy = job.description.get("retryStrategy") or {}
    if len(job.description.get("attempts", [])) >= int(strategy.get("attempts") or 1):
        return False
    exit_code = None if outcome.exit_code is None else str(outcome.exit_code)
    for rule in strategy.get("evaluateOnExit") or []:
        if (_matches(rule.get("onExitCode"), exit_code) and _matches(rule.get("onReason"), outcome.reason)
                and _matches(rule.get("onStatusReason"), status_reason)):
            return str(rule["action"]).upper() == "RETRY"
    return True


def fail_lost_attempt(scope: Scope, job: JobRecord) -> None:
    """A restored STARTING/RUNNING unit whose process is gone: that attempt fails."""
    started = (job.description.get("startedAt") or scope.now_ms()) / 1000
    stream = (job.description.get("container") or {}).get("logStreamName", "")
    task_id = stream.rsplit("/", 1)[-1] or "0" * 32
    launch = Launch(job_id=job.job_id, attempt=0, command=[], environment={}, image="", account=scope.account,
                    region=scope.region, log_stream=stream)
    attempt = Attempt(job.job_id, len(job.description.get("attempts", [])) + 1, started, [launch], [task_id])
    finish(scope, job, attempt, Outcome(None, RESTORED_REASON))
