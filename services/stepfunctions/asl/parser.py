"""parse_definition: JSON text -> validated StateMachineDefinition, or InvalidDefinition.

The definition is parsed once, when a state machine is created or updated; executions share
the frozen tree. Validation (validate.py) runs over the raw JSON first; the tree is only
built from a definition that passed.

Known differences from AWS:
- AWS parses with Jackson; INVALID_JSON_DESCRIPTION messages are rebuilt from Python's json
  errors in Jackson's wording for the common cases (unrecognized token, unexpected character,
  unexpected end of input); the column can differ by one from Jackson's.
- Text after the JSON value is rejected; Jackson's default would ignore it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from services.stepfunctions.asl.ast import (
    ABSENT,
    COMPARISON_OPERATORS,
    AndRule,
    Catcher,
    ChoiceRule,
    ChoiceState,
    ComparisonRule,
    ConditionRule,
    FailState,
    MapState,
    NotRule,
    OrRule,
    ParallelState,
    PassState,
    Retrier,
    State,
    StateMachineDefinition,
    SucceedState,
    TaskState,
    WaitState,
)
from services.stepfunctions.asl.errors import InvalidDefinition, Problem
from services.stepfunctions.asl.validate import NOT_A_JSON_OBJECT, SCHEMA, validate

INVALID_JSON = "INVALID_JSON_DESCRIPTION"
_JACKSON_SOURCE_LIMIT = 500


def parse_definition(text: str) -> StateMachineDefinition:
    """Parse and validate a definition; raise InvalidDefinition listing every problem."""
    raw = load_json(text)
    problems = validate(raw)
    if problems:
        raise InvalidDefinition(problems)
    return build_definition(raw, language="JSONPath" if raw.get("QueryLanguage", "JSONPath") == "JSONPath" else "JSONata",
                            top=True)


def load_json(text: str) -> Any:
    """json.loads that remembers duplicated keys, and fails with AWS's INVALID_JSON_DESCRIPTION."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidDefinition([Problem(SCHEMA, NOT_A_JSON_OBJECT)])
    try:
        return json.loads(text, object_pairs_hook=_JsonObject.from_pairs)
    except json.JSONDecodeError as e:
        message, location = _jackson_error(text, e)
        raise InvalidDefinition([Problem(INVALID_JSON, f"{message}\n at {location}", location)]) from None
    except RecursionError:
        raise InvalidDefinition([Problem(INVALID_JSON, "Document nesting depth exceeds the maximum allowed")]) from None


class _JsonObject(dict):
    """A JSON object; `duplicates` names the keys that appeared more than once (last one wins)."""

    duplicates: tuple[str, ...] = ()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _JsonObject:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))
        return obj


