"""Executions: start (async and sync), stop, describe, list, history; activity workers.

LIMITATIONS: redrive is not supported (redriveStatus NOT_REDRIVABLE); EXPRESS
executions started with StartExecution run like standard ones but, as on AWS,
have no history to read; task tokens other than activities' are later work.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from services.core.context import Params, RequestContext, Result
from services.core.ids import new_uuid
from services.stepfunctions.errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    InvalidArn,
    InvalidExecutionInput,
    InvalidOutput,
    StateMachineDeleting,
    StateMachineTypeNotSupported,
)
from services.stepfunctions.integrations.activities import ActivityBroker
from services.stepfunctions.interpreter.dataflow import MAX_PAYLOAD
from services.stepfunctions.interpreter.execution import Execution
from services.stepfunctions.interpreter.history import History
from services.stepfunctions.interpreter.runner import Runner
from services.stepfunctions.machine_ops import _store_of, describe, require_activity, require_state_machine
from services.stepfunctions.models import SfnStore, StateMachine
from services.stepfunctions.names import arn_parts, check_name, paged_result, resource_arn
from services.stepfunctions.service import handlers

Ctx = RequestContext[SfnStore]


def broker_of(ctx: Ctx, store: SfnStore | None = None) -> ActivityBroker:
    store = store or ctx.store
    if store.broker is None:
        store.broker = ActivityBroker(ctx.clock)
    return store.broker


def _checked_input(text: str | None) -> str:
    text = "{}" if text is None else text
    if len(text.encode("utf-8")) > MAX_PAYLOAD:
        raise InvalidExecutionInput("Invalid Execution Input: the input is larger than 262144 bytes.")
    try:
        json.loads(text)
    except ValueError:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{text[:100]}'") from None
    return text


def _launch(ctx: Ctx, machine: StateMachine, name: str, text: str) -> Execution:
    kind = "express" if machine.type == "EXPRESS" else "execution"
    names = (machine.name, name, new_uuid()) if kind == "express" else (machine.name, name)
    arn = resource_arn(ctx.region, ctx.account_id, kind, *names)
    execution = Execution(
        arn, name, machine.arn, machine.name, machine.type, machine.parsed, machine.definition,
        machine.role_arn, text, ctx.clock.now(), History(ctx.clock),
    )
    store = ctx.store
    store.executions[arn] = execution
    runner = Runner(execution, ctx.clock, broker_of(ctx))
    timeout = machine.parsed.timeout_seconds

    async def run() -> None:
        try:
            await runner.run()
        except asyncio.CancelledError:
            pass  # stopped or timed out: whoever cancelled recorded why

    execution.task = asyncio.ensure_future(run())
    if timeout is not None:
        def timed_out() -> None:
            if execution.running and execution.task is not None:
                execution.task.cancel()
                execution.history.add("ExecutionTimedOut", {"error": "States.Timeout", "cause": ""})
                execution.finish("TIMED_OUT", ctx.clock.now(), error="States.Timeout", cause="")

        ctx.clock.call_later(timeout, timed_out)
    return execution


@handlers.operation("StartExecution")
async def start_execution(ctx: Ctx, req: Params) -> Result:
    machine = require_state_machine(ctx, req["stateMachineArn"])
    if machine.status != "ACTIVE":
        raise StateMachineDeleting(f"State Machine is being deleted: '{machine.arn}'")
    name = req.get("name") or new_uuid()
    check_name(name)
    text = _checked_input(req.get("input"))
    if machine.type == "STANDARD":
        arn = resource_arn(ctx.region, ctx.account_id, "execution", machine.name, name)
        existing = ctx.store.executions.get(arn)
        if existing is not None:
            if existing.running and existing.input_text == text:
                return {"executionArn": arn, "startDate": existing.started_at}
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
    execution = _launch(ctx, machine, name, text)
    return {"executionArn": execution.arn, "startDate": execution.started_at}


@handlers.operation("StartSyncExecution", long_running=True)
async def start_sync_execution(ctx: Ctx, req: Params) -> Result:
    machine = require_state_machine(ctx, req["stateMachineArn"])
    if machine.type != "EXPRESS":
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    name = req.get("name") or new_uuid()
    check_name(name)
    execution = _launch(ctx, machine, name, _checked_input(req.get("input")))
    await execution.finished.wait()
    result = _summary(execution)
    result.update(input=execution.input_text, inputDetails={"included": True})
    result["billingDetails"] = {
        "billedMemoryUsedInMB": 64,
        "billedDurationInMilliseconds": max(100, int(((execution.stopped_at or 0) - execution.started_at) * 1000)),
    }
    return result


def _summary(execution: Execution) -> Result:
    out: Result = {
        "executionArn": execution.arn,
        "stateMachineArn": execution.machine_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.started_at,
    }
    if execution.stopped_at is not None:
        out["stopDate"] = execution.stopped_at
    if execution.output_text is not None:
        out.update(output=execution.output_text, outputDetails={"included": True})
    if execution.error is not None:
        out["error"] = execution.error
    if execution.cause is not None:
        out["cause"] = execution.cause
    return out


def require_execution(ctx: Ctx, arn: str) -> Execution:
    store = _store_of(ctx, arn, "execution", "express")
    execution = store.executions.get(arn)
    if execution is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
    return execution


@handlers.operation("DescribeExecution")
async def describe_execution(ctx: Ctx, req: Params) -> Result:
    execution = require_execution(ctx, req["executionArn"])
    result = _summary(execution)
    result.update(input=execution.input_text, inputDetails={"included": True}, redriveCount=0, redriveStatus="NOT_REDRIVABLE")
    return result


@handlers.operation("DescribeStateMachineForExecution")
async def describe_state_machine_for_execution(ctx: Ctx, req: Params) -> Result:
    execution = require_execution(ctx, req["executionArn"])
    store = _store_of(ctx, execution.machine_arn, "stateMachine")
    machine = store.state_machines.get(execution.machine_arn)
    result: Result = {
        "stateMachineArn": execution.machine_arn,
        "name": execution.machine_name,
        "definition": execution.definition_text,
        "roleArn": execution.role_arn,
        "updateDate": execution.started_at,
    }
    if machine is not None:
        described = describe(machine)
        result.update(loggingConfiguration=described["loggingConfiguration"], tracingConfiguration=described["tracingConfiguration"], revisionId=machine.revision_id)
    return result


@handlers.operation("StopExecution")
async def stop_execution(ctx: Ctx, req: Params) -> Result:
    execution = require_execution(ctx, req["executionArn"])
    if execution.running:
        if execution.task is not None:
            execution.task.cancel()
        details: dict[str, Any] = {}
        if req.get("error") is not None:
            details["error"] = req["error"]
        if req.get("cause") is not None:
            details["cause"] = req["cause"]
        execution.history.add("ExecutionAborted", details)
        execution.finish("ABORTED", ctx.clock.now(), error=req.get("error"), cause=req.get("cause"))
    return {"stopDate": execution.stopped_at}


@handlers.operation("ListExecutions")
async def list_executions(ctx: Ctx, req: Params) -> Result:
    machine_arn = req.get("stateMachineArn")
    if machine_arn is None:
        raise InvalidExecutionInput("Must provide a StateMachine ARN or a MapRun ARN")
    machine = require_state_machine(ctx, machine_arn)
    status = req.get("statusFilter")
    executions = [
        e for e in ctx.store.executions.values()
        if e.machine_arn == machine.arn and (status is None or e.status == status)
    ]
    executions.sort(key=lambda e: e.started_at, reverse=True)

    def item(e: Execution) -> Result:
        listed: Result = {"executionArn": e.arn, "stateMachineArn": e.machine_arn, "name": e.name, "status": e.status, "startDate": e.started_at}
        if e.stopped_at is not None:
            listed["stopDate"] = e.stopped_at
        return listed

    return paged_result("executions", executions, req, item)


@handlers.operation("GetExecutionHistory")
async def get_execution_history(ctx: Ctx, req: Params) -> Result:
    arn = req["executionArn"]
    arn_parts(arn, "execution", "express")
    if ":express:" in arn:
        raise InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")
    execution = require_execution(ctx, arn)
    events = list(execution.history.events)
    if req.get("reverseOrder"):
        events.reverse()
    include = req.get("includeExecutionData", True)
    return paged_result("events", events, req, lambda e: e.to_wire(include))


# -- activity workers ---------------------------------------------------------------------


@handlers.operation("GetActivityTask", long_running=True)
async def get_activity_task(ctx: Ctx, req: Params) -> Result:
    activity = require_activity(ctx, req["activityArn"])
    store = _store_of(ctx, activity.arn, "activity")
    task = await broker_of(ctx, store).poll(activity.arn, req.get("workerName") or "")
    if task is None:
        return {}
    return {"taskToken": task.token, "input": task.input}


def _all_brokers(ctx: Ctx) -> list[ActivityBroker]:
    brokers = [broker_of(ctx)]
    brokers += [s.broker for _, s in handlers.stores.items() if s.broker is not None and s.broker is not brokers[0]]  # type: ignore[union-attr]
    return brokers


def _settle(ctx: Ctx, token: str, action: str, *args: str) -> None:
    """Find the broker that issued the token (tokens are global, like AWS's)."""
    brokers = _all_brokers(ctx)
    owner = next((b for b in brokers if token in b.live), None)
    if owner is None:
        owner = next((b for b in brokers if token in b.settled), brokers[0])
    getattr(owner, action)(token, *args)


@handlers.operation("SendTaskSuccess")
async def send_task_success(ctx: Ctx, req: Params) -> Result:
    output = req["output"]
    try:
        json.loads(output)
    except ValueError:
        raise InvalidOutput(f"Invalid Output: '{output[:100]}'") from None
    _settle(ctx, req["taskToken"], "succeed", output)
    return {}


@handlers.operation("SendTaskFailure")
async def send_task_failure(ctx: Ctx, req: Params) -> Result:
    _settle(ctx, req["taskToken"], "fail", req.get("error", ""), req.get("cause", ""))
    return {}


@handlers.operation("SendTaskHeartbeat")
async def send_task_heartbeat(ctx: Ctx, req: Params) -> Result:
    _settle(ctx, req["taskToken"], "heartbeat")
    return {}


@handlers.on_reset
def _stop_everything() -> None:
    for _, store in handlers.stores.items():  # type: ignore[union-attr]
        for execution in store.executions.values():
            if execution.task is not None and not execution.task.done():
                execution.task.cancel()
            if execution.running:  # whoever waits on it (StartSyncExecution) gets an answer
                execution.finish("ABORTED", execution.history.clock.now(), error="States.Aborted", cause="stepstack was reset")
        if store.broker is not None:
            store.broker.close()
