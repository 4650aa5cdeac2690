"""Input readers compiled once per shape: wire values -> typed Python values.

Two families: `json_reader` reads decoded JSON (json and rest-json bodies);
`query_reader` reads the nested tree built from form keys (`A.member.1.B`),
accepting a service's alias spellings and reporting keys that are no member.
`text_reader` coerces one string (headers, query strings, URI labels). Readers
append `Problem`s instead of raising so that a request's problems are reported
together, as AWS does.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Container
from datetime import datetime, timezone
from typing import Any

from protocols.model import Shape
from protocols.quirks import NO_ALIASES, QueryKeyAliases
from protocols.validation import CHECK_PATTERNS, Problem

Reader = Callable[[Any, str, list[Problem]], Any]
INVALID = object()  # a reader's answer when the value could not be read

_INTEGER_TYPES = ("integer", "long")
_FLOAT_TYPES = ("float", "double")


def parse_timestamp(value: Any) -> datetime | None:
    """Epoch seconds (number or numeric text) or ISO 8601 text -> aware UTC datetime."""
    try:
        if isinstance(value, datetime):  # internal calls pass datetimes as they are
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=timezone.utc)
        if isinstance(value, str):
            text = value.strip()
            try:
                return datetime.fromtimestamp(float(text), tz=timezone.utc)
            except ValueError:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _pattern(shape: Shape, check: int) -> re.Pattern[str] | None:
    """A string shape's pattern, matched whole as Java's `matches` does, where the service
    checks patterns; None for a pattern Python's re cannot read (Unicode classes: `\\p{L}`)."""
    text = shape.metadata.get("pattern") if check == CHECK_PATTERNS and shape.type_name == "string" else None
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error:
        return None


def _constraints(shape: Shape, check: int) -> Callable[[Any, str, list[Problem]], None] | None:
    """A checker for min/max/enum (and patterns) where the service enforces them."""
    if not check:
        return None
    meta = shape.metadata
    low, high, enum = meta.get("min"), meta.get("max"), meta.get("enum")
    kind = shape.type_name
    pattern = _pattern(shape, check)
    if low is None and high is None and not enum and pattern is None:
        return None
    sized = kind in ("string", "list", "map", "blob")
    noun = "length" if sized else "value"
    # an enum the model documents as not case sensitive (Batch's evaluateOnExit action) is matched so
    folded = frozenset(v.casefold() for v in enum) if enum and "n't case sensitive" in shape.documentation else None

    def check_value(value: Any, path: str, problems: list[Problem]) -> None:
        measure = len(value) if sized else value
        if low is not None and measure < low:
            problems.append(Problem("constraint", path, f"Member must have {noun} greater than or equal to {low}", value))
        elif high is not None and measure > high:
            problems.append(Problem("constraint", path, f"Member must have {noun} less than or equal to {high}", value))
        elif enum and kind == "string" and value not in enum and not (folded and value.casefold() in folded):
            allowed = ", ".join(enum)
            problems.append(Problem("constraint", path, f"Member must satisfy enum value set: [{allowed}]", value))
        if pattern is not None and isinstance(value, str) and pattern.fullmatch(value) is None:
            problems.append(Problem("constraint", path, f"Member must satisfy regular expression pattern: {pattern.pattern}", value))

    return check_value


def _with_constraints(reader: Reader, shape: Shape, check: bool) -> Reader:
    checker = _constraints(shape, check)
    if checker is None:
        return reader

    def read(value: Any, path: str, problems: list[Problem]) -> Any:
        result = reader(value, path, problems)
        if result is not INVALID:
            checker(result, path, problems)
        return result

    return read


# -- scalars -----------------------------------------------------------------


def _type_problem(problems: list[Problem], path: str, expected: str, value: Any) -> object:
    problems.append(Problem("type", path, f"Expected {expected}", value))
    return INVALID


