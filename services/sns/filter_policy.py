"""SNS subscription filter policies: compiled once, then matched against each published message.

``compile_policy(text, scope)`` validates a policy as AWS does and returns a ``FilterPolicy``,
whose ``matches(message_attributes, body)`` is what fan-out asks for every subscription. SNS's
own steps are here: its Jackson parse, the compact rewrite it hands to AWS's rule engine, its
limits; filter_policy_validation.py has the Jackson reader and the rule engine's checks.

Matching follows AWS's rule engine (aws/event-ruler), which SNS runs:
- Keys AND together, a key's list ORs, ``$or`` forks the policy into branches, any of which may hold.
- Values are typed: the string "100" is not the number 100; prefix, suffix, equals-ignore-case,
  wildcard and cidr only ever match strings; numbers compare as fixed point with five decimals
  within -1e9..1e9 (SNS Developer Guide), outside it only as written.
- ``anything-but`` needs the key present and matches any value not listed, of any type;
  ``exists`` looks at leaves only ({"exists": true} is not satisfied by an object or an
  empty array), and ``{"exists": false}`` holds when no leaf sits at that path.
- MessageAttributes scope: String and String.xxx attributes are strings, Number and Number.xxx
  numbers, String.Array the elements of its JSON array (a JSON scalar is one element, text that
  is not JSON one string); Binary attributes are ignored, as if absent ("Amazon SNS ignores
  message attributes with the Binary data type").
- MessageBody scope: the body must be a JSON object, else nothing matches (AWS delivers neither
  plain text nor a JSON string, recorded). Keys are dotted paths, so {"a.b": 1} and
  {"a": {"b": 1}} both have "a.b" (recorded); arrays anywhere on a path are crossed, each
  element a candidate, and the keys of one branch must be matched within the same element of
  every array they share (the engine's rulesForJSONEvent: a branch asking Records.a and
  Records.b is not satisfied by a from one record and b from another).

Where we differ from AWS, or could not settle what it does:
- whether SNS runs that array-consistent matching or the engine's older flattened one (which
  would accept a and b from different records); empty String.Array attributes count as absent;
  equals-ignore-case compares ``str.lower()``;
- numbers use SNS's documented range (-1e9..1e9, five decimals) where the open-source engine
  allows 5e9 and six; ``wildcard`` and ``exactly`` are accepted because the engine accepts them
  (SNS does not document them); a string that looks like an IP address but is not one stays an
  exact string, and ``cidr`` ranges start at the network address (today's engine; one of 2022
  differed on both).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import orjson

from services.sns.filter_policy_validation import (
    NUMBER_TOKENS,
    Branch,
    Condition,
    JacksonReader,
    Pattern,
    PolicyTextError,
    compile_rules,
    parse_ip,
    quantize,
)

SCOPES = ("MessageAttributes", "MessageBody")
MAX_KEYS = 5  # SNS Developer Guide, "Filter policy constraints": "a maximum of five keys"
MAX_COMBINATIONS = 150  # ibid.: "The total combination of values ... must not exceed 150"
MAX_SIZE = 256 * 1024  # ibid.: "The maximum size of a filter policy is 256 KB"
NO_CONTENT = ("",)  # read_json of empty text: Jackson's MissingNode, which writes as nothing
_JSON_ESCAPES = MappingProxyType({'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\f": "\\f", "\n": "\\n", "\r": "\\r"})
_TO_ESCAPE = re.compile(r'["\\\x00-\x1f]')
_Leaves = dict[str, list[tuple[Any, tuple[tuple[int, int], ...]]]]  # path -> (value, array positions)


class FilterPolicyError(Exception):
    """A policy AWS refuses. ``message`` is the text of its InvalidParameter error as
    SetSubscriptionAttributes words it; Subscribe puts "Attributes Reason: " before ``reason``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.message = f"Invalid parameter: {reason}"
        super().__init__(self.message)


