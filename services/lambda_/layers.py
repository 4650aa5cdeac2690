"""Layers: PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers,
ListLayerVersions, DeleteLayerVersion, and their permissions (AddLayerVersionPermission,
RemoveLayerVersionPermission, GetLayerVersionPolicy: stored and shown, not enforced).

A deleted layer version leaves the API at once; its zip stays while a function version uses
it (AWS keeps a copy for them too), so `lookup.layer_code` still finds it."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from services.core.arns import build_arn
from services.core.context import Params, Result
from services.lambda_.common import check_runtime, page, statement_policy, timestamp
from services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from services.lambda_.functions import UNSUPPORTED_SOURCE, check_revision, code_location, drop_unused_code, store_code
from services.lambda_.lookup import Ctx, parse_layer_arn
from services.lambda_.records import LayerVersionRecord
from services.lambda_.service import operations

_LAYER_NAME = re.compile(r"(?:arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:)?(?P<name>[a-zA-Z0-9-_]+)")
_PRINCIPAL = re.compile(r"\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root")


def layer_arn(ctx: Ctx, name: str) -> str:
    return build_arn("lambda", ctx.region, ctx.account_id, f"layer:{name}")


def _name(layer_name: str) -> str:
    match = _LAYER_NAME.fullmatch(layer_name or "")
    if match is None or len(match["name"]) > 140:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{layer_name}' at 'layerName' failed to satisfy constraint: Member must "
            r"satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+"
        )
    return match["name"]


def rendered(ctx: Ctx, layer: LayerVersionRecord) -> dict[str, Any]:
    """GetLayerVersion's answer: the record's with the zip's Location."""
    config = copy.deepcopy(layer.config)
    config["Content"]["Location"] = code_location(ctx, layer.code_sha256)
    return config


def list_item(layer: LayerVersionRecord) -> dict[str, Any]:
    """A LayerVersionsListItem: the version without its Content and LayerArn."""
    return {k: copy.deepcopy(v) for k, v in layer.config.items() if k not in ("Content", "LayerArn")}


def live(ctx: Ctx, name: str) -> list[LayerVersionRecord]:
    """A layer's versions the API shows, newest first."""
    versions = ctx.store.layers.get(name, {})
    return [versions[n] for n in sorted(versions, reverse=True) if not versions[n].deleted]


def layer_version(ctx: Ctx, layer_name: str, number: int) -> LayerVersionRecord:
    name = _name(layer_name)
    if number < 1:
        raise InvalidParameterValueException("Layer Version Cannot be less than 1")
    layer = ctx.store.layers.get(name, {}).get(number)
    if layer is None or layer.deleted:
        raise ResourceNotFoundException(f"Layer version {layer_arn(ctx, name)}:{number} does not exist.")
    return layer


@operations.operation("PublishLayerVersion")
async def publish_layer_version(ctx: Ctx, req: Params) -> Result:
    name = _name(req["LayerName"])
    content = req["Content"]
    if content.get("S3Bucket") or content.get("S3Key"):
        raise InvalidParameterValueException(UNSUPPORTED_SOURCE.format(what="layer content from S3 (S3Bucket/S3Key)"))
    if not content.get("ZipFile"):
        raise InvalidParameterValueException("Please provide a source for layer content.")
    for runtime in req.get("CompatibleRuntimes") or []:
        check_runtime(runtime)
    hex_digest, b64_digest, size = store_code(ctx, content["ZipFile"], "PublishLayerVersion")
    store = ctx.store
    number = store.next_layer_version.get(name, 1)
    store.next_layer_version[name] = number + 1
    arn = layer_arn(ctx, name)
    config: dict[str, Any] = {
        "Content": {"CodeSha256": b64_digest, "CodeSize": size},
        "LayerArn": arn, "LayerVersionArn": f"{arn}:{number}", "Description": req.get("Description", ""),
        "CreatedDate": timestamp(ctx.clock.now()), "Version": number,
    }
    for key in ("CompatibleRuntimes", "LicenseInfo", "CompatibleArchitectures"):
        if req.get(key):
            config[key] = copy.deepcopy(req[key])
    layer = LayerVersionRecord(name=name, version=number, arn=f"{arn}:{number}", config=config, code_sha256=hex_digest)
    store.layers.setdefault(name, {})[number] = layer
    return rendered(ctx, layer)


@operations.operation("GetLayerVersion")
async def get_layer_version(ctx: Ctx, req: Params) -> Result:
    return rendered(ctx, layer_version(ctx, req["LayerName"], req["VersionNumber"]))


