"""The Lambda Runtime API (2018-06-01) of one execution environment, served on an ephemeral
127.0.0.1 port: what a runtime interface client (awslambdaric, a `bootstrap`) talks to.

    GET  /2018-06-01/runtime/invocation/next              long-poll for the next event
    POST /2018-06-01/runtime/invocation/{id}/response     the handler's result
    POST /2018-06-01/runtime/invocation/{id}/error        an error document (Lambda-Runtime-Function-Error-Type)
    POST /2018-06-01/runtime/init/error                   initialisation failed

A small HTTP/1.1 server of its own (keep-alive, Content-Length or chunked bodies): the clients
keep one connection open and long-poll `next` on it, which a general ASGI stack would only slow.

Where we knowingly differ from AWS: the Extensions and Telemetry APIs and response streaming
are not served (404).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import orjson

log = logging.getLogger("stepstack.lambda")

PREFIX = "/2018-06-01/runtime/"
MAX_HEADER = 64 * 1024
MAX_BODY = 7 * 1024 * 1024  # 6 MB of response, with room for the runtime's envelope


@dataclass
class Event:
    """One invocation handed to the runtime by `next`."""

    request_id: str
    payload: bytes
    headers: dict[str, str]


@dataclass
class Reply:
    """What the runtime answered for one invocation (or for its initialisation)."""

    kind: str  # "response" | "error" | "init_error"
    body: bytes
    error_type: str | None = None


@dataclass(eq=False)
class RuntimeApi:
    """The server side of one environment's Runtime API; the environment drives it through
    `ready` (the first `next`: init is done), `push` (an event for `next`) and `on_reply`."""

    on_reply: Callable[[str | None, Reply], None]  # (request id, or None for init/error)
    port: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    polls: int = 0  # `next` requests seen
    _events: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)
    _server: asyncio.AbstractServer | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=MAX_HEADER)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def push(self, event: Event) -> None:
        self._events.put_nowait(event)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in self._handlers:
            task.cancel()

    async def aclose(self) -> None:
        """close(), and wait until every connection's handler has ended."""
        self.close()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=1.0)

    # -- HTTP -------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        try:
            while True:
                request = await _read_request(reader, writer)
                if request is None:
                    return
                method, path, headers, body = request
                status, answer, extra = await self._route(method, path, headers, body)
                _write_response(writer, status, answer, extra)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, asyncio.LimitOverrunError):
            return
        except asyncio.CancelledError:  # closed: end quietly (asyncio's stream callback would log a cancelled handler)
            return
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict[str, str]]:
        path = path.split("?", 1)[0]
        if not path.startswith(PREFIX):
            return 404, _error("InvalidRequest", "Not Found"), {}
        rest = path[len(PREFIX):]
        if method == "GET" and rest == "invocation/next":
            self.polls += 1
            self.ready.set()
            event = await self._events.get()
            return 200, event.payload, event.headers
        if method == "POST" and rest == "init/error":
            self.on_reply(None, Reply("init_error", body, headers.get("lambda-runtime-function-error-type")))
            return 202, b'{"status":"OK"}', {}
        if method == "POST" and rest.startswith("invocation/"):
            request_id, _, action = rest[len("invocation/"):].partition("/")
            if action in ("response", "error"):
                self.on_reply(request_id, Reply(action, body, headers.get("lambda-runtime-function-error-type")))
                return 202, b'{"status":"OK"}', {}
        return 404, _error("InvalidRequest", f"Unknown path {path}"), {}


def _error(error_type: str, message: str) -> bytes:
    return orjson.dumps({"errorType": error_type, "errorMessage": message})


async def _read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[str, str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":  # curl asks before large bodies
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        body = await reader.readexactly(length) if length else b""
    return method, path, headers, body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise ValueError("body too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


_REASONS = MappingProxyType({200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found", 413: "Payload Too Large"})


def _write_response(writer: asyncio.StreamWriter, status: int, body: bytes, headers: dict[str, str]) -> None:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
