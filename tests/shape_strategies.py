"""Hypothesis strategies that build valid values for any botocore shape.

Values honour the model's min/max/enum (services that enforce them must accept
what we generate), stay small, and avoid what a wire format cannot carry
(lone surrogates, sub-second timestamps that botocore truncates).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from botocore.model import Shape
from hypothesis import strategies as st

# XML 1.0 cannot carry most control characters; services never store them.
_NOT_XML = "".join(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF))
TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters=_NOT_XML)
MAX_DEPTH = 4


def _bounded(shape: Shape, high_default: int) -> tuple[int, int]:
    """The model's size range, cut down to at most `high_default` where it allows."""
    low = int(shape.metadata.get("min", 0))
    high = int(shape.metadata.get("max", high_default))
    return low, min(high, max(low, high_default))


def strategy(shape: Shape, depth: int = 0, *, nonempty: bool = False, patterns: bool = False) -> st.SearchStrategy[Any]:
    """Values of `shape`; with `patterns`, strings match the model's patterns (input that a
    service checking patterns must take; slower to draw, so output shapes go without)."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        members = shape.members
        required = set(shape.required_members)
        deeper = depth + 1
        must = {name: strategy(members[name], deeper, patterns=patterns) for name in required}
        if depth >= MAX_DEPTH:
            return st.fixed_dictionaries(must)
        optional = {name: strategy(m, deeper, patterns=patterns) for name, m in members.items() if name not in required}
        if shape.metadata.get("union") and optional:
            return st.one_of([st.fixed_dictionaries({n: s}) for n, s in optional.items()])
        return st.fixed_dictionaries(must, optional=optional)
    if kind == "list":
        low, high = _bounded(shape, 3)
        if depth >= MAX_DEPTH:
            high = low
        low = max(low, 1) if nonempty else low
        return st.lists(strategy(shape.member, depth + 1, patterns=patterns), min_size=low, max_size=max(low, high))
    if kind == "map":
        low, high = _bounded(shape, 3)
        if depth >= MAX_DEPTH:
            high = low
        keys = strategy(shape.key, depth + 1, patterns=patterns)
        return st.dictionaries(keys, strategy(shape.value, depth + 1, patterns=patterns), min_size=low, max_size=max(low, high))
    if kind == "string":
        if meta.get("enum"):
            return st.sampled_from(list(meta["enum"]))
        low = int(meta.get("min", 0))
        if nonempty:
            low = max(low, 1)
        high = int(meta.get("max", 24))
        patterned = _patterned(meta.get("pattern"), low, high) if patterns else None
        if patterned is not None:
            return patterned
        return st.text(TEXT, min_size=low, max_size=max(low, min(high, 24)))
    if kind in ("integer", "long"):
        low = int(meta.get("min", -(2**31)))
        high = int(meta.get("max", 2**31 - 1))
        return st.integers(min_value=low, max_value=high)
    if kind in ("float", "double"):
        low = meta.get("min")
        high = meta.get("max")
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False, width=64)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.integers(min_value=0, max_value=4_000_000_000).map(
            lambda s: datetime.fromtimestamp(s, tz=timezone.utc)
        )
    if kind == "blob":
        low = int(meta.get("min", 0))
        return st.binary(min_size=low, max_size=max(low, 16))
    if kind == "document":
        return st.just({"k": "v"})
    raise AssertionError(f"no strategy for shape type {kind}")


def _patterned(pattern: str | None, low: int, high: int) -> st.SearchStrategy[str] | None:
    """Strings the model's pattern matches whole (services that check patterns must take them),
    within the length limits and carrying only what every wire format can; None without one."""
    if not pattern:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error:  # Java-only syntax (\p{L}): nobody checks it
        return None
    allowed = set(_NOT_XML)
    return st.from_regex(compiled, fullmatch=True).filter(
        lambda s: low <= len(s) <= high and not any(c in allowed or "\ud800" <= c <= "\udfff" for c in s)
    )


def input_strategy(shape: Shape | None, label_members: set[str] = frozenset()) -> st.SearchStrategy[dict[str, Any]]:
    """An operation's input; URI-label members are never empty (a URI needs them)."""
    if shape is None:
        return st.just({})
    required = set(shape.required_members)
    must = {n: strategy(m, 1, nonempty=n in label_members, patterns=True) for n, m in shape.members.items() if n in required}
    optional = {n: strategy(m, 1, nonempty=n in label_members, patterns=True) for n, m in shape.members.items() if n not in required}
    return st.fixed_dictionaries(must, optional=optional)
