"""One evaluation function per state type, each returning the state's Outcome.

Pass, Choice, Wait, Succeed and Fail are here; Task is in task.py, Parallel and Map in
branches.py. A function raises StatesFailure for a failure the runner may retry or catch.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from services.stepfunctions.asl import ast
from services.stepfunctions.data.jsonpath import PathNotFound, to_json
from services.stepfunctions.data.references import compile_reference
from services.stepfunctions.data.templates import apply_path
from services.stepfunctions.failures import StatesFailure, runtime
from services.stepfunctions.interpreter.choice import matches, parse_timestamp
from services.stepfunctions.interpreter.dataflow import compiled, effective_input, path_or_intrinsic, state_output
from services.stepfunctions.interpreter.fields import (
    Env,
    assignments,
    evaluation_failure,
    jsonata_value,
    plain_output,
)


@dataclass(slots=True)
class Outcome:
    output: Any
    next: str | None
    assigned: dict[str, Any] | None = None


def following(state: ast.State) -> str | None:
    return None if getattr(state, "end", False) else getattr(state, "next", None)


def evaluate_pass(env: Env, state: ast.PassState) -> Outcome:
    if state.jsonata:
        output = jsonata_value(env, state, "output", "Output", default=env.raw)
        return Outcome(output, following(state), assignments(env, state, None))
    value = effective_input(state, env.raw, env.context)
    result = value if state.result is ast.ABSENT else copy.deepcopy(state.result)
    assigned = assignments(env, state, result)
    return Outcome(state_output(state, env.raw, result, env.context, selector=False), following(state), assigned)


def evaluate_choice(env: Env, state: ast.ChoiceState) -> Outcome:
    value = env.raw if state.jsonata else apply_path(env.raw, state.input_path, env.context)
    for rule in state.choices:
        if _rule_matches(env, rule, value):
            if state.jsonata:
                output = jsonata_value(env, rule, "output", "Output", default=env.raw)
            else:
                output = apply_path(value, state.output_path, env.context)
            return Outcome(output, rule.next, assignments(env, rule, value))
    if state.default is None:
        raise StatesFailure("States.NoChoiceMatched", f"No Matches! at state '{state.name}'")
    return Outcome(plain_output(env, state, value), state.default, assignments(env, state, value))


def _rule_matches(env: Env, rule: ast.ChoiceRule, value: Any) -> bool:
    if isinstance(rule, ast.ConditionRule):
        verdict = jsonata_value(env, rule, "condition", "Condition")
        if not isinstance(verdict, bool):
            raise evaluation_failure(
                f"The Condition field's JSONata expression must evaluate to a boolean, but evaluated to {to_json(verdict)}.",
                "Condition",
            )
        return verdict
    return matches(rule, value, env.context)


async def evaluate_wait(env: Env, state: ast.WaitState) -> Outcome:
    value = env.raw if state.jsonata else apply_path(env.raw, state.input_path, env.context)
    until = _wait_until(env, state, value)
    assigned = assignments(env, state, value)
    output = plain_output(env, state, value)  # evaluated with the values at entry, like AWS
    await env.runner.clock.sleep_until(until)
    return Outcome(output, following(state), assigned)


def _wait_until(env: Env, state: ast.WaitState, value: Any) -> float:
    now = env.entered_at  # not the clock: a resumed execution waits until the same deadline
    seconds: Any = state.seconds
    if state.jsonata and isinstance(state.raw.get("Seconds"), str):
        seconds = jsonata_value(env, state, "seconds", "Seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != int(seconds) or seconds < 0:
            raise evaluation_failure(f"The Seconds field's value must be a non-negative integer, but was {to_json(seconds)}.", "Seconds")
        return now + int(seconds)
    if seconds is not None:
        return now + seconds
    if state.seconds_path is not None:
        return now + _seconds_at(env, state.seconds_path, value)
    text: Any = state.timestamp
    if state.jsonata and isinstance(text, str) and text.startswith("{%"):
        text = jsonata_value(env, state, "timestamp", "Timestamp")
    elif text is None:
        text = apply_path(value, state.timestamp_path, env.context)
    stamp = parse_timestamp(text)
    if stamp is None:
        raise runtime(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: "
            f"{text}"
        )
    return stamp.timestamp()


def _seconds_at(env: Env, path: str, value: Any) -> int:
    """SecondsPath, with the causes AWS records for a negative or fractional number."""
    seconds = apply_path(value, path, env.context)
    shown = f"{path} == {to_json(seconds)}"
    if isinstance(seconds, float) and not isinstance(seconds, bool):
        if math.isfinite(seconds) and seconds == int(seconds) and seconds >= 0:
            return int(seconds)
        raise runtime(f"The SecondsPath parameter cannot be parsed as a long value: {shown}")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise runtime(f"The SecondsPath parameter does not reference a valid non-negative integer value: {shown}")
    if seconds < 0:
        raise runtime(f"The SecondsPath parameter references a negative value: {shown}")
    return seconds


def evaluate_succeed(env: Env, state: ast.SucceedState) -> Outcome:
    value = env.raw if state.jsonata else apply_path(env.raw, state.input_path, env.context)
    return Outcome(plain_output(env, state, value), None)


def fail_failure(env: Env, state: ast.FailState) -> StatesFailure:
    """The failure a Fail state ends its scope with."""
    if state.jsonata:
        error = jsonata_value(env, state, "error", "Error", default=None)
        cause = jsonata_value(env, state, "cause", "Cause", default=None)
    else:
        error = _fail_field(env, state.error_path, "ErrorPath") if state.error_path is not None else state.error
        cause = _fail_field(env, state.cause_path, "CausePath") if state.cause_path is not None else state.cause
    return StatesFailure(error if isinstance(error, str) else "", cause if isinstance(cause, str) else "")


def _fail_field(env: Env, text: str, field: str) -> Any:
    if text.startswith("$"):
        try:
            return compile_reference(text).get(env.raw, env.context)
        except PathNotFound:
            raise runtime(
                f"The JSONPath '{text}' specified for the field '{field}' could not be found in the input '{to_json(env.raw)}'"
            ) from None
    return path_or_intrinsic(text, env.raw, env.context)


__all__ = ["Outcome", "compiled", "evaluate_choice", "evaluate_pass", "evaluate_succeed", "evaluate_wait", "fail_failure"]
