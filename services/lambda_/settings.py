"""Reserved concurrency (Put/Get/DeleteFunctionConcurrency), GetAccountSettings, and the
asynchronous-invocation configuration (Put/Get/Update/Delete/ListFunctionEventInvokeConfigs):
stored here, applied by the runtime (retries, maximum age, destinations)."""

from __future__ import annotations

import copy
from typing import Any

from services.core.arns import parse_arn
from services.core.context import Params, Result
from services.lambda_.common import MAX_UNZIPPED, MAX_ZIPPED, page
from services.lambda_.errors import InvalidParameterValueException, ResourceNotFoundException
from services.lambda_.lookup import LATEST, Ctx, function_arn, split_ref
from services.lambda_.records import FunctionRecord
from services.lambda_.service import operations

ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED = 100
TOTAL_CODE_SIZE = 80 * 1024 * 1024 * 1024  # 75 GB of function and layer storage
DESTINATION_SERVICES = ("sqs", "sns", "lambda", "events")


def _function_only(ctx: Ctx, function_name: str) -> FunctionRecord:
    name, qualifier = split_ref(ctx, function_name)
    if qualifier:
        raise InvalidParameterValueException(
            "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. "
            "Please specify either a function name or an unqualified function ARN."
        )
    function = ctx.store.functions.get(name)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name)}")
    return function


def reserved_total(ctx: Ctx, *, besides: str | None = None) -> int:
    return sum(f.reserved_concurrency or 0 for f in ctx.store.functions.values() if f.name != besides)


@operations.operation("PutFunctionConcurrency")
async def put_function_concurrency(ctx: Ctx, req: Params) -> Result:
    function = _function_only(ctx, req["FunctionName"])
    wanted = req["ReservedConcurrentExecutions"]
    if ACCOUNT_CONCURRENCY - reserved_total(ctx, besides=function.name) - wanted < MIN_UNRESERVED:
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
            f"below its minimum value of [{MIN_UNRESERVED}]."
        )
    function.reserved_concurrency = wanted
    return {"ReservedConcurrentExecutions": wanted}


@operations.operation("GetFunctionConcurrency")
async def get_function_concurrency(ctx: Ctx, req: Params) -> Result:
    function = _function_only(ctx, req["FunctionName"])
    return {} if function.reserved_concurrency is None else {"ReservedConcurrentExecutions": function.reserved_concurrency}


@operations.operation("DeleteFunctionConcurrency")
async def delete_function_concurrency(ctx: Ctx, req: Params) -> Result:
    _function_only(ctx, req["FunctionName"]).reserved_concurrency = None
    return {}


@operations.operation("GetAccountSettings")
async def get_account_settings(ctx: Ctx, req: Params) -> Result:
    store = ctx.store
    used = sum(len(code) for code in store.code.values())
    return {
        "AccountLimit": {
            "TotalCodeSize": TOTAL_CODE_SIZE, "CodeSizeUnzipped": MAX_UNZIPPED, "CodeSizeZipped": MAX_ZIPPED,
            "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
            "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - reserved_total(ctx),
        },
        "AccountUsage": {"TotalCodeSize": used, "FunctionCount": len(store.functions)},
    }


# -- asynchronous invocation ---------------------------------------------------------


def _target(ctx: Ctx, function_name: str, qualifier: str | None, *, reading: bool = False) -> tuple[FunctionRecord, str]:
    """The function and qualifier ($LATEST by default) an invoke config belongs to."""
    name, qualifier = split_ref(ctx, function_name, qualifier)
    qualifier = qualifier or LATEST
    function = ctx.store.functions.get(name)
    if function is None or (qualifier not in function.versions and qualifier not in function.aliases):
        if reading:
            raise ResourceNotFoundException(f"The function {function_arn(ctx, name, qualifier)} doesn't have an EventInvokeConfig")
        if function is None:
            raise ResourceNotFoundException("The function doesn't exist.")
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name, qualifier)}")
    return function, qualifier


