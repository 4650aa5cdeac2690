"""State machines and activities: create, describe, update, delete, list, tags.

Known differences from AWS: a customer-managed KMS key is recorded, never used
(see versions.py); versions and aliases have their own operations in version_ops.py.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from services.core.arns import parse_arn
from services.core.context import Params, RequestContext, Result
from services.stepfunctions.asl.errors import InvalidDefinition as DefinitionProblems
from services.stepfunctions.asl.integration_rules import check_express, express_problems
from services.stepfunctions.asl.parser import parse_definition
from services.stepfunctions.errors import (
    ActivityDoesNotExist,
    ExecutionDoesNotExist,
    InvalidArn,
    InvalidLoggingConfiguration,
    MissingRequiredParameter,
    ResourceNotFound,
    SfnError,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    TooManyTags,
    ValidationException,
)
from services.stepfunctions.logging_sink import log_group_of
from services.stepfunctions.models import Activity, Execution, SfnStore, StateMachine
from services.stepfunctions.names import arn_parts, check_name, paged_result, resource_arn
from services.stepfunctions.service import SfnService, operations
from services.stepfunctions.versions import encryption, publish

Ctx = RequestContext[SfnStore]
MAX_TAGS = 50
DEFAULT_LOGGING = MappingProxyType({"level": "OFF", "includeExecutionData": False})
DEFAULT_TRACING = MappingProxyType({"enabled": False})


class ActivityAlreadyExists(SfnError):  # belongs in errors.py; kept here to leave that file untouched
    code = "ActivityAlreadyExists"


def sfn_of(ctx: Ctx) -> SfnService:
    return ctx.service  # type: ignore[return-value]


def parsed_definition(ctx: Ctx, text: str) -> Any:
    return sfn_of(ctx).parsed(text)


def store_of(ctx: Ctx, arn: str, *kinds: str) -> SfnStore:
    """The store of the account and region an ARN names (InvalidArn if it is none of `kinds`)."""
    region, account, _, _ = arn_parts(arn, *kinds)
    return ctx.store_at(account, region, create=False)


def _still_running(store: SfnStore, machine_arn: str) -> bool:
    return any(e.machine_arn == machine_arn and e.running for e in store.executions.values())


def require_execution(ctx: Ctx, arn: str) -> Execution:
    store = store_of(ctx, arn, "execution", "express")
    execution = store.executions.get(arn)
    if execution is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
    return execution


def require_state_machine(ctx: Ctx, arn: str) -> StateMachine:
    store = store_of(ctx, arn, "stateMachine")
    machine = store.state_machines.get(arn)
    if machine is not None and machine.status == "DELETING" and not _still_running(store, arn):
        del store.state_machines[arn]  # its last execution has ended: the deletion completes
        machine = None
    if machine is None:
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
    return machine


def _role(arn: str) -> str:
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam":
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return arn


def _logging(config: dict[str, Any] | None) -> dict[str, Any]:
    if config is None:
        return dict(DEFAULT_LOGGING)
    level = config.get("level", "OFF")
    destinations = config.get("destinations") or []
    if len(destinations) > 1 or (level != "OFF" and not destinations):  # AWS's wording, recorded
        raise InvalidLoggingConfiguration("Invalid Logging Configuration: Must specify exactly one Log Destination.")
    for destination in destinations:
        group_arn = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")
        if log_group_of(group_arn) is None:
            raise InvalidLoggingConfiguration(f"Invalid Logging Configuration: The CloudWatch Logs Resource arn '{group_arn}' is invalid.")
    out: dict[str, Any] = {"level": level, "includeExecutionData": bool(config.get("includeExecutionData", False))}
    if destinations:
        out["destinations"] = destinations
    return out


async def _logging_checked(ctx: Ctx, config: dict[str, Any] | None) -> dict[str, Any]:
    """The logging configuration, its log group found in CloudWatch Logs (recorded: a deleted
    group is "Log Destination not found.")."""
    logging = _logging(config)
    for destination in logging.get("destinations", ()):
        region, account, group = log_group_of(destination["cloudWatchLogsLogGroup"]["logGroupArn"])  # type: ignore[misc]
        found = await ctx.call("logs", "DescribeLogGroups", {"logGroupNamePrefix": group}, account_id=account, region=region)
        if not any(g.get("logGroupName") == group for g in found.get("logGroups", ())):
            raise InvalidLoggingConfiguration("Invalid Logging Configuration: Log Destination not found.")
    return logging


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    tags = {t["key"]: t.get("value", "") for t in items or [] if "key" in t}
    if len(tags) > MAX_TAGS:
        raise TooManyTags(f"Too many tags: the limit is {MAX_TAGS}.", resourceName="")
    return tags


def _check_publish(req: Params) -> None:
    if req.get("versionDescription") is not None and not req.get("publish"):
        raise ValidationException("Version description can only be set when publish is true")


@operations.operation("CreateStateMachine")
async def create_state_machine(ctx: Ctx, req: Params) -> Result:
    name = req["name"]
    check_name(name)
    _check_publish(req)
    machine_type = req.get("type", "STANDARD")
    definition = req["definition"]
    parsed_definition(ctx, definition)
    check_express(definition, machine_type)
    role = _role(req["roleArn"])
    logging = await _logging_checked(ctx, req.get("loggingConfiguration"))
    tracing = req.get("tracingConfiguration") or dict(DEFAULT_TRACING)
    encrypted = encryption(req.get("encryptionConfiguration"))
    arn = resource_arn(ctx.region, ctx.account_id, "stateMachine", name)
    existing = ctx.store.state_machines.get(arn)
    if existing is not None:
        same = (existing.definition, existing.role_arn, existing.type, existing.logging, existing.tracing) == (
            definition, role, machine_type, logging, tracing,
        )
        if not same or existing.status != "ACTIVE":
            raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
        return {"stateMachineArn": arn, "creationDate": existing.created_at}
    now = ctx.clock.now()
    machine = ctx.store.state_machines[arn] = StateMachine(
        arn, name, definition, role, machine_type, now, logging, tracing, ctx.ids.uuid(), _tags(req.get("tags")),
        encryption=encrypted,
    )
    result: Result = {"stateMachineArn": arn, "creationDate": now}
    if req.get("publish"):
        result["stateMachineVersionArn"] = publish(ctx.store, machine, now, req.get("versionDescription")).arn
    return result


def describe(machine: StateMachine) -> Result:
    return {
        "stateMachineArn": machine.arn,
        "name": machine.name,
        "status": machine.status,
        "definition": machine.definition,
        "roleArn": machine.role_arn,
        "type": machine.type,
        "creationDate": machine.created_at,
        "loggingConfiguration": machine.logging,
        "tracingConfiguration": machine.tracing,
        "revisionId": machine.revision_id,
        "encryptionConfiguration": machine.encryption,
    }


@operations.operation("DescribeStateMachine")
async def describe_state_machine(ctx: Ctx, req: Params) -> Result:
    arn = req["stateMachineArn"]
    version = store_of(ctx, arn, "stateMachine").versions.get(arn)
    if version is not None:
        machine = require_state_machine(ctx, version.machine_arn)
        described = describe(machine)
        described.update(
            stateMachineArn=version.arn, definition=version.definition, roleArn=version.role_arn,
            creationDate=version.created_at, loggingConfiguration=version.logging, tracingConfiguration=version.tracing,
            revisionId=version.revision_id, encryptionConfiguration=version.encryption,
        )
        if version.description is not None:
            described["description"] = version.description
        return described
    return describe(require_state_machine(ctx, arn))


@operations.operation("UpdateStateMachine")
async def update_state_machine(ctx: Ctx, req: Params) -> Result:
    machine = require_state_machine(ctx, req["stateMachineArn"])
    _check_publish(req)
    fields = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration")
    if not any(req.get(f) is not None for f in fields):
        raise MissingRequiredParameter(
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified"
        )
    before = (machine.definition, machine.role_arn, machine.logging, machine.tracing, machine.encryption)
    if req.get("definition") is not None:
        parsed_definition(ctx, req["definition"])
        check_express(req["definition"], machine.type)
        machine.definition = req["definition"]
    if req.get("roleArn") is not None:
        machine.role_arn = _role(req["roleArn"])
    if req.get("loggingConfiguration") is not None:
        machine.logging = await _logging_checked(ctx, req["loggingConfiguration"])
    if req.get("tracingConfiguration") is not None:
        machine.tracing = req["tracingConfiguration"]
    if req.get("encryptionConfiguration") is not None:
        machine.encryption = encryption(req["encryptionConfiguration"])
    machine.updated_at = ctx.clock.now()
    if (machine.definition, machine.role_arn, machine.logging, machine.tracing, machine.encryption) != before:
        machine.revision_id = ctx.ids.uuid()  # as on AWS, an update that changes nothing keeps the revision
    result: Result = {"updateDate": machine.updated_at, "revisionId": machine.revision_id}
    if req.get("publish"):
        store = store_of(ctx, machine.arn, "stateMachine")
        version = publish(store, machine, machine.updated_at, req.get("versionDescription"))
        result["stateMachineVersionArn"] = version.arn
    return result


@operations.operation("DeleteStateMachine")
async def delete_state_machine(ctx: Ctx, req: Params) -> Result:
    arn = req["stateMachineArn"]
    store = store_of(ctx, arn, "stateMachine")
    machine = store.state_machines.get(arn)
    if machine is not None:
        if _still_running(store, arn):
            machine.status = "DELETING"  # as on AWS: running executions finish first
        else:
            del store.state_machines[arn]
        for owned in (store.versions, store.aliases):  # its versions and aliases go with it
            for key in [k for k, v in owned.items() if v.machine_arn == arn]:
                del owned[key]
    return {}


@operations.operation("ListStateMachines")
async def list_state_machines(ctx: Ctx, req: Params) -> Result:
    machines = sorted(ctx.store.state_machines.values(), key=lambda m: m.name)
    return paged_result(
        "stateMachines", machines, req,
        lambda m: {"stateMachineArn": m.arn, "name": m.name, "type": m.type, "creationDate": m.created_at},
    )


# -- activities -----------------------------------------------------------------------


def require_activity(ctx: Ctx, arn: str) -> Activity:
    activity = store_of(ctx, arn, "activity").activities.get(arn)
    if activity is None:
        raise ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
    return activity


@operations.operation("CreateActivity")
async def create_activity(ctx: Ctx, req: Params) -> Result:
    name = req["name"]
    check_name(name)
    arn = resource_arn(ctx.region, ctx.account_id, "activity", name)
    existing = ctx.store.activities.get(arn)
    encrypted = encryption(req.get("encryptionConfiguration"))
    if existing is None:
        existing = ctx.store.activities[arn] = Activity(
            arn, name, ctx.clock.now(), _tags(req.get("tags")), encryption=encrypted
        )
    elif existing.encryption != encrypted:
        # Idempotent by name, other tags ignored (as recorded and documented), but an activity's
        # encryption can't change: ActivityAlreadyExists ("EncryptionConfiguration may not be
        # updated", API reference). AWS's message is not recorded; this wording is ours.
        raise ActivityAlreadyExists(f"Activity Already Exists: '{arn}'")
    return {"activityArn": arn, "creationDate": existing.created_at}


@operations.operation("DescribeActivity")
async def describe_activity(ctx: Ctx, req: Params) -> Result:
    activity = require_activity(ctx, req["activityArn"])
    return {
        "activityArn": activity.arn, "name": activity.name, "creationDate": activity.created_at,
        "encryptionConfiguration": activity.encryption,
    }


@operations.operation("DeleteActivity")
async def delete_activity(ctx: Ctx, req: Params) -> Result:
    arn = req["activityArn"]
    store_of(ctx, arn, "activity").activities.pop(arn, None)
    return {}


@operations.operation("ListActivities")
async def list_activities(ctx: Ctx, req: Params) -> Result:
    activities = sorted(ctx.store.activities.values(), key=lambda a: a.name)
    return paged_result(
        "activities", activities, req, lambda a: {"activityArn": a.arn, "name": a.name, "creationDate": a.created_at}
    )


# -- tags ---------------------------------------------------------------------------------


def _tagged(ctx: Ctx, arn: str) -> StateMachine | Activity:
    region, account, kind, _ = arn_parts(arn, "stateMachine", "activity")
    store = store_of(ctx, arn, kind)
    found = store.state_machines.get(arn) if kind == "stateMachine" else store.activities.get(arn)
    if found is None:
        raise ResourceNotFound(f"Resource not found: '{arn}'", resourceName=arn)
    return found


@operations.operation("TagResource")
async def tag_resource(ctx: Ctx, req: Params) -> Result:
    resource = _tagged(ctx, req["resourceArn"])
    tags = {**resource.tags, **_tags(req["tags"])}
    if len(tags) > MAX_TAGS:
        raise TooManyTags(f"Too many tags: the limit is {MAX_TAGS}.", resourceName=req["resourceArn"])
    resource.tags = tags
    return {}


@operations.operation("UntagResource")
async def untag_resource(ctx: Ctx, req: Params) -> Result:
    resource = _tagged(ctx, req["resourceArn"])
    for key in req["tagKeys"]:
        resource.tags.pop(key, None)
    return {}


@operations.operation("ListTagsForResource")
async def list_tags_for_resource(ctx: Ctx, req: Params) -> Result:
    resource = _tagged(ctx, req["resourceArn"])
    return {"tags": [{"key": k, "value": v} for k, v in resource.tags.items()]}


@operations.operation("ValidateStateMachineDefinition")
async def validate_state_machine_definition(ctx: Ctx, req: Params) -> Result:
    """Diagnostics instead of an error; only ERROR-level checks exist here (no warnings yet)."""
    limit = req.get("maxResults") or 100
    try:
        parse_definition(req["definition"])
    except DefinitionProblems as problems:
        diagnostics = [p.to_wire() for p in problems.diagnostics] or [
            {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": text} for text in problems.problems
        ]
        return {"result": "FAIL", "diagnostics": diagnostics[:limit], "truncated": len(diagnostics) > limit}
    if req.get("type") == "EXPRESS":  # what an EXPRESS machine cannot run, as CreateStateMachine refuses it
        diagnostics = [p.to_wire() for p in express_problems(json.loads(req["definition"]))]
        if diagnostics:
            return {"result": "FAIL", "diagnostics": diagnostics[:limit], "truncated": len(diagnostics) > limit}
    return {"result": "OK", "diagnostics": [], "truncated": False}
