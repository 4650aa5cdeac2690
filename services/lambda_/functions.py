"""CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, DeleteFunction,
UpdateFunctionCode and UpdateFunctionConfiguration.

Where we knowingly differ from AWS: code comes from `Code.ZipFile` only (S3 and container
images answer InvalidParameterValueException); a function is Active, and an update Successful,
as soon as the request that made it returns: the answer itself says Pending / InProgress as AWS's
does, and the next read sees the settled state (with a new RevisionId, as on AWS).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from services.core.context import Params, Result
from services.lambda_.common import (
    MAX_LAYERS,
    MAX_UNZIPPED,
    check_environment,
    check_handler,
    check_range,
    check_role,
    check_runtime,
    check_tags,
    page,
    timestamp,
    unzipped_size,
    zip_digest,
)
from services.lambda_.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from services.lambda_.lookup import (
    LATEST,
    Ctx,
    find_layer_version,
    function_arn,
    function_by_ref,
    parse_layer_arn,
    split_ref,
    version_of,
)
from services.lambda_.records import FunctionRecord, FunctionVersionRecord
from services.lambda_.service import operations

UNSUPPORTED_SOURCE = "stepstack does not support {what} yet: upload the deployment package as Code.ZipFile."
def code_location(ctx: Ctx, sha256_hex: str) -> str:
    """Where a client downloads a zip stepstack keeps (server/admin.py serves it)."""
    return f"http://{ctx.host}/_stepstack/lambda/code?Account={ctx.account_id}&Region={ctx.region}&Sha256={sha256_hex}"


def changed(ctx: Ctx, function: FunctionRecord, version: str, change: str) -> None:
    if ctx.events.active:
        ctx.events.publish(function.arn, {"type": "FunctionChanged", "version": version, "change": change})


def check_revision(expected: str | None, current: str, api: str = "GetFunction/GetAlias") -> None:
    if expected is not None and expected != current:
        raise PreconditionFailedException(
            f"The Revision Id provided does not match the latest Revision Id. Call the {api} API to retrieve the latest Revision Id"
        )


def layers_config(ctx: Ctx, arns: list[str]) -> list[dict[str, Any]]:
    """Function.Layers: up to five layer versions that exist, in this region, one per layer."""
    if len(arns) > MAX_LAYERS:
        raise InvalidParameterValueException("Cannot reference more than 5 layers.")
    seen: dict[str, str] = {}
    result = []
    for arn in arns:
        parsed = parse_layer_arn(arn)
        if parsed is None:
            raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
        region, account, name, number = parsed
        if region != ctx.region:
            raise InvalidParameterValueException(
                f"Layers are not in the same region as the function. Layers are expected to be in region {ctx.region}."
            )
        layer_key = arn.rsplit(":", 1)[0]
        if layer_key in seen:
            raise InvalidParameterValueException(
                "Two different versions of the same layer are not allowed to be referenced in the same function. "
                f"{seen[layer_key]} and {arn} are versions of the same layer."
            )
        seen[layer_key] = arn
        store = ctx.store_at(account, region, create=False)
        layer = find_layer_version(store, arn) if store is not None else None
        if layer is None:
            raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
        result.append({"Arn": arn, "CodeSize": layer.config["Content"]["CodeSize"]})
    return result


def _check_total_size(ctx: Ctx, code: bytes, layers: list[dict[str, Any]], operation: str) -> None:
    """AWS's checks of a zip (zip_digest), then the 250 MB unzipped of code and layers together."""
    zip_digest(code, operation)
    total = unzipped_size(code)
    for layer in layers:
        region, account, name, number = parse_layer_arn(layer["Arn"])  # type: ignore[misc]
        store = ctx.store_at(account, region, create=False)
        record = store.layers[name][number]
        total += unzipped_size(store.code[record.code_sha256])
    if total >= MAX_UNZIPPED:
        raise InvalidParameterValueException(
            f"Function code combined with layers exceeds the maximum allowed size of {MAX_UNZIPPED} bytes. "
            f"The actual size is {total} bytes."
        )


def _zip_from(code: dict[str, Any]) -> bytes:
    if code.get("ImageUri"):
        raise InvalidParameterValueException(UNSUPPORTED_SOURCE.format(what="container images (ImageUri)"))
    if code.get("S3Bucket") or code.get("S3Key"):
        raise InvalidParameterValueException(UNSUPPORTED_SOURCE.format(what="code from S3 (S3Bucket/S3Key)"))
    data = code.get("ZipFile")
    if not data:
        raise InvalidParameterValueException("Please provide a source for function code.")
    return data


