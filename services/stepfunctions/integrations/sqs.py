"""`arn:aws:states:::sqs:sendMessage` (request-response and `.waitForTaskToken`), as AWS records it
(v2/services/test_sqs_task_service, v2/callback/test_callback, v2/error_handling/test_task_service_sqs):

- MessageBody may be any JSON: what is not text is sent as its JSON text; a null member is not
  sent (a null MessageBody is SQS's MissingParameter);
- the answer is SendMessage's (MD5OfMessageBody, MD5OfMessageAttributes, MessageId,
  SequenceNumber for FIFO queues) with the SDK's metadata (sdk_metadata.py);
- SQS's errors are `SQS.<exception>` with the SDK's message as the cause: `SQS.AmazonSQSException`
  for the errors the SDK has no class for (recorded: MissingParameter),
  `SQS.QueueDoesNotExistException` etc. for the others;
- a QueueUrl that names a host but no queue cannot be sent to: `SQS.SdkClientException`,
  "Unable to execute HTTP request: <host>: Name or service not known" (recorded for
  `http://no-such-queue-...`).

Where we knowingly differ from AWS: any host is taken as SQS's (stepstack resolves a queue URL
by its path); the name of an error SQS has a class for is not recorded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from services.sqs.errors import SqsError
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.registry import INTEGRATIONS, TaskCall
from services.stepfunctions.integrations.resources import REQUEST, TOKEN
from services.stepfunctions.integrations.sdk_metadata import (
    JSON_TYPE,
    CallFailed,
    call_with_id,
    exception_name,
    plain_headers,
    service_failure,
    with_metadata,
    without_nulls,
)
from services.stepfunctions.interpreter.dataflow import dumps

_UNMODELED = frozenset({"MissingParameter", "InvalidParameterValue"})  # no class of their own in the SDK


@INTEGRATIONS.register("sqs", "sendMessage", (REQUEST, TOKEN))
async def send_message(call: TaskCall) -> Any:
    params = without_nulls(call.params)
    if isinstance(params, dict):
        body = params.get("MessageBody")
        if body is not None and not isinstance(body, str):
            params["MessageBody"] = dumps(body)
        _check_reachable(params.get("QueueUrl"))
    try:
        result, request_id = await call_with_id(call, "sqs", "SendMessage", params)
    except CallFailed as failed:
        raise sqs_failure(failed) from None
    length = len(orjson.dumps(result))
    return with_metadata(result, plain_headers(JSON_TYPE, length, request_id, call.clock.now()), request_id)


def sqs_failure(failed: CallFailed) -> StatesFailure:
    error = failed.error
    name = type(error).__name__
    if not isinstance(error, SqsError) or name in _UNMODELED:
        exception = "AmazonSQSException"
    else:
        exception = exception_name(name)
    return service_failure("SQS", "AmazonSQS", exception, failed)


def _check_reachable(url: Any) -> None:
    if not isinstance(url, str) or "://" not in url:
        return
    try:
        parts = urlsplit(url)
    except ValueError:  # no URL at all ("http://[x"): SQS's to refuse, as for the SDK integration
        return
    if parts.hostname and not parts.path.strip("/"):
        raise StatesFailure("SQS.SdkClientException", f"Unable to execute HTTP request: {parts.hostname}: Name or service not known")