@operations.operation("GetLayerVersionByArn")
async def get_layer_version_by_arn(ctx: Ctx, req: Params) -> Result:
    parsed = parse_layer_arn(req["Arn"])
    if parsed is None:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{req['Arn']}' at 'arn' failed to satisfy constraint: Member must satisfy "
            r"regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)"
        )
    region, account, name, number = parsed
    store = ctx.store_at(account, region, create=False)
    layer = store.layers.get(name, {}).get(number) if store is not None else None
    if layer is None or layer.deleted:
        raise ResourceNotFoundException(f"Layer version {req['Arn']} does not exist.")
    return rendered(ctx, layer)


def _matches(layer: LayerVersionRecord, req: Params) -> bool:
    runtime, architecture = req.get("CompatibleRuntime"), req.get("CompatibleArchitecture")
    if runtime and runtime not in layer.config.get("CompatibleRuntimes", []):
        return False
    return not architecture or architecture in layer.config.get("CompatibleArchitectures", [])


@operations.operation("ListLayers")
async def list_layers(ctx: Ctx, req: Params) -> Result:
    items = []
    for name in sorted(ctx.store.layers):
        matching = [layer for layer in live(ctx, name) if _matches(layer, req)]
        if matching:
            items.append({"LayerName": name, "LayerArn": layer_arn(ctx, name), "LatestMatchingVersion": list_item(matching[0])})
    return page(items, req, lambda item: item, "Layers")


@operations.operation("ListLayerVersions")
async def list_layer_versions(ctx: Ctx, req: Params) -> Result:
    name = _name(req["LayerName"])
    versions = [layer for layer in live(ctx, name) if _matches(layer, req)]
    return page(versions, req, list_item, "LayerVersions")


@operations.operation("DeleteLayerVersion")
async def delete_layer_version(ctx: Ctx, req: Params) -> Result:
    name = _name(req["LayerName"])
    layer = ctx.store.layers.get(name, {}).get(req["VersionNumber"])
    if layer is not None and not layer.deleted:
        layer.deleted = True
        drop_unused_code(ctx)
    return {}


# -- permissions ----------------------------------------------------------------------


@operations.operation("AddLayerVersionPermission")
async def add_layer_version_permission(ctx: Ctx, req: Params) -> Result:
    layer = layer_version(ctx, req["LayerName"], req["VersionNumber"])
    if req["Action"] != "lambda:GetLayerVersion":
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{req['Action']}' at 'action' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: lambda:GetLayerVersion"
        )
    principal = req["Principal"]
    if not _PRINCIPAL.fullmatch(principal):
        raise InvalidParameterValueException("The provided principal was invalid. Please check the principal and try again.")
    check_revision(req.get("RevisionId"), layer.policy_revision or "", "GetLayerPolicy")
    sid = req["StatementId"]
    if any(statement["Sid"] == sid for statement in layer.policy):
        raise ResourceConflictException(
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
        )
    shown: Any = principal if principal == "*" or principal.startswith("arn:") else f"arn:aws:iam::{principal}:root"
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": shown if shown == "*" else {"AWS": shown},
                                 "Action": "lambda:GetLayerVersion", "Resource": layer.arn}
    if req.get("OrganizationId"):
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": req["OrganizationId"]}}
    layer.policy.append(statement)
    layer.policy_revision = ctx.ids.uuid()
    return {"Statement": json.dumps(statement, separators=(",", ":")), "RevisionId": layer.policy_revision}


@operations.operation("GetLayerVersionPolicy")
async def get_layer_version_policy(ctx: Ctx, req: Params) -> Result:
    layer = layer_version(ctx, req["LayerName"], req["VersionNumber"])
    if not layer.policy:
        raise ResourceNotFoundException("No policy is associated with the given resource.")
    return {"Policy": statement_policy(layer.policy), "RevisionId": layer.policy_revision}


@operations.operation("RemoveLayerVersionPermission")
async def remove_layer_version_permission(ctx: Ctx, req: Params) -> Result:
    layer = layer_version(ctx, req["LayerName"], req["VersionNumber"])
    check_revision(req.get("RevisionId"), layer.policy_revision or "", "GetLayerPolicy")
    kept = [statement for statement in layer.policy if statement["Sid"] != req["StatementId"]]
    if len(kept) == len(layer.policy):
        raise ResourceNotFoundException(f"Statement {req['StatementId']} is not found in resource policy.")
    layer.policy = kept
    layer.policy_revision = ctx.ids.uuid()
    return {}
