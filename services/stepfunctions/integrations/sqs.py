"""`arn:aws:states:::sqs:sendMessage` (request-response and `.waitForTaskToken`): MessageBody
may be any JSON (not text is sent as its JSON text), the answer is SendMessage's with the SDK's
HTTP metadata, as AWS records it."""

from __future__ import annotations

from typing import Any

from services.core.errors import AwsError
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.registry import INTEGRATIONS, TaskCall
from services.stepfunctions.integrations.resources import REQUEST, TOKEN
from services.stepfunctions.interpreter.dataflow import dumps


@INTEGRATIONS.register("sqs", "sendMessage", (REQUEST, TOKEN))
async def send_message(call: TaskCall) -> Any:
    params = dict(call.params) if isinstance(call.params, dict) else {}
    body = params.get("MessageBody")
    if body is not None and not isinstance(body, str):
        params["MessageBody"] = dumps(body)
    try:
        return await call.aws("sqs", "SendMessage", params)
    except AwsError as error:
        raise StatesFailure(f"SQS.{error.code}", error.message) from None
