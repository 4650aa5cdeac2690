"""Intrinsic functions (`States.Format('Hi {}', $.name)`): parse once, evaluate many times.

Arguments are single-quoted strings (escapes `\\'`, `\\{`, `\\}`, `\\\\`), numbers,
`true`/`false`/`null`, paths (`$.x`, `$$.Execution.Id`, `$variable.x`) and nested calls.

AWS runs these on the JVM, and it shows: States.MathAdd rounds each argument as Java's
Math.round does (halves toward +infinity: 2.5 -> 3, -2.5 -> -2), and States.Format renders
an object or array argument as Java renders a Map or List (`{Arg1=1, Arg2=[]}`, strings
unquoted).

LIMITATIONS (where we knowingly differ from AWS):
- States.MathRandom with a seed is reproducible here but does not give AWS's numbers
  (AWS uses Java's Random).
- States.Hash hashes the UTF-8 bytes of its input (a non-string input is hashed as its
  compact JSON).
- A path argument that matches nothing reproduces AWS's States.Runtime cause; the causes of
  States.IntrinsicFailure (wrong types, ranges, sizes) are our own wording, in one style:
  "Invalid arguments in States.X: ...".
- States.MathRandom's end is exclusive; States.ArrayGetItem with an index outside the array
  fails with States.IntrinsicFailure.
- States.MathRandom's bounds are rounded as States.MathAdd's arguments are: the recordings show
  that AWS accepts fractional bounds, but not which integers it draws between.
- Inside an object or array, States.Format writes numbers, booleans and null as Java would
  (`1.0`, `1.0E20`, `true`, `null`); the recordings show only integers and strings there.
  A fractional number on its own is written the same way (`1.1`; `1.0E20`, not `1e+20`).
- No recording shows AWS failing on an argument of the wrong type or a wrong number of
  arguments: types fail at run time with States.IntrinsicFailure, counts at creation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from dataclasses import dataclass, field
from typing import Any

from services.stepfunctions.data.jsonpath import PathNotFound, PathSyntaxError, json_type_name, to_json
from services.stepfunctions.data.references import Reference, compile_reference
from services.stepfunctions.data.java_text import java_round, java_string
from services.stepfunctions.failures import intrinsic_failure, runtime

MAX_NESTING = 10

# The randomness of the running execution (seeded with STEPSTACK_SEED); set by the runner in
# the execution's task, so States.UUID and States.MathRandom are reproducible run to run.
execution_random: ContextVar[random.Random | None] = ContextVar("stepstack_execution_random", default=None)


def _random() -> random.Random:
    rng = execution_random.get()
    return rng if rng is not None else random.Random()


class IntrinsicSyntaxError(Exception):
    pass


@dataclass(frozen=True)
class Literal:
    value: Any
    raw: str = ""  # a string literal's text between the quotes, escapes kept (for Format)


@dataclass(frozen=True)
class PathArg:
    text: str
    reference: Reference | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class IntrinsicCall:
    name: str  # e.g. "States.Format"
    args: tuple[Literal | PathArg | IntrinsicCall, ...]
    text: str = ""


Arg = Literal | PathArg | IntrinsicCall

_CALL_START = re.compile(r"States\.([A-Za-z0-9]+)\s*\(")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def is_intrinsic(text: Any) -> bool:
    return isinstance(text, str) and _CALL_START.match(text.strip()) is not None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, reason: str) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(f"{reason} at position {self.pos} in '{self.text}'")

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self, depth: int) -> IntrinsicCall:
        start = self.pos
        m = _CALL_START.match(self.text, self.pos)
        if not m:
            raise self.fail("expected an intrinsic function call such as States.Format(...)")
        name = f"States.{m.group(1)}"
        if name not in FUNCTIONS:
            raise IntrinsicSyntaxError(f"Unknown intrinsic function '{name}'")
        if depth > MAX_NESTING:
            raise IntrinsicSyntaxError(
                f"Intrinsic functions can be nested at most {MAX_NESTING} levels deep"
            )
        self.pos = m.end()
        args: list[Arg] = []
        self.skip_spaces()
        if self.text.startswith(")", self.pos):
            self.pos += 1
        else:
            while True:
                args.append(self.arg(depth))
                self.skip_spaces()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                elif self.text.startswith(")", self.pos):
                    self.pos += 1
                    break
                else:
                    raise self.fail("expected ',' or ')'")
        call = IntrinsicCall(name, tuple(args), self.text[start : self.pos])
        _check_arity(call)
        return call

    def arg(self, depth: int) -> Arg:
        self.skip_spaces()
        rest = self.text[self.pos :]
        if rest.startswith("'"):
            return self.string()
        if rest.startswith("$"):
            return self.path()
        if rest.startswith("States."):
            return self.call(depth + 1)
        for word, value in (("true", True), ("false", False), ("null", None)):
            if re.match(rf"{word}\b", rest):
                self.pos += len(word)
                return Literal(value)
        m = _NUMBER.match(rest)
        if m:
            self.pos += m.end()
            number = float(m.group()) if m.group(1) or m.group(2) else int(m.group())
            return Literal(number)
        raise self.fail("expected a string, number, boolean, null, path or intrinsic function")

    def string(self) -> Literal:
        self.pos += 1
        start = self.pos
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\":
                nxt = self.text[self.pos + 1 : self.pos + 2]
                if nxt not in ("'", "{", "}", "\\"):
                    raise self.fail("an open escape backslash must be escaped as '\\\\'")
                out.append(nxt)
                self.pos += 2
            elif ch == "'":
                raw = self.text[start : self.pos]
                self.pos += 1
                return Literal("".join(out), raw)
            else:
                out.append(ch)
                self.pos += 1
        raise self.fail("unterminated string")

    def path(self) -> PathArg:
        """A path runs to the first ',' or ')' outside brackets, quotes and parentheses."""
        start, brackets, parens, quote = self.pos, 0, 0, ""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if quote:
                if ch == "\\":
                    self.pos += 1
                elif ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == "[":
                brackets += 1
            elif ch == "]":
                brackets -= 1
            elif ch == "(":
                parens += 1
            elif ch == ")" and parens:
                parens -= 1
            elif ch in ",)" and not brackets:
                break
            elif ch.isspace() and not brackets and not parens:
                break
            self.pos += 1
        text = self.text[start : self.pos]
        try:
            reference = compile_reference(text)
        except PathSyntaxError as exc:
            raise IntrinsicSyntaxError(f"Invalid path '{text}': {exc}") from None
        return PathArg(text, reference)


def parse_intrinsic(text: str) -> IntrinsicCall:
    parser = _Parser(text.strip())
    call = parser.call(depth=1)
    parser.skip_spaces()
    if parser.pos != len(parser.text):
        raise parser.fail("unexpected text after the intrinsic function call")
    return call


# --- evaluation ------------------------------------------------------------------------


def evaluate_intrinsic(call: IntrinsicCall, data: Any, context: dict) -> Any:
    """The call's value; a path argument that matches nothing fails with States.Runtime,
    naming the whole expression as AWS does."""
    return _evaluate(call, data, context, call)


def _evaluate(call: IntrinsicCall, data: Any, context: dict, top: IntrinsicCall) -> Any:
    args = [_value(arg, data, context, top) for arg in call.args]
    return FUNCTIONS[call.name].fn(call, args)


def _value(arg: Arg, data: Any, context: dict, top: IntrinsicCall) -> Any:
    if isinstance(arg, Literal):
        return arg.value
    if isinstance(arg, IntrinsicCall):
        return _evaluate(arg, data, context, top)
    reference = arg.reference or compile_reference(arg.text)
    try:
        return reference.get(data, context)
    except PathNotFound:
        target = context if reference.variable is None and reference.is_context else data
        raise runtime(
            f"The function '{top.text}' had the following error: The JsonPath argument for"
            f" the field '{arg.text}' could not be found in the input '{to_json(target)}'"
        ) from None


# --- argument checks -------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    fn: Callable[[IntrinsicCall, list[Any]], Any]
    min_args: int
    max_args: int | None  # None: no upper bound


def _check_arity(call: IntrinsicCall) -> None:
    spec = FUNCTIONS[call.name]
    count = len(call.args)
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        if spec.min_args == spec.max_args:
            expected = f"{spec.min_args}"
        elif spec.max_args is None:
            expected = f"at least {spec.min_args}"
        else:
            expected = f"{spec.min_args} to {spec.max_args}"
        plural = "" if expected == "1" else "s"
        raise IntrinsicSyntaxError(
            f"The intrinsic function {call.name} takes {expected} argument{plural}"
            f" but {count} {'was' if count == 1 else 'were'} given"
        )


_kind = json_type_name


def _expect(call: IntrinsicCall, args: list[Any], index: int, *kinds: str) -> Any:
    value = args[index]
    kind = _kind(value)
    if kind == "number" and "integer" in kinds and _is_integer(value):
        return int(value)
    if kind not in kinds:
        wanted = " or ".join(kinds)
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: argument {index + 1} must be of type"
            f" {wanted}, but was {kind} ({to_json(value)})"
        )
    return value


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or (
        isinstance(value, float) and value.is_integer()
    )


def _integer(call: IntrinsicCall, args: list[Any], index: int) -> int:
    return _expect(call, args, index, "integer")


# --- the functions ---------------------------------------------------------------------


def _format(call: IntrinsicCall, args: list[Any]) -> str:
    first = call.args[0]
    if isinstance(first, Literal) and isinstance(first.value, str):
        pieces = _format_pieces(first.raw)
    else:
        pieces = _format_pieces(_expect(call, args, 0, "string").replace("\\", "\\\\"))
    values = args[1:]
    if len(pieces) - 1 != len(values):
        raise intrinsic_failure(
            f"Number of arguments in {call.name} do not match the number of placeholders:"
            f" {len(pieces) - 1} placeholder(s), {len(values)} argument(s)"
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:]):
        out.append(java_string(value))
        out.append(piece)
    return "".join(out)


def _format_pieces(raw: str) -> list[str]:
    """The text between unescaped `{}` placeholders, escapes resolved."""
    pieces, current, i = [], [], 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            current.append(raw[i + 1])
            i += 2
        elif raw.startswith("{}", i):
            pieces.append("".join(current))
            current, i = [], i + 2
        else:
            current.append(raw[i])
            i += 1
    pieces.append("".join(current))
    return pieces


def _string_to_json(call: IntrinsicCall, args: list[Any]) -> Any:
    text = _expect(call, args, 0, "string")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: the string {to_json(text)} is not valid JSON"
        ) from None


def _json_to_string(call: IntrinsicCall, args: list[Any]) -> str:
    return to_json(args[0])


def _array(call: IntrinsicCall, args: list[Any]) -> list[Any]:
    return list(args)


def _array_partition(call: IntrinsicCall, args: list[Any]) -> list[list[Any]]:
    array = _expect(call, args, 0, "array")
    size = _integer(call, args, 1)
    if size <= 0:
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: the chunk size must be a positive integer,"
            f" but was {size}"
        )
    return [array[i : i + size] for i in range(0, len(array), size)]


def _array_contains(call: IntrinsicCall, args: list[Any]) -> bool:
    array = _expect(call, args, 0, "array")
    return any(_json_equal(item, args[1]) for item in array)


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 equals 1.0, but true does not equal 1."""
    if _kind(a) != _kind(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return a == b


MAX_RANGE = 1000


def _array_range(call: IntrinsicCall, args: list[Any]) -> list[int]:
    start, end, step = (_integer(call, args, i) for i in range(3))
    if step == 0:
        raise intrinsic_failure(f"Invalid arguments in {call.name}: the step cannot be 0")
    stop = end + (1 if step > 0 else -1)  # the end is included
    values = range(start, stop, step)
    if len(values) > MAX_RANGE:
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: the array cannot contain more than"
            f" {MAX_RANGE} items, but would contain {len(values)}"
        )
    return list(values)


