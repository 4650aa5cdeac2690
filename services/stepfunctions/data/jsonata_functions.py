"""The functions Step Functions adds to JSONata, and the JSONata ones it replaces.

AWS ("JSONata functions provided by Step Functions", Transforming data with JSONata):
$partition, $range, $hash, $random (with an optional seed), $uuid and $parse; `$eval`
is not available. `$now()` and `$millis()` read the service clock, and unseeded
`$random()` and `$uuid()` the execution's generator, so that runs are reproducible.

All of them live in one frame, `FUNCTIONS`, whose parent is jsonata-python's frame of
built-ins; every evaluation's own frame (variables, `$states`) is a child of it.
The functions find the evaluation they serve in `active`, which jsonata_eval sets
around each evaluation (evaluation is synchronous, so one slot per thread suffices).

LIMITATIONS (where we knowingly differ from AWS, or do not know what it does):
- Error texts of these functions are ours (no AWS recording has one).
- Non-integer numbers are rounded down where an integer is wanted, as the guide says.
- `$range` returns a JSONata sequence (a single item is returned as itself, as recorded
  for `$range(1, 9, 9)`; no item is undefined); `$partition` returns a plain array
  (recorded `$partition([0], 1)` is `[[0]]`).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import uuid
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from jsonata import Jsonata, Utils
from jsonata.functions import Functions

HASH_ALGORITHMS: Mapping[str, Callable[[bytes], Any]] = MappingProxyType({
    "MD5": hashlib.md5,
    "SHA-1": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA-384": hashlib.sha384,
    "SHA-512": hashlib.sha512,
})

_JAVA_MULTIPLIER = 0x5DEECE66D
_JAVA_MASK = (1 << 48) - 1
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1


class FunctionError(Exception):
    """Raised by a Step Functions function; its text follows "threw an error during evaluation."."""


class _Active(threading.local):
    env: Any = None  # the JsonataEnv of the evaluation running on this thread


active = _Active()


def java_random_double(seed: int) -> float:
    """`new java.util.Random(seed).nextDouble()`, bit for bit: AWS's seeded `$random(seed)`."""
    state = (seed ^ _JAVA_MULTIPLIER) & _JAVA_MASK

    def next_bits(bits: int) -> int:
        nonlocal state
        state = (state * _JAVA_MULTIPLIER + 0xB) & _JAVA_MASK
        return state >> (48 - bits)

    high = next_bits(26)
    return ((high << 27) + next_bits(27)) * 2.0**-53


def _integer(value: float, function: str, argument: str) -> int:
    """A JSONata number where an integer is wanted: rounded down, as the guide says."""
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        raise FunctionError(f"Invalid arguments in ${function}: the {argument} must be finite")
    return math.floor(value)


def _partition(array: list, size: float) -> list | None:
    if array is None or size is None:
        return None
    chunk = _integer(size, "partition", "chunk size")
    if chunk <= 0:
        raise FunctionError(
            f"Invalid arguments in $partition: the chunk size must be greater than 0, but was {chunk}"
        )
    items = list(array)
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def _range(start: float, end: float, step: float) -> list | None:
    if start is None or end is None or step is None:
        return None
    first = _integer(start, "range", "start")
    last = _integer(end, "range", "end")
    delta = _integer(step, "range", "step")
    if delta == 0:
        raise FunctionError("Invalid arguments in $range: the step cannot be 0")
    count = max(0, (last - first) // delta + 1)
    limit = active.env.limits.max_result_size
    if count > limit:
        raise FunctionError(
            f"Invalid arguments in $range: the range would contain {count} items, more than {limit}"
        )
    return Utils.create_sequence_from_iter(range(first, first + count * delta, delta))


def _hash(value: str, algorithm: str) -> str | None:
    if value is None or algorithm is None:
        return None
    if (digest := HASH_ALGORITHMS.get(algorithm)) is None:
        raise FunctionError(
            f"Invalid arguments in $hash: the hash algorithm must be one of {', '.join(HASH_ALGORITHMS)},"
            f" but was {json.dumps(algorithm)}"
        )
    return digest(value.encode("utf-8")).hexdigest()


def _random(seed: float | None = None) -> float:
    if seed is None:
        return active.env.random.random()
    return java_random_double(min(max(_integer(seed, "random", "seed"), _LONG_MIN), _LONG_MAX))


def _uuid() -> str:
    return str(uuid.UUID(int=active.env.random.getrandbits(128), version=4))


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _parse(text: str) -> Any:
    if text is None:
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        raise FunctionError(
            f"Invalid arguments in $parse: the string {json.dumps(text)} is not valid JSON"
        ) from None
    return Utils.NULL_VALUE if value is None else value  # JSON null, not undefined


def _millis() -> int:
    return int(active.env.now * 1000)  # as the interpreter turns the clock into milliseconds


def _now(picture: str | None = None, timezone: str | None = None) -> str | None:
    return Functions.datetime_from_millis(_millis(), picture, timezone)


class _Native(Jsonata.JFunctionCallable):
    """Adapts a Python function to jsonata-python's calling convention (arguments already checked)."""

    def __init__(self, implementation: Callable[..., Any]) -> None:
        self.implementation = implementation

    def call(self, input: Any, args: list | None) -> Any:
        return self.implementation(*(args or ()))


# name -> (implementation, JSONata signature)
_DEFINITIONS: Mapping[str, tuple[Callable[..., Any], str]] = MappingProxyType({
    "partition": (_partition, "<an:a>"),
    "range": (_range, "<nnn:a<n>>"),
    "hash": (_hash, "<ss:s>"),
    "random": (_random, "<n?:n>"),
    "uuid": (_uuid, "<:s>"),
    "parse": (_parse, "<s:x>"),
    "now": (_now, "<s?s?:s>"),
    "millis": (_millis, "<:n>"),
})


def functions_frame() -> Jsonata.Frame:
    """AWS's functions over JSONata's: a frame built per engine (it is a mutable object)."""
    frame = Jsonata.Frame(Jsonata.static_frame)
    for name, (implementation, signature) in _DEFINITIONS.items():
        frame.bind(name, Jsonata.JFunction(_Native(implementation), signature))
    frame.bind("eval", None)  # not available on AWS: invoking it is T1006, as for any unknown function
    return frame


BUILTIN_NAMES: frozenset[str] = frozenset(Jsonata.static_frame.bindings) | frozenset(functions_frame().bindings)
