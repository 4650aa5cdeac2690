"""The JSONPath data flow around a state: InputPath -> Parameters -> (work) ->
ResultSelector -> ResultPath -> OutputPath, with templates compiled once per state."""

from __future__ import annotations

import json
from typing import Any

import orjson

from services.stepfunctions.data.intrinsics import evaluate_intrinsic, is_intrinsic, parse_intrinsic
from services.stepfunctions.data.jsonpath import set_result
from services.stepfunctions.data.templates import CompiledTemplate, apply_path, compile_template
from services.stepfunctions.failures import StatesFailure

MAX_PAYLOAD = 256 * 1024


def compiled(state: Any, field: str) -> CompiledTemplate | None:
    """The state's template in `field`, compiled on first use and kept on the (frozen) state."""
    cache: dict[str, CompiledTemplate | None] = state.__dict__.setdefault("_templates", {})
    if field not in cache:
        raw = getattr(state, field, None)
        cache[field] = compile_template(raw) if raw is not None else None
    return cache[field]


def dumps(value: Any) -> str:
    """Compact JSON text; orjson for speed (a history records every state's input and output),
    the standard library for what orjson refuses (integers past 64 bits; a lone surrogate,
    which JSON text may escape as `"\\ud800"`, stays escaped: no wire could carry it raw)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(value, separators=(",", ":"))
        return text


def checked_dumps(value: Any, where: str) -> str:
    """JSON text of a payload, or States.DataLimitExceeded past 256 KiB."""
    text = dumps(value)
    if len(text) > MAX_PAYLOAD // 4 and len(text.encode("utf-8")) > MAX_PAYLOAD:
        raise StatesFailure(
            "States.DataLimitExceeded",
            f"The state/task '{where}' returned a result with a size exceeding the maximum number of bytes service limit.",
        )
    return text


def effective_input(state: Any, raw: Any, context: dict[str, Any], template_field: str | None = "parameters") -> Any:
    value = apply_path(raw, state.input_path, context)
    template = compiled(state, template_field) if template_field else None
    return template.evaluate(value, context) if template is not None else value


def state_output(state: Any, raw: Any, result: Any, context: dict[str, Any], selector: bool = True) -> Any:
    if selector and (template := compiled(state, "result_selector")) is not None:
        result = template.evaluate(result, context)
    merged = set_result(raw, state.result_path, result)
    return apply_path(merged, state.output_path, context)


def path_or_intrinsic(text: str, data: Any, context: dict[str, Any]) -> Any:
    """ErrorPath/CausePath style fields: a path or an intrinsic function."""
    if is_intrinsic(text):
        return evaluate_intrinsic(parse_intrinsic(text), data, context)
    return apply_path(data, text, context)
