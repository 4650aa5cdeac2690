"""Payload templates (Parameters, ItemSelector, ResultSelector) and InputPath/OutputPath.

A template is compiled once: every field whose name ends in `.$` becomes a path or an
intrinsic call, emitted under the name without `.$`; every other value is copied as is.
Fields are processed at any depth, inside nested objects and arrays.

LIMITATIONS (where we knowingly differ from AWS):
- `validate_template` reports problems with a JSON pointer relative to the template
  (e.g. `at /a/b.$`); AWS points at the template field itself.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from services.stepfunctions.data.intrinsics import (
    IntrinsicCall,
    IntrinsicSyntaxError,
    evaluate_intrinsic,
    is_intrinsic,
    parse_intrinsic,
)
from services.stepfunctions.data.jsonpath import PathNotFound, PathSyntaxError, to_json
from services.stepfunctions.data.references import Reference, compile_reference
from services.stepfunctions.failures import runtime


class TemplateError(ValueError):
    """A template that cannot be compiled; the message is its first problem."""


@dataclass(frozen=True)
class _Const:
    value: Any

    def evaluate(self, data: Any, context: dict) -> Any:
        value = self.value
        return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


@dataclass(frozen=True)
class _Path:
    field: str  # the template's field name, with its `.$`
    path: Reference

    def evaluate(self, data: Any, context: dict) -> Any:
        try:
            return self.path.get(data, context)
        except PathNotFound:
            target = data if self.path.variable is not None else self.path.target(data, context)
            raise runtime(
                f"The JSONPath '{self.path.text}' specified for the field '{self.field}'"
                f" could not be found in the input '{to_json(target)}'"
            ) from None


@dataclass(frozen=True)
class _Intrinsic:
    call: IntrinsicCall

    def evaluate(self, data: Any, context: dict) -> Any:
        return evaluate_intrinsic(self.call, data, context)


@dataclass(frozen=True)
class _Object:
    fields: tuple[tuple[str, Any], ...]  # (output name, node)

    def evaluate(self, data: Any, context: dict) -> Any:
        return {name: node.evaluate(data, context) for name, node in self.fields}


@dataclass(frozen=True)
class _Array:
    items: tuple[Any, ...]

    def evaluate(self, data: Any, context: dict) -> Any:
        return [item.evaluate(data, context) for item in self.items]


@dataclass(frozen=True)
class CompiledTemplate:
    template: Any
    root: Any

    def evaluate(self, data: Any, context: dict) -> Any:
        return self.root.evaluate(data, context)


def _dynamic_problem(field: str, value: Any) -> str | None:
    message = (
        f"The value for the field '{field}' must be a valid JSONPath"
        " or a valid intrinsic function call"
    )
    if not isinstance(value, str):
        return message
    if value.startswith("$"):
        try:
            compile_reference(value)
        except PathSyntaxError:
            return message
        return None
    if is_intrinsic(value):
        try:
            parse_intrinsic(value)
        except IntrinsicSyntaxError as exc:
            return f"{message}: {exc}"
        return None
    return message


def _pointer_part(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _problems(node: Any, pointer: str) -> list[str]:
    problems: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{pointer}/{_pointer_part(key)}"
            if key.endswith(".$"):
                if (problem := _dynamic_problem(key, value)) is not None:
                    problems.append(f"{problem} at {where}")
            else:
                problems.extend(_problems(value, where))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            problems.extend(_problems(item, f"{pointer}/{i}"))
    return problems


def validate_template(template: Any) -> list[str]:
    """Problems in a payload template, for the definition validator; [] when valid."""
    return _problems(template, "")


def _compile(node: Any) -> Any:
    if isinstance(node, dict):
        fields: list[tuple[str, Any]] = []
        for key, value in node.items():
            if key.endswith(".$"):
                compiled: Any
                if value.startswith("$"):
                    compiled = _Path(key, compile_reference(value))
                else:
                    compiled = _Intrinsic(parse_intrinsic(value))
                fields.append((key[:-2], compiled))
            else:
                fields.append((key, _compile(value)))
        if all(isinstance(n, _Const) for _, n in fields):
            return _Const(node)
        return _Object(tuple(fields))
    if isinstance(node, list):
        items = tuple(_compile(item) for item in node)
        return _Const(node) if all(isinstance(i, _Const) for i in items) else _Array(items)
    return _Const(node)


def compile_template(template: Any) -> CompiledTemplate:
    """Raises TemplateError with the first problem validate_template would report."""
    if problems := validate_template(template):
        raise TemplateError(problems[0])
    return CompiledTemplate(template, _compile(template))


def apply_path(data: Any, path: str | None, context: dict) -> Any:
    """InputPath / OutputPath: None gives {}; a path that matches nothing is States.Runtime."""
    if path is None:
        return {}
    if path == "$":  # the default InputPath and OutputPath: the whole value
        return data
    try:
        return compile_reference(path).get(data, context)
    except PathNotFound as exc:
        raise runtime(f"Invalid path '{path}' : {exc.detail}") from None
