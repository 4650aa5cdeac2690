"""Identifiers in the shapes AWS uses."""

from __future__ import annotations

import os
import re

_ACCOUNT_RE = re.compile(r"[0-9]{12}")


def new_uuid() -> str:
    """A random (version 4) UUID as text; several times cheaper than str(uuid.uuid4())."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


request_id = new_uuid


def random_hex(length: int) -> str:
    return os.urandom((length + 1) // 2).hex()[:length]


def is_account_id(value: str) -> bool:
    return _ACCOUNT_RE.fullmatch(value) is not None
