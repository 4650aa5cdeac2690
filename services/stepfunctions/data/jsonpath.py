"""JSONPath as Step Functions reads it (the Jayway dialect): parse once, evaluate many times.

A path starts with `$` (the state's data) or `$$` (the context object; the caller passes
the context object as `data`). Steps: `.name`, `['name']`, `[n]` (negative counts from
the end), `.*`/`[*]`, `..step`, `[start:end:step]`, unions `[0,1]`/`['a','b']`, filters
`[?(@.price < 10 && @.isbn)]`, and `.length()` at the end. A *reference path* (ResultPath,
ItemsPath, Choice `Variable`, ...) uses only `.name`, `['name']` and `[n]`.

A definite path (every step selects at most one node) yields the node or raises
PathNotFound; an indefinite one yields the list of matches, possibly empty.

LIMITATIONS (where we knowingly differ from AWS / Jayway):
- Filters support comparisons (== != < <= > >=), existence (`@.x`), `!`, `&&`, `||` and
  parentheses; not regular expressions (`=~`) nor `in`/`nin`/`subsetof` and friends.
- `length()` is the only path function; other functions (AWS accepts `.sum()` at creation
  and fails at run time) are parsed and always "not found".
- In a quoted name, AWS keeps a backslash that comes before the other kind of quote
  (`$['a\\"b']` names `a\\"b`, as recorded); that `\\'` and `\\\\` stand for `'` and `\\` is
  our assumption.
- PathNotFound messages follow Jayway's "No results for path" / "Missing property in path"
  wording, but a step applied to the wrong kind of node reports "No results" rather than
  Jayway's Java-class message.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from services.stepfunctions.failures import StatesFailure


class PathNotFound(Exception):
    """A definite path selected nothing. `detail` is Jayway's wording, for error causes."""

    def __init__(self, path: str, detail: str | None = None) -> None:
        super().__init__(detail or f"No results for path: {path}")
        self.path = path
        self.detail = detail or f"No results for path: {path}"


class PathSyntaxError(ValueError):
    pass


def json_type_name(value: Any) -> str:
    """null, boolean, number, string, array or object: the names AWS's messages use."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def to_json(value: Any) -> str:
    """Compact JSON, as AWS quotes data in error causes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- steps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Slice:
    start: int | None
    end: int | None
    step: int | None


@dataclass(frozen=True)
class Union:
    keys: tuple[str | int, ...]


@dataclass(frozen=True)
class Filter:
    expr: Any  # a filter expression node (below)


@dataclass(frozen=True)
class Descend:
    """`..` followed by a selector: applies the selector to a node and all its descendants."""

    selector: Field | Index | Wildcard | Slice | Union | Filter


@dataclass(frozen=True)
class Function:
    name: str


Step = Field | Index | Wildcard | Slice | Union | Filter | Descend | Function


# --- filter expressions ----------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class SubPath:
    """`@...` (relative to the filtered node) or `$...` (relative to the root)."""

    relative: bool
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Literal | SubPath
    right: Literal | SubPath


@dataclass(frozen=True)
class Exists:
    path: SubPath


@dataclass(frozen=True)
class Not:
    expr: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # "&&" or "||"
    left: Any
    right: Any


# --- parser ----------------------------------------------------------------------------