def _array_get_item(call: IntrinsicCall, args: list[Any]) -> Any:
    array = _expect(call, args, 0, "array")
    index = _integer(call, args, 1)
    if not 0 <= index < len(array):
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: index {index} is out of bounds for an array"
            f" of length {len(array)}"
        )
    return array[index]


def _array_length(call: IntrinsicCall, args: list[Any]) -> int:
    return len(_expect(call, args, 0, "array"))


def _array_unique(call: IntrinsicCall, args: list[Any]) -> list[Any]:
    unique: list[Any] = []
    for item in _expect(call, args, 0, "array"):
        if not any(_json_equal(item, seen) for seen in unique):
            unique.append(item)
    return unique


MAX_ENCODING_INPUT = 10_000


def _check_length(call: IntrinsicCall, text: str, what: str) -> None:
    if len(text) > MAX_ENCODING_INPUT:
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: the {what} must be at most"
            f" {MAX_ENCODING_INPUT} characters, but was {len(text)}"
        )


def _base64_encode(call: IntrinsicCall, args: list[Any]) -> str:
    text = _expect(call, args, 0, "string")
    _check_length(call, text, "input string")
    return base64.b64encode(text.encode()).decode("ascii")


def _base64_decode(call: IntrinsicCall, args: list[Any]) -> str:
    text = _expect(call, args, 0, "string")
    _check_length(call, text, "input string")
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: the input {to_json(text)} is not valid base64"
        ) from None


