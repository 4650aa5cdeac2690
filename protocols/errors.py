"""Errors for requests no service claims: JSON for JSON clients, Query XML otherwise."""

from __future__ import annotations

from protocols.http import HttpRequest, HttpResponse
from protocols.writers import json_dumps, xml_escape
from services.core.errors import AwsError


def render_unrouted(error: AwsError, request: HttpRequest | None, request_id: str) -> HttpResponse:
    content_type = request.content_type if request is not None else ""
    if "json" in content_type:
        body = json_dumps({"__type": error.code, "message": error.message})
        return HttpResponse(error.status, body, [("x-amzn-ErrorType", error.code)], content_type="application/json")
    fault = "Sender" if error.sender_fault else "Receiver"
    text = (
        f'<?xml version="1.0"?><ErrorResponse><Error><Type>{fault}</Type>'
        f"<Code>{xml_escape(error.wire_code)}</Code><Message>{xml_escape(error.message)}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return HttpResponse(error.status, text.encode("utf-8"), content_type="text/xml")