_NAME = re.compile(r"[^.\[\]()\s'\"=!<>&|,@$?*:]+")
_INT = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_COMPARE_OPS = ("==", "!=", "<=", ">=", "<", ">")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, reason: str) -> PathSyntaxError:
        return PathSyntaxError(f"{reason} at position {self.pos}")

    def peek(self, s: str) -> bool:
        return self.text.startswith(s, self.pos)

    def eat(self, s: str) -> bool:
        if self.peek(s):
            self.pos += len(s)
            return True
        return False

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def steps(self, stop: str = "") -> tuple[Step, ...]:
        """Steps until the end of the text, or (inside a filter) any char in `stop`."""
        steps: list[Step] = []
        while not self.at_end() and self.text[self.pos] not in stop:
            if steps and isinstance(steps[-1], Function):
                raise self.fail("a function must be the last step")
            if self.eat(".."):
                if self.peek("["):
                    steps.append(Descend(self.bracket()))
                elif self.eat("*"):
                    steps.append(Descend(Wildcard()))
                else:
                    steps.append(Descend(Field(self.name())))
            elif self.eat("."):
                if self.peek("["):  # `$.abc.['def ghi']`, as the AWS guide writes it
                    steps.append(self.bracket())
                elif self.eat("*"):
                    steps.append(Wildcard())
                else:
                    name = self.name()
                    steps.append(Function(name) if self.eat("()") else Field(name))
            elif self.peek("["):
                steps.append(self.bracket())
            else:
                raise self.fail(f"unexpected character {self.text[self.pos]!r}")
        return tuple(steps)

    def name(self) -> str:
        m = _NAME.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a field name")
        self.pos = m.end()
        return m.group()

    def quoted(self) -> str:
        """A quoted name or string. A backslash escapes the closing quote or a backslash;
        before any other character it is part of the text (`['a\\"b']` names `a\\"b`)."""
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while not self.at_end():
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                out.append(nxt if nxt in (quote, "\\") else ch + nxt)
                self.pos += 2
            elif ch == quote:
                self.pos += 1
                return "".join(out)
            else:
                out.append(ch)
                self.pos += 1
        raise self.fail("unterminated string")

    def integer(self) -> int | None:
        self.skip_spaces()
        m = _INT.match(self.text, self.pos)
        if not m:
            return None
        self.pos = m.end()
        self.skip_spaces()
        return int(m.group())

    def bracket(self) -> Step:
        self.eat("[")
        self.skip_spaces()
        step: Step
        if self.eat("?"):
            self.skip_spaces()
            if not self.eat("("):
                raise self.fail("expected '(' after '?'")
            step = Filter(self.filter_or())
            self.skip_spaces()
            if not self.eat(")"):
                raise self.fail("expected ')' closing the filter")
        elif self.eat("*"):
            step = Wildcard()
        elif self.peek("'") or self.peek('"'):
            names = [self.quoted()]
            self.skip_spaces()
            while self.eat(","):
                self.skip_spaces()
                if not (self.peek("'") or self.peek('"')):
                    raise self.fail("expected a quoted name")
                names.append(self.quoted())
                self.skip_spaces()
            step = Field(names[0]) if len(names) == 1 else Union(tuple(names))
        else:
            start = self.integer()
            if self.peek(":"):
                step = self.slice(start)
            elif start is None:
                raise self.fail("expected an index, a quoted name, '*', a slice or a filter")
            else:
                indexes = [start]
                while self.eat(","):
                    if (i := self.integer()) is None:
                        raise self.fail("expected an index")
                    indexes.append(i)
                step = Index(start) if len(indexes) == 1 else Union(tuple(indexes))
        self.skip_spaces()
        if not self.eat("]"):
            raise self.fail("expected ']'")
        return step

    def slice(self, start: int | None) -> Slice:
        self.eat(":")
        end = self.integer()
        step = None
        if self.eat(":"):
            step = self.integer()
            if step == 0:
                raise self.fail("slice step cannot be zero")
        return Slice(start, end, step)

    # filter expression grammar: or := and ('||' and)*; and := unary ('&&' unary)*;
    # unary := '!' unary | '(' or ')' | operand [op operand]
    def filter_or(self) -> Any:
        left = self.filter_and()
        while True:
            self.skip_spaces()
            if not self.eat("||"):
                return left
            left = BoolOp("||", left, self.filter_and())

    def filter_and(self) -> Any:
        left = self.filter_unary()
        while True:
            self.skip_spaces()
            if not self.eat("&&"):
                return left
            left = BoolOp("&&", left, self.filter_unary())

    def filter_unary(self) -> Any:
        self.skip_spaces()
        if self.peek("!") and not self.peek("!="):
            self.pos += 1
            return Not(self.filter_unary())
        if self.eat("("):
            expr = self.filter_or()
            self.skip_spaces()
            if not self.eat(")"):
                raise self.fail("expected ')'")
            return expr
        left = self.operand()
        self.skip_spaces()
        for op in _COMPARE_OPS:
            if self.eat(op):
                return Compare(op, left, self.operand())
        if isinstance(left, Literal):
            raise self.fail("expected a comparison operator")
        return Exists(left)

    def operand(self) -> Literal | SubPath:
        self.skip_spaces()
        if self.peek("@") or self.peek("$"):
            relative = self.text[self.pos] == "@"
            self.pos += 1
            return SubPath(relative, self.steps(stop=" \t)=!<>&|"))
        if self.peek("'") or self.peek('"'):
            return Literal(self.quoted())
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.eat(word):
                return Literal(value)
        m = _NUMBER.match(self.text, self.pos)
        if m:
            self.pos = m.end()
            number = float(m.group()) if m.group(1) or m.group(2) else int(m.group())
            return Literal(number)
        raise self.fail("expected a value, '@' or '$'")


