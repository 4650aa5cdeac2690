"""A small deterministic walker that builds valid input for any botocore shape.

`example_input(shape)` returns the same value every time: every member of every
structure is filled (required or not), lists and maps get one entry (or as many
as their `min` asks), strings are "abc" repeated to fit `min`/`max`, numbers sit
inside `min`/`max`, enums take their first value. Members a rest-json request
carries in its URI get an ARN-like string, since services take them for ARNs. A string
whose shape has a pattern that "abc" (or that ARN) does not match gets the shortest
string the pattern builds instead (services that check patterns: Lambda).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from botocore.model import Shape

TIMESTAMP = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
BLOB = b"data"
URI_VALUE = "arn:aws:batch:us-east-1:000000000000:job-queue/abc"
MAX_DEPTH = 6  # deeper than any input of the four services; guards recursive shapes


def example_input(shape: Shape | None) -> dict[str, Any]:
    """Input for an operation's input shape (`None` means the operation takes none)."""
    if shape is None:
        return {}
    value = example_value(shape)
    assert isinstance(value, dict), f"{shape.name} is not a structure"
    return value


def example_value(shape: Shape, depth: int = 0) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, depth)
    if kind == "list":
        count = _count(shape, depth)
        return [example_value(shape.member, depth + 1) for _ in range(count)]
    if kind == "map":
        count = _count(shape, depth)
        keys = _distinct_keys(shape.key, count)
        return {key: example_value(shape.value, depth + 1) for key in keys}
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long"):
        return int(_number(shape, 1))
    if kind in ("float", "double"):
        return float(_number(shape, 1.5))
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return TIMESTAMP
    if kind == "blob":
        return BLOB
    # documents (and any type botocore adds later): a small JSON value
    return {"abc": 1}


def _structure(shape: Shape, depth: int) -> dict[str, Any]:
    members = shape.members
    required = set(shape.required_members)
    if shape.metadata.get("union"):
        # a union takes exactly one member
        name = next(iter(members))
        return {name: _member_value(members[name], depth)}
    if depth >= MAX_DEPTH:
        names = [n for n in members if n in required]
    else:
        names = list(members)
    return {name: _member_value(members[name], depth) for name in names}


def _member_value(member: Shape, depth: int) -> Any:
    if member.serialization.get("location") == "uri" and member.type_name == "string":
        return _matching(_fit(URI_VALUE, member), member)
    return example_value(member, depth + 1)


def _count(shape: Shape, depth: int) -> int:
    low = int(shape.metadata.get("min", 0))
    high = shape.metadata.get("max")
    count = max(low, 0 if depth >= MAX_DEPTH else 1)
    if high is not None:
        count = min(count, int(high))
    return count


def _distinct_keys(key_shape: Shape, count: int) -> list[str]:
    enum = key_shape.metadata.get("enum")
    if enum:
        return list(enum[:count])
    base = _string(key_shape)
    keys = [base]
    for index in range(1, count):
        keys.append(_fit(f"{base}{index}", key_shape))
    return keys


def _string(shape: Shape) -> str:
    enum = shape.metadata.get("enum")
    if enum:
        return enum[0]
    return _matching(_fit("abc", shape), shape)


def _matching(text: str, shape: Shape) -> str:
    """`text`, or when the shape's pattern refuses it, the shortest string the pattern builds
    (if that fits the shape's length limits)."""
    pattern = shape.metadata.get("pattern")
    if not pattern:
        return text
    try:
        compiled = re.compile(pattern)
    except re.error:
        return text  # Java-only syntax (\\p{L}): nobody checks it
    if compiled.fullmatch(text):
        return text
    built = _build(sre_parse.parse(pattern))
    low, high = int(shape.metadata.get("min", 0)), shape.metadata.get("max")
    if built is not None and compiled.fullmatch(built) and len(built) >= low and (high is None or len(built) <= int(high)):
        return built
    return text


def _build(parsed: Any) -> str | None:
    """The shortest string a parsed pattern matches (each repeat at its minimum, the first branch,
    a class's first member), None for what this does not know."""
    out = []
    for op, arg in parsed:
        if op is sre_constants.LITERAL:
            out.append(chr(arg))
        elif op is sre_constants.ANY:
            out.append("a")
        elif op is sre_constants.IN:
            first = _class_member(arg)
            if first is None:
                return None
            out.append(first)
        elif op in (sre_constants.SUBPATTERN, sre_constants.BRANCH, sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            inner = _build(arg[-1] if op is sre_constants.SUBPATTERN else arg[1][0] if op is sre_constants.BRANCH else arg[2])
            if inner is None:
                return None
            out.append(inner * (arg[0] if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) else 1))
        elif op not in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            return None
    return "".join(out)


def _class_member(items: Any) -> str | None:
    for op, arg in items:
        if op is sre_constants.NEGATE:
            return "a"  # almost any character will do; "a" is rarely the one left out
        if op is sre_constants.LITERAL:
            return chr(arg)
        if op is sre_constants.RANGE:
            return chr(arg[0])
        if op is sre_constants.CATEGORY:
            return {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}.get(str(arg), "a")
    return None


def _fit(text: str, shape: Shape) -> str:
    """`text`, repeated up to the shape's min length and cut to its max length."""
    low = int(shape.metadata.get("min", 0))
    high = shape.metadata.get("max")
    if len(text) < low:
        text = (text * (low // len(text) + 1))[:low]
    if high is not None and len(text) > int(high):
        text = text[: int(high)]
    return text


def _number(shape: Shape, preferred: float) -> float:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    value = preferred
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    return value