def _scalar_from_json(kind: str) -> Reader:
    if kind == "string":
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            return v if isinstance(v, str) else _type_problem(problems, path, "a string", v)
    elif kind == "boolean":
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            return v if isinstance(v, bool) else _type_problem(problems, path, "a boolean", v)
    elif kind in _INTEGER_TYPES:
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            if isinstance(v, int) and not isinstance(v, bool):
                return v
            if isinstance(v, float) and v.is_integer():
                return int(v)
            return _type_problem(problems, path, "an integer", v)
    elif kind in _FLOAT_TYPES:
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return float(v)
            if isinstance(v, str) and v in ("NaN", "Infinity", "-Infinity"):
                return float(v.replace("Infinity", "inf"))
            return _type_problem(problems, path, "a number", v)
    else:
        return _scalar_from_text(kind)
    return read


def _scalar_from_text(kind: str) -> Reader:
    """Coerce wire text (query values, headers, URI labels) to the shape's type."""
    if kind == "string":
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            return v if isinstance(v, str) else _type_problem(problems, path, "a string", v)
    elif kind == "boolean":
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            if isinstance(v, bool):
                return v
            text = v.lower() if isinstance(v, str) else None
            if text in ("true", "false"):
                return text == "true"
            return _type_problem(problems, path, "a boolean", v)
    elif kind in _INTEGER_TYPES:
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            if isinstance(v, int) and not isinstance(v, bool):
                return v
            try:
                return int(v)
            except (TypeError, ValueError):
                return _type_problem(problems, path, "an integer", v)
    elif kind in _FLOAT_TYPES:
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            try:
                number = float(v)
            except (TypeError, ValueError):
                return _type_problem(problems, path, "a number", v)
            return number
    elif kind == "timestamp":
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            stamp = parse_timestamp(v)
            return stamp if stamp is not None else _type_problem(problems, path, "a timestamp", v)
    elif kind == "blob":
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            if isinstance(v, (bytes, bytearray)):
                return bytes(v)
            if not isinstance(v, str):
                return _type_problem(problems, path, "base64 text", v)
            try:
                return base64.b64decode(v, validate=True)
            except (binascii.Error, ValueError):
                return _type_problem(problems, path, "base64 text", v)
    else:  # document and anything new: passed through as decoded
        def read(v: Any, path: str, problems: list[Problem]) -> Any:
            return v
    return read


def text_reader(shape: Shape, check: bool = False) -> Reader:
    return _with_constraints(_scalar_from_text(shape.type_name), shape, check)


# -- JSON ----------------------------------------------------------------------


def shape_key(shape: Shape, *extra: object) -> tuple[object, ...]:
    """Identifies a shape across models; member-level traits (flattened, names) included."""
    traits = tuple(sorted((k, str(v)) for k, v in shape.serialization.items()))
    return (id(shape._shape_resolver), shape.name, traits, *extra)


class _Memo:
    """Compiled readers by shape; recursion goes through a late-bound lookup."""

    def __init__(self) -> None:
        self.readers: dict[tuple[object, ...], Reader] = {}

    def get(self, key: tuple[object, ...], build: Callable[[], Reader]) -> Reader:
        if key in self.readers:
            return self.readers[key]
        cell: list[Reader] = []
        self.readers[key] = lambda v, p, pr: cell[0](v, p, pr)  # placeholder while building
        reader = build()
        cell.append(reader)
        self.readers[key] = reader
        return reader


_MEMO = _Memo()


def json_reader(shape: Shape, check: bool = False) -> Reader:
    """A reader for decoded JSON values of `shape` (json and rest-json bodies)."""
    kind = shape.type_name
    if kind == "structure":
        return _MEMO.get(shape_key(shape, "json", check), lambda: _json_structure(shape, check))
    if kind == "list":
        return _MEMO.get(shape_key(shape, "json", check), lambda: _json_list(shape, check))
    if kind == "map":
        return _MEMO.get(shape_key(shape, "json", check), lambda: _json_map(shape, check))
    return _with_constraints(_scalar_from_json(kind), shape, check)


def _json_structure(shape: Shape, check: bool) -> Reader:
    readers = {name: json_reader(member, check) for name, member in shape.members.items()}
    required = tuple(shape.required_members)

    def read(value: Any, path: str, problems: list[Problem]) -> Any:
        if not isinstance(value, dict):
            return _type_problem(problems, path, "a structure", value)
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for name, item in value.items():
            reader = readers.get(name)
            if reader is None or item is None:
                continue
            result = reader(item, prefix + name, problems)
            if result is not INVALID:
                out[name] = result
        for name in required:
            if value.get(name) is None:
                problems.append(Problem("missing", prefix + name, "Member must not be null"))
        return out

    return _with_constraints(read, shape, check)