def _parse(text: str) -> tuple[bool, tuple[Step, ...]]:
    """(is_context, steps) or PathSyntaxError."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError("a path must start with '$'")
    parser = _Parser(text)
    context = parser.eat("$$") or not parser.eat("$")
    return context, parser.steps()


def _is_reference(steps: tuple[Step, ...]) -> bool:
    return all(isinstance(s, (Field, Index)) for s in steps)


def validate_path(path: str, *, reference: bool = False) -> str | None:
    """None when `path` is a valid Path (or Reference Path), else a short reason."""
    try:
        _, steps = _parse(path)
    except PathSyntaxError as exc:
        return str(exc)
    if reference and not _is_reference(steps):
        return "a reference path may only use '.name', \"['name']\" and '[index]' steps"
    return None


# --- evaluation ------------------------------------------------------------------------

_MISSING = object()


def _child(node: Any, key: str | int) -> Any:
    if isinstance(key, str):
        return node.get(key, _MISSING) if isinstance(node, dict) else _MISSING
    if isinstance(node, list) and -len(node) <= key < len(node):
        return node[key]
    return _MISSING


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, list):
        return list(node)
    return []


def _select(step: Step, node: Any, root: Any) -> list[Any]:
    """The nodes one (non-function) step selects from one node."""
    if isinstance(step, Field):
        value = _child(node, step.name)
        return [] if value is _MISSING else [value]
    if isinstance(step, Index):
        value = _child(node, step.index)
        return [] if value is _MISSING else [value]
    if isinstance(step, Wildcard):
        return _children(node)
    if isinstance(step, Slice):
        return node[step.start : step.end : step.step] if isinstance(node, list) else []
    if isinstance(step, Union):
        values = (_child(node, key) for key in step.keys)
        return [v for v in values if v is not _MISSING]
    if isinstance(step, Filter):
        candidates = node if isinstance(node, list) else [node] if isinstance(node, dict) else []
        return [c for c in candidates if _test(step.expr, c, root)]
    if isinstance(step, Descend):
        out: list[Any] = []
        stack = [node]
        while stack:
            current = stack.pop()
            out.extend(_select(step.selector, current, root))
            stack.extend(reversed(_children(current)))
        return out
    raise AssertionError(step)


def _test(expr: Any, node: Any, root: Any) -> bool:
    if isinstance(expr, BoolOp):
        if expr.op == "&&":
            return _test(expr.left, node, root) and _test(expr.right, node, root)
        return _test(expr.left, node, root) or _test(expr.right, node, root)
    if isinstance(expr, Not):
        return not _test(expr.expr, node, root)
    if isinstance(expr, Exists):
        return _operand(expr.path, node, root) is not _MISSING
    left, right = _operand(expr.left, node, root), _operand(expr.right, node, root)
    if left is _MISSING or right is _MISSING:
        return False
    return _compare(expr.op, left, right)


def _operand(operand: Literal | SubPath, node: Any, root: Any) -> Any:
    if isinstance(operand, Literal):
        return operand.value
    matches = _walk(operand.steps, node if operand.relative else root)
    if not _is_definite(operand.steps):
        return matches
    return matches[0] if matches else _MISSING


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _compare(op: str, left: Any, right: Any) -> bool:
    same = _kind(left) == _kind(right)
    if op == "==":
        return same and left == right
    if op == "!=":
        return not (same and left == right)
    if not same or _kind(left) not in ("number", "str"):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _walk(steps: tuple[Step, ...], data: Any) -> list[Any]:
    nodes = [data]
    for step in steps:
        if isinstance(step, Function):
            return []  # functions are handled by CompiledPath; inside filters: not found
        nodes = [hit for node in nodes for hit in _select(step, node, data)]
    return nodes


def _is_definite(steps: tuple[Step, ...]) -> bool:
    return all(isinstance(s, (Field, Index, Function)) for s in steps)


def _normalized(steps: tuple[Step, ...]) -> str:
    """Jayway's normalized form, `$['a'][0]`, used in PathNotFound details."""
    parts = ["$"]
    for step in steps:
        parts.append(f"['{step.name}']" if isinstance(step, Field) else f"[{step.index}]")
    return "".join(parts)


