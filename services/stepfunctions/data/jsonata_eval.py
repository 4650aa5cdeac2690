"""JSONata for `QueryLanguage: "JSONata"`: compile once at creation, evaluate many times.

jsonata-python is the engine. A string is an expression when it starts with `{%` and ends
with `%}` (no surrounding spaces, as the guide requires). Each evaluation gets a fresh
frame holding `$states` and the workflow variables the expression mentions; its parent
holds the Step Functions functions (jsonata_functions). The context value `$` is undefined.

Error texts are AWS's, recorded in LocalStack's AWS snapshots (each noted where built);
the interpreter prefixes them with "An error occurred while executing the state ...".

LIMITATIONS (where we knowingly differ from AWS, or do not know what it does):
- An expression anywhere in a Template that yields undefined fails with "returned nothing
  (undefined)" (recorded for object members and whole fields; assumed for array items,
  whose location we write as `Field/3`).
- A function anywhere in a result is "an unsupported result type" (recorded for a whole
  result only).
- JSONata error texts follow jsonata-js (`T2001: The left side of the "+" operator ...`);
  AWS recorded only T1006. Python errors the engine lets escape get a generic text.
- Syntax errors and the malformed-delimiter error use our wording (nothing recorded).
- Bounds are ours: time (checked every 256 steps, so a single slow built-in is not
  interrupted), nesting depth, and result size; results that pass them may still exceed
  AWS's 256 KiB payload limit, which the interpreter checks.
- Numbers from arithmetic are integers when integral (jsonata-python does this);
  numbers taken from the input or variables are returned unchanged (1.0 stays 1.0).
- Results may share structure with `$states` and variables: never mutate them.
"""

from __future__ import annotations

import ast
import functools
import json
import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from random import Random
from typing import Any

from jsonata import JException, Jsonata, Utils
from jsonata.parser import Parser

from services.stepfunctions.data.jsonata_functions import BUILTIN_NAMES, FunctionError, active, functions_frame
from services.stepfunctions.data.jsonpath import json_type_name


class _Undefined:
    def __repr__(self) -> str:
        return "UNDEFINED"

    def __reduce__(self) -> str:  # copies and pickles stay the one UNDEFINED
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()  # what an expression yields when JSONata yields nothing
_FALLBACK = object()  # a fast path declining: evaluate with the engine
_NULL = Utils.NULL_VALUE  # jsonata-python's JSON null (its None is undefined)


@dataclass(frozen=True, slots=True)
class JsonataLimits:
    """Emulator bounds, so one expression cannot hold the event loop (AWS documents none)."""

    timeout_seconds: float = 1.0
    max_depth: int = 1000  # nested evaluation steps; deep recursion stays clear of Python's limit
    max_result_size: int = 4_000_000  # approximate JSON size of a result, in characters


DEFAULT_LIMITS = JsonataLimits()


@dataclass(frozen=True, slots=True)
class JsonataEnv:
    states: Mapping[str, Any]  # $states: input, result, errorOutput, context
    variables: Mapping[str, Any]  # workflow variables visible to the state
    now: float  # service clock, epoch seconds: $now() and $millis()
    random: Random  # the execution's generator: unseeded $random() and $uuid()
    partition: str = "aws"  # the ARN partition; none of the functions here needs it yet
    limits: JsonataLimits = field(default=DEFAULT_LIMITS)