def _json_list(shape: Shape, check: bool) -> Reader:
    item_reader = json_reader(shape.member, check)

    def read(value: Any, path: str, problems: list[Problem]) -> Any:
        if not isinstance(value, list):
            return _type_problem(problems, path, "a list", value)
        out = []
        for index, item in enumerate(value, 1):
            if item is None:  # no model list is sparse: a null member is refused, never passed on
                problems.append(Problem("missing", f"{path}.{index}.member", "Member must not be null"))
                continue
            result = item_reader(item, f"{path}.{index}.member", problems)
            if result is not INVALID:
                out.append(result)
        return out

    return _with_constraints(read, shape, check)


def _json_map(shape: Shape, check: bool) -> Reader:
    key_reader = json_reader(shape.key, check)
    value_reader = json_reader(shape.value, check)

    def read(value: Any, path: str, problems: list[Problem]) -> Any:
        if not isinstance(value, dict):
            return _type_problem(problems, path, "a map", value)
        out = {}
        for key, item in value.items():
            k = key_reader(key, f"{path}.key", problems)
            if item is None:  # no model map is sparse either
                problems.append(Problem("missing", f"{path}.{key}", "Member must not be null"))
                continue
            v = value_reader(item, f"{path}.{key}", problems)
            if k is not INVALID and v is not INVALID:
                out[k] = v
        return out

    return _with_constraints(read, shape, check)


# -- Query -----------------------------------------------------------------------


def wire_name(shape: Shape, default: str) -> str:
    return shape.serialization.get("name", default)


def query_keys(member: Shape, member_name: str, aliases: QueryKeyAliases = NO_ALIASES) -> tuple[str, ...]:
    """The first key segments under which a structure member may travel in a form, preferred first.

    A flattened list named by its element travels as `Element.N`, but an empty
    one as `List=` (botocore sends the list's own name). `aliases` adds the
    other spellings a service accepts for a wire name.
    """
    name = wire_name(member, member_name)
    keys: tuple[str, ...] = (name,)
    if member.type_name == "list" and member.serialization.get("flattened"):
        element_name = member.member.serialization.get("name")
        if element_name and element_name != name:
            keys = (element_name, name)
    spelled = [alias for key in keys for alias in aliases.get(key, ())]
    return tuple(dict.fromkeys((*keys, *spelled)))


def query_reader(shape: Shape, check: bool = False, aliases: QueryKeyAliases = NO_ALIASES) -> Reader:
    """A reader for the tree of form keys (dicts keyed by segment, text leaves)."""
    kind = shape.type_name
    if kind in ("structure", "list", "map"):
        builder = {"structure": _query_structure, "list": _query_list, "map": _query_map}[kind]
        key = shape_key(shape, "query", check, tuple(sorted(aliases.items())))
        return _MEMO.get(key, lambda: builder(shape, check, aliases))
    return _with_constraints(_scalar_from_text(kind), shape, check)


def _first_key(node: Any, path: str) -> str:
    """The whole form key of the first leaf under `node` (for naming a stray key)."""
    while isinstance(node, dict) and node:
        segment, node = next(iter(node.items()))
        path = f"{path}.{segment}"
    return path


def _stray(node: dict[str, Any], taken: Container[str], prefix: str, problems: list[Problem]) -> None:
    """Report the keys of `node` that no member took: a Query key is a member or an error."""
    for key, item in node.items():
        if key not in taken:
            problems.append(Problem("unknown", _first_key(item, prefix + key), "Not a member", key))


