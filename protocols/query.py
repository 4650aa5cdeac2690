"""The query protocol: form-encoded `Action=...` requests, XML responses.

Some services speak it natively; a JSON service whose quirks entry builds a
Query model (protocols/quirks.py) speaks it too, for older SDKs, with the same
handlers. A form key that is no member of the input shape is an error, as on
AWS; only the keys every Query request may carry are not members.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from protocols.base import Protocol
from protocols.http import HttpRequest, HttpResponse
from protocols.model import OperationModel, Shape
from protocols.readers import Reader, form_tree, query_reader, wire_name
from protocols.writers import structure_body, xml_escape
from services.core.errors import AwsError

# Keys of the Query protocol itself: the action, the API version, and the
# SigV2 / SigV4 query-string authentication parameters
COMMON_KEYS = frozenset({
    "Action", "Version",
    "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp", "Expires", "SecurityToken",
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token",
})
_XML_TYPE = "text/xml"


def form_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """Form parameters from the query string and, for form bodies, the body."""
    pairs = list(request.query)
    if request.body and request.content_type in ("application/x-www-form-urlencoded", ""):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = request.body.decode("latin-1")
        pairs.extend(parse_qsl(text, keep_blank_values=True))
    return pairs


class QueryProtocol(Protocol):
    name = "query"

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        model = spec.query_model if spec.query_model is not None else spec.model
        self.model = model
        self.namespace = model.metadata.get("xmlNamespace", "")
        self._bodies: dict[str, Any] = {}

    def operation_model(self, name: str) -> OperationModel:
        return self.model.operation_model(name)

    def compile_reader(self, shape: Shape) -> Reader:
        return query_reader(shape, self.rules.check_constraints, self.quirks.query_key_aliases)

    def parse(self, request: HttpRequest, operation: OperationModel, **route: Any) -> dict[str, Any]:
        pairs = route.get("pairs")
        if pairs is None:
            pairs = form_pairs(request)
        tree = form_tree(pairs, COMMON_KEYS)
        if operation.input_shape is not None:
            self.complete(request, operation, tree)
        return self.read_input(operation, tree)

    def complete(self, request: HttpRequest, operation: OperationModel, tree: dict[str, Any]) -> None:
        """A request sent to a resource's URL names its resource by that URL (quirks' url_member)."""
        member = self.quirks.url_member
        if member is None or request.path.count("/") < 2:
            return
        shape = operation.input_shape.members.get(member)
        if shape is not None:
            tree.setdefault(wire_name(shape, member), f"http://{request.host}{request.path}")

    def serialize(self, operation: OperationModel, result: dict[str, Any] | None, request_id: str) -> HttpResponse:
        name = operation.name
        out = [f'<?xml version="1.0"?><{name}Response xmlns="{self.namespace}">']
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
            body = self._bodies.get(name)
            if body is None:
                body = self._bodies[name] = structure_body(shape)
            out.append(f"<{wrapper}>")
            body(result or {}, out)
            out.append(f"</{wrapper}>")
        out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
        out.append(f"</{name}Response>")
        return HttpResponse(200, "".join(out).encode("utf-8"), content_type=_XML_TYPE)

    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        fault = "Sender" if error.sender_fault else "Receiver"
        text = (
            f'<?xml version="1.0"?><ErrorResponse xmlns="{self.namespace}"><Error>'
            f"<Type>{fault}</Type><Code>{xml_escape(error.wire_code)}</Code>"
            f"<Message>{xml_escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return HttpResponse(error.status, text.encode("utf-8"), content_type=_XML_TYPE)