@functools.lru_cache(maxsize=1024)
def compile_policy(text: str, scope: str = "MessageAttributes") -> FilterPolicy:
    """The policy, checked in AWS's order: scope, size, JSON syntax, the rule engine (which reads
    the policy as SNS hands it over: re-written compactly by Jackson), SNS's limits.

    Messages are AWS's as recorded (LocalStack's tests/aws/services/sns snapshots), except the
    size one, for which no AWS wording was found."""
    if scope not in SCOPES:
        raise FilterPolicyError(f"FilterPolicyScope: Invalid value [{scope}]. Please use either MessageBody or MessageAttributes")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SIZE:
        raise FilterPolicyError("FilterPolicy: Filter policy can not be larger than 256 KB")  # ours
    try:
        tree = read_json(text)
    except PolicyTextError as error:
        raise FilterPolicyError(f"FilterPolicy: failed to parse JSON. {error}") from None
    try:
        rules = compile_rules(jackson_text(tree))
    except PolicyTextError as error:
        raise FilterPolicyError(f"FilterPolicy: {error}") from None
    except RecursionError:  # hundreds of levels deep: far past the 150 the complexity rule allows
        raise FilterPolicyError("FilterPolicy: Filter policy is too complex") from None
    _check_limits(rules, scope)
    return FilterPolicy.build(tuple(tuple(rule.values()) for rule in rules), scope)


def _check_limits(rules: list[dict[str, Condition]], scope: str) -> None:
    """SNS's checks, made after the engine's (recorded); their order among themselves is ours."""
    if scope == "MessageAttributes" and any(c.depth > 1 for rule in rules for c in rule.values()):
        raise FilterPolicyError("Filter policy scope MessageAttributes does not support nested filter policy")
    # "For a nested policy, only parent keys are counted"; we count them per $or branch
    if any(len({c.parent for c in rule.values()}) > MAX_KEYS for rule in rules):
        raise FilterPolicyError("FilterPolicy: Filter policy can not have more than 5 keys")
    # the product of each array's length times its nesting depth ("3 x 4 x 2 x 3 = 72" in the
    # guide); $or branches add up, as AWS's answers on 150, 152 and 160 combinations show
    combinations = sum(math.prod(len(c.patterns) * c.depth for c in rule.values()) for rule in rules)
    if combinations > MAX_COMBINATIONS:
        raise FilterPolicyError("FilterPolicy: Filter policy is too complex")


def read_json(text: str) -> Any:
    """The one JSON value Jackson reads from the text (what follows it is ignored, as Jackson
    ignores it); a duplicate key keeps its first place and its last value, as in Jackson's tree."""
    reader, parents, names = JacksonReader(text, redacted=True), [], []
    token = reader.next()
    while True:
        if token == "name":
            names[-1] = reader.name
            token = reader.next()
            continue
        if token in ("}", "]"):
            value = parents.pop()
            names.pop()
        elif token in ("{", "["):
            value = {} if token == "{" else []
        elif token == "string":
            value = reader.text()
        elif token in NUMBER_TOKENS:
            value = int(reader.raw) if token == "int" else float(reader.raw)
        elif token is None:
            return NO_CONTENT
        else:
            value = {"true": True, "false": False, "null": None}[token]
        if token not in ("}", "]") and parents:
            if names[-1] is None:
                parents[-1].append(value)
            else:
                parents[-1][names[-1]] = value
        if token in ("{", "["):
            parents.append(value)
            names.append("" if token == "{" else None)
        elif not parents:
            return value
        token = reader.next()


