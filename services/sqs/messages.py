"""Messages: how their MD5s are computed, and what input is valid.

MD5OfMessageAttributes follows AWS's algorithm (boto3 checks it): for each
attribute in name order, the name, the data type, a transport byte (1 for
String/Number, 2 for Binary) and the value, each length-prefixed (4 bytes,
big-endian) except the transport byte.
"""

from __future__ import annotations

import hashlib
import re
import struct
from decimal import Decimal, InvalidOperation
from typing import Any

from services.sqs.errors import InvalidMessageContents, InvalidParameterValue

MAX_MESSAGE_ATTRIBUTES = 10

_INVALID_BODY = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_\-.]{1,256}")
_ALLOWED_SET = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str | None:
    if not attributes:
        return None
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        digest.update(_prefixed(name.encode("utf-8")))
        digest.update(_prefixed(data_type.encode("utf-8")))
        if data_type.startswith("Binary"):
            digest.update(b"\x02")
            digest.update(_prefixed(bytes(value.get("BinaryValue", b""))))
        else:
            digest.update(b"\x01")
            digest.update(_prefixed(str(value.get("StringValue", "")).encode("utf-8")))
    return digest.hexdigest()


def attributes_size(attributes: dict[str, dict[str, Any]]) -> int:
    size = 0
    for name, value in attributes.items():
        size += len(name.encode("utf-8")) + len(value["DataType"].encode("utf-8"))
        if "BinaryValue" in value:
            size += len(value["BinaryValue"])
        else:
            size += len(str(value.get("StringValue", "")).encode("utf-8"))
    return size


_ASCII_ALLOWED = bytes(range(0x20, 0x80)) + b"\t\n\r"


def check_body(body: str, encoded: bytes | None = None) -> None:
    """InvalidMessageContents for a character SQS refuses (`encoded`: the body's UTF-8, if made)."""
    if body == "":
        raise InvalidParameterValue("The request must contain the parameter MessageBody.")
    if body.isascii():  # the common case, checked at C speed
        if body.isprintable() or not (encoded if encoded is not None else body.encode()).translate(None, _ASCII_ALLOWED):
            return
    bad = _INVALID_BODY.search(body)
    if bad is not None:
        raise InvalidMessageContents(
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the message body, "
            f"the set of allowed characters is {_ALLOWED_SET}"
        )


def check_message_attributes(attributes: dict[str, dict[str, Any]], *, system: bool = False) -> None:
    """Raise InvalidParameterValue for the first attribute AWS would refuse."""
    if len(attributes) > MAX_MESSAGE_ATTRIBUTES and not system:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}]."
        )
    for name, value in attributes.items():
        if system:
            if name != "AWSTraceHeader" or value.get("DataType") != "String" or not value.get("StringValue"):
                raise InvalidParameterValue(f"Message system attribute name '{name}' is invalid.")
            continue
        lowered = name.lower()
        if (
            not _ATTRIBUTE_NAME.fullmatch(name)
            or name.startswith(".")
            or name.endswith(".")
            or ".." in name
            or lowered.startswith("aws.")
            or lowered.startswith("amazon.")
        ):
            raise InvalidParameterValue(f"Message (user) attribute '{name}' has an invalid name.")
        data_type = value.get("DataType", "")
        base, _, custom = data_type.partition(".")
        if base not in ("String", "Number", "Binary") or len(data_type) > 256 or (_ and not custom):
            raise InvalidParameterValue(f"The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
        if base == "Binary":
            if not value.get("BinaryValue"):
                raise InvalidParameterValue(f"The message attribute '{name}' with type 'Binary' must use field 'Binary'.")
        else:
            text = value.get("StringValue")
            if text is None or text == "":
                raise InvalidParameterValue(f"The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'.")
            if base == "Number":
                try:
                    Decimal(text)
                except InvalidOperation:
                    raise InvalidParameterValue(f"Can't cast the value of message (user) attribute '{name}' to a number.") from None
            elif _INVALID_BODY.search(text):
                raise InvalidParameterValue(f"Message (user) attribute '{name}' value contains invalid characters.")


def stored_attributes(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Only the fields AWS keeps (no empty list members)."""
    out = {}
    for name, value in attributes.items():
        kept = {"DataType": value["DataType"]}
        if "BinaryValue" in value:
            kept["BinaryValue"] = value["BinaryValue"]
        if "StringValue" in value:
            kept["StringValue"] = value["StringValue"]
        out[name] = kept
    return out


def select_attributes(attributes: dict[str, dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    """Message attributes requested by name, `All`, `.*` or a `prefix.*` wildcard."""
    if not names or not attributes:
        return {}
    if "All" in names or ".*" in names:
        return attributes
    exact = set(names)
    prefixes = tuple(n[:-2] for n in names if n.endswith(".*"))  # "Hel.*" selects Hello and Help.Me
    return {k: v for k, v in attributes.items() if k in exact or (prefixes and k.startswith(prefixes))}
