"""A function's resource policy (AddPermission, RemovePermission, GetPolicy: stored and shown
as AWS renders it, not enforced) and its tags (TagResource, UntagResource, ListTags)."""

from __future__ import annotations

import json
import re
from typing import Any

from services.core.arns import parse_arn
from services.core.context import Params, Result
from services.lambda_.common import MAX_TAGS, check_tags, statement_policy
from services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from services.lambda_.functions import check_revision
from services.lambda_.lookup import LATEST, Ctx, function_arn, split_ref
from services.lambda_.records import FunctionRecord
from services.lambda_.service import operations

_ACCOUNT = re.compile(r"\d{12}")
_ALIAS = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")


def _principal(principal: str) -> Any:
    """A Principal as the policy shows it: `*`, {"AWS": account root or ARN}, {"Service": ...}."""
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:aws") and ":iam::" in principal:
        return {"AWS": principal}
    if re.fullmatch(r"[a-z0-9.-]+\.(amazonaws\.com|amazon\.com|aws\.internal)", principal):
        return {"Service": principal}
    raise InvalidParameterValueException("The provided principal was invalid. Please check the principal and try again.")


def _policy_target(ctx: Ctx, req: Params) -> tuple[FunctionRecord, str]:
    """The function and qualifier ("" unqualified) whose policy a request names."""
    name, qualifier = split_ref(ctx, req["FunctionName"], req.get("Qualifier"))
    function = ctx.store.functions.get(name)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name, qualifier)}")
    if qualifier and qualifier != LATEST and qualifier not in function.versions and qualifier not in function.aliases:
        if _ALIAS.fullmatch(qualifier):
            raise ResourceNotFoundException(f"Cannot find alias arn: {function.arn}:{qualifier}")
        raise ResourceNotFoundException(f"Function not found: {function.arn}:{qualifier}")
    return function, qualifier or ""


@operations.operation("AddPermission")
async def add_permission(ctx: Ctx, req: Params) -> Result:
    function, qualifier = _policy_target(ctx, req)
    if qualifier == LATEST:
        raise InvalidParameterValueException("We currently do not support adding policies for $LATEST.")
    policy = function.policies.get(qualifier) or {"Statement": [], "RevisionId": ""}
    check_revision(req.get("RevisionId"), policy["RevisionId"], "GetPolicy")
    sid = req["StatementId"]
    if any(statement["Sid"] == sid for statement in policy["Statement"]):
        raise ResourceConflictException(
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
        )
    action = req["Action"]
    statement: dict[str, Any] = {
        "Sid": sid, "Effect": "Allow", "Principal": _principal(req["Principal"]),
        "Action": action if action.startswith("lambda:") or action == "*" else f"lambda:{action}",
        "Resource": f"{function.arn}:{qualifier}" if qualifier else function.arn,
    }
    equals: dict[str, str] = {}
    for member, key in (("SourceAccount", "AWS:SourceAccount"), ("EventSourceToken", "lambda:EventSourceToken"),
                        ("PrincipalOrgID", "aws:PrincipalOrgID"), ("FunctionUrlAuthType", "lambda:FunctionUrlAuthType")):
        if req.get(member):
            equals[key] = req[member]
    condition: dict[str, Any] = {}
    if equals:
        condition["StringEquals"] = equals
    if req.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": req["SourceArn"]}
    if req.get("InvokedViaFunctionUrl"):
        condition.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
    if condition:
        statement["Condition"] = condition
    function.policies[qualifier] = {"Statement": [*policy["Statement"], statement], "RevisionId": ctx.ids.uuid()}
    return {"Statement": json.dumps(statement, separators=(",", ":"))}


@operations.operation("GetPolicy")
async def get_policy(ctx: Ctx, req: Params) -> Result:
    function, qualifier = _policy_target(ctx, req)
    policy = function.policies.get(qualifier)
    if not policy or not policy["Statement"]:
        if qualifier:
            raise ResourceNotFoundException("The resource you requested does not exist.")
        raise ResourceNotFoundException("No policy is associated with the given resource.")
    return {"Policy": statement_policy(policy["Statement"]), "RevisionId": policy["RevisionId"]}


@operations.operation("RemovePermission")
async def remove_permission(ctx: Ctx, req: Params) -> Result:
    function, qualifier = _policy_target(ctx, req)
    policy = function.policies.get(qualifier)
    if not policy or not policy["Statement"]:
        raise ResourceNotFoundException("No policy is associated with the given resource.")
    check_revision(req.get("RevisionId"), policy["RevisionId"], "GetPolicy")
    kept = [statement for statement in policy["Statement"] if statement["Sid"] != req["StatementId"]]
    if len(kept) == len(policy["Statement"]):
        raise ResourceNotFoundException(f"Statement {req['StatementId']} is not found in resource policy.")
    if kept:
        function.policies[qualifier] = {"Statement": kept, "RevisionId": ctx.ids.uuid()}
    else:
        del function.policies[qualifier]
    return {}


# -- tags -----------------------------------------------------------------------------


def taggable(ctx: Ctx, resource: str) -> FunctionRecord:
    """The function an ARN names; tags belong to the function, never to a version or alias."""
    parsed = parse_arn(resource)
    if parsed is None or parsed.service != "lambda" or not parsed.resource.startswith("function:"):
        raise InvalidParameterValueException("An error occurred and the request cannot be processed.")
    parts = parsed.resource.split(":")
    if len(parts) > 2:
        raise InvalidParameterValueException("Tags on function aliases and versions are not supported. Please specify a function ARN.")
    store = ctx.store_at(parsed.account, parsed.region, create=False) if parsed.region else None
    function = store.functions.get(parts[1]) if store is not None else None
    if function is None or function.arn != resource:
        raise ResourceNotFoundException(f"Function not found: {resource}")
    return function


@operations.operation("TagResource")
async def tag_resource(ctx: Ctx, req: Params) -> Result:
    function = taggable(ctx, req["Resource"])
    function.tags.update(check_tags(req["Tags"], function.tags))
    return {}


@operations.operation("UntagResource")
async def untag_resource(ctx: Ctx, req: Params) -> Result:
    function = taggable(ctx, req["Resource"])
    if len(req["TagKeys"]) > MAX_TAGS:
        raise InvalidParameterValueException("Number of tags exceeds resource tag limit.")
    for key in req["TagKeys"]:
        function.tags.pop(key, None)
    return {}


@operations.operation("ListTags")
async def list_tags(ctx: Ctx, req: Params) -> Result:
    return {"Tags": dict(taggable(ctx, req["Resource"]).tags)}
