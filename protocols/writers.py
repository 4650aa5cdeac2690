"""Output encoders: results -> Query XML (compiled once per shape) and JSON.

Handlers return plain dicts named as the output shape; timestamps may be
`datetime` or epoch seconds, blobs `bytes`. JSON needs no shape walk (orjson
with a default for those two types); XML does, and its writers are compiled
once per shape and cached.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import orjson

from protocols.model import Shape
from protocols.readers import shape_key, wire_name

XmlWriter = Callable[[Any, str, list[str]], None]

_ESCAPES: dict[int, str] = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("\r"): "&#xD;", ord('"'): "&quot;"}
# Characters XML 1.0 cannot carry even as references: answered as U+FFFD rather
# than as a document the client cannot parse at all.
_ESCAPES.update({c: "\ufffd" for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)})


def xml_escape(text: str) -> str:
    return text.translate(_ESCAPES)


def iso8601(value: Any) -> str:
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


def epoch_seconds(value: Any) -> float | int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return epoch_seconds(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def json_dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_json_default, option=_JSON_OPTIONS)
    except TypeError as error:
        if "surrogates" not in str(error):
            raise
        # a lone surrogate (JSON text a client sent may escape one, "\ud800", and an error message
        # may quote it): written escaped, as JSON allows, rather than failing the answer
        return json.dumps(value, default=_json_default, separators=(",", ":")).encode("ascii")


# -- XML -----------------------------------------------------------------------

_WRITERS: dict[tuple[object, ...], XmlWriter] = {}


def _scalar_text(kind: str) -> Callable[[Any], str]:
    if kind == "boolean":
        return lambda v: "true" if v else "false"
    if kind == "timestamp":
        return iso8601
    if kind == "blob":
        return lambda v: base64.b64encode(v if isinstance(v, bytes) else str(v).encode()).decode("ascii")
    if kind in ("float", "double"):
        return lambda v: repr(float(v))
    if kind in ("integer", "long"):
        return lambda v: str(int(v))
    return lambda v: xml_escape(str(v))


def xml_writer(shape: Shape) -> XmlWriter:
    """A writer of `<name>value</name>` for `shape`, compiled once."""
    key = shape_key(shape, "xml")
    writer = _WRITERS.get(key)
    if writer is not None:
        return writer
    cell: list[XmlWriter] = []
    _WRITERS[key] = lambda v, n, out: cell[0](v, n, out)
    kind = shape.type_name
    if kind == "structure":
        writer = _structure_writer(shape)
    elif kind == "list":
        writer = _list_writer(shape)
    elif kind == "map":
        writer = _map_writer(shape)
    else:
        text = _scalar_text(kind)

        def writer(value: Any, name: str, out: list[str]) -> None:
            out.append(f"<{name}>{text(value)}</{name}>")

    cell.append(writer)
    _WRITERS[key] = writer
    return writer


def structure_body(shape: Shape) -> Callable[[dict[str, Any], list[str]], None]:
    """Writes a structure's members without an enclosing element (the Result body)."""
    members = [(name, wire_name(member, name), member) for name, member in shape.members.items()]
    compiled: list[tuple[str, str, XmlWriter]] = []

    def write(value: dict[str, Any], out: list[str]) -> None:
        if not compiled:
            compiled.extend((name, wire, xml_writer(member)) for name, wire, member in members)
        for name, wire, writer in compiled:
            item = value.get(name)
            if item is not None:
                writer(item, wire, out)

    return write


def _structure_writer(shape: Shape) -> XmlWriter:
    body = structure_body(shape)

    def write(value: Any, name: str, out: list[str]) -> None:
        out.append(f"<{name}>")
        if isinstance(value, dict):
            body(value, out)
        out.append(f"</{name}>")

    return write


def _list_writer(shape: Shape) -> XmlWriter:
    flattened = bool(shape.serialization.get("flattened"))
    element_name = shape.member.serialization.get("name")
    element = xml_writer(shape.member)

    if flattened:
        def write(value: Any, name: str, out: list[str]) -> None:
            for item in value:
                element(item, element_name or name, out)
    else:
        inner = element_name or "member"

        def write(value: Any, name: str, out: list[str]) -> None:
            out.append(f"<{name}>")
            for item in value:
                element(item, inner, out)
            out.append(f"</{name}>")

    return write


def _map_writer(shape: Shape) -> XmlWriter:
    flattened = bool(shape.serialization.get("flattened"))
    key_name = wire_name(shape.key, "key")
    value_name = wire_name(shape.value, "value")
    write_key = xml_writer(shape.key)
    write_value = xml_writer(shape.value)

    def entries(value: dict[str, Any], tag: str, out: list[str]) -> None:
        for k, v in value.items():
            out.append(f"<{tag}>")
            write_key(k, key_name, out)
            write_value(v, value_name, out)
            out.append(f"</{tag}>")

    if flattened:
        def write(value: Any, name: str, out: list[str]) -> None:
            entries(value, name, out)
    else:
        def write(value: Any, name: str, out: list[str]) -> None:
            out.append(f"<{name}>")
            entries(value, "entry", out)
            out.append(f"</{name}>")

    return write