def jackson_text(value: Any) -> str:
    """The tree as Jackson's ``JsonNode.toString()`` writes it: compact, its escapes, Java's doubles."""
    out, work = [], [value]
    while work:
        item = work.pop()
        if type(item) is tuple:  # punctuation queued below, or NO_CONTENT; the tree holds no tuples
            out.append(item[0])
        elif type(item) is dict:
            out.append("{")
            work.append(("}",))
            for at, (name, child) in reversed(list(enumerate(item.items()))):
                work.extend((child, (_quoted(name) + ":",)) + ((",",),) * (at > 0))
        elif type(item) is list:
            out.append("[")
            work.append(("]",))
            for at, child in reversed(list(enumerate(item))):
                work.extend((child,) + ((",",),) * (at > 0))
        elif type(item) is str:
            out.append(_quoted(item))
        elif item is None or type(item) is bool:
            out.append("null" if item is None else "true" if item else "false")
        elif type(item) is float:
            out.append(_java_double(item))
        else:
            out.append(str(item))
    return "".join(out)


def _quoted(text: str) -> str:
    return '"' + _TO_ESCAPE.sub(lambda m: _JSON_ESCAPES.get(m.group()) or f"\\u{ord(m.group()):04X}", text) + '"'


def _java_double(value: float) -> str:
    """Java's Double.toString: plain from 1e-3 up to 1e7, else 1.0E10; Jackson quotes Infinity."""
    if not math.isfinite(value):
        return '"NaN"' if value != value else '"Infinity"' if value > 0 else '"-Infinity"'
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent) - 1  # the power of ten of the first digit
    digits = digits.rstrip("0") or "0"
    minus = "-" if sign else ""
    if -3 <= point < 7:
        if point < 0:
            return f"{minus}0.{'0' * (-point - 1)}{digits}"
        whole = digits[:point + 1].ljust(point + 1, "0")
        return f"{minus}{whole}.{digits[point + 1:] or '0'}"
    return f"{minus}{digits[0]}.{digits[1:] or '0'}E{point}"


class _Key:
    """One key of a branch, compiled for speed: set lookups first, then the other tests."""

    __slots__ = ("path", "strings", "numbers", "as_written", "constants", "tests", "negations", "exists", "absent_ok")

    def __init__(self, condition: Condition) -> None:
        self.path = condition.path
        strings, numbers, as_written, constants, tests, negations = set(), set(), set(), set(), [], []
        self.exists = self.absent_ok = False
        for pattern in condition.patterns:
            kind, operand = pattern.kind, pattern.operand
            if kind == "string":
                strings.add(operand)
            elif kind == "number" and operand[1] is not None:
                numbers.add(operand[1])
            elif kind == "number":  # out of range (an account id, say) it matches only as written
                as_written.add(operand[0])
            elif kind in ("true", "false", "null"):
                constants.add(kind)
            elif kind == "exists":
                self.exists |= operand
                self.absent_ok |= not operand
            else:
                (negations if kind.startswith("anything-but") else tests).append(_test(pattern))
        self.strings, self.numbers, self.as_written = frozenset(strings), frozenset(numbers), frozenset(as_written)
        self.constants, self.tests, self.negations = frozenset(constants), tuple(tests), tuple(negations)

    def accepts(self, value: Any, negations: bool = True) -> bool:
        """Whether one leaf value satisfies any of the key's patterns (all in one function: it runs
        for every message); ``negations=False`` leaves the anything-but patterns out."""
        if self.exists:
            return True
        kind = type(value)
        if kind is str:
            if value in self.strings:
                return True
        elif kind is int or kind is float:
            if self.numbers and -1e9 <= value <= 1e9 and round(value * 100_000) in self.numbers:
                return True  # quantize(), inlined
            if value in self.as_written:
                return True
        elif self.constants and ("null" if value is None else "true" if value is True else "false") in self.constants:
            return True
        for test in self.tests:
            if test(value):
                return True
        if negations:
            for negation in self.negations:
                if negation(value):
                    return True
        return False

    def accepts_array(self, values: tuple[Any, ...]) -> bool:
        """A String.Array attribute: one element may match, but an ``anything-but`` wants every
        element unlisted ("it matches if none of the array elements are listed", SNS guide)."""
        if any(self.accepts(value, negations=False) for value in values):
            return True
        return any(all(negation(value) for value in values) for negation in self.negations)


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def _test(pattern: Pattern) -> Callable[[Any], bool]:
    """The matcher of one pattern other than an exact value or exists."""
    kind, operand = pattern.kind, pattern.operand
    if kind == "prefix":
        return lambda v: type(v) is str and v.startswith(operand)
    if kind == "suffix":
        return lambda v: type(v) is str and v.endswith(operand)
    if kind == "equals-ignore-case":
        lowered = operand.lower()
        return lambda v: type(v) is str and v.lower() == lowered
    if kind == "wildcard":
        regex = re.compile(_wildcard_regex(operand), re.DOTALL)
        return lambda v: type(v) is str and regex.fullmatch(v) is not None
    if kind == "anything-but-prefix":
        return lambda v: not (type(v) is str and v.startswith(operand))
    if kind == "anything-but":
        strings, numbers = operand
        return lambda v: v not in strings if type(v) is str else not (_is_number(v) and quantize(v) in numbers)
    if kind == "numeric":
        low, low_open, high, high_open = operand

        def in_range(v: Any) -> bool:
            if (type(v) is not int and type(v) is not float) or not -1e9 <= v <= 1e9:
                return False
            q = round(v * 100_000)  # quantize(), inlined: this runs for every message
            return (low < q if low_open else low <= q) and (q < high if high_open else q <= high)
        return in_range
    if kind in ("ip", "cidr"):
        version, low, high = operand if kind == "cidr" else (*operand, operand[1])

        def in_network(v: Any) -> bool:
            ip = parse_ip(v) if type(v) is str else None
            return ip is not None and ip[0] == version and low <= ip[1] <= high
        return in_network
    raise ValueError(f"no matcher for {kind}")  # a kind the compiler does not produce