def _destinations(ctx: Ctx, function: FunctionRecord, config: dict[str, Any] | None) -> dict[str, Any]:
    config = copy.deepcopy(config or {})
    for key in ("OnSuccess", "OnFailure"):
        destination = (config.get(key) or {}).get("Destination")
        if not destination:
            continue
        parsed = parse_arn(destination)
        if parsed is None or parsed.service not in DESTINATION_SERVICES or (parsed.service == "lambda" and not parsed.resource.startswith("function:")):
            success = f"OnSuccess(destination={destination})" if key == "OnSuccess" else "null"
            failure = f"OnFailure(destination={destination})" if key == "OnFailure" else "null"
            raise InvalidParameterValueException(
                f"The provided destination config DestinationConfig(onSuccess={success}, onFailure={failure}) is invalid."
            )
        if parsed.service == "lambda":
            target = parsed.resource.split(":")[1]
            if target == function.name:
                raise InvalidParameterValueException("You can't specify the function as a destination for itself.")
            store = ctx.store_at(parsed.account, parsed.region, create=False)
            if store is None or target not in store.functions:
                raise InvalidParameterValueException(f"The destination ARN {destination} is invalid.")
    return {key: value for key, value in config.items() if value}


def _rendered(function: FunctionRecord, qualifier: str, config: dict[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(config), "FunctionArn": f"{function.arn}:{qualifier}"}


def _write(ctx: Ctx, req: Params, base: dict[str, Any]) -> Result:
    function, qualifier = _target(ctx, req["FunctionName"], req.get("Qualifier"))
    members = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
    if not any(key in req for key in members):
        raise InvalidParameterValueException("You must specify at least one of error handling or destination setting.")
    config = copy.deepcopy(base) if base else {}
    for key in members:
        if key in req:
            config[key] = _destinations(ctx, function, req[key]) if key == "DestinationConfig" else req[key]
    config.setdefault("DestinationConfig", {})
    config["LastModified"] = ctx.clock.now()
    function.event_invoke_configs[qualifier] = config
    return _rendered(function, qualifier, config)


@operations.operation("PutFunctionEventInvokeConfig")
async def put_function_event_invoke_config(ctx: Ctx, req: Params) -> Result:
    return _write(ctx, req, {})


@operations.operation("UpdateFunctionEventInvokeConfig")
async def update_function_event_invoke_config(ctx: Ctx, req: Params) -> Result:
    function, qualifier = _target(ctx, req["FunctionName"], req.get("Qualifier"))
    return _write(ctx, req, function.event_invoke_configs.get(qualifier, {}))


@operations.operation("GetFunctionEventInvokeConfig")
async def get_function_event_invoke_config(ctx: Ctx, req: Params) -> Result:
    function, qualifier = _target(ctx, req["FunctionName"], req.get("Qualifier"), reading=True)
    config = function.event_invoke_configs.get(qualifier)
    if config is None:
        raise ResourceNotFoundException(f"The function {function.arn}:{qualifier} doesn't have an EventInvokeConfig")
    return _rendered(function, qualifier, config)


@operations.operation("DeleteFunctionEventInvokeConfig")
async def delete_function_event_invoke_config(ctx: Ctx, req: Params) -> Result:
    function, qualifier = _target(ctx, req["FunctionName"], req.get("Qualifier"), reading=True)
    if function.event_invoke_configs.pop(qualifier, None) is None:
        raise ResourceNotFoundException(f"The function {function.arn}:{qualifier} doesn't have an EventInvokeConfig")
    return {}


@operations.operation("ListFunctionEventInvokeConfigs")
async def list_function_event_invoke_configs(ctx: Ctx, req: Params) -> Result:
    name, qualifier = split_ref(ctx, req["FunctionName"])
    function = ctx.store.functions.get(name)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name)}")
    items = sorted(function.event_invoke_configs.items())
    return page(items, req, lambda item: _rendered(function, item[0], item[1]), "FunctionEventInvokeConfigs")