def _validate(ctx: Ctx, req: Params) -> None:
    """The members CreateFunction and UpdateFunctionConfiguration share."""
    if "Runtime" in req:
        check_runtime(req["Runtime"])
    if "Role" in req:
        check_role(req["Role"])
    if "Handler" in req:
        check_handler(req["Handler"])
    check_range(req.get("Timeout"), 1, 900, "timeout")
    check_range(req.get("MemorySize"), 128, 10240, "memorySize")
    if "EphemeralStorage" in req:
        check_range(req["EphemeralStorage"]["Size"], 512, 10240, "ephemeralStorage.size")


def _apply(ctx: Ctx, config: dict[str, Any], req: Params) -> None:
    """Write the configuration members a request sets into `config`."""
    for key in ("Runtime", "Role", "Handler", "Description", "Timeout", "MemorySize", "KMSKeyArn"):
        if key in req:
            config[key] = req[key]
    if "Environment" in req:
        config["Environment"] = check_environment(req["Environment"])
    if "Layers" in req:
        layers = layers_config(ctx, req["Layers"])
        if layers:
            config["Layers"] = layers
        else:
            config.pop("Layers", None)
    if "DeadLetterConfig" in req:
        target = (req["DeadLetterConfig"] or {}).get("TargetArn")
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        else:
            config.pop("DeadLetterConfig", None)
    if "TracingConfig" in req:
        config["TracingConfig"] = {"Mode": req["TracingConfig"].get("Mode", "PassThrough")}
    if "EphemeralStorage" in req:
        config["EphemeralStorage"] = {"Size": req["EphemeralStorage"]["Size"]}
    if "LoggingConfig" in req:
        logging = {**config.get("LoggingConfig", {}), **req["LoggingConfig"]}
        if logging.get("LogFormat") != "JSON":
            logging.pop("ApplicationLogLevel", None)
            logging.pop("SystemLogLevel", None)
        config["LoggingConfig"] = logging
    if "VpcConfig" in req:
        vpc = req["VpcConfig"]
        config["VpcConfig"] = {"SubnetIds": vpc.get("SubnetIds", []), "SecurityGroupIds": vpc.get("SecurityGroupIds", []),
                               "VpcId": "vpc-" + hashlib.sha256(repr(vpc).encode()).hexdigest()[:17] if vpc.get("SubnetIds") else "",
                               "Ipv6AllowedForDualStack": vpc.get("Ipv6AllowedForDualStack", False)}
    if "FileSystemConfigs" in req:
        config["FileSystemConfigs"] = req["FileSystemConfigs"]
    if "SnapStart" in req:
        config["SnapStart"] = {"ApplyOn": req["SnapStart"].get("ApplyOn", "None"), "OptimizationStatus": "Off"}
    if "Runtime" in req:
        config["RuntimeVersionConfig"] = {"RuntimeVersionArn": runtime_version_arn(ctx, req["Runtime"])}


def runtime_version_arn(ctx: Ctx, runtime: str) -> str:
    digest = hashlib.sha256(runtime.encode()).hexdigest()
    return f"arn:aws:lambda:{ctx.region}::runtime:{digest}"


def store_code(ctx: Ctx, data: bytes, operation: str) -> tuple[str, str, int]:
    """Check a zip and keep it once by its digest: (hex, base64 CodeSha256, size)."""
    hex_digest, b64_digest, size = zip_digest(data, operation)
    ctx.store.code.setdefault(hex_digest, data)
    return hex_digest, b64_digest, size


def drop_unused_code(ctx: Ctx) -> None:
    """Forget deleted layer versions no function version uses, then zips nothing refers to."""
    store = ctx.store
    in_use = {entry["Arn"] for f in store.functions.values() for v in f.versions.values() for entry in v.config.get("Layers", [])}
    for name, versions in list(store.layers.items()):
        for number in [n for n, layer in versions.items() if layer.deleted and layer.arn not in in_use]:
            del versions[number]
        if not versions:
            del store.layers[name]
    used = {v.code_sha256 for f in store.functions.values() for v in f.versions.values()}
    used |= {layer.code_sha256 for versions in store.layers.values() for layer in versions.values()}
    for digest in [d for d in store.code if d not in used]:
        del store.code[digest]


