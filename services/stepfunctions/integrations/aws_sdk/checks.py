"""What AWS refuses in an aws-sdk Task when the state machine is created (SCHEMA_VALIDATION_FAILED):

- a resource naming a service AWS has no SDK for, an action its model does not have, or the
  `.sync` pattern (SDK integrations support request-response and `.waitForTaskToken` only):
  "The resource provided <arn> is not recognized. ..." at the Resource;
- a field of Parameters (or of an Arguments object) that is no member of the action's input:
  'The field "X" is not supported by Step Functions' at the Parameters (AWS's words, quoted in
  public issues for CloudFormation deployments of SDK tasks).

Services stepstack does not emulate are checked against botocore's models too, so a definition
valid on AWS is accepted here (its task then fails at run time: stepstack cannot run it).
"""

from __future__ import annotations

from typing import Any

from services.stepfunctions.integrations.aws_sdk import models
from services.stepfunctions.integrations.resources import SYNC, SYNC2, service_resource

NOT_SUPPORTED = 'The field "{}" is not supported by Step Functions'


def sdk_task_problems(resource: str, state: dict[str, Any]) -> list[tuple[str, str]]:
    """(message, location below the state) for each problem of an aws-sdk Task; [] for others."""
    found = service_resource(resource)
    if found is None or not found.sdk:
        return []
    service = models.botocore_name(found.service)
    operation = models.operation(service, found.action) if service is not None else None
    if operation is None or found.pattern in (SYNC, SYNC2):
        return [(_unrecognized(resource), "/Resource")]
    problems: list[tuple[str, str]] = []
    known = models.members(service, operation["input"]["shape"]) if "input" in operation else {}
    for field in ("Parameters", "Arguments"):
        given = state.get(field)
        if not isinstance(given, dict):
            continue
        for key in given:
            name = key[:-2] if field == "Parameters" and key.endswith(".$") else key
            if name not in known:
                problems.append((NOT_SUPPORTED.format(name), f"/{field}"))
    return problems


def _unrecognized(resource: str) -> str:
    return (f"The resource provided {resource} is not recognized. The value is not a valid resource ARN,"
            " or the resource is not available in this region.")