class JsonataSyntaxError(Exception):
    """A definition's expression that does not parse; `message` is for InvalidDefinition."""

    def __init__(self, message: str, *, location: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location  # e.g. "Output/result", "" when compiled without one


class JsonataEvaluationError(Exception):
    """States.QueryEvaluationError; `message` is the cause after the interpreter's state prefix."""

    def __init__(self, message: str, *, expression: str, location: str) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression  # the text between the delimiters
        self.location = location  # the EvaluationFailed event's `location`


def is_expression(value: object) -> bool:
    """Exactly `{%...%}`: the guide allows no spaces before `{%` or after `%}`."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


def jsonata_type(value: Any) -> str:
    """The JSONata type name AWS prints in "Expected 'array', but was 'object'"."""
    return json_type_name(value)


def to_json_text(value: Any) -> str:
    """Compact JSON, as AWS prints values in causes (`{"foo":"bar"}`)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- error texts --------------------------------------------------------------------------


def _js_text(value: Any) -> str:
    """JSON.stringify, which jsonata-js uses to fill `{{...}}` in its messages."""
    if isinstance(value, float) and not math.isfinite(value):
        return "null"
    try:
        return to_json_text(value)
    except (TypeError, ValueError):
        return str(value)


def _jsonata_message(exc: JException) -> str:
    """`CODE: message` in jsonata-js's words; jsonata-python's own say "Object" for "function"."""
    template = JException.error_codes.get(exc.error)
    if template is None:
        return f"{exc.error}: {exc}"
    inserts = iter((exc.expected,) if exc.error == "D1002" else (exc.current, exc.expected, exc.extra))

    def fill(match: re.Match[str]) -> str:
        value = next(inserts, None)
        return str(value) if match.group().startswith("{{{") else _js_text(value)

    text = re.sub(r"\{\{\{\w+\}\}\}|\{\{\w+\}\}", fill, re.sub(r"\bObject\b", "function", template))
    return f"{exc.error}: {text}"


def _python_message(exc: Exception) -> str:
    """Errors jsonata-python raises as plain Python exceptions, worded as jsonata-js would."""
    if isinstance(exc, RecursionError):
        return _jsonata_message(JException("D1011", -1))
    if isinstance(exc, (ZeroDivisionError, OverflowError)):
        return "D1001: Number out of range: null"
    if isinstance(exc, ValueError) and str(exc).startswith("could not convert string to float: "):
        try:  # the text is Python's repr of the string
            value = _js_text(ast.literal_eval(str(exc).partition(": ")[2]))
        except (ValueError, SyntaxError):
            value = str(exc).partition(": ")[2]
        return f"D3030: Unable to cast value to a number: {value}"
    return f"{type(exc).__name__}: {exc}"


# --- the engine ---------------------------------------------------------------------------


class _Engine(Jsonata):
    """jsonata-python with one hook overridden: a path of plain names over objects is walked
    directly (the library evaluates each step as a sequence); anything else is the library's."""

    def evaluate_path(self, expr: Any, input: Any, environment: Any) -> Any:
        names = getattr(expr, "sfn_names", None)
        if names is None:
            return super().evaluate_path(expr, input, environment)
        value = environment.lookup(names[0])
        for name in names[1:]:
            if not isinstance(value, dict):
                return super().evaluate_path(expr, input, environment)
            value = value.get(name, _FALLBACK)
            if value is _FALLBACK:
                return None
            if value is None:
                value = _NULL
        return value


@functools.lru_cache(maxsize=64)
def _engine_of(thread: int) -> tuple[_Engine, Any]:
    """A thread's engine and its frame of AWS's functions: jsonata-python keeps scratch of the
    running evaluation on the instance, so each thread has its own (cached like a pure
    function: neither holds anything of an application)."""
    return _Engine("$"), functions_frame()


class _Guard:
    """Time and depth bounds, called by jsonata-python on entering and leaving every step."""

    __slots__ = ("deadline", "max_depth", "depth", "steps", "timeout_ms")

    def __init__(self, limits: JsonataLimits) -> None:
        self.deadline = time.monotonic() + limits.timeout_seconds
        self.timeout_ms = int(limits.timeout_seconds * 1000)
        self.max_depth = limits.max_depth
        self.depth = 0
        self.steps = 0

    def enter(self, expr: Any, input: Any, environment: Any) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise JException("D1011", -1)
        self.steps += 1
        if not self.steps & 0xFF and time.monotonic() > self.deadline:
            raise JException("D1012", -1, self.timeout_ms)

    def exit(self, expr: Any, input: Any, environment: Any, result: Any) -> None:
        self.depth -= 1


_PLAIN_STEP = frozenset({"_outer_instance", "id", "value", "type", "position"})
_PLAIN_PATH = _PLAIN_STEP | {"steps"}


def _plain(node: Any, allowed: frozenset[str]) -> bool:
    return all(not v or k in allowed for k, v in vars(node).items())


def _simple_path(node: Any) -> tuple[str, ...] | None:
    """`$a.b.c` or `$a` with no predicates, bindings or other decorations, as names."""
    if node.type == "variable" and node.value not in ("", "$") and _plain(node, _PLAIN_STEP):
        return (node.value,)
    if node.type != "path" or not _plain(node, _PLAIN_PATH):
        return None
    first, *rest = node.steps
    if first.type != "variable" or first.value in ("", "$") or not _plain(first, _PLAIN_STEP):
        return None
    if not all(step.type == "name" and _plain(step, _PLAIN_STEP) for step in rest):
        return None
    return (first.value, *(step.value for step in rest))


def _nodes(node: Any, seen: set[int]) -> Any:
    """Every AST node under `node` (the parser's nodes hold children in many attributes)."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _nodes(item, seen)
    elif isinstance(node, Parser.Symbol) and id(node) not in seen:
        seen.add(id(node))
        yield node
        for key, value in vars(node).items():
            if key != "_outer_instance" and isinstance(value, (Parser.Symbol, list, tuple)):
                yield from _nodes(value, seen)


def _names(tree: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(variables read, variables bound) anywhere in the expression."""
    read: set[str] = set()
    bound: set[str] = set()
    for node in _nodes(tree, set()):
        if node.type == "variable" and node.value not in ("", "$"):
            read.add(node.value)
        elif node.type == "bind" and node.lhs is not None:
            bound.add(node.lhs.value)
        elif node.type == "lambda":
            bound.update(arg.value for arg in node.arguments or ())
        for name in (node.focus, node.index):
            if isinstance(name, str):
                bound.add(name)
    return frozenset(read), frozenset(bound)


def _to_json(value: Any, budget: list[int], expression: Expression) -> Any:
    """A JSONata value as plain JSON (sequences as lists, jsonata's null as None), within budget."""
    budget[0] -= len(value) + 2 if isinstance(value, str) else 1
    if budget[0] < 0:
        raise expression.error("returned a result larger than the emulator's bound.")
    if value is None or value is _NULL:
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        budget[0] -= sum(len(key) + 3 for key in value)
        return {key: _to_json(item, budget, expression) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_json(item, budget, expression) for item in value]
    # recorded: test_base_scenarios.py::test_map_state_items_eval_jsonata_fail[function]
    raise expression.error("returned an unsupported result type.")


# --- expressions and templates ------------------------------------------------------------


class Expression:
    """One compiled `{% ... %}`; evaluate() is cheap and may return UNDEFINED."""

    __slots__ = ("source", "body", "location", "_tree", "_read", "_names", "_path")

    def __init__(self, source: str, body: str, location: str, tree: Any) -> None:
        self.source = source  # as written, with its delimiters
        self.body = body  # what AWS quotes in causes: the text between the delimiters, stripped
        self.location = location
        self._tree = tree
        read, bound = _names(tree)
        self._read = read - bound - BUILTIN_NAMES - {"states"}
        self._names = tuple(read | bound)  # bound from the workflow's variables when present
        self._path = _simple_path(tree)
        for node in _nodes(tree, set()):
            if node.type == "path" and (names := _simple_path(node)) is not None:
                node.sfn_names = names

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def variables(self) -> frozenset[str]:
        """Workflow variables read, without $states, built-in functions and local bindings."""
        return self._read

    def evaluate(self, env: JsonataEnv) -> Any:
        if self._path is not None and (value := self._walk(env)) is not _FALLBACK:
            return value
        engine, functions = _engine_of(threading.get_ident())
        frame = Jsonata.Frame(functions)
        bindings = frame.bindings
        variables = env.variables
        for name in self._names:
            if name in variables:
                value = variables[name]
                bindings[name] = _NULL if value is None else value
        states = env.states
        bindings["states"] = states if isinstance(states, dict) else dict(states)
        guard = _Guard(env.limits)
        bindings["__evaluate_entry"] = guard.enter
        bindings["__evaluate_exit"] = guard.exit
        current = Jsonata.CURRENT  # set by now: constructing an engine sets it
        previous_engine, previous_env = current.jsonata, active.env
        current.jsonata, active.env = engine, env  # the library's built-ins find "the" instance there
        try:
            result = engine.eval(self._tree, None, frame)
        # "threw an error during evaluation. T1006: ..." recorded: test_math_operations_jsonata.py
        except JException as exc:
            raise self.error(f"threw an error during evaluation. {_jsonata_message(exc)}") from None
        except FunctionError as exc:
            raise self.error(f"threw an error during evaluation. {exc}") from None
        except Exception as exc:  # jsonata-python lets some Python errors through
            raise self.error(f"threw an error during evaluation. {_python_message(exc)}") from None
        finally:
            current.jsonata = previous_engine
            if previous_env is None:
                del active.env  # back to the class default: nothing of this evaluation stays behind
            else:
                active.env = previous_env
        if result is None:
            return UNDEFINED
        return _to_json(result, [env.limits.max_result_size], self)

    def _walk(self, env: JsonataEnv) -> Any:
        """A bare `$states.a.b` or `$x.a`: walked in Python, exactly as the engine would."""
        root, *names = self._path
        if root == "states":
            value = env.states
        elif root in env.variables:
            value = env.variables[root]
        else:
            return _FALLBACK
        for name in names:
            if not isinstance(value, dict):
                return _FALLBACK
            value = value.get(name, UNDEFINED)
            if value is UNDEFINED:
                return UNDEFINED
        return value

    def error(self, outcome: str) -> JsonataEvaluationError:
        """A cause in AWS's form, e.g. error("returned nothing (undefined).")."""
        where = f" specified for the field '{self.location}'" if self.location else ""
        message = f"The JSONata expression '{self.body}'{where} {outcome}"
        return JsonataEvaluationError(message, expression=self.body, location=self.location)

    def undefined_error(self) -> JsonataEvaluationError:
        # recorded: test_assign_reference_variables.py (the base_undefined_* templates)
        return self.error("returned nothing (undefined).")

    def unexpected_type_error(self, value: Any, expected: str) -> JsonataEvaluationError:
        """For fields that want one type (Items: "array").

        Recorded: test_base_scenarios.py::test_map_state_items_eval_jsonata_fail."""
        return self.error(
            f"returned an unexpected result type. Expected '{expected}', but was '{jsonata_type(value)}'"
            f" for value: {to_json_text(value)}"
        )


_DELIMITERS = "a JSONata expression must start with '{%' and end with '%}'"


def _syntax_error(location: str, detail: str) -> JsonataSyntaxError:
    field_name = next((part for part in reversed(location.split("/")) if not part.isdigit()), "")
    message = f"The value for the field '{field_name}' must be a valid JSONata expression: {detail}"
    return JsonataSyntaxError(message, location=location)


def compile_expression(text: str, *, location: str = "") -> Expression:
    """`text` is the whole "{% ... %}" string; `location` names the field in causes."""
    if not is_expression(text):
        raise _syntax_error(location, _DELIMITERS)
    body = text[2:-2].strip()
    try:
        tree = Jsonata(body).ast
    except JException as exc:
        raise _syntax_error(location, _jsonata_message(exc)) from None
    except Exception as exc:  # the parser, too, lets Python errors through
        raise _syntax_error(location, str(exc)) from None
    return Expression(text, body, location, tree)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class _Const:
    value: Any

    def evaluate(self, env: JsonataEnv) -> Any:
        return _copy(self.value)


@dataclass(frozen=True, slots=True)
class _Value:
    expression: Expression

    def evaluate(self, env: JsonataEnv) -> Any:
        value = self.expression.evaluate(env)
        if value is UNDEFINED:
            raise self.expression.undefined_error()
        return value


@dataclass(frozen=True, slots=True)
class _Object:
    members: tuple[tuple[str, Any], ...]

    def evaluate(self, env: JsonataEnv) -> Any:
        return {name: node.evaluate(env) for name, node in self.members}


@dataclass(frozen=True, slots=True)
class _Array:
    items: tuple[Any, ...]

    def evaluate(self, env: JsonataEnv) -> Any:
        return [item.evaluate(env) for item in self.items]


def _member(location: str, key: str | int) -> str:
    return f"{location}/{key}" if location else str(key)


def _compile_node(value: Any, location: str, expressions: list[Expression]) -> Any:
    if isinstance(value, str):
        if is_expression(value):
            expressions.append(expression := compile_expression(value, location=location))
            return _Value(expression)
        return _Const(value)  # recorded: " {% states.input %} " (spaces outside the delimiters) is text
    if isinstance(value, dict):
        members = tuple(
            (key, _compile_node(item, _member(location, key), expressions)) for key, item in value.items()
        )
        return _Const(value) if all(isinstance(node, _Const) for _, node in members) else _Object(members)
    if isinstance(value, list):
        items = tuple(_compile_node(item, _member(location, i), expressions) for i, item in enumerate(value))
        return _Const(value) if all(isinstance(node, _Const) for node in items) else _Array(items)
    return _Const(value)


class Template:
    """A JSON value whose strings may be expressions (Arguments, Output, Assign, Items, ...)."""

    __slots__ = ("value", "is_constant", "expressions", "_root", "_variables")

    def __init__(self, value: Any, location: str = "") -> None:
        expressions: list[Expression] = []
        self.value = value
        self._root = _compile_node(value, location, expressions)
        self.expressions = tuple(expressions)
        self.is_constant = not expressions
        self._variables = frozenset().union(*(e.variables() for e in expressions))

    def __repr__(self) -> str:
        return f"Template({self.value!r})"

    def variables(self) -> frozenset[str]:
        return self._variables

    def evaluate(self, env: JsonataEnv) -> Any:
        """The value with every expression replaced; an undefined one fails (AWS, recorded)."""
        return self._root.evaluate(env)


def compile_template(value: Any, *, location: str = "") -> Template:
    """`location` is the field ("Output"); members are located as "Output/key"."""
    return Template(value, location)
