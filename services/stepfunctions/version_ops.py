"""State machine versions and aliases: publish, list, delete; create, describe, update,
delete and list aliases.

LIMITATIONS: an alias's versions must all exist and belong to the alias's machine; the
messages for those two cases (and for an UpdateStateMachineAlias that changes nothing) are
ours, AWS's are not recorded.
"""

from __future__ import annotations

import re
from typing import Any

from services.core.context import Params, RequestContext, Result
from services.stepfunctions.errors import (
    ConflictException,
    InvalidArn,
    ResourceNotFound,
    ServiceQuotaExceededException,
    StateMachineDeleting,
    ValidationException,
)
from services.stepfunctions.machine_ops import require_state_machine, store_of
from services.stepfunctions.models import MachineAlias, SfnStore
from services.stepfunctions.names import arn_parts, paged_result
from services.stepfunctions.service import operations
from services.stepfunctions.versions import MAX_ALIASES, aliases_of, publish, versions_of

Ctx = RequestContext[SfnStore]
NOT_FOUND = "Request references a resource that does not exist."
ALIAS_NAME = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$"  # the model's pattern: not only digits (those are versions)


def is_version_arn(arn: str) -> bool:
    try:
        _, _, _, names = arn_parts(arn, "stateMachine")
    except InvalidArn:
        return False
    return len(names) == 2 and names[1].isdigit()


def machine_arn_of(arn: str) -> str:
    """The state machine ARN of a version or alias ARN (`<machine arn>:<qualifier>`)."""
    return arn.rsplit(":", 1)[0]


# -- versions -----------------------------------------------------------------------------


@operations.operation("PublishStateMachineVersion")
async def publish_state_machine_version(ctx: Ctx, req: Params) -> Result:
    machine = require_state_machine(ctx, req["stateMachineArn"])
    if machine.status != "ACTIVE":
        raise StateMachineDeleting(f"State Machine is being deleted: '{machine.arn}'")
    store = store_of(ctx, machine.arn, "stateMachine")
    version = publish(store, machine, ctx.clock.now(), req.get("description"), req.get("revisionId"))
    return {"creationDate": version.created_at, "stateMachineVersionArn": version.arn}


@operations.operation("ListStateMachineVersions")
async def list_state_machine_versions(ctx: Ctx, req: Params) -> Result:
    arn = req["stateMachineArn"]
    versions = versions_of(store_of(ctx, arn, "stateMachine"), arn)
    return paged_result(
        "stateMachineVersions", versions, req,
        lambda v: {"stateMachineVersionArn": v.arn, "creationDate": v.created_at},
    )


@operations.operation("DeleteStateMachineVersion")
async def delete_state_machine_version(ctx: Ctx, req: Params) -> Result:
    arn = req["stateMachineVersionArn"]
    store = store_of(ctx, arn, "stateMachine")
    if not is_version_arn(arn):
        raise ValidationException(f"Invalid State Machine Version Arn: '{arn}'")
    if arn not in store.versions:
        return {}  # as on AWS: deleting a version that is gone succeeds
    referencing = [
        a.name for a in aliases_of(store, machine_arn_of(arn))
        if any(r["stateMachineVersionArn"] == arn for r in a.routing)
    ]
    if referencing:
        raise ConflictException(
            "Version to be deleted must not be referenced by an alias. "
            f"Current list of aliases referencing this version: [{', '.join(referencing)}]"
        )
    del store.versions[arn]
    return {}


# -- aliases ------------------------------------------------------------------------------


