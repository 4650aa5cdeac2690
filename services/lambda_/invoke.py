"""Invoke: RequestResponse runs the function now and answers its result; Event queues it
(async_invoke.py) and answers 202; DryRun checks and answers 204.

The answer is AWS's: StatusCode 200 and the Payload the runtime posted; a function error
(raised, timed out, runtime died, init failed) is FunctionError "Unhandled" with the error
document as Payload; LogType=Tail adds LogResult, the base64 of the invocation's last 4 KB
of log.

Where we knowingly differ from AWS: the function's state (Pending, Inactive) is not waited
for; Image functions cannot run (no container engine is used).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

import orjson

from services.core.context import Params, RequestContext, Result
from services.lambda_ import lookup
from services.lambda_.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    ResourceNotFoundException,
)
from services.lambda_.common import RequestEntityTooLargeException
from services.lambda_.records import FunctionRecord, FunctionVersionRecord, LambdaStore
from services.lambda_.runtime import Outcome, Spec, runtime_family, runtime_of
from services.lambda_.service import operations

SYNC_LIMIT = 6_291_456
ASYNC_LIMIT = 1_048_576  # AWS raised it from 256 KB to 1 MB in 2025
RESPONSE_LIMIT = 6_291_556

Ctx = RequestContext[LambdaStore]


# -- lookups (lookup.py) ----------------------------------------------------------------------


def resolve(ctx: Ctx, name: str, qualifier: str | None) -> tuple[FunctionRecord, FunctionVersionRecord, str]:
    function = lookup.function_by_ref(ctx, name, qualifier)
    version, executed = lookup.resolve_version(ctx, function, qualifier)
    return function, version, executed


# -- the handler -------------------------------------------------------------------------------


@operations.operation("Invoke")
async def invoke(ctx: Ctx, req: Params) -> Result:
    kind = req.get("InvocationType") or "RequestResponse"
    payload = _payload(req.get("Payload"), kind)
    qualifier = _qualifier_of(req)
    function, version, executed = resolve(ctx, req["FunctionName"], qualifier)
    check_runnable(version)
    if kind == "DryRun":
        return {"StatusCode": 204}
    if kind == "Event":
        from services.lambda_.async_invoke import enqueue

        enqueue(ctx, function, qualifier, payload)
        return {"StatusCode": 202}
    invoked_arn = function.arn + (f":{qualifier}" if qualifier else "")
    client_context = _client_context(req.get("ClientContext"))
    outcome = await execute(ctx, function, version, invoked_arn, payload, ctx.request_id, client_context)
    result = answer(outcome, executed)
    if req.get("LogType") == "Tail":
        result["LogResult"] = base64.b64encode(outcome.log_tail.encode("utf-8")).decode("ascii")
    return result


def answer(outcome: Outcome, executed: str) -> Result:
    """Invoke's output for one outcome of the runtime."""
    result: Result = {"StatusCode": 200, "ExecutedVersion": executed, "Payload": outcome.body}
    if outcome.kind == "response" and len(outcome.body) > RESPONSE_LIMIT:
        result["Payload"] = orjson.dumps({
            "errorMessage": f"Response payload size exceeded maximum allowed payload size ({RESPONSE_LIMIT} bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        })
        outcome.kind = "error"
    if outcome.kind != "response":
        result["FunctionError"] = "Unhandled"
    return result


async def execute(
    ctx: Ctx, function: FunctionRecord, version: FunctionVersionRecord, invoked_arn: str, payload: bytes,
    request_id: str, client_context: str | None = None, account: str | None = None, region: str | None = None,
) -> Outcome:
    """Run one invocation on an environment of the pool (throttled as AWS throttles)."""
    service = ctx.service
    runtime = runtime_of(service)
    account, region = account or ctx.account_id, region or ctx.region
    store = ctx.store if (account, region) == (ctx.account_id, ctx.region) else service.stores.get(account, region)
    layers = tuple(lookup.layer_code(store, layer["Arn"]) for layer in version.config.get("Layers") or [])
    code = store.code.get(version.code_sha256)
    if code is None:
        raise ResourceNotFoundException(f"Function not found: {invoked_arn}")
    endpoint = runtime.endpoint or f"http://{ctx.host or '127.0.0.1:4566'}"
    spec = Spec(account, region, version.config, code, layers, endpoint)
    headers = {
        "Lambda-Runtime-Aws-Request-Id": request_id,
        "Lambda-Runtime-Invoked-Function-Arn": invoked_arn,
        "Lambda-Runtime-Trace-Id": _trace_id(ctx.clock.now()),
    }
    if client_context:
        headers["Lambda-Runtime-Client-Context"] = client_context
    return await runtime.pool.run(spec, function.arn, function.reserved_concurrency, request_id, payload, headers)


def check_runnable(version: FunctionVersionRecord) -> None:
    config = version.config
    if config.get("PackageType") == "Image":
        raise InvalidParameterValueException("stepstack cannot run Image functions: no container images are run.")
    runtime = config.get("Runtime")
    if runtime_family(runtime) is None:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is not supported by stepstack on this machine "
            "(it runs python3.x, provided.al2023, provided.al2, and nodejs* where node is installed)."
        )


# -- input ------------------------------------------------------------------------------------


def _payload(raw: Any, kind: str) -> bytes:
    """The payload as AWS checks it: within the limit of its invocation type (AWS answers
    RequestEntityTooLargeException, not the model's RequestTooLargeException), JSON."""
    data = raw if isinstance(raw, bytes) else (raw or "").encode("utf-8") if isinstance(raw, str) else b""
    if kind == "Event" and len(data) > ASYNC_LIMIT:
        raise RequestEntityTooLargeException(
            f"{len(data)} byte payload is too large for the Event invocation type (limit {ASYNC_LIMIT} bytes)"
        )
    if len(data) > SYNC_LIMIT:
        raise RequestEntityTooLargeException(f"Request must be smaller than {SYNC_LIMIT} bytes for the InvokeFunction operation")
    if not data.strip():
        return b"{}"
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestContentException(f"Could not parse request body into json: Could not parse payload into json: {exc}") from None
    return data


def _qualifier_of(req: Params) -> str | None:
    qualifier = req.get("Qualifier")
    if qualifier:
        return qualifier
    name = req["FunctionName"]
    parts = name.split(":")
    if name.startswith("arn:") and len(parts) == 8:
        return parts[7]
    if not name.startswith("arn:") and len(parts) in (2, 4):  # name:qualifier, account:function:name:qualifier
        return parts[-1]
    return None


def _client_context(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
        if not isinstance(orjson.loads(text), dict):
            raise ValueError(text)
    except (binascii.Error, ValueError):  # UnicodeDecodeError and orjson's JSONDecodeError are ValueErrors
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.") from None
    return text


def _trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0;Lineage=1:{secrets.token_hex(4)}:0"
