"""What Step Functions' optimized integrations (lambda:invoke, sqs:sendMessage, sns:publish)
add to a call's answer, and how they name its failures, as AWS records them.

AWS makes these calls with the AWS SDK for Java, and the answer keeps the SDK's metadata:
`SdkHttpMetadata` (`AllHttpHeaders`: each header with a list of values; `HttpHeaders`: one value
each, in case-insensitive order; `HttpStatusCode`) and `SdkResponseMetadata` (`RequestId`), the
members sorted by name. A service's error fails the task with `<Service>.<SDK exception class>`
(`SQS.AmazonSQSException`, `SNS.NotFoundException`, `Lambda.ResourceNotFoundException`) and
the SDK's message as the cause:

    Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound;
    Request ID: <id>; Proxy: null)

(recorded: v2/error_handling/test_task_service_sqs, test_task_service_lambda,
v2/services/test_sns_task_service). The headers are the ones AWS's answers carry (recorded);
Content-Length is the length of the body the service would have sent.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

from services.core.errors import AwsError
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.registry import TaskCall

JSON_TYPE = "application/x-amz-json-1.0"


class CallFailed(Exception):
    """A service's error, with the id of the request that got it (the cause names it)."""

    def __init__(self, error: AwsError, request_id: str) -> None:
        super().__init__(error.message)
        self.error = error
        self.request_id = request_id


async def call_with_id(call: TaskCall, service: str, operation: str, params: Any, account: str | None = None,
                       region: str | None = None) -> tuple[dict[str, Any], str]:
    """A call to another stepstack service (validated as on the wire) and its request id, which
    the answer's metadata carries (for Lambda, the invocation's request id too)."""
    dispatcher = call.dispatcher
    request_id = dispatcher.ids.uuid()
    try:
        if dispatcher.validate_input is not None:
            params = dispatcher.validate_input(service, operation, params)
        ctx = dispatcher.context(account or call.account, region or call.region, origin="internal", request_id=request_id)
        return await dispatcher.dispatch(ctx, service, operation, params), request_id
    except AwsError as error:
        raise CallFailed(error, request_id) from None


def http_date(now: float) -> str:
    return formatdate(now, usegmt=True)


def with_metadata(result: dict[str, Any], headers: list[tuple[str, str]], request_id: str, status: int = 200) -> dict[str, Any]:
    """The answer as the integration records it: its members and the SDK's, sorted by name."""
    metadata = {
        "AllHttpHeaders": {name: [value] for name, value in headers},
        "HttpHeaders": dict(sorted(headers, key=lambda header: header[0].lower())),
        "HttpStatusCode": status,
    }
    answer = {**result, "SdkHttpMetadata": metadata, "SdkResponseMetadata": {"RequestId": request_id}}
    return dict(sorted(answer.items()))


def plain_headers(content_type: str, length: int, request_id: str, now: float) -> list[tuple[str, str]]:
    """The headers of an SQS (JSON) or SNS (XML) answer, in the order AWS's SDK lists them."""
    return [
        ("x-amzn-RequestId", request_id),
        ("connection", "keep-alive"),
        ("Content-Length", str(length)),
        ("Date", http_date(now)),
        ("Content-Type", content_type),
    ]


def service_failure(prefix: str, service_name: str, exception: str, failed: CallFailed) -> StatesFailure:
    """`<prefix>.<exception>` with the SDK's message of the error as the cause."""
    error = failed.error
    cause = (
        f"{error.message} (Service: {service_name}; Status Code: {error.status}; Error Code: {error.wire_code}; "
        f"Request ID: {failed.request_id}; Proxy: null)"
    )
    return StatesFailure(f"{prefix}.{exception}", cause)


def exception_name(code: str) -> str:
    """The SDK's exception class for an error code: `NotFound` -> `NotFoundException`."""
    return code if code.endswith("Exception") else f"{code}Exception"


def without_nulls(params: Any) -> Any:
    """The SDK sends nothing for a member set to null (then a required one is missing)."""
    if not isinstance(params, dict):
        return params
    return {key: value for key, value in params.items() if value is not None}
