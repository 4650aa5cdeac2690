"""Parameters in, results out: between a state machine's PascalCase JSON and the model's members.

In: structure members are renamed from PascalCase to the model's names, recursively through
structures, lists and map values (map keys are data, never renamed); a member the model does
not have is refused; a null member is absent (recorded: `sfn:startExecution` with `"Input":
null` starts the execution; a required one is the service's validation error). A blob is the UTF-8 JSON text of the value (recorded on AWS for
`s3:putObject`: a text Body is stored with its quotes, an object as its JSON). A string member
given an object or an array gets its JSON text (recorded: `sfn:startExecution` with an object
`Input`); a number or boolean its text.

Out: members in PascalCase, timestamps as ISO 8601 text in UTC with milliseconds (the Java SDK's
`Instant`), blobs as their UTF-8 text (recorded: `s3:getObject` Body, the Lambda SDK integration's
Payload "escaped JSON").
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from services.stepfunctions.integrations.aws_sdk.models import members, pascal, shape
from services.stepfunctions.interpreter.dataflow import dumps


class UnknownField(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def to_request(service: str, name: str, value: Any, path: str = "") -> Any:
    """A state machine's parameters for shape `name` -> the model's request members."""
    spec = shape(service, name)
    kind = spec["type"]
    if value is None:
        return None
    if kind == "structure":
        if not isinstance(value, dict):
            return value  # the callee's validation says what is wrong with it
        known = members(service, name)
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key not in known:
                raise UnknownField(where)
            member, member_shape = known[key]
            if item is not None:  # null is absent, as for the SDK's request builders
                out[member] = to_request(service, member_shape, item, where)
        return out
    if kind == "list" and isinstance(value, list):
        item_shape = spec["member"]["shape"]
        return [to_request(service, item_shape, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        value_shape = spec["value"]["shape"]
        return {k: to_request(service, value_shape, v, f"{path}.{k}") for k, v in value.items()}
    if kind == "blob":
        return value if isinstance(value, (bytes, bytearray)) else dumps(value).encode("utf-8")
    if kind == "string" and isinstance(value, (dict, list, bool, int, float)):
        return dumps(value)
    return value


def from_result(service: str, name: str, value: Any) -> Any:
    """The model's result for shape `name` -> what the task outputs."""
    if value is None:
        return None
    spec = shape(service, name)
    kind = spec["type"]
    if kind == "structure" and isinstance(value, dict):
        shapes = spec.get("members", {})
        return {
            pascal(member): from_result(service, shapes[member]["shape"], item) if member in shapes else item
            for member, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        item_shape = spec["member"]["shape"]
        return [from_result(service, item_shape, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        value_shape = spec["value"]["shape"]
        return {k: from_result(service, value_shape, v) for k, v in value.items()}
    if kind == "timestamp":
        return instant(value)
    if kind == "blob" and isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return value


def instant(value: Any) -> Any:
    """A timestamp as Java's `Instant.toString()` writes it at millisecond precision:
    `2024-05-01T10:20:30.123Z`, or `2024-05-01T10:20:30Z` on a whole second."""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    whole, millis = divmod(int(round(value * 1000)), 1000)
    text = datetime.fromtimestamp(whole, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"
