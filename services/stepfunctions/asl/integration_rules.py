"""Rules on a definition's Task resources that depend on the state machine's type: an EXPRESS
state machine runs neither callbacks (`.waitForTaskToken`), nor `.sync` integrations, nor
activities, and CreateStateMachine refuses them with AWS's wording (recorded in
v2/test_sfn_api_express: test_illegal_callbacks, test_illegal_activity_task; the double space
before "at" of the `.waitForTaskToken` message is AWS's).

Checked on a definition that is already valid (validate.py), for every Task, in branches and
iterations too.

Whatever the type, an optimized integration of a service stepstack emulates that names an
action or a pattern AWS does not have (`sqs:receiveMessage`, `lambda:invoke.sync`) is no
resource AWS recognizes (`unrecognized_integration`, checked by validate.py; recorded for
`dynamodb:query`, v2/services test_dynamodb_task_service test_invalid_integration).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

from services.stepfunctions.asl.errors import InvalidDefinition as DefinitionProblems
from services.stepfunctions.asl.errors import Problem
from services.stepfunctions.errors import InvalidDefinition
from services.stepfunctions.integrations.resources import REQUEST, SYNC, SYNC2, TOKEN, service_resource

SCHEMA = "SCHEMA_VALIDATION_FAILED"
_ACTIVITY = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:activity:")
_CALLBACK = "Express state machine does not support '.waitForTaskToken' service integration "
_SYNC = "Express state machine does not support '.sync' service integration"
_ACTIVITY_TASK = "Express state machine does not support Activity ARN"


# AWS's optimized integrations of the services stepstack emulates, with the patterns of each
# (AWS's table "Optimized integrations for Step Functions"): these services have no others.
_OPTIMIZED = MappingProxyType({
    "lambda": MappingProxyType({"invoke": frozenset({REQUEST, TOKEN})}),
    "sqs": MappingProxyType({"sendMessage": frozenset({REQUEST, TOKEN})}),
    "sns": MappingProxyType({"publish": frozenset({REQUEST, TOKEN})}),
    "states": MappingProxyType({"startExecution": frozenset({REQUEST, SYNC, SYNC2, TOKEN})}),
    "batch": MappingProxyType({"submitJob": frozenset({REQUEST, SYNC})}),
})


def unrecognized_integration(resource: str) -> bool:
    """An optimized integration of lambda, sqs, sns, states or batch with an action or a pattern
    AWS does not have (refused at creation as a resource AWS does not recognize)."""
    found = service_resource(resource)
    if found is None or found.sdk or found.service not in _OPTIMIZED:
        return False
    patterns = _OPTIMIZED[found.service].get(found.action)
    return patterns is None or found.pattern not in patterns


def express_problems(raw: Any) -> list[Problem]:
    """What an EXPRESS state machine cannot run, one problem per Task resource."""
    problems = []
    for resource, location in _task_resources(raw, ""):
        if resource.endswith(".waitForTaskToken"):
            problems.append(Problem(SCHEMA, _CALLBACK, location))
        elif resource.endswith((".sync", ".sync:2")):
            problems.append(Problem(SCHEMA, _SYNC, location))
        elif _ACTIVITY.match(resource):
            problems.append(Problem(SCHEMA, _ACTIVITY_TASK, location))
    return problems


def check_express(definition: str, machine_type: str | None) -> None:
    """CreateStateMachine's InvalidDefinition when an EXPRESS machine's (valid) definition has
    such a Task."""
    if machine_type != "EXPRESS":
        return
    problems = express_problems(json.loads(definition))
    if problems:
        raise InvalidDefinition(DefinitionProblems(problems).message)


def _task_resources(definition: Any, prefix: str) -> Iterator[tuple[str, str]]:
    states = definition.get("States") if isinstance(definition, dict) else None
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        location = f"{prefix}/States/{name}"
        if state.get("Type") == "Task" and isinstance(state.get("Resource"), str):
            yield state["Resource"], f"{location}/Resource"
        for i, branch in enumerate(state.get("Branches") or () if state.get("Type") == "Parallel" else ()):
            yield from _task_resources(branch, f"{location}/Branches[{i}]")
        for field in ("ItemProcessor", "Iterator"):
            if state.get("Type") == "Map" and isinstance(state.get(field), dict):
                yield from _task_resources(state[field], f"{location}/{field}")