def _jackson_error(text: str, e: json.JSONDecodeError) -> tuple[str, str]:
    pos = min(e.pos, len(text))
    token = re.match(r"[A-Za-z0-9_+\-.]+", text[pos:])
    line, column = e.lineno, e.colno + 1
    if pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string"):
        kind = "OBJECT" if _innermost(text, pos) == "{" else "ARRAY"
        message = f"Unexpected end-of-input: expected close marker for {kind}"
        if e.msg.startswith("Unterminated string"):
            message = "Unexpected end-of-input in VALUE_STRING"
        line, column = text.count("\n") + 1, len(text) - (text.rfind("\n") + 1) + 1
    elif e.msg == "Expecting value" and token and token.group()[0].isalpha():
        word = token.group()
        message = (f"Unrecognized token '{word}': was expecting "
                   "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
        column = e.colno + len(word)
    else:
        char = text[pos]
        expected = {
            "Expecting value": "expected a valid value (JSON String, Number, Array, Object or token 'null', "
                               "'true' or 'false')",
            "Expecting property name enclosed in double quotes": "was expecting double-quote to start field name",
            "Expecting ':' delimiter": "was expecting a colon to separate field name and value",
            "Extra data": "expected end-of-input",
            "Invalid control character at": "CTRL-CHAR, code " + str(ord(char)),
        }.get(e.msg)
        if e.msg == "Expecting ',' delimiter":
            container = "Object" if _innermost(text, pos) == "{" else "Array"
            expected = f"was expecting comma to separate {container} entries"
        message = f"Unexpected character ({_describe(char)}): {expected or e.msg}"
    return message, f"[Source: (String){_source(text)}; line: {line}, column: {column}]"


def _describe(char: str) -> str:
    return f"'{char}' (code {ord(char)})"


def _source(text: str) -> str:
    if len(text) <= _JACKSON_SOURCE_LIMIT:
        return f'"{text}"'
    return f'"{text[:_JACKSON_SOURCE_LIMIT]}"[truncated {len(text) - _JACKSON_SOURCE_LIMIT} chars]'


def _innermost(text: str, pos: int) -> str | None:
    """The innermost open bracket before pos, ignoring string contents."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:pos]:
        if in_string:
            escaped = not escaped and char == "\\"
            if char == '"' and not escaped:
                in_string = False
            elif char != "\\":
                escaped = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else None


# ---------------------------------------------------------------- building the tree


def build_definition(raw: dict[str, Any], *, language: str, top: bool = False) -> StateMachineDefinition:
    return StateMachineDefinition(
        start_at=raw["StartAt"],
        states={name: _build_state(name, st, language) for name, st in raw["States"].items()},
        comment=raw.get("Comment"),
        timeout_seconds=raw.get("TimeoutSeconds") if top else None,
        version=raw.get("Version") if top else None,
        query_language=language,
    )


def _build_state(name: str, st: dict[str, Any], inherited: str) -> State:
    kind = st["Type"]
    declared = st.get("QueryLanguage")
    language = inherited if declared is None else ("JSONPath" if declared == "JSONPath" else "JSONata")
    common: dict[str, Any] = {
        "name": name,
        "comment": st.get("Comment"),
        "query_language": declared,
        "jsonata": language == "JSONata",
        "input_path": st.get("InputPath", "$"),
        "output_path": st.get("OutputPath", "$"),
        "assign": st.get("Assign"),
        "output": st.get("Output", ABSENT),
        "raw": st,
    }
    if kind in ("Pass", "Task", "Wait", "Parallel", "Map"):
        common.update(next=st.get("Next"), end=st.get("End") is True)
    if kind in ("Task", "Parallel", "Map"):
        common.update(
            result_path=st.get("ResultPath", "$"),
            parameters=st.get("Parameters"),
            result_selector=st.get("ResultSelector"),
            retry=tuple(_retrier(r) for r in st.get("Retry", ())),
            catch=tuple(_catcher(c) for c in st.get("Catch", ())),
        )
    if kind == "Pass":
        return PassState(**common, result_path=st.get("ResultPath", "$"), parameters=st.get("Parameters"),
                         result=st.get("Result", ABSENT))
    if kind == "Task":
        return TaskState(
            **common,
            resource=st["Resource"],
            timeout_seconds=st.get("TimeoutSeconds"),
            timeout_seconds_path=st.get("TimeoutSecondsPath"),
            heartbeat_seconds=st.get("HeartbeatSeconds"),
            heartbeat_seconds_path=st.get("HeartbeatSecondsPath"),
            credentials=st.get("Credentials"),
            arguments=st.get("Arguments", ABSENT),
        )
    if kind == "Choice":
        return ChoiceState(**common, choices=tuple(_rule(r, top=True) for r in st["Choices"]),
                           default=st.get("Default"))
    if kind == "Wait":
        return WaitState(**common, seconds=st.get("Seconds"), timestamp=st.get("Timestamp"),
                         seconds_path=st.get("SecondsPath"), timestamp_path=st.get("TimestampPath"))
    if kind == "Succeed":
        return SucceedState(**common)
    if kind == "Fail":
        return FailState(**common, error=st.get("Error"), cause=st.get("Cause"),
                         error_path=st.get("ErrorPath"), cause_path=st.get("CausePath"))
    if kind == "Parallel":
        return ParallelState(**common, branches=tuple(build_definition(b, language=inherited) for b in st["Branches"]),
                             arguments=st.get("Arguments", ABSENT))
    processor_field = "ItemProcessor" if "ItemProcessor" in st else "Iterator"
    processor = st[processor_field]
    return MapState(
        **common,
        item_processor=build_definition(processor, language=inherited),
        processor_config=processor.get("ProcessorConfig"),
        uses_iterator=processor_field == "Iterator",
        items_path=st.get("ItemsPath", "$"),
        item_selector=st.get("ItemSelector"),
        max_concurrency=st.get("MaxConcurrency", 0),
        max_concurrency_path=st.get("MaxConcurrencyPath"),
        tolerated_failure_percentage=st.get("ToleratedFailurePercentage"),
        tolerated_failure_percentage_path=st.get("ToleratedFailurePercentagePath"),
        tolerated_failure_count=st.get("ToleratedFailureCount"),
        tolerated_failure_count_path=st.get("ToleratedFailureCountPath"),
        item_reader=st.get("ItemReader"),
        result_writer=st.get("ResultWriter"),
        item_batcher=st.get("ItemBatcher"),
        label=st.get("Label"),
        items=st.get("Items", ABSENT),
    )


def _retrier(r: dict[str, Any]) -> Retrier:
    return Retrier(
        error_equals=tuple(r["ErrorEquals"]),
        interval_seconds=r.get("IntervalSeconds", 1),
        max_attempts=r.get("MaxAttempts", 3),
        backoff_rate=float(r.get("BackoffRate", 2.0)),
        max_delay_seconds=r.get("MaxDelaySeconds"),
        jitter_strategy=r.get("JitterStrategy", "NONE"),
        comment=r.get("Comment"),
    )


def _catcher(c: dict[str, Any]) -> Catcher:
    return Catcher(error_equals=tuple(c["ErrorEquals"]), next=c["Next"], result_path=c.get("ResultPath", "$"),
                   comment=c.get("Comment"), assign=c.get("Assign"), output=c.get("Output", ABSENT))


def _rule(r: dict[str, Any], *, top: bool = False) -> ChoiceRule:
    common = {"next": r.get("Next") if top else None, "comment": r.get("Comment"), "assign": r.get("Assign"),
              "output": r.get("Output", ABSENT)}
    if "And" in r:
        return AndRule(**common, rules=tuple(_rule(x) for x in r["And"]))
    if "Or" in r:
        return OrRule(**common, rules=tuple(_rule(x) for x in r["Or"]))
    if "Not" in r:
        return NotRule(**common, rule=_rule(r["Not"]))
    if "Condition" in r:
        return ConditionRule(**common, condition=r["Condition"])
    operator = next(op for op in COMPARISON_OPERATORS if op in r)
    return ComparisonRule(**common, variable=r["Variable"], operator=operator, value=r[operator])