HASH_ALGORITHMS = MappingProxyType({
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
})


def _hash(call: IntrinsicCall, args: list[Any]) -> str:
    value = args[0]
    if value is None:
        raise intrinsic_failure(f"Invalid arguments in {call.name}: the input cannot be null")
    text = value if isinstance(value, str) else to_json(value)
    _check_length(call, text, "input")
    algorithm = _expect(call, args, 1, "string")
    if algorithm not in HASH_ALGORITHMS:
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: the hash algorithm must be one of"
            f" {', '.join(HASH_ALGORITHMS)}, but was {to_json(algorithm)}"
        )
    return hashlib.new(HASH_ALGORITHMS[algorithm], text.encode()).hexdigest()


def _json_merge(call: IntrinsicCall, args: list[Any]) -> dict[str, Any]:
    left = _expect(call, args, 0, "object")
    right = _expect(call, args, 1, "object")
    deep = _expect(call, args, 2, "boolean")
    if deep:
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: only shallow merge is supported,"
            " the third argument must be false"
        )
    return {**left, **right}


INT32 = (-(2**31), 2**31 - 1)


def _rounded(call: IntrinsicCall, args: list[Any], index: int) -> int:
    value = _expect(call, args, index, "number")
    if not math.isfinite(value):
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: argument {index + 1} must be a finite number,"
            f" but was {to_json(value)}"
        )
    return java_round(value)