@operations.operation("CreateFunction")
async def create_function(ctx: Ctx, req: Params) -> Result:
    name, qualifier = split_ref(ctx, req["FunctionName"])
    if qualifier:
        raise InvalidParameterValueException("Unsupported function name format: a function's name cannot carry a qualifier.")
    if req.get("PackageType", "Zip") == "Image":
        raise InvalidParameterValueException(UNSUPPORTED_SOURCE.format(what="container images (PackageType Image)"))
    if not req.get("Runtime") or not req.get("Handler"):
        raise InvalidParameterValueException("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
    _validate(ctx, req)
    data = _zip_from(req["Code"])
    if name in ctx.store.functions:
        raise ResourceConflictException(f"Function already exist: {name}")
    tags = check_tags(req.get("Tags"))
    arn = function_arn(ctx, name)
    config: dict[str, Any] = {
        "FunctionName": name, "FunctionArn": arn, "Description": "", "Timeout": 3, "MemorySize": 128,
        "Version": LATEST, "TracingConfig": {"Mode": "PassThrough"}, "PackageType": "Zip",
        "Architectures": list(req.get("Architectures") or ["x86_64"]), "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
    }
    _apply(ctx, config, req)
    _check_total_size(ctx, data, config.get("Layers", []), "CreateFunction")
    hex_digest, b64_digest, size = store_code(ctx, data, "CreateFunction")
    now = ctx.clock.now()
    config.update({"CodeSha256": b64_digest, "CodeSize": size, "LastModified": timestamp(now)})
    answer = {**config, "RevisionId": ctx.ids.uuid(), "State": "Pending", "StateReason": "The function is being created.",
              "StateReasonCode": "Creating"}
    config.update({"RevisionId": ctx.ids.uuid(), "State": "Active", "LastUpdateStatus": "Successful"})
    function = FunctionRecord(name=name, arn=arn, tags=tags, created_at=now)
    function.versions[LATEST] = FunctionVersionRecord(LATEST, config, hex_digest)
    ctx.store.functions[name] = function
    if req.get("Publish"):
        answer = {**publish(ctx, function, None), "State": "Pending", "StateReason": "The function is being created.",
                  "StateReasonCode": "Creating"}
        answer.pop("LastUpdateStatus", None)
    return answer


def publish(ctx: Ctx, function: FunctionRecord, description: str | None) -> dict[str, Any]:
    """A new version from $LATEST, or the last one when $LATEST has not changed since."""
    latest = function.versions[LATEST]
    numbered = [v for k, v in function.versions.items() if k != LATEST]
    if numbered and function.published_from == latest.config["RevisionId"]:
        return copy.deepcopy(max(numbered, key=lambda v: int(v.version)).config)
    number = str(function.next_version)
    function.next_version += 1
    config = copy.deepcopy(latest.config)
    config.update({"FunctionArn": f"{function.arn}:{number}", "Version": number, "Description": description or "",
                   "RevisionId": ctx.ids.uuid(), "LastModified": timestamp(ctx.clock.now())})
    function.versions[number] = FunctionVersionRecord(number, config, latest.code_sha256)
    function.published_from = latest.config["RevisionId"]
    return copy.deepcopy(config)


@operations.operation("GetFunction")
async def get_function(ctx: Ctx, req: Params) -> Result:
    function = function_by_ref(ctx, req["FunctionName"], req.get("Qualifier"))
    qualifier = split_ref(ctx, req["FunctionName"], req.get("Qualifier"))[1]
    version = version_of(ctx, function, qualifier)
    result: dict[str, Any] = {
        "Configuration": copy.deepcopy(version.config),
        "Code": {"RepositoryType": "S3", "Location": code_location(ctx, version.code_sha256)},
    }
    if function.tags:
        result["Tags"] = dict(function.tags)
    if function.reserved_concurrency is not None:
        result["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
    return result


@operations.operation("GetFunctionConfiguration")
async def get_function_configuration(ctx: Ctx, req: Params) -> Result:
    function = function_by_ref(ctx, req["FunctionName"], req.get("Qualifier"))
    qualifier = split_ref(ctx, req["FunctionName"], req.get("Qualifier"))[1]
    return copy.deepcopy(version_of(ctx, function, qualifier).config)


@operations.operation("ListFunctions")
async def list_functions(ctx: Ctx, req: Params) -> Result:
    if req.get("FunctionVersion") not in (None, "ALL"):
        raise InvalidParameterValueException("Value for parameter FunctionVersion is invalid. Valid value: ALL")
    every = req.get("FunctionVersion") == "ALL"
    configs = []
    for name in sorted(ctx.store.functions):
        function = ctx.store.functions[name]
        versions = function.versions.values() if every else [function.versions[LATEST]]
        configs.extend(v.config for v in versions)
    return page(configs, req, copy.deepcopy, "Functions")


@operations.operation("DeleteFunction")
async def delete_function(ctx: Ctx, req: Params) -> Result:
    name, qualifier = split_ref(ctx, req["FunctionName"], req.get("Qualifier"))
    function = ctx.store.functions.get(name)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name)}")
    if qualifier == LATEST:
        raise InvalidParameterValueException("$LATEST version cannot be deleted without deleting the function.")
    if qualifier:
        if qualifier not in function.versions:
            raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name, qualifier)}")
        users = [alias for alias, config in function.aliases.items() if qualifier == config["FunctionVersion"]
                 or qualifier in ((config.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})]
        if users:
            raise ResourceConflictException(
                f"Unable to delete version because the following aliases reference it: [{', '.join(sorted(users))}]"
            )
        del function.versions[qualifier]
        function.event_invoke_configs.pop(qualifier, None)
        function.policies.pop(qualifier, None)
    else:
        del ctx.store.functions[name]
    drop_unused_code(ctx)
    changed(ctx, function, qualifier or "", "deleted")
    return {"StatusCode": 204}