def _query_structure(shape: Shape, check: bool, aliases: QueryKeyAliases) -> Reader:
    members = [
        (name, query_keys(member, name, aliases), query_reader(member, check, aliases))
        for name, member in shape.members.items()
    ]
    required = [(name, query_keys(shape.members[name], name, aliases)) for name in shape.required_members]

    def read(node: Any, path: str, problems: list[Problem]) -> Any:
        if not isinstance(node, dict):
            return _type_problem(problems, path, "a structure", node)
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        used = 0
        for name, keys, reader in members:
            for key in keys:
                item = node.get(key)
                if item is not None:
                    break
            else:
                continue
            used += 1
            result = reader(item, prefix + key, problems)
            if result is not INVALID:
                out[name] = result
        if used != len(node):  # a key of no member, or a second spelling of one
            taken = {next(k for k in keys if k in node) for _, keys, _ in members if any(k in node for k in keys)}
            _stray(node, taken, prefix, problems)
        for name, keys in required:
            if name not in out and all(node.get(key) is None for key in keys):
                problems.append(Problem("missing", prefix + keys[0], "Member must not be null"))
        return out

    return _with_constraints(read, shape, check)


def _indexed(node: Any, path: str, problems: list[Problem]) -> list[tuple[int, Any]] | None:
    """The children of a list/map node in index order; '' (an empty list) gives []."""
    if node == "":
        return []
    if not isinstance(node, dict):
        _type_problem(problems, path, "an indexed list", node)
        return None
    items = []
    for key, child in node.items():
        if not key.isdigit() or int(key) < 1:
            _type_problem(problems, f"{path}.{key}", "a positive index", key)
            return None
        items.append((int(key), child))
    items.sort(key=lambda pair: pair[0])
    return items


def _query_list(shape: Shape, check: bool, aliases: QueryKeyAliases) -> Reader:
    flattened = bool(shape.serialization.get("flattened"))
    element = shape.member.serialization.get("name", "member")
    item_reader = query_reader(shape.member, check, aliases)
    taken = {element}

    def read(node: Any, path: str, problems: list[Problem]) -> Any:
        if not flattened and isinstance(node, dict):
            if len(node) > (element in node):
                _stray(node, taken, f"{path}.", problems)
            node = node.get(element, {})
            path = f"{path}.{element}"
        items = _indexed(node, path, problems)
        if items is None:
            return INVALID
        out = []
        for index, child in items:
            result = item_reader(child, f"{path}.{index}", problems)
            if result is not INVALID:
                out.append(result)
        return out

    return _with_constraints(read, shape, check)


def _query_map(shape: Shape, check: bool, aliases: QueryKeyAliases) -> Reader:
    flattened = bool(shape.serialization.get("flattened"))
    key_name = wire_name(shape.key, "key")
    value_name = wire_name(shape.value, "value")
    key_reader = query_reader(shape.key, check, aliases)
    value_reader = query_reader(shape.value, check, aliases)
    entry_keys = {key_name, value_name}

    def read(node: Any, path: str, problems: list[Problem]) -> Any:
        if not flattened and isinstance(node, dict):
            if len(node) > ("entry" in node):
                _stray(node, {"entry"}, f"{path}.", problems)
            node = node.get("entry", {})
            path = f"{path}.entry"
        items = _indexed(node, path, problems)
        if items is None:
            return INVALID
        out = {}
        for index, entry in items:
            here = f"{path}.{index}"
            if isinstance(entry, dict) and not entry.keys() <= entry_keys:
                _stray(entry, entry_keys, f"{here}.", problems)
            if not isinstance(entry, dict) or key_name not in entry:
                problems.append(Problem("missing", f"{here}.{key_name}", "Member must not be null"))
                continue
            k = key_reader(entry[key_name], f"{here}.{key_name}", problems)
            raw_value = entry.get(value_name)
            if raw_value is None:
                problems.append(Problem("missing", f"{here}.{value_name}", "Member must not be null"))
                continue
            v = value_reader(raw_value, f"{here}.{value_name}", problems)
            if k is not INVALID and v is not INVALID:
                out[k] = v
        return out

    return _with_constraints(read, shape, check)


def form_tree(pairs: list[tuple[str, str]], skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`A.member.1.B=x` pairs -> {'A': {'member': {'1': {'B': 'x'}}}}; later keys win."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        if key in skip:
            continue
        node = root
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1]
        if not isinstance(node.get(last), dict):
            node[last] = value
    return root
