"""Text with one piece computed only when someone reads it.

SNS signs every notification, and most notifications go to queues whose consumers never
check the signature; an RSA signature is the costliest step of a publish. A deferred text
knows its length and that its missing piece is ASCII of a known size, so it can be checked,
sized and stored before the piece exists: the first read makes the piece, once, for every
text that shares it. Records hold the final text when snapshotted (records.to_jsonable).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class DeferredPiece:
    """A string of known length and alphabet, made on first use and then kept."""

    __slots__ = ("length", "filler", "_make", "_value")

    def __init__(self, length: int, make: Callable[[], str], filler: str = "A") -> None:
        self.length, self.filler, self._make = length, filler, make
        self._value: str | None = None

    def value(self) -> str:
        if self._value is None:
            made = self._make()
            if len(made) != self.length or not made.isascii():
                raise ValueError(f"a deferred piece of {self.length} ASCII characters came out as {len(made)}")
            self._value, self._make = made, _spent
        return self._value

    @property
    def ready(self) -> bool:
        return self._value is not None


def _spent() -> str:
    raise AssertionError("made twice")


class DeferredText:
    """`head + piece + tail`, the piece made when the text is first read (`text()`)."""

    __slots__ = ("head", "piece", "tail")

    def __init__(self, head: str, piece: DeferredPiece, tail: str) -> None:
        self.head, self.piece, self.tail = head, piece, tail

    def __len__(self) -> int:
        return len(self.head) + self.piece.length + len(self.tail)

    def placeholder(self) -> str:
        """The text with the piece's filler in its place: the same length and character
        classes, for checks that must not make the piece."""
        return self.head + self.piece.filler * self.piece.length + self.tail

    def text(self) -> str:
        return self.head + self.piece.value() + self.tail

    __str__ = text

    def __repr__(self) -> str:
        return f"DeferredText({len(self)} characters, piece {'made' if self.piece.ready else 'pending'})"


def resolve(value: Any) -> Any:
    """The final text of a deferred text; anything else as it is."""
    return value.text() if type(value) is DeferredText else value
