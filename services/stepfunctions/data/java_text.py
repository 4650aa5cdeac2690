"""Values written as Java writes them: AWS's interpreter is Java, and a few intrinsic
functions show it (States.Format renders objects as a Java Map, numbers as a Java double;
States.MathAdd rounds as Math.round)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def java_string(value: Any) -> str:
    """`value` as Java's toString writes the JSON value: objects as a Map (`{a=1, b=x}`),
    arrays as a List (`[1, x]`), strings unquoted, fractional numbers as a double."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(java_string(v) for v in value) + "]"


def java_double(x: float) -> str:
    """Java's Double.toString: plain between 10^-3 and 10^7 (`1.0`, `0.001`), otherwise
    `d.dddE<n>` (`1.0E7`, `1.5E-4`), with the shortest digits that read back as `x`."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    text = repr(x)  # plain in this range, and always with a fraction (`5.0`)
    if 1e-3 <= abs(x) < 1e7:
        return text
    # repr gives the shortest digits that read back as x; Decimal splits them from the exponent
    _, digits, exponent = Decimal(text).normalize().as_tuple()
    shown = "".join(map(str, digits))
    sign = "-" if x < 0 else ""
    return f"{sign}{shown[0]}.{shown[1:] or '0'}E{len(digits) - 1 + int(exponent)}"


def java_round(value: int | float) -> int:
    """Java's Math.round: the nearest integer, halves toward +infinity (-2.5 -> -2)."""
    if isinstance(value, int):
        return value
    floor = math.floor(value)
    return floor + 1 if value - floor >= 0.5 else floor  # value - floor is exact
