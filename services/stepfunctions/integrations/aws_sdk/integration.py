"""One SDK integration per emulated service: the action's operation called with the task's
parameters, its answer (in PascalCase, without the SDK's HTTP metadata, as recorded on AWS) as
the task's result, or its error as AWS names it.

A service's error fails the task with `<Client>.<Exception>` (models.py) and a cause in the Java
SDK's words, as recorded: `<message> (Service: Sfn, Status Code: 400, Request ID: <id>)
(SDK Attempt Count: 1)`. Catchers match it by that name, by States.TaskFailed or States.ALL.

Where stepstack differs (docs/differences.md): an operation the emulator does not implement
fails with States.TaskFailed naming it; a member the model does not know that reaches run time
(the definition's own fields are refused when it is created, as AWS does) fails with
States.Runtime; the attempt count is always 1 (internal calls are not retried).
"""

from __future__ import annotations

from typing import Any

from services.core.errors import AwsError, NotImplementedOperation
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.integrations.aws_sdk import models
from services.stepfunctions.integrations.aws_sdk.checks import NOT_SUPPORTED
from services.stepfunctions.integrations.aws_sdk.shapes import UnknownField, from_result, to_request
from services.stepfunctions.integrations.registry import TaskCall


async def start(call: TaskCall) -> Any:
    resource = call.resource
    service = models.emulated()[resource.service]
    found = models.operation(service, resource.action)
    if found is None:  # the definition was checked at creation; kept for definitions made before
        raise StatesFailure("States.Runtime", f"The resource provided {resource.arn} is not recognized.")
    name = found["name"]
    params = call.params if call.params is not None else {}
    if not isinstance(params, dict):
        raise StatesFailure("States.Runtime", f"The parameters of {resource.arn} must be a JSON object, not {type(params).__name__}.")
    try:
        request = to_request(service, found["input"]["shape"], params) if "input" in found else {}
        if "input" not in found and params:
            raise UnknownField(next(iter(params)))
    except UnknownField as unknown:
        raise StatesFailure("States.Runtime", NOT_SUPPORTED.format(unknown.path)) from None
    try:
        result = await call.aws(service, name, request)
    except NotImplementedOperation:
        raise StatesFailure(
            "States.TaskFailed",
            f"stepstack does not implement the operation {name} of {resource.service} ({resource.arn}) yet.",
        ) from None
    except AwsError as error:
        request_id = call.dispatcher.ids.uuid()
        prefix = models.client(service)
        cause = f"{error.message} (Service: {prefix}, Status Code: {error.status}, Request ID: {request_id}) (SDK Attempt Count: 1)"
        raise StatesFailure(models.error_name(service, error.code, error.query_code), cause) from None
    if "output" not in found:
        return {}
    return from_result(service, found["output"]["shape"], result or {})
