"""Identifiers in the shapes AWS uses."""

from __future__ import annotations

import os
import re
import uuid

_ACCOUNT_RE = re.compile(r"[0-9]{12}")


def request_id() -> str:
    return str(uuid.uuid4())


def new_uuid() -> str:
    return str(uuid.uuid4())


def random_hex(length: int) -> str:
    return os.urandom((length + 1) // 2).hex()[:length]


def is_account_id(value: str) -> bool:
    return _ACCOUNT_RE.fullmatch(value) is not None
