"""What a Task's `Resource` names: an activity, a Lambda function ARN, an optimized service
integration (`arn:aws:states:::sqs:sendMessage`) or an AWS SDK one
(`arn:aws:states:::aws-sdk:sqs:getQueueAttributes`), each with its integration pattern
(request-response, `.sync`, `.sync:2` or `.waitForTaskToken`).

History events name the integration as AWS does: `resourceType` is the service (`aws-sdk:sqs`
for SDK integrations) and `resource` the action with its pattern (`sendMessage.waitForTaskToken`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SERVICE = re.compile(
    r"^arn:aws[a-z-]*:states:([a-z0-9-]*):(\d{12})?:(aws-sdk:)?([a-z0-9-]+):([A-Za-z][A-Za-z0-9]*)"
    r"(?:\.(sync:2|sync|waitForTaskToken))?$"
)
_FUNCTION = re.compile(r"^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$")

REQUEST, SYNC, SYNC2, TOKEN = "", "sync", "sync:2", "waitForTaskToken"


@dataclass(frozen=True, slots=True)
class ServiceResource:
    service: str  # as the resource names it: "lambda", "sqs", "states", "batch"; the SDK's id for aws-sdk
    action: str  # camelCase, as written: "invoke", "sendMessage", "getQueueAttributes"
    pattern: str  # REQUEST | SYNC | SYNC2 | TOKEN
    sdk: bool  # an `aws-sdk:` integration
    arn: str

    @property
    def resource_type(self) -> str:
        return f"aws-sdk:{self.service}" if self.sdk else self.service

    @property
    def resource(self) -> str:
        return f"{self.action}.{self.pattern}" if self.pattern else self.action


def service_resource(resource: str) -> ServiceResource | None:
    """The integration a `arn:aws:states:::...` resource names, None if it names none."""
    found = _SERVICE.match(resource)
    if found is None:
        return None
    _, _, sdk, service, action, pattern = found.groups()
    return ServiceResource(service, action, pattern or REQUEST, bool(sdk), resource)


def is_function_arn(resource: str) -> bool:
    """A Lambda function's ARN used directly as the resource (the legacy Lambda integration)."""
    return _FUNCTION.match(resource) is not None


def waits_for_token(resource: str) -> bool:
    """A service Task with a task token (`$$.Task.Token`) that a callback can answer:
    `.waitForTaskToken`, and `.sync` / `.sync:2` too (recorded on AWS: SendTaskSuccess with the
    token of a `startExecution.sync` task ends it, v2/callback test_sync_with_task_token)."""
    found = service_resource(resource)
    return found is not None and found.pattern in (TOKEN, SYNC, SYNC2)