def _wildcard_regex(pattern: str) -> str:
    """``*`` is any run of characters; ``\\*`` and ``\\\\`` are a literal star and backslash."""
    parts = re.findall(r"\\[*\\]|\*|[^*\\]+", pattern)
    return "".join(".*" if part == "*" else re.escape(part[-1] if part[0] == "\\" else part) for part in parts)


@dataclass(frozen=True, eq=False)
class FilterPolicy:
    """A compiled policy: its AND-branches, any of which may match."""

    scope: str
    branches: tuple[tuple[_Key, ...], ...]
    paths: frozenset[str]  # every key's dotted path
    prefixes: frozenset[str]  # those paths and their dot-boundary prefixes: where a body walk may go

    @classmethod
    def build(cls, branches: tuple[Branch, ...], scope: str) -> FilterPolicy:
        keys = tuple(tuple(_Key(condition) for condition in branch) for branch in branches)
        paths = frozenset(key.path for branch in keys for key in branch)
        prefixes = {path[:i] for path in paths for i, ch in enumerate(path) if ch == "."} | paths
        return cls(scope, keys, paths, frozenset(prefixes))

    def matches(self, message_attributes: Mapping[str, Mapping[str, Any]], body: str) -> bool:
        """Whether a message published with these attributes (Publish's shape) and body gets through."""
        if self.scope == "MessageAttributes":
            return self._matches_attributes(message_attributes or {})
        return self._matches_body(body)

    def _matches_attributes(self, attributes: Mapping[str, Mapping[str, Any]]) -> bool:
        for branch in self.branches:
            for key in branch:
                attribute = attributes.get(key.path)
                values = _attribute_values(attribute) if attribute is not None else ()
                if not values:
                    if key.absent_ok:
                        continue
                    break
                if type(values) is _StringArray:
                    if not key.accepts_array(values):
                        break
                    continue
                for value in values:
                    if key.accepts(value):
                        break
                else:
                    break
            else:
                return True
        return False

    def _matches_body(self, body: str) -> bool:
        document = _json_object(body)
        if document is None:
            return False
        leaves, crossed_array = _collect(document, self.paths, self.prefixes)
        return any(_branch_holds(branch, leaves, crossed_array) for branch in self.branches)


