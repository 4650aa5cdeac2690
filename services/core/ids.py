"""Identifiers in the shapes AWS uses."""

from __future__ import annotations

import itertools
import os
import re

_ACCOUNT_RE = re.compile(r"[0-9]{12}")


def _process_prefix() -> str:
    raw = bytearray(os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"


_PREFIX = _process_prefix()
_COUNTER = itertools.count(int.from_bytes(os.urandom(5), "big"))


def new_uuid() -> str:
    """A UUID-shaped id, unique in this process and across processes (random prefix, counter
    suffix): ids need uniqueness, not secrecy, and this costs a fifth of uuid.uuid4()."""
    return f"{_PREFIX}{next(_COUNTER) & 0xFFFFFFFFFFFF:012x}"


request_id = new_uuid


def random_hex(length: int) -> str:
    return os.urandom((length + 1) // 2).hex()[:length]


def is_account_id(value: str) -> bool:
    return _ACCOUNT_RE.fullmatch(value) is not None
