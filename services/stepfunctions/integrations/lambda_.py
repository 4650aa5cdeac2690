"""`arn:aws:states:::lambda:invoke` (request-response and `.waitForTaskToken`), as AWS records it
(v2/services/test_lambda_task_service, v2/error_handling/test_task_service_lambda):

- the parameters are Invoke's: FunctionName (a name, an ARN, a partial ARN, with a qualifier),
  Payload, InvocationType, Qualifier, ClientContext, LogType. A Payload given as text is sent as
  it is (it must be JSON text); any other JSON value is sent as its JSON text; an absent or null
  Payload sends none (the function gets `{}`);
- the answer: ExecutedVersion, LogResult (LogType Tail), Payload (the function's answer parsed
  as JSON), StatusCode and the SDK's metadata (sdk_metadata.py);
- a function error fails the task with the `errorType` of the function's error document and
  that document (compact JSON) as the cause; a document without `errorType` (a timeout, an
  out-of-memory end) is `Lambda.Unknown`, as AWS documents it;
- Lambda's errors are `Lambda.<exception>` (`Lambda.ResourceNotFoundException`, ...) with the
  SDK's message as the cause.

Where we knowingly differ from AWS: the X-Amzn-Trace-Id header is made up here; an answer that
is not JSON (a custom runtime's plain text) is kept as text.
"""

from __future__ import annotations

import json
import secrets
from types import MappingProxyType
from typing import Any

from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.registry import INTEGRATIONS, TaskCall
from services.stepfunctions.integrations.resources import REQUEST, TOKEN
from services.stepfunctions.integrations.sdk_metadata import (
    CallFailed,
    call_with_id,
    exception_name,
    http_date,
    service_failure,
    with_metadata,
)
from services.stepfunctions.interpreter.dataflow import dumps

UNKNOWN_CAUSE = "The cause could not be determined because Lambda did not return an error type. Returned payload: "


@INTEGRATIONS.register("lambda", "invoke", (REQUEST, TOKEN))
async def invoke(call: TaskCall) -> Any:
    try:
        result, request_id = await call_with_id(call, "lambda", "Invoke", invoke_params(call.params))
    except CallFailed as failed:
        raise lambda_failure(failed) from None
    body = result.get("Payload") or b""
    if result.get("FunctionError"):
        raise function_failure(body, compact=True)
    answer: dict[str, Any] = {"Payload": parsed_payload(body), "StatusCode": result.get("StatusCode", 200)}
    if "ExecutedVersion" in result:
        answer["ExecutedVersion"] = result["ExecutedVersion"]
    if "LogResult" in result:
        answer["LogResult"] = result["LogResult"]
    return with_metadata(answer, _headers(call, result, len(body), request_id), request_id, answer["StatusCode"])


def invoke_params(params: Any) -> Any:
    """Invoke's input from the task's parameters: the Payload as the bytes Lambda is sent."""
    if not isinstance(params, dict):
        return params
    out = {key: value for key, value in params.items() if value is not None}
    payload = params.get("Payload")
    if payload is None:
        out.pop("Payload", None)
    else:
        text = payload if isinstance(payload, str) else dumps(payload)
        out["Payload"] = text.encode("utf-8", "surrogatepass")  # a lone surrogate: no JSON Lambda can read
    return out


def parsed_payload(body: bytes) -> Any:
    if not body:
        return ""
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def function_failure(body: bytes, *, compact: bool) -> StatesFailure:
    """The failure of a function's error document: its errorType, the document as the cause
    (compact JSON for lambda:invoke; as the function sent it for a function ARN resource)."""
    text = body.decode("utf-8", "replace")
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    error_type = document.get("errorType") if isinstance(document, dict) else None
    if not isinstance(error_type, str) or not error_type:
        return StatesFailure("Lambda.Unknown", UNKNOWN_CAUSE + text)
    return StatesFailure(error_type, dumps(document) if compact else text)


def lambda_failure(failed: CallFailed) -> StatesFailure:
    failure = service_failure("Lambda", "AWSLambda", lambda_exception(failed.error.code), failed)
    message = failed.error.message
    if message.startswith(_NOT_FOUND) and message.count(":") == 7:  # recorded: the unqualified ARN with `:$LATEST`
        failure.cause = message + ":$LATEST" + failure.cause[len(message):]
    return failure


_NOT_FOUND = "Function not found: arn:"


def lambda_exception(code: str) -> str:
    """The AWS SDK for Java's class for a Lambda error code (unmodeled ones: AWSLambdaException)."""
    if code in _RENAMED:
        return _RENAMED[code]
    return exception_name(code) if code.endswith("Exception") else "AWSLambdaException"


_RENAMED = MappingProxyType({"RequestEntityTooLargeException": "RequestTooLargeException"})


def _headers(call: TaskCall, result: dict[str, Any], length: int, request_id: str) -> list[tuple[str, str]]:
    now = call.clock.now()
    headers = [("X-Amz-Log-Result", result["LogResult"])] if "LogResult" in result else []
    if "ExecutedVersion" in result:
        headers.append(("X-Amz-Executed-Version", result["ExecutedVersion"]))
    trace = f"Root=1-{int(now):08x}-{secrets.token_hex(12)};Sampled=0;Lineage=1:{secrets.token_hex(4)}:0"
    headers += [
        ("x-amzn-Remapped-Content-Length", "0"),
        ("Connection", "keep-alive"),
        ("x-amzn-RequestId", request_id),
        ("Content-Length", str(length)),
        ("Date", http_date(now)),
        ("X-Amzn-Trace-Id", trace),
        ("Content-Type", "application/json"),
    ]
    return headers

