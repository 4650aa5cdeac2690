"""Raw HTTP against the server, for requests boto3 would refuse to send."""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

SQS_JSON = {"Content-Type": "application/x-amz-json-1.0"}
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)

    def xml_error(self) -> dict[str, str]:
        """Type, Code and Message of a Query `<ErrorResponse>` (namespaces ignored)."""
        root = self.xml()
        assert _local(root.tag) == "ErrorResponse", self.body
        error = next(child for child in root if _local(child.tag) == "Error")
        return {_local(child.tag): child.text or "" for child in error}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def send(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> RawResponse:
    """One request on a fresh connection; `body` is sent with its Content-Length."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()
