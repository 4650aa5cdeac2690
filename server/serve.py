"""The uvicorn server that runs stepstack, with a shutdown that does not wait on polls."""

from __future__ import annotations

import logging
import signal
from typing import Any

import uvicorn

log = logging.getLogger("stepstack.server")
TLS_HANDSHAKE = b"\x16\x03"  # a TLS record header: ClientHello


def http_protocol() -> type:
    """uvicorn's HTTP protocol, which also tells a client that tries TLS what went wrong."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # httptools missing: the pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    class PlainHttpProtocol(Base):  # type: ignore[misc, valid-type]
        _first = True

        def data_received(self, data: bytes) -> None:
            if self._first:
                self._first = False
                if data.startswith(TLS_HANDSHAKE):
                    peer = self.transport.get_extra_info("peername") if self.transport else None
                    log.warning("a TLS handshake arrived from %s: stepstack speaks plain HTTP: use http://", peer)
                    self.transport.close()
                    return
            super().data_received(data)

    return PlainHttpProtocol


class StepstackServer(uvicorn.Server):
    """uvicorn waits for open requests before it shuts the application down, so a pending
    20 s long poll would hold up Ctrl+C: on the signal, every waiting poll is answered first."""

    def __init__(self, config: uvicorn.Config, app: Any) -> None:
        super().__init__(config)
        self.stepstack = app

    async def startup(self, sockets: list[Any] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            config = self.config
            address = f"http://{config.host}:{config.port}"
            self.stepstack.dispatcher.tasks.spawn("start-up (banner, init hooks)", self.stepstack.after_start(address), owner="server")

    def handle_exit(self, sig: int, frame: Any) -> None:
        loop = getattr(self.stepstack, "loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.stepstack.begin_shutdown)
        super().handle_exit(sig, frame)
        captured = getattr(self, "_captured_signals", None)
        if sig == signal.SIGTERM and isinstance(captured, list) and sig in captured:
            captured.remove(sig)  # a clean stop on SIGTERM exits 0 (uvicorn would re-raise it)
