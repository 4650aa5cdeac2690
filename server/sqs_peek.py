"""`/_aws/sqs/messages`: LocalStack's message peek, served by stepstack's own inspection.

    GET  /_aws/sqs/messages?QueueUrl=<url>[&ShowInvisible=true][&ShowDelayed=true]
    GET  /_aws/sqs/messages/<region>/<account>/<queue name>
    POST /_aws/sqs/messages   (botocore with endpoint_url=.../_aws/sqs/messages, Query or JSON)

A plain GET (or a POST of form fields without `Action`) answers the SQS Query
`ReceiveMessageResponse` XML document, or with `Accept: application/json` the
same document as JSON (each element an object, repeated ones a list, as
xmltodict reads it). An SDK's ReceiveMessage answers in that SDK's protocol,
ignoring MaxNumberOfMessages, WaitTimeSeconds, VisibilityTimeout and the
attribute names: every message, every attribute, nothing changed
(services/sqs/peek.py). Any other operation answers InvalidRequest. The queue's
account comes from its URL, its region from the URL's host, else the request's
SigV4 scope, its Host, or the default region.

Where we differ from LocalStack: the order is stepstack's receive order (on a
standard queue a message whose visibility timeout ended is behind the others,
not back in its old place); a form POST without `Action` is a plain peek rather
than an error; another path below the prefix answers InvalidAddress (404) and
another method MethodNotAllowed (405), each as an SQS error document.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from protocols import HttpRequest, HttpResponse, RoutingError
from protocols.base import Protocol
from protocols.query import form_pairs
from protocols.sigv4 import credential_scope, host_region
from server.gateway import BodyTooLarge, Receive, RequestEntityTooLarge, Scope, Send, http_request, read_body, send_response
from server.logs import log_request
from services.core.errors import AwsError, InternalFailure, declare_error
from services.sqs.errors import InvalidAddress

if TYPE_CHECKING:
    from server.app import StepstackApp

log = logging.getLogger("stepstack.sqs_peek")

PREFIX = "/_aws/sqs/messages"

InvalidRequest = declare_error("InvalidRequest", 400, True)
MethodNotAllowed = declare_error("MethodNotAllowed", 405, True)


async def aws_sqs_messages(scope: Scope, receive: Receive, send: Send, app: StepstackApp) -> None:
    """The raw ASGI handler for every path under PREFIX."""
    started = time.perf_counter()
    request_id = app.dispatcher.ids.uuid()
    request = http_request(scope)
    peek = _Peek(app, request, request_id)
    try:
        request.body = await read_body(receive, app.settings.max_body_bytes)
        response = peek.answer()
        error = None
    except ConnectionAbortedError:
        return
    except BodyTooLarge:
        error = RequestEntityTooLarge(f"Request body larger than {app.settings.max_body_bytes} bytes.")
    except AwsError as exc:
        error = exc
    except Exception:
        log.exception("request %s (%s %s) failed", request_id, request.method, request.path)
        error = InternalFailure(f"stepstack failed to process request {request_id}; see its log.")
    if error is not None:
        response = peek.error(error)
    await send_response(send, response, request_id)
    failure = (error.wire_code, error.message) if error is not None else None
    log_request("sqs", "PeekMessages", response.status, (time.perf_counter() - started) * 1000, failure)


class _Peek:
    """One request: what it asks for, and the protocol its answer (or error) is written in."""

    def __init__(self, app: StepstackApp, request: HttpRequest, request_id: str) -> None:
        self.app = app
        self.request = request
        self.request_id = request_id
        self.query_protocol = app.router.query_protocols["sqs"]
        self.receive = self.query_protocol.operation_model("ReceiveMessage")
        self.protocol: Protocol | None = None  # set when an SDK call names its protocol
        self.operation = self.receive

    def answer(self) -> HttpResponse:
        request = self.request
        if request.method not in ("GET", "POST"):
            raise MethodNotAllowed(f"{request.method} is not allowed on {PREFIX}; use GET or POST.")
        pairs = form_pairs(request)  # the query string, and a form body
        if "x-amz-target" in request.headers or any(key == "Action" for key, _ in pairs):
            return self._sdk_call()
        values = dict(pairs)
        flags = {k: values[k] for k in ("ShowInvisible", "ShowDelayed") if k in values}
        rest = [part for part in request.path[len(PREFIX):].split("/") if part]
        if not rest:
            url = values.get("QueueUrl", "")
            return self._peek({"QueueUrl": url, "Region": self._region(url), **flags})
        if len(rest) != 3:
            raise InvalidAddress(f"The address {request.path} is not valid for this endpoint; use {PREFIX}/<region>/<account>/<queue name>.")
        region, account, name = rest
        return self._peek({"QueueUrl": f"{account}/{name}", "Region": region, **flags})

    def _sdk_call(self) -> HttpResponse:
        request = self.request
        self.protocol = self._sqs_protocol()
        try:
            route = self.app.router.route(request)
        except RoutingError as exc:
            raise exc.error from None
        if route.spec.name != "sqs" or route.operation.name != "ReceiveMessage":
            raise InvalidRequest("This endpoint only accepts ReceiveMessage calls")
        self.protocol, self.operation = route.protocol, route.operation
        params = route.protocol.parse(request, route.operation, **route.extra)
        url = params.get("QueueUrl")
        region = self._region(url, route.scope.region if route.scope is not None else None)
        return self._peek({"QueueUrl": url or "", "Region": region})

    def _peek(self, query: dict[str, Any]) -> HttpResponse:
        sqs = self.app.dispatcher.service("sqs")  # ServiceNotEnabled when it is not
        result = sqs.inspect("peek", query)
        if not result["Messages"]:
            result = {}  # as ReceiveMessage answers an empty queue
        if self.protocol is not None:
            return self.protocol.serialize(self.operation, result, self.request_id)
        return self._plain(self.query_protocol.serialize(self.receive, result, self.request_id))

    def error(self, error: AwsError) -> HttpResponse:
        protocol = self.protocol
        if protocol is not None:
            return protocol.serialize_error(error, self.request_id)
        return self._plain(self.query_protocol.serialize_error(error, self.request_id))

    # -- helpers ---------------------------------------------------------------------

    def _region(self, url: str | None, signed: str | None = None) -> str:
        """The queue's region: its URL's host, else the SigV4 scope, the Host, the default."""
        request = self.request
        if signed is None:
            found = credential_scope(request)
            signed = found.region if found is not None else None
        from_url = host_region(urlsplit(url).netloc) if url and "://" in url else None
        return from_url or signed or host_region(request.host) or self.app.settings.region

    def _sqs_protocol(self) -> Protocol:
        """SQS's protocol for this request's wire (for errors before it is understood)."""
        request = self.request
        if "x-amz-target" in request.headers or request.content_type.startswith("application/x-amz-json"):
            return self.app.router.protocols["sqs"]
        return self.query_protocol

    def _plain(self, response: HttpResponse) -> HttpResponse:
        """The Query XML answer, or with `Accept: application/json` the same document as JSON."""
        if "application/json" not in self.request.headers.get("accept", ""):
            return response
        import xmltodict  # only for this JSON view: it pulls in urllib and http.client

        document = _strip_xmlns(xmltodict.parse(response.body))
        return HttpResponse(response.status, orjson.dumps(document), response.headers, "application/json")


def _strip_xmlns(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_xmlns(v) for k, v in value.items() if k != "@xmlns"}
    if isinstance(value, list):
        return [_strip_xmlns(v) for v in value]
    return value

