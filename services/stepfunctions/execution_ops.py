"""Executions: start (async and sync), stop, describe, list, history; activity workers.

LIMITATIONS: EXPRESS executions started with StartExecution run like standard ones but, as on
AWS, cannot be described, stopped, listed or have their history read (their log group is how
they are inspected). Task tokens of callbacks and activities alike are answered by
SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat (integrations/activities.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from services.core.context import Params, RequestContext, Result
from services.stepfunctions.errors import (
    ExecutionAlreadyExists,
    InvalidArn,
    InvalidExecutionInput,
    InvalidOutput,
    StateMachineDeleting,
    StateMachineTypeNotSupported,
    ValidationException,
)
from services.stepfunctions.integrations.mocks import MockConfigError
from services.stepfunctions.integrations.mocks.tasks import not_task_states
from services.stepfunctions.interpreter.dataflow import MAX_PAYLOAD
from services.stepfunctions.interpreter.history import event_to_wire
from services.stepfunctions.machine_ops import describe, require_activity, require_execution, require_state_machine, sfn_of, store_of
from services.stepfunctions.models import Execution, MachineVersion, SfnStore, StateMachine
from services.stepfunctions.names import arn_parts, check_name, paged_result, resource_arn
from services.stepfunctions.map_run_ops import child_list_fields, map_run_executions
from services.stepfunctions.redrive_ops import redrive_fields
from services.stepfunctions.service import operations
from services.stepfunctions.versions import route

Ctx = RequestContext[SfnStore]
log = logging.getLogger("stepstack.stepfunctions")


def _checked_input(text: str | None) -> str:
    text = "{}" if text is None else text
    if len(text.encode("utf-8")) > MAX_PAYLOAD:
        raise InvalidExecutionInput("Invalid Execution Input: the input is larger than 262144 bytes.")
    try:
        json.loads(text)
    except ValueError:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{text[:100]}'") from None
    return text


def _home_of(machine: StateMachine) -> tuple[str, str]:
    """(region, account) of a state machine: its executions run and are kept there, whichever
    region or account the StartExecution came through (AWS's answer to a cross-region call is
    not recorded; see docs/differences.md)."""
    parts = machine.arn.split(":")
    return parts[3], parts[4]


def _target(ctx: Ctx, arn: str) -> tuple[StateMachine, MachineVersion | None, str | None]:
    """(machine, version, alias ARN) a StartExecution names: a machine, a version or an alias
    (which picks one of its versions by weight, with the application's seeded randomness)."""
    store = store_of(ctx, arn, "stateMachine")
    alias_arn = None
    if (alias := store.aliases.get(arn)) is not None:
        alias_arn, arn = arn, route(alias, ctx.ids.random)
    if (version := store.versions.get(arn)) is not None:
        return require_state_machine(ctx, version.machine_arn), version, alias_arn
    return require_state_machine(ctx, arn), None, None


def _test_case(ctx: Ctx, arn: str) -> tuple[StateMachine, MachineVersion | None, str | None, dict[str, Any] | None]:
    """The target of a StartExecution and, for `<arn>#<TestCaseName>` (Step Functions Local's
    mocked service integrations), the test case of the mock configuration file it runs with."""
    arn, marked, case = arn.partition("#")
    machine, version, alias_arn = _target(ctx, arn)
    if not marked:
        return machine, version, alias_arn, None
    mocks = sfn_of(ctx).mocks
    try:
        config = mocks.current()
    except MockConfigError as error:
        raise ValidationException(f"The test case '{case}' cannot run: {error}") from None
    test_case = config.test_case(machine.name, case)
    if test_case is None:
        raise InvalidArn(
            f"Invalid Arn: '{arn}#{case}': the mock configuration file {mocks.path} has no test case '{case}' "
            f"for the state machine '{machine.name}'"
        )
    strays = not_task_states(test_case, sfn_of(ctx).parsed((version or machine).definition))
    if strays:
        listed = ", ".join(f"'{name}'" for name in strays)
        raise ValidationException(
            f"The test case '{case}' of the mock configuration file {mocks.path} mocks {listed}: the state machine "
            f"'{machine.name}' has no Task state of {'these names' if len(strays) > 1 else 'that name'}"
        )
    return machine, version, alias_arn, test_case


def _launch(
    ctx: Ctx, machine: StateMachine, name: str, text: str,
    version: MachineVersion | None = None, alias_arn: str | None = None, test_case: dict[str, Any] | None = None,
) -> Execution:
    sfn = sfn_of(ctx)
    kind = "express" if machine.type == "EXPRESS" else "execution"
    names = (machine.name, name, ctx.ids.uuid()) if kind == "express" else (machine.name, name)
    region, account = _home_of(machine)
    arn = resource_arn(region, account, kind, *names)
    source = version or machine  # a version runs its own definition, whatever $LATEST is now
    definition = sfn.parsed(source.definition)
    execution = Execution(
        arn, name, machine.arn, machine.name, machine.type, source.definition, source.role_arn, text, ctx.clock.now(),
        version_arn=version.arn if version else None, alias_arn=alias_arn, mock_test_case=test_case,
    )
    ctx.store_at(account, region).executions[arn] = execution
    log.debug("execution %s started", arn)  # the StartExecution request line says so at info
    history = sfn.history(execution)
    if ctx.dispatcher.closing:  # shutting down: it ends at once rather than hold the server up
        history.add("ExecutionAborted", {"error": "States.Aborted", "cause": "stepstack is shutting down"})
        sfn.finish(execution, "ABORTED", error="States.Aborted", cause="stepstack is shutting down")
        return execution
    if definition.timeout_seconds is not None:
        execution.timeout_at = ctx.clock.now() + definition.timeout_seconds
    sfn.run_execution(execution, definition, sfn.owner(account, region))
    return execution


@operations.operation("StartExecution")
async def start_execution(ctx: Ctx, req: Params) -> Result:
    machine, version, alias_arn, test_case = _test_case(ctx, req["stateMachineArn"])
    if machine.status != "ACTIVE":
        raise StateMachineDeleting(f"State Machine is being deleted: '{machine.arn}'")
    name = req.get("name") or ctx.ids.uuid()
    check_name(name)
    text = _checked_input(req.get("input"))
    if machine.type == "STANDARD":
        region, account = _home_of(machine)
        arn = resource_arn(region, account, "execution", machine.name, name)
        existing = ctx.store_at(account, region).executions.get(arn)
        if existing is not None:
            if existing.running and existing.input_text == text:
                return {"executionArn": arn, "startDate": existing.started_at}
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
    execution = _launch(ctx, machine, name, text, version, alias_arn, test_case)
    return {"executionArn": execution.arn, "startDate": execution.started_at}


@operations.operation("StartSyncExecution", long_running=True)
async def start_sync_execution(ctx: Ctx, req: Params) -> Result:
    machine, version, alias_arn, test_case = _test_case(ctx, req["stateMachineArn"])
    if machine.type != "EXPRESS":
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    name = req.get("name") or ctx.ids.uuid()
    check_name(name)
    execution = _launch(ctx, machine, name, _checked_input(req.get("input")), version, alias_arn, test_case)
    if execution.running:
        await ctx.events.wait_for(execution.arn, lambda event: event["type"] == "ExecutionStatus")
    result = _summary(execution)
    for qualifier in ("stateMachineVersionArn", "stateMachineAliasArn"):  # not in its answer's shape
        result.pop(qualifier, None)
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
    out.update(_qualifiers(execution))
    if execution.stopped_at is not None:
        out["stopDate"] = execution.stopped_at
    if execution.output_text is not None:
        out.update(output=execution.output_text, outputDetails={"included": True})
    if execution.error is not None:
        out["error"] = execution.error
    if execution.cause is not None:
        out["cause"] = execution.cause
    return out


def _qualifiers(execution: Execution) -> Result:
    out: Result = {}
    if execution.version_arn is not None:
        out["stateMachineVersionArn"] = execution.version_arn
    if execution.alias_arn is not None:
        out["stateMachineAliasArn"] = execution.alias_arn
    return out


def _not_express(arn: str) -> None:
    """Recorded on AWS: an EXPRESS execution's ARN is refused by the operations on executions."""
    arn_parts(arn, "execution", "express")
    if ":express:" in arn:
        raise InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")


@operations.operation("DescribeExecution")
async def describe_execution(ctx: Ctx, req: Params) -> Result:
    arn = req["executionArn"]
    arn_parts(arn, "execution", "express")
    execution = require_execution(ctx, arn) if ":express:" not in arn else None
    if execution is None:  # the API reference: unless a Map Run dispatched them
        found = require_execution(ctx, arn)
        if found.map_run_arn is None:
            _not_express(arn)
        execution = found
    result = _summary(execution)
    result.update(input=execution.input_text, inputDetails={"included": True})
    result.update(redrive_fields(ctx, execution))
    if execution.map_run_arn is not None:
        result["mapRunArn"] = execution.map_run_arn
    return result


@operations.operation("DescribeStateMachineForExecution")
async def describe_state_machine_for_execution(ctx: Ctx, req: Params) -> Result:
    execution = require_execution(ctx, req["executionArn"])
    store = store_of(ctx, execution.machine_arn, "stateMachine")
    machine = store.state_machines.get(execution.machine_arn)
    result: Result = {
        "stateMachineArn": execution.machine_arn,
        "name": execution.machine_name,
        "definition": execution.definition,
        "roleArn": execution.role_arn,
        "updateDate": execution.started_at,
    }
    if machine is not None:
        described = describe(machine)
        result.update(loggingConfiguration=described["loggingConfiguration"], tracingConfiguration=described["tracingConfiguration"], revisionId=machine.revision_id)
        result["encryptionConfiguration"] = machine.encryption
    if execution.map_run_arn is not None and (map_run := store.map_runs.get(execution.map_run_arn)) is not None:
        result.update(mapRunArn=map_run.arn, label=map_run.label)
    version = store.versions.get(execution.version_arn) if execution.version_arn else None
    if version is not None:  # the version it ran, not $LATEST
        result.update(
            loggingConfiguration=version.logging, tracingConfiguration=version.tracing, revisionId=version.revision_id,
            encryptionConfiguration=version.encryption,
        )
    return result


@operations.operation("StopExecution")
async def stop_execution(ctx: Ctx, req: Params) -> Result:
    _not_express(req["executionArn"])
    execution = require_execution(ctx, req["executionArn"])
    if execution.running:
        sfn = sfn_of(ctx)
        task = sfn.running.get(execution.arn)
        if task is not None:
            task.cancel()
        details: dict[str, Any] = {}
        if req.get("error") is not None:
            details["error"] = req["error"]
        if req.get("cause") is not None:
            details["cause"] = req["cause"]
        sfn.history(execution).add("ExecutionAborted", details, previous=len(execution.events))
        sfn.finish(execution, "ABORTED", error=req.get("error"), cause=req.get("cause"))
    return {"stopDate": execution.stopped_at}


@operations.operation("ListExecutions")
async def list_executions(ctx: Ctx, req: Params) -> Result:
    machine_arn = req.get("stateMachineArn")
    status = req.get("statusFilter")
    redriven = {"REDRIVEN": True, "NOT_REDRIVEN": False}.get(req.get("redriveFilter") or "")

    def kept(e: Execution) -> bool:
        return (status is None or e.status == status) and (redriven is None or (e.redrive_count > 0) == redriven)

    if (map_run_arn := req.get("mapRunArn")) is not None:
        if machine_arn is not None:
            raise InvalidExecutionInput("Must provide a StateMachine ARN or a MapRun ARN, not both")
        executions = [e for e in map_run_executions(ctx, map_run_arn) if kept(e)]
        executions.sort(key=lambda e: e.started_at, reverse=True)
        return paged_result("executions", executions, req, lambda e: _listed(ctx, e))
    if machine_arn is None:
        raise InvalidExecutionInput("Must provide a StateMachine ARN or a MapRun ARN")
    store = store_of(ctx, machine_arn, "stateMachine")
    if machine_arn in store.aliases or machine_arn in store.versions:  # those started through it
        def chosen(e: Execution) -> bool:
            return machine_arn in (e.version_arn, e.alias_arn)
    else:
        machine = require_state_machine(ctx, machine_arn)
        if machine.type == "EXPRESS":  # recorded on AWS
            raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")

        def chosen(e: Execution) -> bool:
            return e.machine_arn == machine.arn
    executions = [e for e in ctx.store.executions.values() if chosen(e) and kept(e)]
    executions.sort(key=lambda e: e.started_at, reverse=True)
    return paged_result("executions", executions, req, lambda e: _listed(ctx, e))


def _listed(ctx: Ctx, e: Execution) -> Result:
    """An ExecutionListItem."""
    listed: Result = {"executionArn": e.arn, "stateMachineArn": e.machine_arn, "name": e.name, "status": e.status, "startDate": e.started_at}
    listed.update(_qualifiers(e))
    if e.stopped_at is not None:
        listed["stopDate"] = e.stopped_at
    listed["redriveCount"] = e.redrive_count
    if e.redrive_date is not None:
        listed["redriveDate"] = e.redrive_date
    listed.update(child_list_fields(ctx, e))
    return listed


@operations.operation("GetExecutionHistory")
async def get_execution_history(ctx: Ctx, req: Params) -> Result:
    arn = req["executionArn"]
    _not_express(arn)
    execution = require_execution(ctx, arn)
    events = list(execution.events)
    if req.get("reverseOrder"):
        events.reverse()
    include = req.get("includeExecutionData", True)
    return paged_result("events", events, req, lambda e: event_to_wire(e, include))


# -- activity workers ---------------------------------------------------------------------


@operations.operation("GetActivityTask", long_running=True)
async def get_activity_task(ctx: Ctx, req: Params) -> Result:
    activity = require_activity(ctx, req["activityArn"])
    task = await sfn_of(ctx).broker.poll(activity.arn, req.get("workerName") or "")
    if task is None:
        return {}
    return {"taskToken": task.token, "input": task.input}


@operations.operation("SendTaskSuccess")
async def send_task_success(ctx: Ctx, req: Params) -> Result:
    output = req["output"]
    try:
        json.loads(output)
    except ValueError:
        raise InvalidOutput(f"Invalid Output: '{output[:100]}'") from None
    sfn_of(ctx).broker.succeed(req["taskToken"], output)
    return {}


@operations.operation("SendTaskFailure")
async def send_task_failure(ctx: Ctx, req: Params) -> Result:
    # recorded (v2/callback ..._no_error_field): without them a Catch reads {"Error": null, "Cause": null}
    sfn_of(ctx).broker.fail(req["taskToken"], req.get("error"), req.get("cause"))
    return {}


@operations.operation("SendTaskHeartbeat")
async def send_task_heartbeat(ctx: Ctx, req: Params) -> Result:
    sfn_of(ctx).broker.heartbeat(req["taskToken"])
    return {}
