"""A state's fields evaluated in its query language: the data flow as a strategy per language.

JSONPath: InputPath -> Parameters -> (work) -> ResultSelector -> ResultPath -> OutputPath, paths
and `.$` templates read the state's data, `$$` and `$variables`; Assign reads the state's result.
JSONata: Arguments -> (work) -> Output, every `{% %}` string reads `$states` (input, result,
errorOutput, context as AWS defines each) and the variables; Assign likewise.

Both read the variables as they were when the state was entered (Env.context.variables).
Templates and expressions are compiled once per state and kept on the (frozen) state.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from services.stepfunctions.asl import ast
from services.stepfunctions.data.references import ContextObject
from services.stepfunctions.failures import StatesFailure
from services.stepfunctions.interpreter.dataflow import compiled, effective_input, state_output

if TYPE_CHECKING:
    from services.stepfunctions.interpreter.history import Lane
    from services.stepfunctions.interpreter.runner import Runner
    from services.stepfunctions.interpreter.scope import Scope

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"


@dataclass(slots=True)
class Env:
    """What one state's fields are evaluated against."""

    runner: Runner
    state: ast.State
    raw: Any  # the state's input
    context: ContextObject  # `$$` / `$states.context`, with the variables in scope
    lane: Lane
    entered_id: int  # the id of the state's ...StateEntered event
    scope: Scope
    entered_at: float = 0.0  # service time of that event (a Wait counts from it, also when resumed)
    resumed: bool = False  # a state in progress when its execution was snapshotted, evaluated again
    task_token: str | None = None  # this attempt's token, for a `.waitForTaskToken` or `.sync` Task

    def states(self, **members: Any) -> dict[str, Any]:
        return {"input": self.raw, "context": self.context, **members}


# -- JSONata -------------------------------------------------------------------------------------


_LOCATIONS = MappingProxyType({
    "arguments": "Arguments", "output": "Output", "assign": "Assign", "condition": "Condition", "items": "Items",
    "item_selector": "ItemSelector", "seconds": "Seconds", "timestamp": "Timestamp", "error": "Error", "cause": "Cause",
    "timeout_seconds": "TimeoutSeconds", "heartbeat_seconds": "HeartbeatSeconds", "max_concurrency": "MaxConcurrency",
    "tolerated_failure_count": "ToleratedFailureCount", "tolerated_failure_percentage": "ToleratedFailurePercentage",
})


def jsonata_template(owner: Any, field: str) -> Any:
    """The compiled template of a JSONata field (None when the field is absent); compiled once,
    kept on the (frozen) state, rule or catcher."""
    cache: dict[str, Any] = owner.__dict__.setdefault("_jsonata", {})
    if field not in cache:
        raw = getattr(owner, field, ast.ABSENT)
        # fields the tree keeps as ABSENT when missing may be JSON null; the others are None when missing
        if raw is ast.ABSENT or (raw is None and field not in ("output", "arguments", "items")):
            cache[field] = None
        else:
            from services.stepfunctions.data.jsonata_eval import compile_template

            cache[field] = compile_template(raw, location=_LOCATIONS.get(field, field))
    return cache[field]


def jsonata_value(env: Env, owner: Any, field: str, location: str, default: Any = ast.ABSENT, **states: Any) -> Any:
    """A JSONata field's value (`default` when the field is absent); an error of evaluation is
    States.QueryEvaluationError, which the runner records with an EvaluationFailed event."""
    template = jsonata_template(owner, field)
    if template is None:
        return default
    from services.stepfunctions.data.jsonata_eval import JsonataEnv, JsonataEvaluationError

    runner = env.runner
    bound = JsonataEnv(
        states=env.states(**states), variables=env.context.variables,
        now=env.entered_at if env.resumed else runner.clock.now(),  # resumed: the time it first ran
        random=runner.rng, partition=runner.partition,
    )
    try:
        return template.evaluate(bound)
    except JsonataEvaluationError as error:
        raise evaluation_failure(error.message, error.location or location) from None


def unexpected_type(owner: Any, field: str, value: Any, expected: str) -> StatesFailure:
    """A JSONata field that gave a value of the wrong type (Items: not an array), as recorded."""
    template = jsonata_template(owner, field)
    expression = template.expressions[0] if template is not None and len(template.expressions) == 1 and isinstance(template.value, str) else None
    if expression is None:
        return evaluation_failure(f"Map state input must be an array but was: {_dumps(value)}")
    error = expression.unexpected_type_error(value, expected)
    return evaluation_failure(error.message, error.location)


def _dumps(value: Any) -> str:
    from services.stepfunctions.interpreter.dataflow import dumps

    return dumps(value)


def evaluation_failure(cause: str, location: str | None = None) -> StatesFailure:
    failure = StatesFailure(QUERY_EVALUATION_ERROR, cause)
    failure.location = location
    return failure


# -- both languages ------------------------------------------------------------------------------


def task_input(env: Env, state: Any) -> Any:
    """What a Task works on, or a Parallel's branches start with."""
    if state.jsonata:
        return jsonata_value(env, state, "arguments", "Arguments", default=env.raw)
    return effective_input(state, env.raw, env.context)


def result_output(env: Env, state: Any, result: Any) -> Any:
    """A Task's, Parallel's or Map's output from its result (JSONPath: already selected)."""
    if state.jsonata:
        return jsonata_value(env, state, "output", "Output", default=result, result=result)
    return state_output(state, env.raw, result, env.context, selector=False)


def selected_result(env: Env, state: Any, result: Any) -> Any:
    """JSONPath: the result after ResultSelector (what Assign reads); JSONata: the result."""
    if state.jsonata or (template := compiled(state, "result_selector")) is None:
        return result
    return template.evaluate(result, env.context)


def plain_output(env: Env, state: Any, value: Any) -> Any:
    """Choice, Wait, Succeed: the output from the (InputPath-ed) input."""
    if state.jsonata:
        return jsonata_value(env, state, "output", "Output", default=env.raw)
    from services.stepfunctions.data.templates import apply_path

    return apply_path(value, state.output_path, env.context)


def assignments(env: Env, owner: Any, data: Any, **states: Any) -> dict[str, Any] | None:
    """The variables `owner`'s Assign sets (a state, a Choice rule or a Catcher), or None.
    JSONPath reads `data` (the state's result, or the error output in a Catcher)."""
    if getattr(owner, "assign", None) is None:
        return None
    if env.state.jsonata:
        return jsonata_value(env, owner, "assign", "Assign", **states)
    template = compiled(owner, "assign")
    return template.evaluate(data, env.context) if template is not None else None
