"""Identifiers in the shapes AWS uses, from one generator per application.

Unseeded, ids come from a random prefix and a counter (unique in and across
processes, a fifth of the cost of uuid.uuid4()); with STEPSTACK_SEED they come
from a seeded generator, so the same calls give the same ids run to run.
"""

from __future__ import annotations

import os
import random
import re

_ACCOUNT_RE = re.compile(r"[0-9]{12}")


def _uuid_prefix(raw: bytes) -> str:
    data = bytearray(raw[:10])
    data[6] = (data[6] & 0x0F) | 0x40  # version 4
    data[8] = (data[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = data.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"


class Ids:
    """UUID-shaped ids, random hex and the randomness of one application."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.random = random.Random(seed)  # jitter, intrinsic randomness, random choices
        raw = self.random.randbytes(15) if seed is not None else os.urandom(15)
        self._prefix = _uuid_prefix(raw)
        self._counter = int.from_bytes(raw[10:15], "big")

    def uuid(self) -> str:
        """Unique in this application: needs uniqueness, not secrecy."""
        self._counter += 1
        return f"{self._prefix}{self._counter & 0xFFFFFFFFFFFF:012x}"

    def hex(self, length: int) -> str:
        if self.seed is None:
            return os.urandom((length + 1) // 2).hex()[:length]
        return f"{self.random.getrandbits(length * 4):0{length}x}"

    def derived_random(self, name: str) -> random.Random:
        """A generator of its own for one long-lived piece of work (an execution), seeded from
        the application's seed and `name` when there is one, so concurrent work stays reproducible."""
        if self.seed is None:
            return self.random  # nothing to reproduce: one shared generator costs no seeding
        return random.Random(f"{self.seed}:{name}")


def is_account_id(value: str) -> bool:
    return _ACCOUNT_RE.fullmatch(value) is not None