@dataclass(frozen=True)
class CompiledPath:
    text: str
    steps: tuple[Step, ...]
    is_context: bool
    is_reference: bool
    is_definite: bool

    def get(self, data: Any) -> Any:
        """The selected node (definite paths; PathNotFound if none) or the list of matches."""
        steps, function = self.steps, None
        if steps and isinstance(steps[-1], Function):
            steps, function = steps[:-1], steps[-1].name
        if function is None and self.is_definite:
            return self._get_definite(data)
        value = self._get_definite(data, steps) if self.is_definite else _walk(steps, data)
        if function is None:
            return value
        if function == "length" and isinstance(value, (list, dict, str)):
            return len(value)
        raise PathNotFound(self.text)

    def _get_definite(self, data: Any, steps: tuple[Step, ...] | None = None) -> Any:
        steps = self.steps if steps is None else steps
        node = data
        for i, step in enumerate(steps):
            assert isinstance(step, (Field, Index))
            node = _child(node, step.name if isinstance(step, Field) else step.index)
            if node is _MISSING:
                if i == len(steps) - 1:
                    detail = f"No results for path: {_normalized(steps)}"
                else:
                    detail = f"Missing property in path {_normalized(steps[: i + 1])}"
                raise PathNotFound(self.text, detail)
        return node

    def exists(self, data: Any) -> bool:
        try:
            value = self.get(data)
        except PathNotFound:
            return False
        return self.is_definite or bool(value)


@functools.lru_cache(maxsize=4096)
def compile_path(path: str) -> CompiledPath:
    """Raises PathSyntaxError (a ValueError) for an invalid path."""
    context, steps = _parse(path)
    return CompiledPath(path, steps, context, _is_reference(steps), _is_definite(steps))


# --- ResultPath ------------------------------------------------------------------------


def set_result(data: Any, result_path: str | None, result: Any) -> Any:
    """The state's output before OutputPath: `data` with `result` placed at `result_path`.

    None discards the result; "$" replaces the input; "$.a.b" writes into a copy of the
    input, creating missing objects on the way.
    """
    if result_path is None:
        return data
    compiled = compile_path(result_path)
    if not compiled.steps:
        return result

    def fail() -> StatesFailure:
        return StatesFailure(
            "States.ResultPathMatchFailure",
            f"Unable to apply ReferencePath {result_path} to input {to_json(data)}",
        )

    if not compiled.is_reference or compiled.is_context:
        raise fail()

    def place(node: Any, steps: tuple[Step, ...]) -> Any:
        step, rest = steps[0], steps[1:]
        if isinstance(step, Field):
            if not isinstance(node, dict):
                raise fail()
            updated = dict(node)
            child = node.get(step.name, _MISSING)
            if rest:
                child = {} if child is _MISSING else child
                updated[step.name] = place(child, rest)
            else:
                updated[step.name] = result
            return updated
        assert isinstance(step, Index)
        if not isinstance(node, list) or not -len(node) <= step.index < len(node):
            raise fail()
        updated_list = list(node)
        updated_list[step.index] = place(node[step.index], rest) if rest else result
        return updated_list

    return place(data, compiled.steps)
