"""The query protocol: form-encoded `Action=...` requests, XML responses.

SNS speaks it natively; SQS speaks it for older SDKs through a model derived
from its JSON model (protocols/sqs_query_model.py), with the same handlers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from botocore.model import OperationModel, Shape

from protocols.base import Protocol
from protocols.http import HttpRequest, HttpResponse
from protocols.readers import Reader, form_tree, query_reader
from protocols.writers import structure_body, xml_escape
from services.core.errors import AwsError

_SKIP = frozenset({"Action", "Version"})
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
        return query_reader(shape, self.rules.check_constraints)

    def parse(self, request: HttpRequest, operation: OperationModel, **route: Any) -> dict[str, Any]:
        pairs = route.get("pairs")
        if pairs is None:
            pairs = form_pairs(request)
        tree = form_tree(pairs, _SKIP)
        if operation.input_shape is not None:
            self.complete(request, operation, tree)
        return self.read_input(operation, tree)

    def complete(self, request: HttpRequest, operation: OperationModel, tree: dict[str, Any]) -> None:
        """A hook for members a service takes from elsewhere than the form (SQS: the URL)."""

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


class SqsQueryProtocol(QueryProtocol):
    """SQS over Query: a request sent to a queue's URL names its queue by that URL."""

    def complete(self, request: HttpRequest, operation: OperationModel, tree: dict[str, Any]) -> None:
        shape = operation.input_shape
        if "QueueUrl" in shape.members and "QueueUrl" not in tree and request.path.count("/") >= 2:
            tree["QueueUrl"] = f"http://{request.host}{request.path}"
