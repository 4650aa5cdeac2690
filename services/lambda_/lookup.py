"""Finding functions, versions, aliases and layer versions by the names and ARNs requests
give, in AWS's words when one is missing (the runtime and event sources use these too).

A function is named by its name, `name:qualifier`, a partial ARN
(`123456789012:function:name[:qualifier]`) or a full ARN (with or without a qualifier).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from services.core.arns import build_arn
from services.core.context import RequestContext
from services.lambda_.errors import InvalidParameterValueException, ResourceNotFoundException
from services.lambda_.records import FunctionRecord, FunctionVersionRecord, LambdaStore, LayerVersionRecord

if TYPE_CHECKING:
    from services.lambda_.service import LambdaService

Ctx = RequestContext[LambdaStore]

LATEST = "$LATEST"
_REF = re.compile(
    r"(?:arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:(?P<function>function):)?(?P<name>[a-zA-Z0-9_.-]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?"
)
_LAYER_ARN = re.compile(r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):(?P<account>\d{12}):layer:(?P<name>[a-zA-Z0-9_-]+):(?P<version>\d+)")


def lambda_of(ctx: Ctx) -> LambdaService:
    return ctx.service  # type: ignore[return-value]


def function_arn(ctx: Ctx, name: str, qualifier: str | None = None) -> str:
    """arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]"""
    arn = build_arn("lambda", ctx.region, ctx.account_id, f"function:{name}")
    return f"{arn}:{qualifier}" if qualifier else arn


def split_ref(ctx: Ctx, function_name: str, qualifier: str | None = None) -> tuple[str, str | None]:
    """(name, qualifier) of a function reference: the qualifier in the reference, or the one
    given apart (both must agree); AWS's errors for a malformed or foreign-region reference."""
    match = _REF.fullmatch(function_name or "")
    if match is None or (match["region"] and not match["function"]):
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{function_name}' at 'functionName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
        )
    if match["region"] and match["region"] != ctx.region:
        raise ResourceNotFoundException(f"Functions from '{match['region']}' are not reachable in this region ('{ctx.region}')")
    name, derived = match["name"], match["qualifier"]
    if len(name) > 64:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
            "Member must have length less than or equal to 64"
        )
    if derived and qualifier and derived != qualifier:
        raise InvalidParameterValueException("The derived qualifier from the function name does not match the specified qualifier.")
    if match["account"] and match["account"] != ctx.account_id:
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name, derived or qualifier)}".replace(
            f":{ctx.account_id}:", f":{match['account']}:", 1))
    return name, derived or qualifier


def function_by_ref(ctx: Ctx, function_name: str, qualifier: str | None = None) -> FunctionRecord:
    """The function a reference names; when a qualifier is given (in the reference or apart), the
    version or alias it names must exist too. ResourceNotFoundException
    `Function not found: arn:aws:lambda:...:function:name[:qualifier]` otherwise."""
    name, qualifier = split_ref(ctx, function_name, qualifier)
    function = ctx.store.functions.get(name)
    if function is None or (qualifier and qualifier not in function.versions and qualifier not in function.aliases):
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name, qualifier)}")
    return function


def version_of(ctx: Ctx, function: FunctionRecord, qualifier: str | None) -> FunctionVersionRecord:
    """The version a qualifier names directly or through an alias (its main version, without
    the routing); `$LATEST` when there is none."""
    qualifier = qualifier or LATEST
    if qualifier in function.aliases:
        qualifier = function.aliases[qualifier]["FunctionVersion"]
    version = function.versions.get(qualifier)
    if version is None:
        raise ResourceNotFoundException(f"Function not found: {function.arn}:{qualifier}")
    return version


def resolve_version(ctx: Ctx, function: FunctionRecord, qualifier: str | None) -> tuple[FunctionVersionRecord, str]:
    """The version an invocation runs and its number as the caller sees it (`ExecutedVersion`):
    `$LATEST`, a version, or an alias's version, or with its RoutingConfig the additional
    version by its weight (drawn from the application's seeded randomness)."""
    alias = function.aliases.get(qualifier or "")
    if alias is None:
        version = version_of(ctx, function, qualifier)
        return version, version.version
    chosen = alias["FunctionVersion"]
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    draw = ctx.ids.random.random() if weights else 1.0
    for extra, weight in weights.items():
        if draw < weight:
            chosen = extra
            break
        draw -= weight
    version = function.versions.get(chosen)
    if version is None:
        raise ResourceNotFoundException(f"Function not found: {function.arn}:{chosen}")
    return version, chosen


def code_of(store: LambdaStore, version: FunctionVersionRecord) -> bytes:
    """A version's zip."""
    return store.code[version.code_sha256]


def parse_layer_arn(layer_arn: str) -> tuple[str, str, str, int] | None:
    """(region, account, name, version) of a layer version ARN, None when it is not one."""
    match = _LAYER_ARN.fullmatch(layer_arn or "")
    if match is None:
        return None
    return match["region"], match["account"], match["name"], int(match["version"])


def find_layer_version(store: LambdaStore, layer_arn: str) -> LayerVersionRecord | None:
    parsed = parse_layer_arn(layer_arn)
    if parsed is None:
        return None
    layer = store.layers.get(parsed[2], {}).get(parsed[3])
    return layer if layer is not None and layer.arn == layer_arn else None


def layer_code(store: LambdaStore, layer_arn: str) -> bytes:
    """A layer version's zip; ResourceNotFoundException `Layer version <arn> does not exist.`"""
    layer = find_layer_version(store, layer_arn)
    if layer is None or layer.code_sha256 not in store.code:
        raise ResourceNotFoundException(f"Layer version {layer_arn} does not exist.")
    return store.code[layer.code_sha256]
