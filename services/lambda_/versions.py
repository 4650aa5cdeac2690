"""PublishVersion, ListVersionsByFunction and the aliases: CreateAlias, GetAlias, UpdateAlias,
DeleteAlias, ListAliases (RoutingConfig: one additional version and its weight)."""

from __future__ import annotations

import copy
import re
from typing import Any

from services.core.context import Params, Result
from services.lambda_.common import page
from services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from services.lambda_.functions import check_revision, publish
from services.lambda_.lookup import LATEST, Ctx, function_arn, function_by_ref, split_ref
from services.lambda_.records import FunctionRecord
from services.lambda_.service import operations

_ALIAS = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")


def _unqualified(ctx: Ctx, function_name: str) -> FunctionRecord:
    name, qualifier = split_ref(ctx, function_name)
    function = ctx.store.functions.get(name)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name)}")
    return function


def _ordered(function: FunctionRecord) -> list[Any]:
    numbered = sorted((v for k, v in function.versions.items() if k != LATEST), key=lambda v: int(v.version))
    return [function.versions[LATEST], *numbered]


@operations.operation("PublishVersion")
async def publish_version(ctx: Ctx, req: Params) -> Result:
    function = _unqualified(ctx, req["FunctionName"])
    latest = function.versions[LATEST].config
    given = req.get("CodeSha256")
    if given is not None and given != latest["CodeSha256"]:
        raise InvalidParameterValueException(
            f"CodeSHA256 ({given}) is different from current CodeSHA256 in $LATEST ({latest['CodeSha256']}). "
            "Please try again with the CodeSHA256 in $LATEST."
        )
    check_revision(req.get("RevisionId"), latest["RevisionId"])
    return publish(ctx, function, req.get("Description"))


@operations.operation("ListVersionsByFunction")
async def list_versions_by_function(ctx: Ctx, req: Params) -> Result:
    function = _unqualified(ctx, req["FunctionName"])
    return page([v.config for v in _ordered(function)], req, copy.deepcopy, "Versions")


def _routing(ctx: Ctx, function: FunctionRecord, main: str, routing: dict[str, Any] | None) -> dict[str, Any] | None:
    """RoutingConfig as AWS validates it: at most one additional version, published, not the
    alias's own version, and never with $LATEST."""
    weights = dict((routing or {}).get("AdditionalVersionWeights") or {})
    if not weights:
        return None
    if len(weights) > 1:
        raise InvalidParameterValueException("Number of items in AdditionalVersionWeights cannot be greater than 1")
    if main == LATEST:
        raise InvalidParameterValueException("$LATEST is not supported for an alias pointing to more than 1 version")
    for version, weight in weights.items():
        if version == main:
            raise InvalidParameterValueException(
                f"Invalid function version {version}. Function version {version} is already included in routing configuration."
            )
        if version not in function.versions or version == LATEST:
            raise ResourceNotFoundException(f"Function not found: {function.arn}:{version}")
        if not 0.0 <= weight <= 1.0:
            raise InvalidParameterValueException(
                f"Invalid weight {weight} for version {version}: a weight must be between 0.0 and 1.0."
            )
    return {"AdditionalVersionWeights": weights}


def _check_version(function: FunctionRecord, version: str) -> None:
    if version not in function.versions:
        raise ResourceNotFoundException(f"Function not found: {function.arn}:{version}")


@operations.operation("CreateAlias")
async def create_alias(ctx: Ctx, req: Params) -> Result:
    function = _unqualified(ctx, req["FunctionName"])
    name, version = req["Name"], req["FunctionVersion"]
    if not _ALIAS.fullmatch(name) or name == LATEST:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )
    _check_version(function, version)
    arn = f"{function.arn}:{name}"
    if name in function.aliases:
        raise ResourceConflictException(f"Alias already exists: {arn}")
    alias: dict[str, Any] = {"AliasArn": arn, "Name": name, "FunctionVersion": version,
                             "Description": req.get("Description", ""), "RevisionId": ctx.ids.uuid()}
    routing = _routing(ctx, function, version, req.get("RoutingConfig"))
    if routing:
        alias["RoutingConfig"] = routing
    function.aliases[name] = alias
    return copy.deepcopy(alias)


def _alias(function: FunctionRecord, name: str, wording: str = "Cannot find alias arn: ") -> dict[str, Any]:
    alias = function.aliases.get(name)
    if alias is None:
        raise ResourceNotFoundException(f"{wording}{function.arn}:{name}")
    return alias


@operations.operation("GetAlias")
async def get_alias(ctx: Ctx, req: Params) -> Result:
    function = _unqualified(ctx, req["FunctionName"])
    return copy.deepcopy(_alias(function, req["Name"]))


@operations.operation("UpdateAlias")
async def update_alias(ctx: Ctx, req: Params) -> Result:
    function = _unqualified(ctx, req["FunctionName"])
    alias = _alias(function, req["Name"], "Alias not found: ")
    check_revision(req.get("RevisionId"), alias["RevisionId"])
    version = req.get("FunctionVersion", alias["FunctionVersion"])
    _check_version(function, version)
    routing = _routing(ctx, function, version, req["RoutingConfig"] if "RoutingConfig" in req else alias.get("RoutingConfig"))
    updated = {**alias, "FunctionVersion": version, "RevisionId": ctx.ids.uuid()}
    if "Description" in req:
        updated["Description"] = req["Description"]
    updated.pop("RoutingConfig", None)
    if routing:
        updated["RoutingConfig"] = routing
    function.aliases[req["Name"]] = updated
    return copy.deepcopy(updated)


@operations.operation("DeleteAlias")
async def delete_alias(ctx: Ctx, req: Params) -> Result:
    function = _unqualified(ctx, req["FunctionName"])
    if function.aliases.pop(req["Name"], None) is not None:
        function.event_invoke_configs.pop(req["Name"], None)
        function.policies.pop(req["Name"], None)
    return {}


@operations.operation("ListAliases")
async def list_aliases(ctx: Ctx, req: Params) -> Result:
    function = function_by_ref(ctx, req["FunctionName"])
    aliases = [a for _, a in sorted(function.aliases.items())]
    if req.get("FunctionVersion"):
        aliases = [a for a in aliases if a["FunctionVersion"] == req["FunctionVersion"]]
    return page(aliases, req, copy.deepcopy, "Aliases")