def _latest_for_update(ctx: Ctx, req: Params) -> tuple[FunctionRecord, FunctionVersionRecord]:
    name, qualifier = split_ref(ctx, req["FunctionName"])
    function = ctx.store.functions.get(name)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn(ctx, name)}")
    latest = function.versions[LATEST]
    check_revision(req.get("RevisionId"), latest.config["RevisionId"])
    return function, latest


def _in_progress(config: dict[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(config), "LastUpdateStatus": "InProgress",
            "LastUpdateStatusReason": "The function is being created.", "LastUpdateStatusReasonCode": "Creating"}


@operations.operation("UpdateFunctionCode")
async def update_function_code(ctx: Ctx, req: Params) -> Result:
    function, latest = _latest_for_update(ctx, req)
    data = _zip_from(req)
    _check_total_size(ctx, data, latest.config.get("Layers", []), "UpdateFunctionCode")
    if req.get("DryRun"):
        hex_digest, b64_digest, size = zip_digest(data, "UpdateFunctionCode")
        return {**copy.deepcopy(latest.config), "CodeSha256": b64_digest, "CodeSize": size}
    hex_digest, b64_digest, size = store_code(ctx, data, "UpdateFunctionCode")
    config = latest.config
    if req.get("Architectures"):
        config["Architectures"] = list(req["Architectures"])
    config.update({"CodeSha256": b64_digest, "CodeSize": size, "LastModified": timestamp(ctx.clock.now())})
    answer = {**_in_progress(config), "RevisionId": ctx.ids.uuid()}
    config["RevisionId"] = ctx.ids.uuid()
    latest.code_sha256 = hex_digest
    drop_unused_code(ctx)
    changed(ctx, function, LATEST, "code")
    if req.get("Publish"):
        answer = _in_progress(publish(ctx, function, None))
    return answer


@operations.operation("UpdateFunctionConfiguration")
async def update_function_configuration(ctx: Ctx, req: Params) -> Result:
    function, latest = _latest_for_update(ctx, req)
    _validate(ctx, req)
    if req.get("ImageConfig"):
        raise InvalidParameterValueException("Please don't provide ImageConfig when updating a function with packageType Zip.")
    config = copy.deepcopy(latest.config)
    _apply(ctx, config, req)
    if "Layers" in req:
        _check_total_size(ctx, ctx.store.code[latest.code_sha256], config.get("Layers", []), "UpdateFunctionConfiguration")
    config["LastModified"] = timestamp(ctx.clock.now())
    answer = {**_in_progress(config), "RevisionId": ctx.ids.uuid()}
    config["RevisionId"] = ctx.ids.uuid()
    latest.config = config
    changed(ctx, function, LATEST, "configuration")
    return answer
