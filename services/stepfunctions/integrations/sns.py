"""`arn:aws:states:::sns:publish` (request-response and `.waitForTaskToken`), as AWS records it
(v2/services/test_sns_task_service, v2/callback/test_callback):

- the parameters are Publish's (TopicArn, TargetArn or PhoneNumber, Message, Subject,
  MessageAttributes, MessageStructure, MessageGroupId, MessageDeduplicationId); Message may be
  any JSON: what is not text is sent as its JSON text (a subscriber gets `{"arg1":"Hello",...}`);
  a null member is not sent;
- the answer is Publish's (MessageId, SequenceNumber for FIFO topics) with the SDK's metadata
  (sdk_metadata.py; SNS answers XML);
- SNS's errors are `SNS.<code>Exception` (recorded: `SNS.NotFoundException` "Topic does not
  exist", `SNS.InvalidParameterException` "Invalid parameter: The MessageGroupId parameter is
  required for FIFO topics") with the SDK's message as the cause; an error the SDK has no class
  for is `SNS.AmazonSNSException`.
"""

from __future__ import annotations

from typing import Any

from services.sns.errors import SnsError
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.registry import INTEGRATIONS, TaskCall
from services.stepfunctions.integrations.resources import REQUEST, TOKEN
from services.stepfunctions.integrations.sdk_metadata import (
    CallFailed,
    call_with_id,
    exception_name,
    plain_headers,
    service_failure,
    with_metadata,
    without_nulls,
)
from services.stepfunctions.interpreter.dataflow import dumps

_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"


@INTEGRATIONS.register("sns", "publish", (REQUEST, TOKEN))
async def publish(call: TaskCall) -> Any:
    params = without_nulls(call.params)
    if isinstance(params, dict) and "Message" in params and not isinstance(params["Message"], str):
        params["Message"] = dumps(params["Message"])
    try:
        result, request_id = await call_with_id(call, "sns", "Publish", params)
    except CallFailed as failed:
        raise sns_failure(failed) from None
    length = len(_answer_xml(result, request_id).encode("utf-8"))
    return with_metadata(result, plain_headers("text/xml", length, request_id, call.clock.now()), request_id)


def sns_failure(failed: CallFailed) -> StatesFailure:
    error = failed.error
    exception = exception_name(type(error).__name__) if isinstance(error, SnsError) else "AmazonSNSException"
    return service_failure("SNS", "AmazonSNS", exception, failed)


def _answer_xml(result: dict[str, Any], request_id: str) -> str:
    """The PublishResponse SNS sends (for its Content-Length)."""
    members = "".join(f"    <{name}>{result[name]}</{name}>\n" for name in ("MessageId", "SequenceNumber") if name in result)
    return (
        f'<PublishResponse xmlns="{_XMLNS}">\n  <PublishResult>\n{members}  </PublishResult>\n'
        f"  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n"
    )
