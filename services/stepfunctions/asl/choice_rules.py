"""The Choice rules of the validation pass (validate.py calls `check_choice` for every Choice
state): the Choices list and its Default, each rule's fields, and each comparison's operand.

- a rule has exactly one of And, Or, Not, Variable, Condition; a top-level rule needs a Next
  and may also have Assign and Output, a nested one (in And, Or, Not) may not;
- a Variable rule has exactly one comparison operator, and only a Variable rule has one;
- an operand is typed by its operator: a `...Path` operand is a reference path, a string,
  numeric or timestamp comparison takes a string, a number or an RFC 3339 timestamp, and
  BooleanEquals and the Is* type tests take a boolean;
- in JSONata a rule is a Condition, with none of Variable, And, Or, Not and the operators;
  in JSONPath it has no Condition and no Output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.stepfunctions.asl.ast import COMPARISON_OPERATORS, NUMERIC_OPERATORS, STRING_OPERATORS, TIMESTAMP_OPERATORS
from services.stepfunctions.asl.messages import (
    INVALID_REFERENCE_PATH,
    INVALID_TIMESTAMP,
    NOT_EMPTY,
    RULE_SELECTORS,
    _RFC3339,
    expected_type,
    not_supported,
    only_in,
    only_one,
    required,
)
from services.stepfunctions.data.references import validate_reference as validate_path

if TYPE_CHECKING:
    from services.stepfunctions.asl.validate import _Validator


def check_choice(v: _Validator, st: dict[str, Any], loc: str, language: str) -> None:
    v.typed(st, "Default", str, "STRING", loc)
    choices = st.get("Choices")
    if "Choices" not in st:
        return
    if not isinstance(choices, list):
        v.error(expected_type("ARRAY"), f"{loc}/Choices")
        return
    if not choices:
        v.error(NOT_EMPTY, f"{loc}/Choices")
    for i, rule in enumerate(choices):
        _rule(v, rule, f"{loc}/Choices[{i}]", top=True)
        _rule_language(v, rule, f"{loc}/Choices[{i}]", language)


def _rule_language(v: _Validator, rule: Any, loc: str, language: str) -> None:
    """A JSONata rule is a Condition; a JSONPath rule compares a Variable and has no Output."""
    if not isinstance(rule, dict):
        return
    if language == "JSONata":
        for field in ("Variable", "And", "Or", "Not", *COMPARISON_OPERATORS):
            if field in rule:
                v.error(only_in(language, field), loc)
    else:
        for field in ("Condition", "Output"):
            if field in rule:
                v.error(only_in(language, field), loc)


def _rule(v: _Validator, rule: Any, loc: str, *, top: bool) -> None:
    if not isinstance(rule, dict):
        v.error(expected_type("OBJECT"), loc)
        return
    allowed = {*RULE_SELECTORS, *COMPARISON_OPERATORS, "Comment"} | ({"Next", "Assign", "Output"} if top else set())
    for key in rule:
        if key not in allowed:
            v.error(not_supported(key), loc)
    if top:
        if "Next" not in rule:
            v.error(required("Next"), loc)
        else:
            v.typed(rule, "Next", str, "STRING", loc)
    selectors = [k for k in RULE_SELECTORS if k in rule]
    operators = [k for k in COMPARISON_OPERATORS if k in rule]
    if len(selectors) != 1:
        v.error(f"The object must have only one of the following fields, [{', '.join(RULE_SELECTORS)}]", loc)
    if "Variable" in rule:
        if len(operators) != 1:
            v.error(only_one(*COMPARISON_OPERATORS), loc)
        variable = rule["Variable"]
        if not isinstance(variable, str):
            v.error(expected_type("STRING"), f"{loc}/Variable")
        elif validate_path(variable, reference=True):
            v.error(INVALID_REFERENCE_PATH, f"{loc}/Variable")
    elif operators:
        for op in operators:
            v.error(not_supported(op), loc)
    for op in operators:
        _operand(v, op, rule[op], f"{loc}/{op}")
    for combinator in ("And", "Or"):
        if combinator in rule:
            nested = rule[combinator]
            if not isinstance(nested, list):
                v.error(expected_type("ARRAY"), f"{loc}/{combinator}")
                continue
            if not nested:
                v.error(NOT_EMPTY, f"{loc}/{combinator}")
            for j, sub in enumerate(nested):
                _rule(v, sub, f"{loc}/{combinator}[{j}]", top=False)
    if "Not" in rule:
        _rule(v, rule["Not"], f"{loc}/Not", top=False)


def _operand(v: _Validator, op: str, value: Any, loc: str) -> None:
    if op.endswith("Path"):
        if not isinstance(value, str):
            v.error(expected_type("STRING"), loc)
        elif validate_path(value, reference=True):
            v.error(INVALID_REFERENCE_PATH, loc)
    elif op in STRING_OPERATORS or op == "StringMatches":
        if not isinstance(value, str):
            v.error(expected_type("STRING"), loc)
    elif op in NUMERIC_OPERATORS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            v.error(expected_type("NUMBER"), loc)
    elif op in TIMESTAMP_OPERATORS:
        if not isinstance(value, str):
            v.error(expected_type("STRING"), loc)
        elif not _RFC3339.match(value):
            v.error(INVALID_TIMESTAMP, loc)
    elif not isinstance(value, bool):  # BooleanEquals and the Is* type tests
        v.error(expected_type("BOOLEAN"), loc)
