"""The HTTP request and response as the protocol layer sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str  # percent-decoded, as ASGI gives it
    raw_path: str  # as sent on the wire, for URI labels
    query_string: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    _query: list[tuple[str, str]] | None = None

    @property
    def query(self) -> list[tuple[str, str]]:
        if self._query is None:
            self._query = parse_qsl(self.query_string, keep_blank_values=True)
        return self._query

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def host(self) -> str:
        return self.headers.get("host", "localhost:4566")


@dataclass(slots=True)
class HttpResponse:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"
