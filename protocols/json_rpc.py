"""The json protocol (1.0/1.1): operation in X-Amz-Target, members in a JSON body."""

from __future__ import annotations

from typing import Any

import orjson

from protocols.base import Protocol
from protocols.http import HttpRequest, HttpResponse
from protocols.model import OperationModel, Shape
from protocols.readers import Reader, json_reader
from protocols.validation import InputRules, SerializationException
from protocols.writers import json_dumps
from services.core.errors import AwsError


def decode_json_object(body: bytes, rules: InputRules | None = None) -> dict[str, Any]:
    """A JSON body that must be an object; empty means {}. Otherwise the service's error
    (its `rules`), SerializationException without them."""
    malformed = rules.malformed if rules is not None else SerializationException
    if not body.strip():
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise malformed("Malformed JSON: the request body could not be parsed.") from None
    if not isinstance(value, dict):
        raise malformed("Start of list or value found where a structure was expected.")
    return value


class JsonProtocol(Protocol):
    name = "json"

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        version = spec.model.metadata.get("jsonVersion", "1.0")
        self.content_type = f"application/x-amz-json-{version}"
        self.type_namespace = self.quirks.json_type_namespace  # botocore keeps what follows '#'

    def compile_reader(self, shape: Shape) -> Reader:
        return json_reader(shape, self.rules.check_constraints)

    def parse(self, request: HttpRequest, operation: OperationModel, **route: Any) -> dict[str, Any]:
        return self.read_input(operation, decode_json_object(request.body))

    def serialize(self, operation: OperationModel, result: dict[str, Any] | None, request_id: str) -> HttpResponse:
        return HttpResponse(200, json_dumps(result or {}), content_type=self.content_type)

    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        body = {"__type": self.type_namespace + error.code, "message": error.message, **error.fields}
        headers = []
        if self.spec.query_compatible:
            fault = "Sender" if error.sender_fault else "Receiver"
            headers.append(("x-amzn-query-error", f"{error.wire_code};{fault}"))
        return HttpResponse(error.status, json_dumps(body), headers, content_type=self.content_type)
