"""Choice rules: comparisons, type tests, And/Or/Not.

A comparison whose variable is missing, or holds a value of another type than
the operator compares, is false (AWS raises States.Runtime only for a missing
variable in some cases; we follow the documented "no match" behaviour).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from services.stepfunctions.asl.ast import AndRule, ChoiceRule, ComparisonRule, NotRule, OrRule
from services.stepfunctions.data.jsonpath import PathNotFound
from services.stepfunctions.data.references import compile_reference
from services.stepfunctions.failures import runtime

_MISSING = object()


def _lookup(path: str, data: Any, context: dict[str, Any]) -> Any:
    try:
        return compile_reference(path).get(data, context)
    except PathNotFound:
        return _MISSING


def parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@lru_cache(maxsize=512)
def _glob(pattern: str) -> re.Pattern[str]:
    """StringMatches: `*` matches anything; `\\*` and `\\\\` are literal."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _compare(kind: str, op: str, left: Any, right: Any) -> bool:
    if kind == "String":
        if not isinstance(left, str) or not isinstance(right, str):
            return False
    elif kind == "Numeric":
        if not _is_number(left) or not _is_number(right):
            return False
    elif kind == "Boolean":
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    elif kind == "Timestamp":
        left, right = parse_timestamp(left), parse_timestamp(right)
        if left is None or right is None:
            return False
    return {
        "Equals": left == right,
        "LessThan": left < right,
        "GreaterThan": left > right,
        "LessThanEquals": left <= right,
        "GreaterThanEquals": left >= right,
    }[op]


def _split(operator: str) -> tuple[str, str]:
    for kind in ("String", "Numeric", "Boolean", "Timestamp"):
        if operator.startswith(kind):
            return kind, operator[len(kind):]
    raise ValueError(operator)


def _comparison(rule: ComparisonRule, data: Any, context: dict[str, Any]) -> bool:
    operator = rule.operator
    value = _lookup(rule.variable, data, context)
    if operator == "IsPresent":
        return (value is not _MISSING) == bool(rule.value)
    if value is _MISSING:
        if operator.startswith("Is"):
            return False
        raise runtime(f"Invalid path '{rule.variable}': The choice state's condition path references an invalid value.")
    if operator == "IsNull":
        return (value is None) == bool(rule.value)
    if operator == "IsNumeric":
        return _is_number(value) == bool(rule.value)
    if operator == "IsString":
        return isinstance(value, str) == bool(rule.value)
    if operator == "IsBoolean":
        return isinstance(value, bool) == bool(rule.value)
    if operator == "IsTimestamp":
        return (parse_timestamp(value) is not None) == bool(rule.value)
    if operator == "StringMatches":
        return isinstance(value, str) and _glob(rule.value).fullmatch(value) is not None
    expected = rule.value
    if rule.value_is_path:
        expected = _lookup(rule.value, data, context)
        if expected is _MISSING:
            raise runtime(f"Invalid path '{rule.value}': The choice state's condition path references an invalid value.")
        operator = operator[: -len("Path")]
    kind, op = _split(operator)
    return _compare(kind, op, value, expected)


def matches(rule: ChoiceRule, data: Any, context: dict[str, Any]) -> bool:
    if isinstance(rule, AndRule):
        return all(matches(r, data, context) for r in rule.rules)
    if isinstance(rule, OrRule):
        return any(matches(r, data, context) for r in rule.rules)
    if isinstance(rule, NotRule):
        return not matches(rule.rule, data, context)
    if isinstance(rule, ComparisonRule):
        return _comparison(rule, data, context)
    raise runtime(f"Unsupported choice rule: {type(rule).__name__}")