def _routing(ctx: Ctx, items: list[dict[str, Any]], machine_arn: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(machine ARN, routing) after AWS's checks, in AWS's order."""
    arns = [item["stateMachineVersionArn"] for item in items]
    if not all(is_version_arn(arn) for arn in arns):
        raise ValidationException(f"Routing configuration must contain state machine version ARNs. Received: [{', '.join(arns)}]")
    if len(set(arns)) != len(arns):
        raise ValidationException(
            f"Routing configuration must contain distinct state machine version ARNs. Received: [{', '.join(arns)}]"
        )
    weights = [item["weight"] for item in items]
    if sum(weights) != 100:
        raise ValidationException(
            f"Sum of routing configuration weights must equal 100. Received: [{', '.join(map(str, weights))}]"
        )
    machines = {machine_arn_of(arn) for arn in arns}
    if len(machines) != 1 or (machine_arn is not None and machines != {machine_arn}):
        raise ValidationException("Routing configuration must contain versions of the same state machine as the alias.")
    owner = machines.pop()
    machine = require_state_machine(ctx, owner)
    if machine.status != "ACTIVE":
        raise StateMachineDeleting(f"State Machine is being deleted: '{machine.arn}'")
    store = store_of(ctx, owner, "stateMachine")
    if any(arn not in store.versions for arn in arns):
        raise ResourceNotFound(NOT_FOUND, resourceName=next(a for a in arns if a not in store.versions))
    return owner, [{"stateMachineVersionArn": arn, "weight": weight} for arn, weight in zip(arns, weights)]


def require_alias(ctx: Ctx, arn: str) -> MachineAlias:
    alias = store_of(ctx, arn, "stateMachine").aliases.get(arn)
    if alias is None:
        raise ResourceNotFound(NOT_FOUND, resourceName=arn)
    return alias


@operations.operation("CreateStateMachineAlias")
async def create_state_machine_alias(ctx: Ctx, req: Params) -> Result:
    if not re.match(ALIAS_NAME, req["name"]):
        raise ValidationException(
            f"1 validation error detected: Value '{req['name']}' at 'name' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {ALIAS_NAME}"
        )
    machine_arn, routing = _routing(ctx, req["routingConfiguration"])
    store = store_of(ctx, machine_arn, "stateMachine")
    arn = f"{machine_arn}:{req['name']}"
    existing = store.aliases.get(arn)
    if existing is not None:
        if (existing.routing, existing.description) != (routing, req.get("description")):
            raise ConflictException(
                "Failed to create alias because an alias with the same name and a different routing configuration "
                "already exists."
            )
        return {"stateMachineAliasArn": arn, "creationDate": existing.created_at}
    if len(aliases_of(store, machine_arn)) >= MAX_ALIASES:
        raise ServiceQuotaExceededException(
            f"Maximum number of aliases ({MAX_ALIASES}) reached for state machine: '{machine_arn}'"
        )
    now = ctx.clock.now()
    store.aliases[arn] = MachineAlias(arn, machine_arn, req["name"], routing, now, now, req.get("description"))
    return {"stateMachineAliasArn": arn, "creationDate": now}


@operations.operation("DescribeStateMachineAlias")
async def describe_state_machine_alias(ctx: Ctx, req: Params) -> Result:
    alias = require_alias(ctx, req["stateMachineAliasArn"])
    result: Result = {
        "stateMachineAliasArn": alias.arn,
        "name": alias.name,
        "routingConfiguration": alias.routing,
        "creationDate": alias.created_at,
        "updateDate": alias.updated_at,
    }
    if alias.description is not None:
        result["description"] = alias.description
    return result


@operations.operation("UpdateStateMachineAlias")
async def update_state_machine_alias(ctx: Ctx, req: Params) -> Result:
    alias = require_alias(ctx, req["stateMachineAliasArn"])
    if req.get("description") is None and req.get("routingConfiguration") is None:
        raise ValidationException("Either the description or the routing configuration must be specified")
    if req.get("routingConfiguration") is not None:
        _, alias.routing = _routing(ctx, req["routingConfiguration"], alias.machine_arn)
    if req.get("description") is not None:
        alias.description = req["description"]
    alias.updated_at = ctx.clock.now()
    return {"updateDate": alias.updated_at}


@operations.operation("DeleteStateMachineAlias")
async def delete_state_machine_alias(ctx: Ctx, req: Params) -> Result:
    arn = req["stateMachineAliasArn"]
    store_of(ctx, arn, "stateMachine").aliases.pop(arn, None)
    return {}


@operations.operation("ListStateMachineAliases")
async def list_state_machine_aliases(ctx: Ctx, req: Params) -> Result:
    machine = require_state_machine(ctx, req["stateMachineArn"])
    aliases = sorted(aliases_of(store_of(ctx, machine.arn, "stateMachine"), machine.arn), key=lambda a: a.created_at)
    return paged_result(
        "stateMachineAliases", aliases, req,
        lambda a: {"stateMachineAliasArn": a.arn, "creationDate": a.created_at},
    )
