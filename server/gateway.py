"""The AWS endpoint as a thin ASGI callable: detect -> decode -> handler -> encode.

Starlette's per-request objects would cost about half of the raw ceiling, so
the hot path reads the ASGI scope directly; Starlette serves only /_stepstack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from protocols import HttpRequest, HttpResponse, Router, RoutingError, render_unrouted
from protocols.base import Protocol
from protocols.detect import Route
from protocols.sigv4 import host_region
from server.logs import log_request, request_log, show_body
from server.settings import Settings
from services.core.context import RequestContext
from services.core.dispatch import Dispatcher
from services.core.errors import AwsError, InternalFailure, declare_error
from services.core.ids import is_account_id

log = logging.getLogger("stepstack.gateway")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

RequestEntityTooLarge = declare_error("RequestEntityTooLarge", 413, True)


class BodyTooLarge(Exception):
    pass


def http_request(scope: Scope) -> HttpRequest:
    """The request of an ASGI scope, its body still to be read."""
    return HttpRequest(
        method=scope["method"],
        path=scope["path"],
        raw_path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        # ASGI servers give header names in lower case already
        headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
        body=b"",
    )


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; raises BodyTooLarge past `limit` bytes (the rest is drained)."""
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            too_large = True
            chunks.clear()
        elif chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if too_large:
        raise BodyTooLarge
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Gateway:
    def __init__(self, settings: Settings, router: Router, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.router = router
        self.dispatcher = dispatcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = self.dispatcher.ids.uuid()
        request = http_request(scope)
        service = operation = "-"
        protocol: Protocol | None = None
        failure: AwsError | None = None
        limit = max(self.settings.max_body_bytes, self.router.body_limit(request) or 0)
        try:
            request.body = await read_body(receive, limit)
            route = self.router.route(request)
            protocol = route.protocol
            service, operation = route.spec.name, route.operation.name
            response = await self._serve(route, request, request_id, receive)
        except ConnectionAbortedError:
            return  # the client went away; nobody to answer
        except BodyTooLarge:
            protocol = self.router.guess_protocol(request)
            if protocol is not None:
                failure = protocol.body_too_large(limit)
            else:
                failure = RequestEntityTooLarge(f"Request body larger than {limit} bytes.")
            response = self._render_error(failure, protocol, request, request_id)
        except RoutingError as exc:
            failure = exc.error
            response = self._render_error(exc.error, exc.protocol, request, request_id)
        except AwsError as exc:
            failure = exc
            response = self._render_error(exc, protocol, request, request_id)
        except Exception:
            log.exception("request %s (%s %s) failed", request_id, service, operation)
            failure = InternalFailure(f"stepstack failed to process request {request_id}; see its log.")
            response = self._render_error(failure, protocol, request, request_id)
        await send_response(send, response, request_id)
        error = (failure.code, failure.message) if failure is not None else None
        log_request(service, operation, response.status, (time.perf_counter() - started) * 1000, error)
        if request_log.isEnabledFor(logging.DEBUG):
            request_log.debug("%s %s request %s: %s", service, operation, request_id, show_body(request.body))
            request_log.debug("%s %s response %s: %s", service, operation, request_id, show_body(response.body))

    async def _serve(self, route: Route, request: HttpRequest, request_id: str, receive: Receive) -> HttpResponse:
        params = route.protocol.parse(request, route.operation, **route.extra)
        ctx = self._context(route, request, request_id)
        name = route.operation.name
        call = self.dispatcher.dispatch(ctx, route.spec.name, name, params)
        if self.dispatcher.is_long_running(route.spec.name, name):
            result = await _unless_disconnected(call, receive)
        else:
            result = await call
        return route.protocol.serialize(route.operation, result, request_id)

    def _context(self, route: Route, request: HttpRequest, request_id: str) -> RequestContext[Any]:
        scope = route.scope
        account = self.settings.account_id
        region = None
        if scope is not None:
            if is_account_id(scope.access_key):
                account = scope.access_key
            region = scope.region
        return RequestContext(
            account,
            region or host_region(request.host) or self.settings.region,
            request_id,
            self.dispatcher,
            host=request.host,
            headers=request.headers,
        )

    @staticmethod
    def _render_error(
        error: AwsError, protocol: Protocol | None, request: HttpRequest, request_id: str
    ) -> HttpResponse:
        if protocol is not None:
            return protocol.serialize_error(error, request_id)
        return render_unrouted(error, request, request_id)


async def _unless_disconnected(call: Awaitable[dict[str, Any]], receive: Receive) -> dict[str, Any]:
    """Run a long wait; if the client disconnects first, cancel it (frees its waiter)."""
    task = asyncio.ensure_future(call)
    watcher = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            task.cancel()
            raise ConnectionAbortedError
        return task.result()
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def send_response(send: Send, response: HttpResponse, request_id: str) -> None:
    headers = [
        (b"content-type", response.content_type.encode()),
        (b"content-length", str(len(response.body)).encode()),
        (b"x-amzn-requestid", request_id.encode()),
    ]
    headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