def _attribute_values(attribute: Mapping[str, Any]) -> tuple[Any, ...]:
    """An attribute as the engine sees it: its leaf values, typed; () when AWS ignores it.
    Publish's shape (DataType, StringValue); the envelope's (Type, Value) is read too."""
    kind = attribute.get("DataType") or attribute.get("Type") or ""
    raw = attribute.get("StringValue")
    if raw is None and (raw := attribute.get("Value")) is None:
        return ()
    if kind == "String":
        return (raw,)
    if kind == "String.Array":
        return _array_values(raw)
    if kind == "Number" or kind.startswith("Number."):
        return (_number(raw),)
    return () if kind.startswith("Binary") else (raw,)  # Binary.xxx is ignored; String.xxx a string


def _number(text: str) -> Any:
    """A Number attribute's value: int or float; its text if it is no number (a string then)."""
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit():
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


class _StringArray(tuple):  # type: ignore[type-arg]
    """The elements of a String.Array attribute (anything-but reads them together)."""

    __slots__ = ()


@functools.lru_cache(maxsize=1024)
def _array_values(text: str) -> tuple[Any, ...]:
    """A String.Array's elements: a JSON array's scalars, a JSON scalar, or the text itself."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return (text,)
    if isinstance(parsed, dict):
        return ()
    if not isinstance(parsed, list):
        return (parsed,)
    flat: list[Any] = []
    pending = [parsed]
    while pending:
        for item in pending.pop():
            if isinstance(item, list):
                pending.append(item)
            elif not isinstance(item, dict):
                flat.append(item)
    return _StringArray(flat)


@functools.lru_cache(maxsize=64)
def _json_object(body: str) -> dict[str, Any] | None:
    """The body as a JSON object, or None (parsed once for all of a topic's subscriptions)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:  # orjson refuses integers past 64 bits, which Jackson reads
            document = json.loads(body, parse_constant=_refuse)
        except ValueError:
            return None
    return document if isinstance(document, dict) else None


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _collect(document: dict[str, Any], paths: frozenset[str], prefixes: frozenset[str]) -> tuple[_Leaves, bool]:
    """The leaves at the policy's paths, each with the array elements it sits in ((array, index)
    pairs), and whether any array was crossed on the way."""
    leaves: _Leaves = {}
    crossed, arrays = False, 0
    work: list[tuple[Any, str, tuple[tuple[int, int], ...]]] = [(document, "", ())]
    while work:
        node, path, membership = work.pop()
        if type(node) is dict:
            for name, child in node.items():
                child_path = f"{path}.{name}" if path else name
                if child_path in prefixes:
                    work.append((child, child_path, membership))
        elif type(node) is list:
            crossed, arrays = True, arrays + 1
            work.extend((item, path, (*membership, (arrays, index))) for index, item in enumerate(node))
        elif path in paths:
            leaves.setdefault(path, []).append((node, membership))
    return leaves, crossed


def _branch_holds(branch: tuple[_Key, ...], leaves: _Leaves, crossed_array: bool) -> bool:
    constrained: list[list[tuple[tuple[int, int], ...]]] = []
    for key in branch:
        found = leaves.get(key.path)
        if not found:
            if key.absent_ok:
                continue
            return False
        if not crossed_array:
            if not any(key.accepts(value) for value, _ in found):
                return False
            continue
        positions = [membership for value, membership in found if key.accepts(value)]
        if not positions:
            return False
        if all(positions):  # a match outside every array fits any choice of elements
            constrained.append(positions)
    return not constrained or _consistent(constrained, 0, {})


def _consistent(choices: list[list[tuple[tuple[int, int], ...]]], at: int, chosen: dict[int, int]) -> bool:
    """Whether each key can take one of its matches so that no array is entered at two elements."""
    if at == len(choices):
        return True
    for membership in choices[at]:
        if all(chosen.get(array, index) == index for array, index in membership):
            if _consistent(choices, at + 1, {**chosen, **dict(membership)}):
                return True
    return False


__all__ = ["FilterPolicy", "FilterPolicyError", "compile_policy"]