def _math_random(call: IntrinsicCall, args: list[Any]) -> int:
    start, end = _rounded(call, args, 0), _rounded(call, args, 1)
    if start >= end:
        raise intrinsic_failure(
            f"Invalid arguments in {call.name}: the start ({start}) must be less than the"
            f" end ({end})"
        )
    rng = random.Random(_rounded(call, args, 2)) if len(args) == 3 else _random()
    return rng.randrange(start, end)


def _math_add(call: IntrinsicCall, args: list[Any]) -> int:
    a, b = _rounded(call, args, 0), _rounded(call, args, 1)
    for value in (a, b):
        if not INT32[0] <= value <= INT32[1]:
            raise intrinsic_failure(
                f"Invalid arguments in {call.name}: {value} is outside the range"
                f" {INT32[0]} to {INT32[1]}"
            )
    return a + b


def _string_split(call: IntrinsicCall, args: list[Any]) -> list[str]:
    text = _expect(call, args, 0, "string")
    delimiters = _expect(call, args, 1, "string")
    if not delimiters:
        return [text] if text else []
    # Every character of the delimiter splits, and empty tokens are dropped.
    pattern = "[" + "".join(re.escape(c) for c in delimiters) + "]"
    return [token for token in re.split(pattern, text) if token]


def _uuid(call: IntrinsicCall, args: list[Any]) -> str:
    return str(uuid.UUID(int=_random().getrandbits(128), version=4))


FUNCTIONS: Mapping[str, Function] = MappingProxyType({
    "States.Format": Function(_format, 1, None),
    "States.StringToJson": Function(_string_to_json, 1, 1),
    "States.JsonToString": Function(_json_to_string, 1, 1),
    "States.Array": Function(_array, 0, None),
    "States.ArrayPartition": Function(_array_partition, 2, 2),
    "States.ArrayContains": Function(_array_contains, 2, 2),
    "States.ArrayRange": Function(_array_range, 3, 3),
    "States.ArrayGetItem": Function(_array_get_item, 2, 2),
    "States.ArrayLength": Function(_array_length, 1, 1),
    "States.ArrayUnique": Function(_array_unique, 1, 1),
    "States.Base64Encode": Function(_base64_encode, 1, 1),
    "States.Base64Decode": Function(_base64_decode, 1, 1),
    "States.Hash": Function(_hash, 2, 2),
    "States.JsonMerge": Function(_json_merge, 3, 3),
    "States.MathRandom": Function(_math_random, 2, 3),
    "States.MathAdd": Function(_math_add, 2, 2),
    "States.StringSplit": Function(_string_split, 2, 2),
    "States.UUID": Function(_uuid, 0, 0),
})
