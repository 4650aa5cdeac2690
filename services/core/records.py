"""Records as JSON-able values: bytes become `{"$bytes": base64}`, a deferred text its final
text (core/deferred.py), everything else is JSON."""

from __future__ import annotations

import base64
from typing import Any

from services.core.deferred import DeferredText

_BYTES = "$bytes"


def to_jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if type(value) is DeferredText:
        return value.text()
    return value


def from_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _BYTES in value:
            return base64.b64decode(value[_BYTES])
        return {k: from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    return value
